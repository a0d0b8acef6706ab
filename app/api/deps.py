"""Typed dependencies; tests swap them with `app.dependency_overrides`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.service import Kefu


async def get_kefu(request: Request) -> Kefu:
    # `async def`: FastAPI runs a plain `def` dependency in its threadpool, a hop that
    # costs about as much CPU as a whole bare request.
    kefu: Kefu = request.app.state.kefu
    return kefu


KefuDep = Annotated[Kefu, Depends(get_kefu)]
