"""Server-rendered pages: the agent console, the library editor, insights."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from app.service import Kefu
from app.web import i18n
from app.web.csrf import CSRFMiddleware
from app.web.pages import router
from app.web.templating import STATIC
from app.web.ui import WebUI


def add_pages(app: FastAPI) -> None:
    """The pages' routes (each declares who may see it, like every API route)."""
    app.include_router(router)


def install(app: FastAPI, kefu: Kefu, locales_dir: Path) -> None:
    """What the pages need at run time: their catalogs, static files, the CSRF guard."""
    app.state.web = WebUI(kefu, i18n.load_catalogs(locales_dir))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(CSRFMiddleware)
