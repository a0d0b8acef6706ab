"""The page routes. They render HTML only; every change goes through the JSON API.

Each page declares who may see it (`require_page`): someone not signed in goes to the
login page and comes back; a signed-in user without the scope gets 403.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from babel import Locale
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from app.api.access import public, require_page
from app.auth.scopes import Scope
from app.library import ShopFacts, Tone
from app.rendering import placeholder_label
from app.review import source_locale
from app.store.categories import CategoryEditor, StoredCategory
from app.store.documents import DocumentEditor
from app.store.repository import StoredTemplate, TemplateEditor
from app.tone import BuyerTone
from app.web import charts
from app.web.i18n import gettext as _
from app.web.ui import WebUI

router = APIRouter(include_in_schema=False)

RTL_LANGUAGES = ("ar", "fa", "he", "ur")


def web_ui(request: Request) -> WebUI:
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
        "edit_hint": _("Reply text: edit it before copying if needed"),
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


@router.get("/", response_class=HTMLResponse, dependencies=[Depends(require_page(Scope.SUGGEST))])
def console(request: Request) -> HTMLResponse:
    ui = web_ui(request)
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


def template_editor(ui: WebUI) -> TemplateEditor:
    if ui.kefu.store is None:
        raise RuntimeError("no store")
    return TemplateEditor(ui.kefu.store)


@dataclass(frozen=True)
class CoverageRow:
    """One template's line of the coverage matrix: tones per locale, stale marks."""

    template_id: str
    title: str
    version: int
    updated_by: str
    cells: list[tuple[str, int, bool]]  # locale, tones present, needs review
    gaps: int
    stale: int


def coverage(stored: StoredTemplate, locales: list[str]) -> CoverageRow:
    replies = stored.template.replies
    cells = [(loc, len(replies.get(loc, {})), loc in stored.needs_review) for loc in locales]
    return CoverageRow(
        template_id=stored.template.id,
        title=stored.template.title,
        version=stored.version,
        updated_by=stored.updated_by,
        cells=cells,
        gaps=sum(len(Tone) - n for _, n, _ in cells),
        stale=len(stored.needs_review),
    )


@router.get(
    "/library",
    response_class=HTMLResponse,
    dependencies=[Depends(require_page(Scope.LIBRARY_READ))],
)
def library_page(
    request: Request,
    q: Annotated[str, Query(max_length=200)] = "",
    category: Annotated[str, Query(max_length=64)] = "",
    locale: Annotated[str, Query(max_length=35)] = "",
    stale: bool = False,
    deleted: bool = False,
) -> HTMLResponse:
    """Browse and search templates; the coverage matrix shows gaps and stale translations.
    With `deleted`, the deleted templates instead, to open and restore."""
    ui = web_ui(request)
    library = ui.kefu.snapshot.library
    folded = q.casefold()
    found = [
        s
        for s in template_editor(ui).list()
        if s.deleted == deleted
        and (not category or s.template.category == category)
        and (not locale or locale in s.template.replies)
        and (not stale or s.needs_review)
        and (not folded or folded in _searchable(s))
    ]
    locales = library.locales
    # From the store: a category made a moment ago has no template yet, so it is not in
    # the served library, and it is where a new template goes.
    categories = [(c.id, c.title) for c in live_categories(ui)]

    def page(lang: str) -> dict[str, Any]:
        return {
            "rows": [coverage(s, locales) for s in found],
            "locales": locales,
            "locale_names": {tag: locale_name(tag, lang) for tag in locales},
            "categories": categories,
            "new_categories": [c for c in categories if c[0] not in NOT_CREATED_HERE],
            "new": {"category": "", "name": "", "title": ""},
            "problems": {},
            "tone_count": len(Tone),
            "filters": {
                "q": q,
                "category": category,
                "locale": locale,
                "stale": stale,
                "deleted": deleted,
            },
        }

    return ui.render(request, "library.html", page, nav="library")


# Busy-hour replies are chosen by the shop's state (`busy`), which the editor does not set.
NOT_CREATED_HERE = frozenset({"busy_hour"})


def live_categories(ui: WebUI) -> list[StoredCategory]:
    if ui.kefu.store is None:
        return []
    return [c for c in CategoryEditor(ui.kefu.store).all() if not c.deleted]


def _searchable(stored: StoredTemplate) -> str:
    return json.dumps(stored.template.model_dump(mode="json"), ensure_ascii=False).casefold()


def _locale_order(stored: StoredTemplate, default_locale: str) -> list[str]:
    """The source locale first (translations follow it), then the rest as written."""
    locales = list(stored.template.replies)
    source = source_locale(stored.template, default_locale)
    return sorted(locales, key=lambda loc: loc != source)


def editor_strings() -> dict[str, str]:
    return {
        "saved": _("Saved as version %(version)s"),
        "save_failed": _("Not saved: %(message)s"),
        "invalid": _("Not saved: fix the fields marked in red"),
        "conflict": _(
            "%(who)s saved version %(version)s while you were editing. Nothing was overwritten."
        ),
        "reload": _("Reload theirs (drop my changes)"),
        "merge": _("Merge my changes into theirs"),
        "merged": _(
            "Merged: your changes are on top of version %(version)s. Check them, then save."
        ),
        "merge_clash": _("Both of you changed: %(fields)s. Yours are kept; check them."),
        "rolled_back": _("Rolled back to version %(version)s (saved as a new version)"),
        "confirmed": _("Translation marked as checked"),
        "diff": _("Changes"),
        "rollback": _("Roll back to this version"),
        "preview_problem": _("Does not render: %(problem)s"),
        "try_suggested": _("Suggested at place %(rank)s (confidence %(confidence)s)"),
        "try_not": _("Not suggested: %(reason)s"),
        "error": _("Something went wrong: %(message)s"),
        "remove_locale": _("Remove this language"),
        "unsaved": _("You have unsaved changes"),
        "added_trigger": _("Added as a trigger example of %(template)s"),
        "triggers": _("Triggers: how buyers ask"),
        "examples": _("Buyer messages, one per line"),
        "keywords": _("Keywords, comma separated"),
        "confirm": _("Mark as checked"),
        "stale": _("The source text changed since this translation"),
        "version_line": _("version %(version)s, saved by %(who)s"),
        "created": _("Created as version %(version)s"),
        "save": _("Save"),
        "no_reply": _("Write at least one reply before saving."),
        "deleted": _("Deleted as version %(version)s"),
        "restored": _("Restored as version %(version)s: agents are offered it again."),
        "confirm_delete": _("Delete “%(title)s”?"),
    }


@router.get(
    "/library/unmatched",
    response_class=HTMLResponse,
    dependencies=[Depends(require_page(Scope.LIBRARY_READ))],
)
def unmatched_page(request: Request) -> HTMLResponse:
    """Messages nothing matched, grouped; each can become a trigger of a template."""
    ui = web_ui(request)
    activity = ui.kefu.activity
    groups = activity.unmatched_groups(limit=100) if activity is not None else []
    templates = sorted(
        ((t.id, t.title) for t in ui.kefu.snapshot.library.templates()), key=lambda t: t[0]
    )

    def page(lang: str) -> dict[str, Any]:
        return {
            "groups": groups,
            "templates": templates,
            "script_data": {"strings": editor_strings()},
        }

    return ui.render(request, "unmatched.html", page, nav="unmatched")


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def shop_strings() -> dict[str, str]:
    return {
        "saved": _("Saved as version %(version)s"),
        "invalid": _("Not saved: fix the fields marked in red"),
        "breaks": _("Not saved: these replies would not render with the new facts:"),
        "conflict": _(
            "%(who)s saved version %(version)s while you were editing. Nothing was overwritten."
        ),
        "reload": _("Reload theirs (drop my changes)"),
        "merge": _("Merge my changes into theirs"),
        "merged": _(
            "Merged: your changes are on top of version %(version)s. Check them, then save."
        ),
        "merge_clash": _("Both of you changed: %(fields)s. Yours are kept; check them."),
        "rollback": _("Roll back to this version"),
        "rolled_back": _("Rolled back to version %(version)s (saved as a new version)"),
        "error": _("Something went wrong: %(message)s"),
    }


@router.get(
    "/library/shop",
    response_class=HTMLResponse,
    dependencies=[Depends(require_page(Scope.LIBRARY_READ))],
)
def shop_page(request: Request) -> HTMLResponse:
    """The shop's facts every reply can use: name, agent, currency, hours…"""
    ui = web_ui(request)
    stored = DocumentEditor(ui.kefu.store).get("shop") if ui.kefu.store else None
    if stored is None:
        shop, version, updated_by = ui.kefu.snapshot.library.shop, 0, ""
    else:
        shop = ShopFacts.model_validate(stored.payload)
        version, updated_by = stored.version, stored.updated_by
    locales = ui.kefu.snapshot.library.locales

    def page(lang: str) -> dict[str, Any]:
        day_names = Locale.parse(lang, sep="-").days["format"]["wide"]
        return {
            "shop": shop,
            "version": version,
            "updated_by": updated_by,
            "tones": tone_names(),
            "locales": [(tag, locale_name(tag, lang)) for tag in locales],
            "weekdays": [(day, day_names[i]) for i, day in enumerate(WEEKDAYS)],
            "script_data": {
                "strings": shop_strings(),
                "shop": shop.model_dump(mode="json"),
                "version": version,
            },
        }

    return ui.render(request, "shop.html", page, nav="shop")


@router.get(
    "/insights", response_class=HTMLResponse, dependencies=[Depends(require_page(Scope.INSIGHTS))]
)
def insights_page(request: Request, days: Annotated[int, Query(ge=1, le=365)] = 30) -> HTMLResponse:
    """Charts of what the library is doing, drawn on the server as SVG."""
    ui = web_ui(request)
    activity = ui.kefu.activity
    data = activity.insights(days) if activity is not None else {}
    templates = ui.kefu.snapshot.templates

    def title(template_id: str) -> str:
        template = templates.get(template_id)
        return template.title if template else template_id

    volume = data.get("volume", [])
    last = datetime.now(UTC).date()
    first = last - timedelta(days=days - 1)
    by_category = [(date.fromisoformat(v["day"]), v["category"], v["count"]) for v in volume]
    by_language = [(date.fromisoformat(v["day"]), v["language"], v["count"]) for v in volume]
    feedback = {f["template_id"]: f for f in data.get("feedback", [])}
    served = {t["template_id"]: t["count"] for t in data.get("top_templates", [])}
    used_ids = sorted(
        set(served) | {t for t, f in feedback.items() if f["used"]},
        key=lambda t: (-(feedback[t]["used"] if t in feedback else 0), -served.get(t, 0)),
    )[:10]
    most_used = [
        (title(t), [u, max(0, served.get(t, 0) - u)])
        for t in used_ids
        for u in [feedback[t]["used"] if t in feedback else 0]
    ]
    disliked = sorted(
        (f for f in feedback.values() if f["dismissed"] or f["edited"]),
        key=lambda f: (-(f["dismissed"] + f["edited"]), f["template_id"]),
    )[:10]
    groups = data.get("unmatched_groups", [])[:10]

    def page(lang: str) -> dict[str, Any]:
        other = _("other")
        return {
            "days": days,
            "served": sum(v["count"] for v in volume),
            "unmatched_total": data.get("unmatched_total", 0),
            "by_category": charts.stacked_by_day(by_category, first, last, other),
            "by_language": charts.stacked_by_day(
                [(d, locale_name(code, lang), n) for d, code, n in by_language],
                first,
                last,
                other,
            ),
            "most_used": charts.horizontal_bars(
                most_used, [_("copied by an agent"), _("suggested, not copied")]
            ),
            "most_dismissed": charts.horizontal_bars(
                [(title(f["template_id"]), [f["dismissed"], f["edited"]]) for f in disliked],
                [_("dismissed"), _("edited")],
            ),
            "unmatched": charts.horizontal_bars(
                [(g["example"] or "", [g["count"]]) for g in groups], [_("messages")]
            ),
        }

    return ui.render(request, "insights.html", page, nav="insights")


@router.get(
    "/library/{template_id}",
    response_class=HTMLResponse,
    dependencies=[Depends(require_page(Scope.LIBRARY_READ))],
)
def template_page(request: Request, template_id: str) -> HTMLResponse:
    """Edit one template: locales side by side, live preview, try, history."""
    ui = web_ui(request)
    stored = template_editor(ui).get(template_id)
    if stored is None:
        return ui.render(
            request,
            "error.html",
            lambda lang: {"message": _("There is no template %(id)s.", id=template_id)},
            status=404,
            nav="library",
        )
    return render_editor(request, stored)


def render_editor(request: Request, stored: StoredTemplate, new: bool = False) -> HTMLResponse:
    """The editor on a saved template, or on an unsaved draft (`new`: saving creates it)."""
    ui = web_ui(request)
    library = ui.kefu.snapshot.library
    locales = library.locales

    def page(lang: str) -> dict[str, Any]:
        return {
            "stored": stored,
            "new": new,
            "row": coverage(stored, sorted(set(locales) | set(stored.template.replies))),
            "tones": tone_names(),
            "script_data": {
                "strings": editor_strings(),
                "template": stored.template.model_dump(mode="json"),
                "new": new,
                "deleted": stored.deleted,
                "tone_order": [t.value for t in Tone],
                "locale_order": _locale_order(stored, library.shop.default_locale),
                "version": stored.version,
                "updated_by": stored.updated_by,
                "needs_review": list(stored.needs_review),
                "tones": tone_names(),
                "rtl": list(RTL_LANGUAGES),
                "locales": locales,
                "locale_names": {tag: locale_name(tag, lang) for tag in locales},
                "variables": {
                    name: placeholder_label(v, name, lang) for name, v in library.variables.items()
                },
            },
        }

    return ui.render(request, "template.html", page, nav="library")


def login_strings() -> dict[str, str]:
    return {
        "failed": _("That name and password do not match, or the account is locked."),
        "limited": _("Too many attempts. Try again in %(seconds)s seconds."),
        "mismatch": _("The two new passwords differ."),
        "change": _("Set your own password to go on."),
        "error": _("Something went wrong: %(message)s"),
    }


@router.get("/login", response_class=HTMLResponse, dependencies=[Depends(public)])
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    """Sign in (and, the first time, set your own password); then back to `next`."""
    target = next if next.startswith("/") and not next.startswith("//") else "/"

    def page(lang: str) -> dict[str, Any]:
        return {"script_data": {"strings": login_strings(), "next": target}}

    return web_ui(request).render(request, "login.html", page, nav="login")
