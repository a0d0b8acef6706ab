"""What every versioned resource of the library API shares: If-Match and conflicts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Protocol

from fastapi import Depends, Header, Response
from pydantic import Field

from app.api.access import Editor
from app.errors import InvalidInput, PreconditionRequired, VersionConflict

# Versions and ids are SQL integers (32-bit in PostgreSQL): a larger number in a request
# is refused as input instead of overflowing in the database.
MAX_VERSION = 2**31 - 1
VersionNumber = Annotated[int, Field(ge=1, le=MAX_VERSION)]


def _author(who: Editor) -> str:
    """A change needs `library:write`; its author is who made it (a user, or `key:NAME#ID`)."""
    return who.name


Author = Annotated[str, Depends(_author)]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=40)]


def expected_version(if_match: str | None) -> int:
    """The version a change is based on, from `If-Match` (a bare or quoted number)."""
    if if_match is None:
        raise PreconditionRequired("send If-Match with the version your change is based on")
    try:
        version = int(if_match.strip().removeprefix("W/").strip('"'))
    except ValueError as exc:
        raise InvalidInput(f"If-Match: not a version: {if_match!r}") from exc
    if not 1 <= version <= MAX_VERSION:
        raise InvalidInput(f"If-Match: not a version: {if_match!r}")
    return version


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


class Versioned(Protocol):
    """What every stored template, category and document tells about its last save."""

    @property
    def version(self) -> int: ...
    @property
    def updated_by(self) -> str: ...
    @property
    def updated_at(self) -> datetime | None: ...


def conflict(what: str, current: Versioned | None) -> VersionConflict:
    """412 naming the current version and who saved it, so a client can reload or merge."""
    if current is None:  # gone meanwhile: nothing to name
        return VersionConflict(f"{what} has changed since your version")
    at = current.updated_at.isoformat() if current.updated_at else None
    return VersionConflict(
        f"{what} has changed since your version: it is at version {current.version}, "
        f"saved by {current.updated_by}",
        [{"current_version": current.version, "updated_by": current.updated_by, "updated_at": at}],
    )
