"""`create_app(settings)`: wiring only; nothing happens at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from app import __version__, web
from app.api import (
    activity,
    admin,
    auth,
    categories,
    library,
    meta,
    render,
    shop,
    suggest,
    trying,
)
from app.api.access import AccessMiddleware, require
from app.api.errors import ERROR_RESPONSES, BodyLimit, install_error_handlers
from app.api.limits import document_limits
from app.api.middleware import Observe
from app.api.openapi import install_openapi
from app.auth.access import Access
from app.config import Settings
from app.observability import Metrics, log_library
from app.service import Kefu
from app.startup import BackgroundStart


def document_limits_of(app: FastAPI, settings: Settings) -> None:
    """Serve the OpenAPI schema with this instance's configured request limits in it."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        fresh = app.openapi_schema is None
        schema = build()
        return document_limits(schema, settings) if fresh else schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None, *, background: bool = False) -> FastAPI:
    """Build the service.

    By default the library is loaded and compiled here, once per process, so the app is
    ready when this returns (tests, embedding). With `background=True` (`kefu serve`) only
    the store is opened here (migrations, first start, accounts); the library loads in a
    thread started by the lifespan: the server accepts connections at once, and `/readyz`
    and every route that needs the library answer 503 until it is there.
    """
    settings = settings or Settings()
    kefu = Kefu(settings)
    metrics = Metrics()
    kefu.on_load.extend((metrics.library_loaded, log_library))
    starter = BackgroundStart(kefu) if background else None
    if starter is None:
        kefu.load()
    else:
        kefu.open_store()

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

    assert kefu.store is not None
    access = Access(kefu.store, settings)
    first_password = access.ensure_first_admin()

    app = FastAPI(
        lifespan=lifespan,
        title="kefu",
        version=__version__,
        description="Ready replies for online-shop customer service chat, in the buyer's "
        "language and tone.",
        docs_url=None,  # served below, for signed-in callers only
        redoc_url=None,
        openapi_url=None,
    )
    app.state.kefu = kefu
    app.state.starter = starter
    app.state.metrics = metrics
    app.state.access = access
    install_error_handlers(app)
    add_routes(app)
    web.install(app, kefu, settings.locales_dir)
    install_openapi(app)
    document_limits_of(app, settings)
    app.add_middleware(AccessMiddleware)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    # Added last, so outermost: it times, counts and logs even what BodyLimit refuses.
    app.add_middleware(Observe, metrics=metrics, access=settings.access_log)
    if first_password is not None:
        _announce_first_admin(first_password)
    return app


def add_routes(app: FastAPI) -> None:
    """Every route kefu serves (each declares who may call it; tests/test_access.py
    builds its role table from here, and checks the running app has no other route)."""
    app.include_router(meta.router, responses=ERROR_RESPONSES)
    app.include_router(auth.router, responses=ERROR_RESPONSES)
    app.include_router(suggest.router, responses=ERROR_RESPONSES)
    app.include_router(library.router, responses=ERROR_RESPONSES)
    app.include_router(categories.router, responses=ERROR_RESPONSES)
    app.include_router(shop.router, responses=ERROR_RESPONSES)
    app.include_router(trying.router, responses=ERROR_RESPONSES)
    app.include_router(activity.router, responses=ERROR_RESPONSES)
    app.include_router(render.router, responses=ERROR_RESPONSES)
    app.include_router(admin.router, responses=ERROR_RESPONSES)
    web.add_pages(app)
    signed_in = [Depends(require())]

    @app.get("/openapi.json", include_in_schema=False, dependencies=signed_in)
    async def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=signed_in)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="kefu API")


def _announce_first_admin(password: str) -> None:
    """Printed once, on the console that started kefu; the password works until the
    admin sets their own at first sign-in."""
    lines = [
        "kefu: first start: created the account 'admin' with this one-time password:",
        f"kefu:     {password}",
        "kefu: sign in at /login (or POST /v1/auth/login) and set your own password;",
        "kefu: this password is not shown again.",
    ]
    print("\n".join(lines), flush=True)
    logging.getLogger("kefu").warning(
        "first start: created the account 'admin' (password printed on the console)"
    )


def serve_app() -> FastAPI:
    """The app `kefu serve` runs (a uvicorn factory): settings from the environment, the
    library loaded in the background."""
    return create_app(background=True)
