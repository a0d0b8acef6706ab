"""Pages that shape the library: a new template (the editor on a draft) and categories.

They render HTML only; creating, changing, deleting and restoring go through the JSON
API from the pages' scripts, with If-Match like every other change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import TypeAdapter, ValidationError

from app.api.access import require_page
from app.auth.scopes import Scope
from app.library import Template, TemplateId
from app.store.categories import CategoryEditor, StoredCategory
from app.store.repository import StoredTemplate
from app.web.i18n import gettext as _
from app.web.pages import (
    NOT_CREATED_HERE,
    live_categories,
    render_editor,
    template_editor,
    web_ui,
)

router = APIRouter(include_in_schema=False)

_TEMPLATE_ID: TypeAdapter[str] = TypeAdapter(TemplateId)
TITLE_MAX = 120


def _valid(adapter: TypeAdapter[str], value: str) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


def new_template_problems(
    category: str,
    name: str,
    title: str,
    categories: list[StoredCategory],
    existing: StoredTemplate | None,
) -> dict[str, str]:
    """What is wrong with a new template's category, name and title, per field; the id
    `category.name` is checked with the API's own pattern."""
    problems: dict[str, str] = {}
    live = {c.id for c in categories}
    if not category:
        problems["category"] = _("Choose a category.")
    elif category in NOT_CREATED_HERE:
        problems["category"] = _(
            "Busy-hour replies are chosen by the shop's state; add them in the library files."
        )
    elif category not in live:
        problems["category"] = _("There is no category %(id)s.", id=category)
    if not name:
        problems["name"] = _("Give the template a name.")
    elif not _valid(_TEMPLATE_ID, f"{category or 'x'}.{name}"):
        problems["name"] = _(
            "Lower-case letters, digits and _, starting with a letter (for example late_parcel)."
        )
    elif existing is not None:
        problems["name"] = (
            _("A deleted template has this id: restore it from the deleted templates.")
            if existing.deleted
            else _("A template with this id exists already.")
        )
    if not title.strip():
        problems["title"] = _("Give the template a title.")
    elif len(title) > TITLE_MAX:
        problems["title"] = _("At most %(n)s characters.", n=TITLE_MAX)
    return problems


def draft(template_id: str, title: str, locale: str) -> StoredTemplate:
    """An unsaved template: one empty column in the shop's language, nothing else."""
    # Not validated: a draft is incomplete by nature (no reply yet); saving validates it.
    template = Template.model_construct(id=template_id, title=title.strip(), replies={locale: {}})
    return StoredTemplate(
        template=template, version=0, deleted=False, updated_at=datetime.now(UTC), updated_by=""
    )


@router.get(
    "/library/new",
    response_class=HTMLResponse,
    dependencies=[Depends(require_page(Scope.LIBRARY_WRITE))],
)
def new_template_page(
    request: Request,
    category: Annotated[str, Query(max_length=64)] = "",
    name: Annotated[str, Query(max_length=64)] = "",
    title: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """The editor on an unsaved draft; with a bad category, name or title, the form again
    with the problem next to each field."""
    ui = web_ui(request)
    categories = live_categories(ui)
    template_id = f"{category}.{name}"
    existing = template_editor(ui).get(template_id) if _valid(_TEMPLATE_ID, template_id) else None
    submitted = bool(category or name or title)
    problems = new_template_problems(category, name, title, categories, existing)
    if not problems:
        shop = ui.kefu.snapshot.library.shop
        return render_editor(request, draft(template_id, title, shop.default_locale), new=True)

    def page(lang: str) -> dict[str, Any]:
        return {
            "new_categories": [(c.id, c.title) for c in categories if c.id not in NOT_CREATED_HERE],
            "new": {"category": category, "name": name, "title": title},
            "problems": problems if submitted else {},
        }

    status = 422 if submitted else 200
    return ui.render(request, "template_new.html", page, status=status, nav="library")


def category_strings() -> dict[str, str]:
    return {
        "created": _("Category %(id)s created"),
        "saved": _("Saved as version %(version)s"),
        "deleted": _("Category %(id)s deleted"),
        "restored": _("Category %(id)s restored"),
        "conflict": _(
            "%(who)s saved version %(version)s while you were editing. Nothing was overwritten."
        ),
        "reload": _("Reload theirs (drop my changes)"),
        "not_saved": _("Not saved: %(message)s"),
        "error": _("Something went wrong: %(message)s"),
    }


@router.get(
    "/library/categories",
    response_class=HTMLResponse,
    dependencies=[Depends(require_page(Scope.LIBRARY_READ))],
)
def categories_page(request: Request) -> HTMLResponse:
    """Every category with its template count: create, rename, describe, delete, restore."""
    ui = web_ui(request)
    stored = CategoryEditor(ui.kefu.store).all() if ui.kefu.store is not None else []

    def page(lang: str) -> dict[str, Any]:
        return {
            "live": [c for c in stored if not c.deleted],
            "deleted": [c for c in stored if c.deleted],
            "script_data": {"strings": category_strings()},
        }

    return ui.render(request, "categories.html", page, nav="categories")
