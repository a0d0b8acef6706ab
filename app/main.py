"""`create_app(settings)`: wiring only; nothing happens at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app import __version__, web
from app.api import activity, categories, library, meta, render, shop, suggest, trying
from app.api.errors import BodyLimit, install_error_handlers
from app.api.middleware import Observe
from app.config import Settings
from app.observability import Metrics, log_library
from app.service import Kefu
from app.startup import BackgroundStart


def create_app(settings: Settings | None = None, *, background: bool = False) -> FastAPI:
    """Build the service.

    By default the library is loaded and compiled here, once per process, so the app is
    ready when this returns (tests, embedding). With `background=True` (`kefu serve`) it
    loads in a thread started by the lifespan: the server accepts connections at once,
    `/readyz` answers 503 until the library is there, and so do the library's routes.
    """
    settings = settings or Settings()
    kefu = Kefu(settings)
    metrics = Metrics()
    kefu.on_load.extend((metrics.library_loaded, log_library))
    starter = BackgroundStart(kefu) if background else None
    if starter is None:
        kefu.load()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if starter is not None:
            starter.start()
        else:
            kefu.watch()
        yield
        if starter is not None:
            starter.stop()
        kefu.close()
        metrics.process_exit()

    app = FastAPI(
        lifespan=lifespan,
        title="kefu",
        version=__version__,
        description="Ready replies for online-shop customer service chat, in the buyer's "
        "language and tone.",
    )
    app.state.kefu = kefu
    app.state.starter = starter
    app.state.metrics = metrics
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
    # Added last, so outermost: it times, counts and logs even what BodyLimit refuses.
    app.add_middleware(Observe, metrics=metrics, access=settings.access_log)
    return app


def serve_app() -> FastAPI:
    """The app `kefu serve` runs (a uvicorn factory): settings from the environment, the
    library loaded in the background."""
    return create_app(background=True)
