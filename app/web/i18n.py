"""The pages' own language: catalogs from `locales/`, and which one a request gets.

Catalogs are read from the `.po` files with Babel and compiled in memory at startup, so
no generated `.mo` file is kept in the repository. The request's choice is made in the
order `?lang=` → cookie → `Accept-Language` → English, as SQLAdmin and Warehouse do.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.core import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

log = logging.getLogger("kefu")

DEFAULT = "en"
COOKIE = "kefu_lang"
# UI languages as BCP 47 tags (what pages and cookies use) and their catalog folders.
UI_LANGUAGES: dict[str, str] = {"en": "en", "zh-Hans": "zh_Hans", "zh-Hant": "zh_Hant"}
# Accept-Language says zh-CN / zh-TW far more often than zh-Hans / zh-Hant.
_ALIASES = {
    "zh": "zh-Hans",
    "zh-CN": "zh-Hans",
    "zh-SG": "zh-Hans",
    "zh-TW": "zh-Hant",
    "zh-HK": "zh-Hant",
    "zh-MO": "zh-Hant",
}


@dataclass(frozen=True)
class UILanguage:
    tag: str
    name: str  # the language's own name, for the switcher
    translations: NullTranslations


def load_catalogs(folder: Path) -> dict[str, UILanguage]:
    """Every UI language, its `.po` compiled in memory; a missing catalog falls back to
    the English source strings rather than stopping the service."""
    languages: dict[str, UILanguage] = {}
    for tag, folder_name in UI_LANGUAGES.items():
        po = folder / folder_name / "LC_MESSAGES" / "messages.po"
        translations: NullTranslations = NullTranslations()
        if po.exists():
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=folder_name)
            buffer = BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            translations = Translations(buffer)
        elif tag != DEFAULT:
            log.warning("no UI catalog %s; pages in %s show English", po, tag)
        name = Locale.parse(tag, sep="-").get_display_name(Locale.parse(tag, sep="-")) or tag
        languages[tag] = UILanguage(tag=tag, name=name, translations=translations)
    return languages


def _known(tag: str | None) -> str | None:
    if not tag:
        return None
    tag = tag.strip().replace("_", "-")
    for candidate in (tag, _ALIASES.get(tag)):
        for known in UI_LANGUAGES:
            if candidate and candidate.casefold() == known.casefold():
                return known
    return None


def _accepted(header: str | None) -> list[str]:
    """The tags of an Accept-Language header, best first."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")[:20]):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        if tag and tag != "*" and weight > 0:
            weighted.append((-weight, position, _ALIASES.get(tag.strip(), tag.strip())))
    return [tag for _, _, tag in sorted(weighted)]


def choose_language(
    query: str | None, cookie: str | None, accept_language: str | None
) -> str:
    """The UI language for one request."""
    for explicit in (query, cookie):
        known = _known(explicit)
        if known:
            return known
    try:
        chosen = negotiate_locale(_accepted(accept_language), list(UI_LANGUAGES), sep="-")
    except (UnknownLocaleError, ValueError):
        chosen = None
    return chosen or DEFAULT


_current: ContextVar[NullTranslations] = ContextVar("kefu_ui_translations")


def activate(translations: NullTranslations) -> None:
    _current.set(translations)


def gettext(message: str, **variables: object) -> str:
    """The message in the request's language (`%(name)s` placeholders filled)."""
    translations = _current.get(None)
    text = translations.gettext(message) if translations else message
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    translations = _current.get(None)
    if translations:
        text = translations.ngettext(singular, plural, n)
    else:
        text = singular if n == 1 else plural
    return text % {"num": n, **variables}


def language_names(languages: Mapping[str, UILanguage]) -> list[tuple[str, str]]:
    return [(tag, lang.name) for tag, lang in languages.items()]
