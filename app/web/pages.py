"""The page routes. They render HTML only; every change goes through the JSON API.

All page routes live on one router, so a login requirement can be added to it in one
place (the accounts issue) without touching each page.
"""

from __future__ import annotations

from typing import Any

from babel import Locale
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.library import Tone
from app.rendering import placeholder_label
from app.tone import BuyerTone
from app.web import csrf, i18n
from app.web.i18n import gettext as _
from app.web.ui import WebUI

router = APIRouter(include_in_schema=False)

RTL_LANGUAGES = ("ar", "fa", "he", "ur")


def _ui(request: Request) -> WebUI:
    ui: WebUI = request.app.state.web
    return ui


def tone_names() -> dict[str, str]:
    return {
        Tone.friendly.value: _("friendly"),
        Tone.formal.value: _("formal"),
        Tone.empathetic.value: _("empathetic"),
    }


def buyer_tone_names() -> dict[str, str]:
    return {
        BuyerTone.angry.value: _("angry"),
        BuyerTone.urgent.value: _("urgent"),
        BuyerTone.formal.value: _("formal"),
        BuyerTone.casual.value: _("casual"),
        BuyerTone.neutral.value: _("neutral"),
    }


def locale_name(tag: str, ui_lang: str) -> str:
    try:
        name = Locale.parse(tag, sep="-").get_display_name(Locale.parse(ui_lang, sep="-"))
    except (ValueError, LookupError):
        return tag
    return f"{name} ({tag})" if name else tag


def console_strings() -> dict[str, str]:
    """What the console's script shows, translated here so the catalog holds it."""
    return {
        "copied": _("Copied reply %(n)s to the clipboard"),
        "copy": _("Copy"),
        "dismiss": _("Not useful"),
        "dismissed": _("Marked as not useful"),
        "why": _("Why"),
        "matched": _("“%(ask)s” is like “%(trigger)s” (%(similarity)s similar)"),
        "keywords": _("Keywords: %(keywords)s"),
        "busy_reply": _("Busy-hour reply, chosen by the shop's state"),
        "low_confidence": _("low confidence"),
        "no_match": _("No good match"),
        "guesses": _("Low-confidence guesses"),
        "no_guesses": _("Nothing in the library resembles this message."),
        "send_unmatched": _("Send this message to the unmatched list"),
        "none_fit": _("None of these fit?"),
        "sent_unmatched": _("Sent to the library's unmatched list"),
        "language": _("Buyer's language: %(language)s"),
        "tone": _("Buyer sounds %(buyer)s; reply tone %(reply)s"),
        "locale_fallback": _("no reply in the buyer's language: shown in %(locale)s"),
        "tone_fallback": _("tone not available: shown as %(tone)s"),
        "confidence": _("confidence %(score)s"),
        "error": _("Something went wrong: %(message)s"),
        "offline": _("The service did not answer. Check the connection and try again."),
    }


@router.get("/", response_class=HTMLResponse)
def console(request: Request) -> HTMLResponse:
    ui = _ui(request)
    library = ui.kefu.snapshot.library

    def page(lang: str) -> dict[str, Any]:
        return {
            "locales": [(tag, locale_name(tag, lang)) for tag in library.locales],
            "tones": tone_names(),
            "script_data": {
                "strings": console_strings(),
                "tones": tone_names(),
                "buyer_tones": buyer_tone_names(),
                "rtl": list(RTL_LANGUAGES),
                "variables": {
                    name: {"type": v.type.value, "label": placeholder_label(v, name, lang)}
                    for name, v in library.variables.items()
                },
                "locale_names": {tag: locale_name(tag, lang) for tag in library.locales},
            },
        }

    return ui.render(request, "console.html", page, nav="console")


__all__ = ["router", "csrf", "i18n"]
