"""One pure ASGI middleware per request: request id, metrics, one access-log line.

Pure ASGI (not Starlette's BaseHTTPMiddleware, which runs the app in a task and wraps
every body): it only wraps `send` to read the status and add the `X-Request-ID` header.
Its cost per request is measured by `bench/observability.py`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from typing import Any

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import error_body
from app.observability import REQUEST_ID, Metrics

access_log = logging.getLogger("kefu.access")
log = logging.getLogger("kefu")

# A caller's own id is kept when it is a plain token; anything else gets a fresh one.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=@-]{1,128}")
UNMATCHED = "unmatched"  # the route label of a path no route serves (bounded cardinality)


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text: str = value.decode("latin-1")
            if _REQUEST_ID.fullmatch(text):
                return text
            break
    return os.urandom(16).hex()  # as random as uuid4().hex, without building a UUID


def _route(scope: Scope) -> str:
    """The route template (`/v1/library/templates/{template_id}`), never the raw path."""
    route = scope.get("route")
    if route is None:
        # Answered before routing (413 by the body limit) or by no route (404).
        app = scope.get("app")
        for candidate in getattr(getattr(app, "router", None), "routes", ()):
            if candidate.matches(scope)[0] is not Match.NONE:
                route = candidate
                break
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class Observe:
    def __init__(self, app: ASGIApp, metrics: Metrics, access: bool = True) -> None:
        self.app = app
        self.metrics = metrics
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = _request_id(scope)
        token = REQUEST_ID.set(request_id)
        id_header = (b"x-request-id", request_id.encode("latin-1"))
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unexpected error")
            if status:  # the answer had begun: nothing else can be sent
                raise
            status = 500
            await _internal_error(send, id_header)
        finally:
            seconds = time.perf_counter() - start
            route = _route(scope)
            method: str = scope["method"]
            self.metrics.request(route, method, status, seconds)
            if self.access and access_log.isEnabledFor(logging.INFO):
                _log_request(scope["method"], scope["path"], route, status, seconds)
            REQUEST_ID.reset(token)


def _log_request(method: str, path: str, route: str, status: int, seconds: float) -> None:
    # The record is made here rather than by `access_log.info`, which would also walk the
    # stack to find its caller: a quarter of the cost of a log line, for a known place.
    record = access_log.makeRecord(
        access_log.name, logging.INFO, __file__, 0, "%s %s %s", (method, path, status), None
    )
    record.method, record.path, record.route = method, path, route
    record.status, record.duration_ms = status, round(seconds * 1000, 2)
    access_log.handle(record)


async def _internal_error(send: Send, id_header: tuple[bytes, bytes]) -> None:
    body = json.dumps(error_body("internal_error", "something went wrong on our side")).encode()
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        id_header,
    ]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})
