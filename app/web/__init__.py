"""Server-rendered pages: the agent console, the library editor, categories, insights,
accounts and keys."""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI
from starlette.staticfiles import StaticFiles

from app.api.deps import get_kefu
from app.service import Kefu
from app.web import admin, authoring, i18n
from app.web.csrf import CSRFMiddleware
from app.web.pages import router
from app.web.templating import STATIC
from app.web.ui import WebUI


def add_pages(app: FastAPI) -> None:
    """The pages' routes (each declares who may see it, like every API route). The fixed
    paths under /library go before `/library/{template_id}`, which would take them.
    Pages read the library: until it is loaded they answer 503 not_ready, as the API does."""
    loaded = [Depends(get_kefu)]
    app.include_router(authoring.router, dependencies=loaded)
    app.include_router(admin.router, dependencies=loaded)
    app.include_router(router, dependencies=loaded)


def install(app: FastAPI, kefu: Kefu, locales_dir: Path) -> None:
    """What the pages need at run time: their catalogs, static files, the CSRF guard."""
    app.state.web = WebUI(kefu, i18n.load_catalogs(locales_dir))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(CSRFMiddleware)
