"""What every versioned resource of the library API shares: If-Match and conflicts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

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


def conflict(
    what: str, version: int | None, by: str | None, at: datetime | None
) -> VersionConflict:
    """412 naming the current version and who saved it, so a client can reload or merge."""
    details = []
    if version is not None:
        details.append(
            {
                "current_version": version,
                "updated_by": by,
                "updated_at": at.isoformat() if at else None,
            }
        )
    suffix = f": it is at version {version}, saved by {by}" if version is not None else ""
    return VersionConflict(f"{what} has changed since your version{suffix}", details)
