"""Stale translations: which locales a change of the source text leaves behind."""

from __future__ import annotations

import pytest

from app.review import needs_review
from tests.factories import make_template, replies

BASE = {"en": "Ships soon", "de": "Kommt bald", "fr": "Bientôt"}


def edited(**texts: str) -> object:
    return make_template(variables=[], replies=replies({**BASE, **texts}))


@pytest.mark.parametrize(
    ("change", "marked_before", "expected"),
    [
        ({"en": "Ships tomorrow"}, [], ["de", "fr"]),  # source changed: the rest is stale
        ({"en": "Ships tomorrow", "de": "Kommt morgen"}, [], ["fr"]),  # de updated with it
        ({"de": "Kommt sehr bald"}, ["de", "fr"], ["fr"]),  # saving a locale clears it
        ({}, ["fr"], ["fr"]),  # a change elsewhere keeps marks
        ({"fr": "Très bientôt"}, [], []),  # a translation edit marks nothing
    ],
)
def test_changing_the_source_text_marks_the_other_locales(
    change: dict[str, str], marked_before: list[str], expected: list[str]
) -> None:
    old = edited()
    new = edited(**change)
    assert needs_review(old, new, marked_before, "en") == expected  # type: ignore[arg-type]


def test_a_new_template_has_nothing_to_review() -> None:
    assert needs_review(None, edited(en="Hello"), [], "en") == []  # type: ignore[arg-type]


def test_without_the_default_locale_the_first_locale_is_the_source() -> None:
    old = make_template(variables=[], replies=replies({"de": "A", "fr": "B"}))
    new = make_template(variables=[], replies=replies({"de": "A2", "fr": "B"}))
    assert needs_review(old, new, [], "en") == ["fr"]
