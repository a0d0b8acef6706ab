"""Typed dependencies; tests swap them with `app.dependency_overrides`.

All `async def`: FastAPI runs a plain `def` dependency in its threadpool, a hop that costs
about as much CPU as a whole bare request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.errors import NotReady
from app.observability import Metrics
from app.service import Kefu


def not_ready(request: Request) -> NotReady:
    """The 503 for a service whose library is not loaded yet, with the last error if any."""
    starter = getattr(request.app.state, "starter", None)
    error = starter.error if starter is not None else None
    return NotReady(
        "the library is still loading; try again shortly",
        [{"problem": error}] if error else [],
    )


async def get_service(request: Request) -> Kefu:
    """The service, whether or not its library is loaded (health and readiness)."""
    kefu: Kefu = request.app.state.kefu
    return kefu


async def get_kefu(request: Request) -> Kefu:
    """The service with its library loaded; 503 with Retry-After until then."""
    kefu: Kefu = request.app.state.kefu
    if not kefu.ready:
        raise not_ready(request)
    return kefu


async def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


ServiceDep = Annotated[Kefu, Depends(get_service)]
KefuDep = Annotated[Kefu, Depends(get_kefu)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
