"""`/v1/library/categories`: list, get, create, change, soft delete, restore, history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field, StringConstraints

from app.api.access import require
from app.api.deps import KefuDep
from app.api.versioning import Author, IfMatch, conflict, expected_version, set_etag
from app.auth.scopes import Scope
from app.errors import AlreadyExists, InvalidInput, NotFound
from app.library import Identifier
from app.service import Kefu
from app.store.categories import CategoryEditor, NotEmpty, StoredCategory
from app.store.repository import Conflict

# Reading needs library:read; each change also needs library:write (through `Author`).
router = APIRouter(
    prefix="/v1/library/categories",
    tags=["library"],
    dependencies=[Depends(require(Scope.LIBRARY_READ))],
)

Title = Annotated[str, StringConstraints(min_length=1, max_length=120)]
Description = Annotated[str, StringConstraints(max_length=2000)]


class CategoryOut(BaseModel):
    id: str
    title: str
    description: str
    templates: int = Field(description="Templates in it that are not deleted.")
    version: int = Field(description="Also the ETag; send it back in If-Match to change it.")
    deleted: bool
    updated_at: datetime | None
    updated_by: str


class CategoryCreate(BaseModel):
    id: Identifier
    title: Title
    description: Description = ""


class CategoryChange(BaseModel):
    title: Title | None = None
    description: Description | None = None


class CategoryVersionOut(BaseModel):
    version: int
    title: str
    description: str
    deleted: bool
    author: str
    message: str
    created_at: datetime


def _editor(kefu: Kefu) -> CategoryEditor:
    if kefu.store is None:
        raise RuntimeError("no store")
    return CategoryEditor(kefu.store)


def _out(stored: StoredCategory, response: Response | None = None) -> CategoryOut:
    if response is not None:
        set_etag(response, stored.version)
    return CategoryOut(
        id=stored.id,
        title=stored.title,
        description=stored.description,
        templates=stored.templates,
        version=stored.version,
        deleted=stored.deleted,
        updated_at=stored.updated_at,
        updated_by=stored.updated_by,
    )


def _change(
    kefu: Kefu,
    category_id: str,
    if_match: str | None,
    author: str,
    message: str,
    title: str | None = None,
    description: str | None = None,
    deleted: bool | None = None,
) -> StoredCategory:
    expected = expected_version(if_match)
    editor = _editor(kefu)
    try:
        return editor.change(category_id, expected, author, message, title, description, deleted)
    except KeyError as exc:
        raise NotFound(f"no category {category_id!r}") from exc
    except NotEmpty as exc:
        raise InvalidInput(f"{exc}: delete or move them first") from exc
    except Conflict as exc:
        current = editor.get(category_id)
        raise conflict(f"category {category_id}", current) from exc


@router.get("", response_model=list[CategoryOut])
def list_categories(kefu: KefuDep, deleted: bool = False) -> list[CategoryOut]:
    """Categories in library order (deleted ones with `deleted=true`)."""
    return [_out(c) for c in _editor(kefu).all() if c.deleted == deleted]


@router.get("/{category_id}", response_model=CategoryOut)
def get_category(category_id: str, kefu: KefuDep, response: Response) -> CategoryOut:
    stored = _editor(kefu).get(category_id)
    if stored is None:
        raise NotFound(f"no category {category_id!r}")
    return _out(stored, response)


@router.post("", response_model=CategoryOut, status_code=201)
def create_category(
    body: CategoryCreate, kefu: KefuDep, author: Author, response: Response
) -> CategoryOut:
    """A new, empty category; it is suggested from once it holds a template."""
    try:
        stored = _editor(kefu).create(body.id, body.title, body.description, author)
    except Conflict as exc:
        raise AlreadyExists(f"category {body.id} exists already") from exc
    return _out(stored, response)


@router.patch("/{category_id}", response_model=CategoryOut)
def change_category(
    category_id: str,
    body: CategoryChange,
    kefu: KefuDep,
    author: Author,
    response: Response,
    if_match: IfMatch = None,
) -> CategoryOut:
    stored = _change(
        kefu,
        category_id,
        if_match,
        author,
        "updated",
        title=body.title,
        description=body.description,
    )
    return _out(stored, response)


@router.delete("/{category_id}", response_model=CategoryOut)
def delete_category(
    category_id: str,
    kefu: KefuDep,
    author: Author,
    response: Response,
    if_match: IfMatch = None,
) -> CategoryOut:
    """Soft delete; only an empty category (its templates deleted or moved) can go."""
    return _out(_change(kefu, category_id, if_match, author, "deleted", deleted=True), response)


@router.post("/{category_id}/restore", response_model=CategoryOut)
def restore_category(
    category_id: str,
    kefu: KefuDep,
    author: Author,
    response: Response,
    if_match: IfMatch = None,
) -> CategoryOut:
    return _out(_change(kefu, category_id, if_match, author, "restored", deleted=False), response)


@router.get("/{category_id}/history", response_model=list[CategoryVersionOut])
def category_history(category_id: str, kefu: KefuDep) -> list[CategoryVersionOut]:
    editor = _editor(kefu)
    if editor.get(category_id) is None:
        raise NotFound(f"no category {category_id!r}")
    return [
        CategoryVersionOut(
            version=v.version,
            title=v.title,
            description=v.description,
            deleted=v.deleted,
            author=v.author,
            message=v.message,
            created_at=v.created_at,
        )
        for v in editor.history(category_id)
    ]
