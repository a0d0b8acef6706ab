"""`create_app(settings)`: wiring only; nothing happens at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app import __version__, web
from app.api import activity, categories, library, meta, render, shop, suggest, trying
from app.api.errors import BodyLimit, install_error_handlers
from app.config import Settings
from app.service import Kefu


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
    app.include_router(meta.router)
    app.include_router(suggest.router)
    app.include_router(library.router)
    app.include_router(categories.router)
    app.include_router(shop.router)
    app.include_router(trying.router)
    app.include_router(activity.router)
    app.include_router(render.router)
    web.mount(app, kefu, settings.locales_dir)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    logging.getLogger("kefu").info("library %s loaded", kefu.snapshot.version)
    return app
