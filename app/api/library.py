"""`/v1/library/…`: managers read and change templates, with versions and history.

Every change carries `If-Match` with the version it was based on; a stale one answers 412
with the current version and changes nothing. Reading needs `library:read`, changing
`library:write`; the author of a change is who made it (a user, or `key:NAME#ID`).
"""

from __future__ import annotations

import difflib
import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from jinja2 import TemplateError
from pydantic import BaseModel, Field

from app.api.access import require
from app.api.deps import KefuDep
from app.api.versioning import (
    MAX_VERSION,
    Author,
    IfMatch,
    VersionNumber,
    conflict,
    expected_version,
)
from app.auth.scopes import Scope
from app.compiled import template_problems
from app.errors import AlreadyExists, InvalidInput, NotFound, VersionConflict
from app.library import LocaleTag, Template, Tone
from app.rendering import (
    CompileError,
    RenderContext,
    coerce_value,
    make_environment,
    render,
    shop_view,
    validate_source,
)
from app.service import Kefu
from app.store.categories import CategoryEditor
from app.store.repository import Conflict, StoredTemplate, TemplateEditor

# Reading needs library:read; each change also needs library:write (through `Author`).
router = APIRouter(
    prefix="/v1/library", tags=["library"], dependencies=[Depends(require(Scope.LIBRARY_READ))]
)


class TemplateOut(BaseModel):
    template: Template
    version: int = Field(description="Also the ETag; send it back in If-Match to change it.")
    deleted: bool
    updated_at: datetime
    updated_by: str
    needs_review: list[str] = Field(
        description="Locales whose text predates the last change of the source-locale text."
    )


class ReviewBody(BaseModel):
    locales: list[LocaleTag] = Field(
        min_length=1, max_length=100, description="Locales a translator has checked."
    )


class TemplatePage(BaseModel):
    items: list[TemplateOut]
    total: int
    offset: int
    limit: int


class HistoryEntry(BaseModel):
    version: int
    author: str
    message: str
    created_at: datetime
    deleted: bool


class RollbackBody(BaseModel):
    version: VersionNumber


def _editor(kefu: Kefu) -> TemplateEditor:
    if kefu.store is None:
        raise RuntimeError("no store")
    return TemplateEditor(kefu.store)


def _out(stored: StoredTemplate, response: Response | None = None) -> TemplateOut:
    if response is not None:
        response.headers["ETag"] = f'"{stored.version}"'
    return TemplateOut(
        template=stored.template,
        version=stored.version,
        deleted=stored.deleted,
        updated_at=stored.updated_at,
        updated_by=stored.updated_by,
        needs_review=list(stored.needs_review),
    )


def _validate(kefu: Kefu, template: Template) -> None:
    """Everything a save must pass before anything is written."""
    library = kefu.snapshot.library
    category = CategoryEditor(kefu.store).get(template.category) if kefu.store else None
    if category is None or category.deleted:
        raise InvalidInput(f"template.id: no category {template.category!r} (create it first)")
    if (template.busy is None) == (template.category == "busy_hour"):
        # The loader refuses this (`Category`): accepting it would stop every reload.
        raise InvalidInput(
            "template.busy: set on busy_hour templates, and only on them",
            [{"field": "busy", "problem": "set exactly on busy_hour templates"}],
        )
    unknown = [v for v in template.variables if v not in library.variables]
    if unknown:
        raise InvalidInput(
            f"template.variables: not in the variable catalog: {', '.join(unknown)}",
            [{"field": "variables", "problem": f"unknown variable {v}"} for v in unknown],
        )
    problems = template_problems(library, template)
    if problems:
        first = problems[0]
        raise InvalidInput(
            f"replies.{first['locale']}.{first['tone']}: {first['problem']}", problems
        )


def _conflict(editor: TemplateEditor, template_id: str) -> VersionConflict:
    current = editor.get(template_id)
    return conflict(template_id, current)


@router.get("/templates", response_model=TemplatePage)
def list_templates(
    kefu: KefuDep,
    category: Annotated[str | None, Query(max_length=64)] = None,
    locale: Annotated[str | None, Query(max_length=35)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    deleted: bool = False,
    needs_review: Annotated[
        bool | None, Query(description="Only templates with (or without) stale translations.")
    ] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_VERSION)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TemplatePage:
    """Templates, filtered by category, locale and text; paginated."""
    items = [
        s
        for s in _editor(kefu).list()
        if s.deleted == deleted
        and (needs_review is None or bool(s.needs_review) == needs_review)
        and (category is None or s.template.category == category)
        and (locale is None or locale in s.template.replies)
        and (
            q is None
            or q.casefold()
            in json.dumps(s.template.model_dump(mode="json"), ensure_ascii=False).casefold()
        )
    ]
    return TemplatePage(
        items=[_out(s) for s in items[offset : offset + limit]],
        total=len(items),
        offset=offset,
        limit=limit,
    )


@router.get("/templates/{template_id}", response_model=TemplateOut)
def get_template(template_id: str, kefu: KefuDep, response: Response) -> TemplateOut:
    stored = _editor(kefu).get(template_id)
    if stored is None:
        raise NotFound(f"no template {template_id!r}")
    return _out(stored, response)


@router.post("/templates", response_model=TemplateOut, status_code=201)
def create_template(
    template: Template,
    kefu: KefuDep,
    author: Author,
    response: Response,
    message: str = "created",
) -> TemplateOut:
    _validate(kefu, template)
    try:
        stored = _editor(kefu).create(template, author, message)
    except Conflict as exc:
        raise AlreadyExists(f"template {template.id} exists already") from exc
    response.headers["Location"] = f"/v1/library/templates/{stored.template.id}"
    return _out(stored, response)


@router.put("/templates/{template_id}", response_model=TemplateOut)
def update_template(
    template_id: str,
    template: Template,
    kefu: KefuDep,
    author: Author,
    response: Response,
    if_match: IfMatch = None,
    message: str = "updated",
) -> TemplateOut:
    expected = expected_version(if_match)
    if template.id != template_id:
        raise InvalidInput("template.id: differs from the id in the URL")
    _validate(kefu, template)
    editor = _editor(kefu)
    default_locale = kefu.snapshot.library.shop.default_locale
    try:
        return _out(editor.update(template, expected, author, message, default_locale), response)
    except KeyError as exc:
        raise NotFound(f"no template {template_id!r}") from exc
    except Conflict as exc:
        raise _conflict(editor, template_id) from exc


def _set_deleted(
    kefu: Kefu,
    template_id: str,
    deleted: bool,
    if_match: str | None,
    author: str,
    response: Response,
) -> TemplateOut:
    expected = expected_version(if_match)
    editor = _editor(kefu)
    change = editor.delete if deleted else editor.restore
    try:
        stored = change(template_id, expected, author, "deleted" if deleted else "restored")
    except KeyError as exc:
        raise NotFound(f"no template {template_id!r}") from exc
    except Conflict as exc:
        raise _conflict(editor, template_id) from exc
    return _out(stored, response)


@router.delete("/templates/{template_id}", response_model=TemplateOut)
def delete_template(
    template_id: str,
    kefu: KefuDep,
    author: Author,
    response: Response,
    if_match: IfMatch = None,
) -> TemplateOut:
    """Soft delete: the template stops being suggested and can be restored."""
    return _set_deleted(kefu, template_id, True, if_match, author, response)


@router.post("/templates/{template_id}/restore", response_model=TemplateOut)
def restore_template(
    template_id: str,
    kefu: KefuDep,
    author: Author,
    response: Response,
    if_match: IfMatch = None,
) -> TemplateOut:
    return _set_deleted(kefu, template_id, False, if_match, author, response)


@router.get("/templates/{template_id}/history", response_model=list[HistoryEntry])
def template_history(template_id: str, kefu: KefuDep) -> list[HistoryEntry]:
    if kefu.store is None or _editor(kefu).get(template_id) is None:
        raise NotFound(f"no template {template_id!r}")
    return [
        HistoryEntry(
            version=v.version,
            author=v.author,
            message=v.message,
            created_at=v.created_at,
            deleted=v.deleted,
        )
        for v in kefu.store.history(template_id)
    ]


@router.get("/templates/{template_id}/diff")
def template_diff(
    template_id: str,
    kefu: KefuDep,
    from_version: Annotated[int, Query(alias="from", ge=1, le=MAX_VERSION)],
    to_version: Annotated[int, Query(alias="to", ge=1, le=MAX_VERSION)],
) -> dict[str, object]:
    """A unified diff of two versions' YAML-like JSON, line by line."""
    editor = _editor(kefu)
    old, new = editor.version(template_id, from_version), editor.version(template_id, to_version)
    if old is None or new is None:
        raise NotFound(f"{template_id}: no version {from_version if old is None else to_version}")

    def lines(t: Template) -> list[str]:
        return json.dumps(t.model_dump(mode="json"), ensure_ascii=False, indent=2).splitlines()

    diff = difflib.unified_diff(
        lines(old), lines(new), f"v{from_version}", f"v{to_version}", lineterm=""
    )
    return {
        "template_id": template_id,
        "from": from_version,
        "to": to_version,
        "diff": "\n".join(diff),
    }


@router.post("/templates/{template_id}/rollback", response_model=TemplateOut)
def rollback_template(
    template_id: str,
    body: RollbackBody,
    kefu: KefuDep,
    author: Author,
    response: Response,
    if_match: IfMatch = None,
) -> TemplateOut:
    """Make an earlier version current again (as a new version: history stays whole)."""
    expected = expected_version(if_match)
    editor = _editor(kefu)
    old = editor.version(template_id, body.version)
    if old is None:
        raise NotFound(f"{template_id}: no version {body.version}")
    _validate(kefu, old)
    try:
        stored = editor.rollback(
            template_id, body.version, expected, author, kefu.snapshot.library.shop.default_locale
        )
    except Conflict as exc:
        raise _conflict(editor, template_id) from exc
    return _out(stored, response)


@router.post("/templates/{template_id}/review", response_model=TemplateOut)
def confirm_translations(
    template_id: str,
    body: ReviewBody,
    kefu: KefuDep,
    author: Author,
    response: Response,
    if_match: IfMatch = None,
) -> TemplateOut:
    """A translator checked these locales against the source text: clear their marks."""
    expected = expected_version(if_match)
    editor = _editor(kefu)
    stored = editor.get(template_id)
    if stored is None:
        raise NotFound(f"no template {template_id!r}")
    unknown = [loc for loc in body.locales if loc not in stored.template.replies]
    if unknown:
        raise InvalidInput(f"locales: {template_id} has no text in {', '.join(unknown)}")
    try:
        return _out(editor.confirm(template_id, body.locales, expected, author), response)
    except Conflict as exc:
        raise _conflict(editor, template_id) from exc


class PreviewBody(BaseModel):
    template: Template = Field(description="A saved template's document, or a draft.")
    locales: list[str] | None = Field(None, description="Default: every locale it has.")
    tones: list[Tone] | None = Field(None, description="Default: every tone.")
    variables: dict[str, str | int | float] | None = Field(
        None, description="Values to render with; default: the catalog's sample values."
    )


class PreviewItem(BaseModel):
    locale: str
    tone: Tone
    text: str | None
    missing_variables: list[str]
    problem: str | None


@router.post("/preview", response_model=list[PreviewItem])
def preview(body: PreviewBody, kefu: KefuDep) -> list[PreviewItem]:
    """Render a template in chosen (or all) locales × tones, as a buyer would read it."""
    library = kefu.snapshot.library
    template = body.template
    declared = {name: library.variables.get(name) for name in template.variables}
    given = body.variables or {}
    try:
        values = {
            name: coerce_value(definition, given[name])
            if name in given
            else coerce_value(definition, definition.sample)
            for name, definition in declared.items()
            if definition is not None
        }
    except ValueError as exc:
        raise InvalidInput(f"variables: {exc}") from exc
    env = make_environment()
    items = []
    for locale, by_tone in template.replies.items():
        if body.locales and locale not in body.locales:
            continue
        for tone, source in by_tone.items():
            if body.tones and tone not in body.tones:
                continue
            try:
                validate_source(env, source, set(template.variables))
                ctx = RenderContext(
                    locale=locale,
                    currency=library.shop.currency,
                    shop=shop_view(library.shop, locale),
                    values=values,
                )
                rendered = render(env.from_string(source), ctx, declared)
                items.append(
                    PreviewItem(
                        locale=locale,
                        tone=tone,
                        text=rendered.text,
                        missing_variables=list(rendered.missing),
                        problem=None,
                    )
                )
            except (CompileError, TemplateError, ValueError, ArithmeticError) as exc:
                items.append(
                    PreviewItem(
                        locale=locale, tone=tone, text=None, missing_variables=[], problem=str(exc)
                    )
                )
    return items
