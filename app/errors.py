"""One hierarchy of errors, each mapped to one HTTP status and one JSON shape.

The JSON body of every failure is ``{"error": {"code", "message", "details"}}``;
``tests/test_error_shape.py`` pins it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


class KefuError(Exception):
    """Base class: something the caller can be told about in plain words."""

    status = 400
    code = "bad_request"
    headers: dict[str, str] | None = None  # extra response headers (Retry-After, ...)

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class InvalidInput(KefuError):
    """The request is well-formed JSON but a field breaks a rule."""

    status = 422
    code = "invalid_input"


class MalformedBody(KefuError):
    """The body is not JSON, or not the JSON object the endpoint expects."""

    status = 400
    code = "malformed_body"


class BodyTooLarge(KefuError):
    """The body is larger than the configured limit."""

    status = 413
    code = "body_too_large"


class StoreUnavailable(KefuError):
    """The database did not take the change (locked, read-only, gone); nothing was saved."""

    status = 503
    code = "store_unavailable"


class NotFound(KefuError):
    """The thing asked for does not exist."""

    status = 404
    code = "not_found"


class LibraryError(KefuError):
    """The reply library is invalid: a file, template, locale or tone breaks a rule."""

    status = 422
    code = "invalid_library"


class PreconditionRequired(KefuError):
    """A change without `If-Match`: kefu will not guess which version it was based on."""

    status = 428
    code = "precondition_required"


class VersionConflict(KefuError):
    """`If-Match` names a version that is no longer the current one."""

    status = 412
    code = "version_conflict"


class AlreadyExists(KefuError):
    """Something with that id exists already."""

    status = 409
    code = "already_exists"


class NotReady(KefuError):
    """The library is still loading (or cannot be loaded yet): try again shortly."""

    status = 503
    code = "not_ready"
    headers = {"Retry-After": "1"}


class CSRFFailed(KefuError):
    """A change from a browser carrying a page's cookie, without the page's token."""

    status = 403
    code = "csrf_failed"


class Unauthorized(KefuError):
    """No credentials, or credentials kefu does not accept: sign in or send an API key."""

    status = 401
    code = "unauthorized"
    headers = {"WWW-Authenticate": 'Bearer realm="kefu"'}


class SignInRequired(KefuError):
    """A page asked for by someone not signed in: 303 to the login page, then back."""

    status = 303
    code = "sign_in_required"

    def __init__(self, path: str, query: str = "") -> None:
        super().__init__("sign in first")
        back = path + (f"?{query}" if query else "")
        self.headers = {"Location": "/login?next=" + quote(back, safe="")}


class Forbidden(KefuError):
    """The caller is known but may not do this."""

    status = 403
    code = "forbidden"


class PasswordChangeRequired(Forbidden):
    """The account's password was made for it (first start): set a new one first."""

    code = "password_change_required"


class RateLimited(KefuError):
    """Too many requests from this key, account or address; `Retry-After` says when."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, [{"retry_after": retry_after}])
        self.headers = {"Retry-After": str(retry_after)}
