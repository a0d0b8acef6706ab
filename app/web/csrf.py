"""Cross-site request forgery guard for the pages (double-submit token).

A page sets a random token in a cookie and the page's JavaScript sends it back in the
`X-CSRF-Token` header. Another site can make a browser send the cookie, never read it, so
it cannot send the header. A state-changing request that carries the cookie must carry a
matching header; requests without the cookie (chat widgets, helpdesks, curl) are not sent
by a browser on a page's behalf and pass as before. Nor do requests that authenticate
with an API key header: another site cannot make a browser add one (that takes a CORS
preflight, which kefu answers only for a key's own origins).
"""

from __future__ import annotations

import json
import secrets
from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import CSRFFailed

COOKIE = "kefu_csrf"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header carries no token
                continue
            if name in jar:
                return str(jar[name].value)
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class CSRFMiddleware:
    """Refuse (403, the JSON error shape) a non-GET request whose cookie and header differ."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        token = _cookie(scope, COOKIE)
        keyed = _header(scope, b"authorization") or _header(scope, b"x-api-key")
        if token is not None and not keyed:
            sent = _header(scope, HEADER.encode())
            if sent is None or not secrets.compare_digest(sent.encode(), token.encode()):
                await _refuse(send)
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send) -> None:
    error = CSRFFailed(
        "this change did not come from a kefu page: reload the page and try again",
        [{"field": "X-CSRF-Token", "problem": "missing, or not the token of the cookie"}],
    )
    body = json.dumps(error.to_dict()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
