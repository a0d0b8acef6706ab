"""Scopes and roles: a role is a named set of scopes; an API key has its own set."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    SUGGEST = "suggest"  # ask for suggestions, read categories
    FEEDBACK = "feedback"  # report used/edited/dismissed, send unmatched messages
    LIBRARY_READ = "library:read"  # read templates, history, shop facts, unmatched groups
    LIBRARY_WRITE = "library:write"  # change the library
    INSIGHTS = "insights"  # counts and rates
    ADMIN = "admin"  # accounts, keys, the audit log


class Role(StrEnum):
    AGENT = "agent"
    MANAGER = "manager"
    ADMIN = "admin"


AGENT_SCOPES = frozenset({Scope.SUGGEST, Scope.FEEDBACK})
MANAGER_SCOPES = AGENT_SCOPES | {Scope.LIBRARY_READ, Scope.LIBRARY_WRITE, Scope.INSIGHTS}
ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.AGENT: AGENT_SCOPES,
    Role.MANAGER: MANAGER_SCOPES,
    Role.ADMIN: MANAGER_SCOPES | {Scope.ADMIN},
}


def parse_scopes(text: str | list[str]) -> tuple[Scope, ...]:
    """`suggest,feedback` (or a list) → scopes; ValueError names an unknown one."""
    names = text.replace(" ", ",").split(",") if isinstance(text, str) else text
    scopes: list[Scope] = []
    for name in (n.strip() for n in names):
        if not name:
            continue
        try:
            scope = Scope(name)
        except ValueError:
            known = ", ".join(s.value for s in Scope)
            raise ValueError(f"unknown scope {name!r}; known: {known}") from None
        if scope not in scopes:
            scopes.append(scope)
    if not scopes:
        raise ValueError("give at least one scope")
    if Scope.LIBRARY_WRITE in scopes and Scope.LIBRARY_READ not in scopes:
        scopes.append(Scope.LIBRARY_READ)  # changing the library means reading it first
    return tuple(scopes)
