"""`/v1/library/…`: managers read and change templates, with versions and history.

Every change carries `If-Match` with the version it was based on; a stale one answers 412
with the current version and changes nothing. Reading needs `library:read`, changing
`library:write`; the author of a change is the signed-in user (or `key:NAME#ID`).
"""

from __future__ import annotations

import difflib
import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from jinja2 import TemplateError
from pydantic import BaseModel, Field

from app.api.access import Editor, Reader
from app.api.deps import KefuDep
from app.compiled import template_problems
from app.errors import AlreadyExists, InvalidInput, NotFound, PreconditionRequired, VersionConflict
from app.library import Template, Tone
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
from app.store.repository import Conflict, StoredTemplate, TemplateEditor

router = APIRouter(prefix="/v1/library", tags=["library"])

IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=40)]


class TemplateOut(BaseModel):
    template: Template
    version: int = Field(description="Also the ETag; send it back in If-Match to change it.")
    deleted: bool
    updated_at: datetime
    updated_by: str


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
    version: int = Field(ge=1)


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
    )


def _expected(if_match: str | None) -> int:
    if if_match is None:
        raise PreconditionRequired("send If-Match with the version your change is based on")
    try:
        return int(if_match.strip().removeprefix("W/").strip('"'))
    except ValueError as exc:
        raise InvalidInput(f"If-Match: not a version: {if_match!r}") from exc


def _validate(kefu: Kefu, template: Template) -> None:
    """Everything a save must pass before anything is written."""
    library = kefu.snapshot.library
    if template.category not in library.categories:
        raise InvalidInput(f"template.id: unknown category {template.category!r}")
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


def _conflict(editor: TemplateEditor, template_id: str, exc: Conflict) -> VersionConflict:
    current = editor.get(template_id)
    details = []
    if current is not None:
        details.append(
            {
                "current_version": current.version,
                "updated_by": current.updated_by,
                "updated_at": current.updated_at.isoformat(),
            }
        )
    return VersionConflict(
        f"{template_id} has changed since your version"
        + (
            f": it is at version {current.version}, saved by {current.updated_by}"
            if current
            else ""
        ),
        details,
    )


@router.get("/templates", response_model=TemplatePage)
def list_templates(
    _: Reader,
    kefu: KefuDep,
    category: str | None = None,
    locale: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    deleted: bool = False,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TemplatePage:
    """Templates, filtered by category, locale and text; paginated."""
    items = [
        s
        for s in _editor(kefu).list()
        if s.deleted == deleted
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
def get_template(
    template_id: str, _: Reader, kefu: KefuDep, response: Response
) -> TemplateOut:
    stored = _editor(kefu).get(template_id)
    if stored is None:
        raise NotFound(f"no template {template_id!r}")
    return _out(stored, response)


@router.post("/templates", response_model=TemplateOut, status_code=201)
def create_template(
    template: Template,
    kefu: KefuDep,
    response: Response,
    who: Editor,
    message: str = "created",
) -> TemplateOut:
    _validate(kefu, template)
    try:
        stored = _editor(kefu).create(template, who.name, message)
    except Conflict as exc:
        raise AlreadyExists(f"template {template.id} exists already") from exc
    response.headers["Location"] = f"/v1/library/templates/{stored.template.id}"
    return _out(stored, response)


@router.put("/templates/{template_id}", response_model=TemplateOut)
def update_template(
    template_id: str,
    template: Template,
    kefu: KefuDep,
    response: Response,
    who: Editor,
    if_match: IfMatch = None,
    message: str = "updated",
) -> TemplateOut:
    expected = _expected(if_match)
    if template.id != template_id:
        raise InvalidInput("template.id: differs from the id in the URL")
    _validate(kefu, template)
    editor = _editor(kefu)
    try:
        return _out(editor.update(template, expected, who.name, message), response)
    except KeyError as exc:
        raise NotFound(f"no template {template_id!r}") from exc
    except Conflict as exc:
        raise _conflict(editor, template_id, exc) from exc


def _set_deleted(
    kefu: Kefu,
    template_id: str,
    deleted: bool,
    if_match: str | None,
    author: str,
    response: Response,
) -> TemplateOut:
    expected = _expected(if_match)
    editor = _editor(kefu)
    change = editor.delete if deleted else editor.restore
    try:
        stored = change(template_id, expected, author, "deleted" if deleted else "restored")
    except KeyError as exc:
        raise NotFound(f"no template {template_id!r}") from exc
    except Conflict as exc:
        raise _conflict(editor, template_id, exc) from exc
    return _out(stored, response)


@router.delete("/templates/{template_id}", response_model=TemplateOut)
def delete_template(
    template_id: str,
    kefu: KefuDep,
    response: Response,
    who: Editor,
    if_match: IfMatch = None,
) -> TemplateOut:
    """Soft delete: the template stops being suggested and can be restored."""
    return _set_deleted(kefu, template_id, True, if_match, who.name, response)


@router.post("/templates/{template_id}/restore", response_model=TemplateOut)
def restore_template(
    template_id: str,
    kefu: KefuDep,
    response: Response,
    who: Editor,
    if_match: IfMatch = None,
) -> TemplateOut:
    return _set_deleted(kefu, template_id, False, if_match, who.name, response)


@router.get("/templates/{template_id}/history", response_model=list[HistoryEntry])
def template_history(template_id: str, _: Reader, kefu: KefuDep) -> list[HistoryEntry]:
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
    _: Reader,
    kefu: KefuDep,
    from_version: Annotated[int, Query(alias="from", ge=1)],
    to_version: Annotated[int, Query(alias="to", ge=1)],
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
    response: Response,
    who: Editor,
    if_match: IfMatch = None,
) -> TemplateOut:
    """Make an earlier version current again (as a new version: history stays whole)."""
    expected = _expected(if_match)
    editor = _editor(kefu)
    old = editor.version(template_id, body.version)
    if old is None:
        raise NotFound(f"{template_id}: no version {body.version}")
    _validate(kefu, old)
    try:
        return _out(editor.rollback(template_id, body.version, expected, who.name), response)
    except Conflict as exc:
        raise _conflict(editor, template_id, exc) from exc


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
def preview(body: PreviewBody, _: Reader, kefu: KefuDep) -> list[PreviewItem]:
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
