"""Who is calling, and may they: the dependencies every route declares, and the two
middlewares that answer CORS per API key and audit library changes.

Every route states its rule with one dependency: `Depends(require(Scope.X, ...))` (any
of the scopes; none: any signed-in user or key) or `Depends(public)`. A test walks the
app's routes and fails on a route with neither.

Credentials, first match wins: `Authorization: Bearer <key>`, `X-API-Key: <key>`, the
session cookie. A browser request with an API key must come from one of the key's
origins; a cookie-authenticated change must come from kefu's own origin (with
SameSite=Lax this closes cross-site request forgery).
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.access import Access, Principal
from app.auth.scopes import Scope as S
from app.errors import Forbidden, PasswordChangeRequired, SignInRequired, Unauthorized

log = logging.getLogger("kefu")

COOKIE = "kefu_session"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CORS_HEADERS = "authorization, content-type, x-api-key, accept-language, if-match"


def _access_of(request: Request) -> Access:
    access: Access = request.app.state.access
    return access


async def get_access(request: Request) -> Access:
    """`async`: a plain `def` dependency would cost a threadpool hop per request."""
    return _access_of(request)


AccessDep = Annotated[Access, Depends(get_access)]


def remote(request: Request) -> str:
    """The client's address (behind a proxy: what uvicorn's --proxy-headers made of it)."""
    return request.client.host if request.client else "unknown"


def _same_origin(request: Request, origin: str) -> bool:
    parts = urlsplit(origin)
    host = request.headers.get("host", "")
    return parts.scheme in ("http", "https") and bool(parts.netloc) and parts.netloc == host


def _credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization")
    if header is not None:
        kind, _, value = header.partition(" ")
        if kind.lower() != "bearer" or not value.strip():
            raise Unauthorized("Authorization: use `Bearer <API key>`")
        return "key", value.strip()
    key = request.headers.get("x-api-key")
    if key is not None:
        return "key", key.strip()
    cookie = request.cookies.get(COOKIE)
    if cookie:
        return "session", cookie
    return None


async def authenticate(request: Request, access: Access) -> Principal:
    """The caller, from a key or a session cookie; Unauthorized if neither holds."""
    found = _credentials(request)
    if found is None:
        raise Unauthorized("sign in, or send an API key as `Authorization: Bearer <key>`")
    kind, secret = found
    if kind == "key":
        principal = access.cached_key(secret) or await run_in_threadpool(
            access.key_principal, secret
        )
        if principal is None:
            raise Unauthorized("this API key is unknown or revoked")
    else:
        principal = access.cached_session(secret) or await run_in_threadpool(
            access.session_principal, secret
        )
        if principal is None:
            raise Unauthorized("your session has ended: sign in again")
    origin = request.headers.get("origin")
    if origin is not None:
        if principal.kind == "key":
            if origin not in principal.origins:
                raise Forbidden(f"this API key may not be used from {origin[:100]}")
            request.state.cors_origin = origin
        elif request.method in UNSAFE and not _same_origin(request, origin):
            raise Forbidden("a change with a session cookie must come from kefu's own pages")
    request.state.principal = principal
    return principal


class Requirement:
    """A route's rule: the caller must hold any of `scopes` (none given: be signed in).

    For an HTML page (`page=True`) a caller who is not signed in, or must first change
    their password, is sent to the login page with where they were going.
    """

    def __init__(
        self,
        *scopes: S,
        limit: bool = False,
        allow_password_change: bool = False,
        page: bool = False,
    ) -> None:
        self.scopes = scopes
        self.limit = limit
        self.allow_password_change = allow_password_change
        self.page = page
        self.audited = S.LIBRARY_WRITE in scopes  # the audit middleware records changes

    def __repr__(self) -> str:
        return f"require({', '.join(s.value for s in self.scopes)})"

    async def __call__(self, request: Request) -> Principal:
        access = _access_of(request)
        try:
            principal = await authenticate(request, access)
            if principal.must_change_password and not self.allow_password_change:
                raise PasswordChangeRequired(
                    "set a new password first: POST /v1/auth/password with the current one"
                )
        except (Unauthorized, PasswordChangeRequired):
            if self.page:
                raise SignInRequired(request.url.path, request.url.query) from None
            raise
        if self.scopes and not principal.may(*self.scopes):
            wanted = " or ".join(s.value for s in self.scopes)
            raise Forbidden(f"{principal.name} may not do this (needs {wanted})")
        if self.audited and request.method in UNSAFE:
            request.state.audit = True
        if self.limit:
            access.limit_suggest(principal)
        return principal


def require(*scopes: S, limit: bool = False, allow_password_change: bool = False) -> Requirement:
    return Requirement(*scopes, limit=limit, allow_password_change=allow_password_change)


def require_page(*scopes: S) -> Requirement:
    """The rule for an HTML page: like `require`, but unknown callers go to /login."""
    return Requirement(*scopes, page=True)


class Public:
    """A route anyone may call: health, sign-in, the login page, static files."""

    def __repr__(self) -> str:
        return "public"

    async def __call__(self) -> None:
        return None


public = Public()

Agent = Annotated[Principal, Depends(require(S.SUGGEST, limit=True))]
Reader = Annotated[Principal, Depends(require(S.LIBRARY_READ))]
Editor = Annotated[Principal, Depends(require(S.LIBRARY_WRITE))]
Admin = Annotated[Principal, Depends(require(S.ADMIN))]
SignedIn = Annotated[Principal, Depends(require(allow_password_change=True))]


def _state(scope: Scope) -> dict[str, Any]:
    state: dict[str, Any] = scope.setdefault("state", {})
    return state


class AccessMiddleware:
    """CORS for API keys (a preflight carries no key: it is answered for the origins any
    live key allows; the real request is then checked against its own key's origins),
    and an audit entry for every successful library change."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        origin = headers.get("origin")
        if (
            scope["method"] == "OPTIONS"
            and origin is not None
            and "access-control-request-method" in headers
        ):
            await self._preflight(scope, origin, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = _state(scope)
                allowed = state.get("cors_origin")
                if allowed is not None:
                    message["headers"] = [
                        *message.get("headers", []),
                        (b"access-control-allow-origin", allowed.encode("latin-1")),
                        (b"access-control-expose-headers", b"etag, retry-after"),
                        (b"vary", b"Origin"),
                    ]
                if state.get("audit") and message["status"] < 400:
                    # Before the caller hears "saved": a change they saw succeed is logged.
                    await self._audit(scope, state, headers, message)
            await send(message)

        await self.app(scope, receive, send_wrapper)

    async def _preflight(self, scope: Scope, origin: str, send: Send) -> None:
        access: Access = scope["app"].state.access
        allowed = scope["path"].startswith("/v1/") and await run_in_threadpool(
            access.origin_allowed_somewhere, origin
        )
        if allowed:
            status, body = 204, b""
            extra = [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-allow-methods", b"GET, POST"),
                (b"access-control-allow-headers", CORS_HEADERS.encode()),
                (b"access-control-max-age", b"600"),
            ]
        else:
            status = 403
            body = json.dumps(Forbidden("no API key allows this origin").to_dict()).encode()
            extra = [(b"content-type", b"application/json")]
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    *extra,
                    (b"vary", b"Origin"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _audit(
        self, scope: Scope, state: dict[str, Any], headers: dict[str, str], start: Message
    ) -> None:
        principal: Principal | None = state.get("principal")
        route = scope.get("route")
        if principal is None:
            return
        response_headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start.get("headers", [])
        }
        action = f"{scope['method']} {getattr(route, 'path', scope['path'])}"
        detail = {
            k: v
            for k, v in {
                "status": start["status"],
                "if_match": headers.get("if-match"),
                "etag": response_headers.get("etag"),
            }.items()
            if v is not None
        }
        target = response_headers.get("location") or scope["path"]
        client = scope.get("client")
        where = client[0] if client else "unknown"
        access: Access = scope["app"].state.access
        try:
            await run_in_threadpool(access.audit, principal.name, action, target, detail, where)
        except Exception:  # noqa: BLE001 - the change is saved; say loudly the audit is not
            log.exception("could not write the audit entry for %s %s", action, target)
