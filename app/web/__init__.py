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


def mount(app: FastAPI, kefu: Kefu, locales_dir: Path) -> None:
    """Add the pages, their static files and the CSRF guard to the service."""
    app.state.web = WebUI(kefu, i18n.load_catalogs(locales_dir))
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(CSRFMiddleware)
