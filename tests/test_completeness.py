"""Every template of the shipped library renders in every locale × tone it declares."""

from __future__ import annotations

import re

import pytest

from app.library import Library, load_library
from app.rendering import RenderContext, placeholder_label, render, sample_values, shop_view
from app.suggest import build_snapshot
from app.text import is_emoji
from tests.conftest import REPLIES

LIBRARY: Library = load_library(REPLIES)
SNAPSHOT = build_snapshot(LIBRARY)
CASES = [
    (t.id, locale, tone)
    for t in LIBRARY.templates()
    for locale, by_tone in t.replies.items()
    for tone in by_tone
]
TEMPLATE_SYNTAX = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}|None|Undefined")


@pytest.mark.parametrize(("template_id", "locale", "tone"), CASES)
def test_reply_renders_with_and_without_values(template_id: str, locale: str, tone: str) -> None:
    template = SNAPSHOT.templates[template_id]
    compiled = SNAPSHOT.replies.get((template_id, locale, tone))  # type: ignore[arg-type]
    declared = {name: LIBRARY.variables[name] for name in template.variables}
    ctx = RenderContext(
        locale=locale,
        currency=LIBRARY.shop.currency,
        shop=shop_view(LIBRARY.shop, locale),
        values=sample_values(declared),
    )
    full = render(compiled, ctx, declared)
    assert full.text.strip() and not TEMPLATE_SYNTAX.search(full.text)
    assert full.missing == ()
    ctx.values = {}
    bare = render(compiled, ctx, declared)
    assert bare.text.strip() and not TEMPLATE_SYNTAX.search(bare.text)
    for name in bare.missing:
        assert f"[{placeholder_label(declared[name], name, locale)}]" in bare.text


@pytest.mark.parametrize(
    ("template_id", "locale", "tone"), [c for c in CASES if c[2] != "friendly"]
)
def test_only_friendly_replies_carry_emoji(template_id: str, locale: str, tone: str) -> None:
    source = SNAPSHOT.replies.sources[(template_id, locale, tone)]  # type: ignore[index]
    assert not [c for c in source if is_emoji(c)], "emoji belong to friendly replies only"


def test_the_shipped_library_carries_the_stamp_of_its_checked_content() -> None:
    # A first start trusts the stamp instead of rendering every reply again.
    from app.checking import STAMP_FILE, is_stamped

    assert is_stamped(REPLIES, LIBRARY), (
        f"replies/ changed since replies/{STAMP_FILE} was written: run `kefu check --stamp`"
    )
