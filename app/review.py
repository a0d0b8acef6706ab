"""Stale translations: which locales of a template need a translator's review.

When the text in the library's default locale changes, every other locale that was not
changed in the same save still says the old thing, so it is marked for review (as
Zendesk's dynamic content does). Saving a locale's text, or confirming it, clears its mark.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.library import Template


def source_locale(template: Template, default_locale: str) -> str | None:
    """The locale translations follow: the shop's default, else the template's first."""
    if default_locale in template.replies:
        return default_locale
    return next(iter(template.replies), None)


def needs_review(
    old: Template | None,
    new: Template,
    marked: Iterable[str],
    default_locale: str,
) -> list[str]:
    """The locales of `new` to mark after saving it over `old` (sorted).

    A new template starts with none marked. A locale whose text changed in this save is
    clear (its translator just wrote it); when the source text changed, every other
    locale left as it was becomes marked; marks on removed locales go.
    """
    if old is None:
        return []
    source = source_locale(new, default_locale)
    source_changed = source is not None and old.replies.get(source) != new.replies.get(source)
    already = set(marked)
    result = set()
    for locale, texts in new.replies.items():
        if locale == source:
            continue
        if old.replies.get(locale) != texts:
            continue
        if source_changed or locale in already:
            result.add(locale)
    return sorted(result)
