"""Every failure answers `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import BodyTooLarge, KefuError, StoreUnavailable

log = logging.getLogger("kefu")

_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    415: "unsupported_media_type",
}


class ErrorInfo(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `invalid_input`.")
    message: str = Field(description="What went wrong, in plain words.")
    details: list[dict[str, Any]] = Field(description="Per-field problems, when there are any.")


class ErrorBody(BaseModel):
    """The body of every failure."""

    error: ErrorInfo


# Documented on every route: FastAPI's own 422 shape is replaced by ours, and "default"
# says that any other failure status carries the same body.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorBody, "description": "A field breaks a rule; `details` names it."},
    "default": {"model": ErrorBody, "description": "Any other failure, in the same shape."},
}


def error_body(
    code: str, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


def _where(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "body"


def _validation_response(exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return JSONResponse(
            error_body("malformed_body", "the request body is not valid JSON"), status_code=400
        )
    if (
        len(errors) == 1
        and errors[0].get("type") == "missing"
        and tuple(errors[0]["loc"]) == ("body",)
    ):
        return JSONResponse(
            error_body("malformed_body", "the request body is empty: send a JSON object"),
            status_code=400,
        )
    details = [
        {"field": _where(tuple(e.get("loc", ()))), "problem": str(e.get("msg", ""))} for e in errors
    ]
    if any(
        e.get("type") == "model_attributes_type" and tuple(e["loc"]) == ("body",) for e in errors
    ):
        message = "the request body must be a JSON object"
    else:
        message = f"{details[0]['field']}: {details[0]['problem']}" if details else "invalid input"
    return JSONResponse(error_body("invalid_input", message, details), status_code=422)


def _reason(exc: Exception) -> str:
    """The database's own first line ("database is locked", "terminating connection…"),
    without the statement or its parameters."""
    original = getattr(exc, "orig", None) or exc
    first = str(original).strip().splitlines()[0] if str(original).strip() else ""
    return (first or type(original).__name__)[:200]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KefuError)
    async def _kefu_error(_: Request, exc: KefuError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation_response(exc)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(SQLAlchemyTimeoutError)
    async def _store_unavailable(_: Request, exc: Exception) -> JSONResponse:
        log.warning("the store refused a request: %s", _reason(exc))
        error = StoreUnavailable(
            f"the library store is unavailable ({_reason(exc)}); nothing was changed,"
            " try again in a moment"
        )
        return JSONResponse(error.to_dict(), status_code=error.status, headers={"Retry-After": "1"})

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return JSONResponse(
            error_body("internal_error", "something went wrong on our side"), status_code=500
        )


class BodyLimit:
    """Refuse request bodies over `limit` bytes before anything parses them."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.limit:
                    await self._refuse(send)
                    return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self._message())
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge:
            await self._refuse(send)

    def _message(self) -> str:
        return f"the request body is larger than {self.limit} bytes"

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(BodyTooLarge(self._message()).to_dict()).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
