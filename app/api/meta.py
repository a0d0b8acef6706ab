"""Health and the library's categories."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from app.api.access import public, require
from app.api.deps import KefuDep, MetricsDep, ServiceDep, not_ready
from app.auth.scopes import Scope

router = APIRouter(tags=["meta"])


class Health(BaseModel):
    status: str
    library_version: str | None


class Readiness(Health):
    warm: bool = Field(
        description="The matcher's full index is built and every reply text compiled (done "
        "in the background after a load; meanwhile a provisional index serves and a reply "
        "not compiled yet compiles on first use)."
    )


class CategoryInfo(BaseModel):
    id: str
    title: str
    description: str
    templates: int
    locales: list[str]


@router.get("/healthz", response_model=Health, dependencies=[Depends(public)])
async def healthz(kefu: ServiceDep) -> Health:
    """Liveness: the process answers (the library may still be loading)."""
    return Health(status="ok", library_version=kefu.snapshot.version if kefu.ready else None)


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"description": "not ready"}},
    dependencies=[Depends(public)],  # load balancers and probes carry no credentials
)
async def readyz(kefu: ServiceDep, request: Request) -> Readiness:
    """Readiness: 200 once the library is loaded and suggestions can be served, 503 before."""
    if not kefu.ready:
        raise not_ready(request)
    return Readiness(
        status="ready", library_version=kefu.snapshot.version, warm=kefu.warmed(0)
    )


# Public like the probes: Prometheus scrapes each replica directly; keep it off the
# public proxy (docs/deploy.md). Plain `def`: with workers a scrape reads their files.
@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
    dependencies=[Depends(public)],
)
def metrics(metrics: MetricsDep) -> Response:
    """Prometheus metrics in the text exposition format (the whole server's, any worker)."""
    body, content_type = metrics.exposition()
    return Response(content=body, media_type=content_type)


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
