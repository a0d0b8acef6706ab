"""`create_app(settings)`: wiring only; nothing happens at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from app import __version__, web
from app.api import activity, categories, library, meta, render, shop, suggest, trying
from app.api.errors import ERROR_RESPONSES, BodyLimit, install_error_handlers
from app.api.limits import document_limits
from app.config import Settings
from app.service import Kefu


def document_limits_of(app: FastAPI, settings: Settings) -> None:
    """Serve the OpenAPI schema with this instance's configured request limits in it."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        fresh = app.openapi_schema is None
        schema = build()
        return document_limits(schema, settings) if fresh else schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service; the library is loaded and compiled here, once per process."""
    settings = settings or Settings()
    kefu = Kefu(settings)
    kefu.load()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        kefu.watch()
        yield
        kefu.close()

    app = FastAPI(
        lifespan=lifespan,
        title="kefu",
        version=__version__,
        description="Ready replies for online-shop customer service chat, in the buyer's "
        "language and tone.",
    )
    app.state.kefu = kefu
    install_error_handlers(app)
    for api in (meta, suggest, library, categories, shop, trying, activity, render):
        app.include_router(api.router, responses=ERROR_RESPONSES)
    document_limits_of(app, settings)
    web.mount(app, kefu, settings.locales_dir)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    logging.getLogger("kefu").info("library %s loaded", kefu.snapshot.version)
    return app
