"""`WebUI`: what every page needs (catalogs, the Jinja environment) and how one renders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from app.auth.scopes import Scope
from app.service import Kefu
from app.web import csrf, i18n
from app.web.templating import make_ui_environment

PageContext = Callable[[str], dict[str, Any]]

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
YEAR = 365 * 24 * 3600


class WebUI:
    def __init__(self, kefu: Kefu, languages: dict[str, i18n.UILanguage]) -> None:
        self.kefu = kefu
        self.languages = languages
        self.env: Environment = make_ui_environment()

    def render(
        self,
        request: Request,
        name: str,
        context: PageContext | dict[str, Any] | None = None,
        status: int = 200,
        nav: str = "",
    ) -> HTMLResponse:
        """Render a page in the request's UI language, with a CSRF token for its script."""
        asked = request.query_params.get("lang")
        lang = i18n.choose_language(
            asked, request.cookies.get(i18n.COOKIE), request.headers.get("accept-language")
        )
        i18n.activate(self.languages[lang].translations)
        token = request.cookies.get(csrf.COOKIE) or csrf.new_token()
        values = context(lang) if callable(context) else dict(context or {})
        principal = getattr(request.state, "principal", None)
        html = self.env.get_template(name).render(
            lang=lang,
            user=principal.name if principal is not None else None,
            may=(lambda scope: principal is not None and principal.may(Scope(scope))),
            languages=i18n.language_names(self.languages),
            csrf_token=token,
            nav=nav,
            path=request.url.path,
            **values,
        )
        response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
        if request.cookies.get(csrf.COOKIE) != token:
            response.set_cookie(csrf.COOKIE, token, httponly=True, samesite="strict", path="/")
        if asked and asked.replace("_", "-") == lang:
            response.set_cookie(i18n.COOKIE, lang, max_age=YEAR, samesite="lax", path="/")
        return response
