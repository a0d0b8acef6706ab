"""Typed dependencies; tests swap them with `app.dependency_overrides`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.service import Kefu


def get_kefu(request: Request) -> Kefu:
    kefu: Kefu = request.app.state.kefu
    return kefu


KefuDep = Annotated[Kefu, Depends(get_kefu)]
