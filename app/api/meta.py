"""Health and the library's categories."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from app.api.access import public, require
from app.api.deps import KefuDep
from app.auth.scopes import Scope

router = APIRouter(tags=["meta"])


class Health(BaseModel):
    status: str
    library_version: str | None


class CategoryInfo(BaseModel):
    id: str
    title: str
    description: str
    templates: int
    locales: list[str]


@router.get("/healthz", response_model=Health, dependencies=[Depends(public)])
async def healthz(kefu: KefuDep) -> Health:
    """Liveness: the process answers."""
    return Health(status="ok", library_version=kefu.snapshot.version if kefu.ready else None)


@router.get(
    "/v1/categories",
    response_model=list[CategoryInfo],
    dependencies=[Depends(require(Scope.SUGGEST, Scope.LIBRARY_READ))],
)
async def categories(kefu: KefuDep) -> list[CategoryInfo]:
    """The library's categories with their template counts and locales."""
    return [
        CategoryInfo(
            id=c.id,
            title=c.title,
            description=c.description,
            templates=len(c.templates),
            locales=sorted({loc for t in c.templates for loc in t.replies}),
        )
        for c in kefu.snapshot.library.categories.values()
    ]
