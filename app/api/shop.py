"""`/v1/library/shop`: the shop's facts, versioned like templates (If-Match, history)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from app.api.access import require
from app.api.deps import KefuDep
from app.api.versioning import (
    Author,
    IfMatch,
    VersionNumber,
    conflict,
    expected_version,
    set_etag,
)
from app.auth.scopes import Scope
from app.compiled import shop_problems
from app.errors import InvalidInput, NotFound
from app.library import ShopFacts
from app.service import Kefu
from app.store.documents import DocumentEditor, StoredDocument
from app.store.repository import Conflict

# Reading needs library:read; each change also needs library:write (through `Author`).
router = APIRouter(
    prefix="/v1/library/shop", tags=["library"], dependencies=[Depends(require(Scope.LIBRARY_READ))]
)
SHOP = "shop"


class ShopOut(BaseModel):
    shop: ShopFacts
    version: int = Field(description="Also the ETag; send it back in If-Match to change it.")
    updated_at: datetime
    updated_by: str


class ShopVersion(BaseModel):
    version: int
    author: str
    message: str
    created_at: datetime
    shop: ShopFacts


class ShopRollback(BaseModel):
    version: VersionNumber


def _editor(kefu: Kefu) -> DocumentEditor:
    if kefu.store is None:
        raise RuntimeError("no store")
    return DocumentEditor(kefu.store)


def _out(stored: StoredDocument, response: Response) -> ShopOut:
    set_etag(response, stored.version)
    return ShopOut(
        shop=ShopFacts.model_validate(stored.payload),
        version=stored.version,
        updated_at=stored.updated_at,
        updated_by=stored.updated_by,
    )


def _save(
    kefu: Kefu, shop: ShopFacts, if_match: str | None, author: str, message: str
) -> StoredDocument:
    expected = expected_version(if_match)
    snapshot = kefu.snapshot
    problems = shop_problems(snapshot.library, snapshot.replies, shop)
    if problems:
        first = problems[0]
        raise InvalidInput(
            f"{first['template']} [{first['locale']}/{first['tone']}] would not render with "
            f"these facts: {first['problem']}",
            problems,
        )
    editor = _editor(kefu)
    try:
        return editor.update(SHOP, shop.model_dump(mode="json"), expected, author, message)
    except Conflict as exc:
        current = editor.get(SHOP)
        raise conflict("the shop's facts", current) from exc


@router.get("", response_model=ShopOut)
def get_shop(kefu: KefuDep, response: Response) -> ShopOut:
    """The shop's facts every reply sees as `shop`."""
    stored = _editor(kefu).get(SHOP)
    if stored is None:
        raise NotFound("the store holds no shop facts")
    return _out(stored, response)


@router.put("", response_model=ShopOut)
def put_shop(
    shop: ShopFacts,
    kefu: KefuDep,
    author: Author,
    response: Response,
    if_match: IfMatch = None,
    message: str = "shop facts updated",
) -> ShopOut:
    """Replace the facts; every reply must still render with them (422 names which not)."""
    return _out(_save(kefu, shop, if_match, author, message), response)


@router.get("/history", response_model=list[ShopVersion])
def shop_history(kefu: KefuDep) -> list[ShopVersion]:
    return [
        ShopVersion(
            version=v.version,
            author=v.author,
            message=v.message,
            created_at=v.created_at,
            shop=ShopFacts.model_validate(v.payload),
        )
        for v in _editor(kefu).history(SHOP)
    ]


@router.post("/rollback", response_model=ShopOut)
def rollback_shop(
    body: ShopRollback,
    kefu: KefuDep,
    author: Author,
    response: Response,
    if_match: IfMatch = None,
) -> ShopOut:
    """Make an earlier version current again, as a new version."""
    old = _editor(kefu).version(SHOP, body.version)
    if old is None:
        raise NotFound(f"the shop's facts have no version {body.version}")
    shop = ShopFacts.model_validate(old)
    return _out(
        _save(kefu, shop, if_match, author, f"rollback to version {body.version}"), response
    )
