"""The pages' catalogs: current with the code, complete, and chosen per request."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from app.web.i18n import UI_LANGUAGES, choose_language
from tests.conftest import ROOT

LOCALES = ROOT / "locales"
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def entries(catalog: Catalog) -> list[tuple[str, str, list[str]]]:
    return sorted(
        (repr(m.id), m.context or "", sorted({path for path, _ in m.locations}))
        for m in catalog
        if m.id
    )


def test_messages_pot_is_current(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails when a page's text changed without `bash scripts/translations.sh`."""
    monkeypatch.chdir(ROOT)
    fresh = tmp_path / "messages.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", "pyproject.toml", "--add-location=file",
         "--sort-output", "--no-wrap", "-o", str(fresh), "."]
    )
    assert entries(read(fresh)) == entries(read(LOCALES / "messages.pot")), (
        "locales/messages.pot is stale: run `bash scripts/translations.sh` and translate"
    )


@pytest.mark.parametrize("folder", list(UI_LANGUAGES.values()))
def test_every_catalog_has_every_message(folder: str) -> None:
    template = {m.id for m in read(LOCALES / "messages.pot") if m.id}
    catalog = read(LOCALES / folder / "LC_MESSAGES" / "messages.po")
    assert {m.id for m in catalog if m.id} == template


@pytest.mark.parametrize("folder", ["zh_Hans", "zh_Hant"])
def test_chinese_catalogs_are_translated_with_the_same_placeholders(folder: str) -> None:
    catalog = read(LOCALES / folder / "LC_MESSAGES" / "messages.po")
    for message in catalog:
        if not message.id:
            continue
        assert message.string, f"{folder}: {message.id!r} is not translated"
        assert not message.fuzzy, f"{folder}: {message.id!r} is marked fuzzy"
        # Every plural form keeps the singular's placeholders (Chinese has one form).
        source = message.id[0] if isinstance(message.id, tuple) else message.id
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for form in forms:
            assert sorted(PLACEHOLDER.findall(str(form))) == sorted(
                PLACEHOLDER.findall(str(source))
            ), f"{folder}: {message.id!r} lost or gained a placeholder"


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "chosen"),
    [
        ("zh-Hans", "zh-Hant", "en", "zh-Hans"),  # the link the user clicked wins
        (None, "zh-Hant", "zh-CN", "zh-Hant"),  # then the remembered choice
        (None, None, "zh-TW,zh;q=0.8", "zh-Hant"),
        (None, None, "zh-CN,en;q=0.5", "zh-Hans"),
        (None, None, "fr-FR,zh;q=0.3", "zh-Hans"),  # French is not offered; Chinese is
        (None, None, "fr-FR", "en"),
        (None, None, None, "en"),
        ("klingon", "nonsense", "en;q=abc", "en"),
        ("zh_Hant", None, None, "zh-Hant"),
    ],
)
def test_the_page_language_is_chosen_by_link_cookie_then_browser(
    query: str | None, cookie: str | None, accept: str | None, chosen: str
) -> None:
    assert choose_language(query, cookie, accept) == chosen
