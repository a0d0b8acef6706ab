"""The admin page: accounts and API keys. It renders the lists; every change goes
through `/v1/admin/…` from the page's script."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from babel import Locale
from babel.dates import format_datetime
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from app.api.access import require_page
from app.auth.access import Access
from app.auth.scopes import Role, Scope
from app.store.access import ApiKey, User
from app.web.i18n import gettext as _
from app.web.pages import web_ui

router = APIRouter(include_in_schema=False)


def when(moment: datetime | None, lang: str) -> str:
    """A moment in the page's language, in UTC (the store's time), or empty."""
    if moment is None:
        return ""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    text = format_datetime(aware, "medium", tzinfo=UTC, locale=Locale.parse(lang, sep="-"))
    return f"{text} UTC"


@dataclass(frozen=True)
class UserRow:
    name: str
    role: str
    disabled: bool
    locked_until: str  # empty unless locked now
    must_change_password: bool
    created_at: str


@dataclass(frozen=True)
class KeyRow:
    id: int
    name: str
    prefix: str
    scopes: tuple[str, ...]
    origins: tuple[str, ...]
    created_by: str
    created_at: str
    last_used_at: str
    revoked_at: str


def user_row(user: User, lang: str, now: datetime) -> UserRow:
    locked = user.locked_until is not None and user.locked_until > now
    return UserRow(
        name=user.name,
        role=user.role,
        disabled=user.disabled,
        locked_until=when(user.locked_until, lang) if locked else "",
        must_change_password=user.must_change_password,
        created_at=when(user.created_at, lang),
    )


def key_row(key: ApiKey, lang: str) -> KeyRow:
    return KeyRow(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        scopes=key.scopes,
        origins=key.allowed_origins,
        created_by=key.created_by,
        created_at=when(key.created_at, lang),
        last_used_at=when(key.last_used_at, lang),
        revoked_at=when(key.revoked_at, lang),
    )


def role_names() -> dict[str, str]:
    return {
        Role.AGENT.value: _("agent: suggestions and feedback"),
        Role.MANAGER.value: _("manager: also the library and insights"),
        Role.ADMIN.value: _("admin: also accounts, keys and the audit log"),
    }


def role_short_names() -> dict[str, str]:
    return {
        Role.AGENT.value: _("agent"),
        Role.MANAGER.value: _("manager"),
        Role.ADMIN.value: _("admin"),
    }


def scope_names() -> dict[str, str]:
    return {
        Scope.SUGGEST.value: _("ask for suggestions"),
        Scope.FEEDBACK.value: _("report what agents did, send unmatched messages"),
        Scope.LIBRARY_READ.value: _("read the library"),
        Scope.LIBRARY_WRITE.value: _("change the library"),
        Scope.INSIGHTS.value: _("read insights and unmatched messages"),
        Scope.ADMIN.value: _("accounts, keys and the audit log"),
    }


def admin_strings() -> dict[str, str]:
    return {
        "created_user": _("Account %(name)s created"),
        "changed_user": _("Account %(name)s changed"),
        "new_password": _("Password for %(name)s, shown this once."),
        "password_once": _(
            "One-time password for %(name)s, shown this once: they must replace it at sign-in."
        ),
        "key_once": _("The key %(name)s, shown this once: store it now."),
        "copy": _("Copy"),
        "copied": _("Copied to the clipboard"),
        "revoked": _("Key %(name)s revoked: it is refused from now on"),
        "confirm_revoke": _("Revoke the key “%(name)s”? Whatever uses it stops working."),
        "not_saved": _("Not saved: %(message)s"),
        "error": _("Something went wrong: %(message)s"),
    }


@router.get(
    "/admin", response_class=HTMLResponse, dependencies=[Depends(require_page(Scope.ADMIN))]
)
def admin_page(request: Request) -> HTMLResponse:
    """Accounts (role, disable, unlock, one-time password) and API keys (make, revoke)."""
    ui = web_ui(request)
    access: Access = request.app.state.access
    users = access.db.users()
    keys = sorted(access.db.keys(), key=lambda k: (k.revoked_at is not None, -k.id))
    now = datetime.now(UTC)

    def page(lang: str) -> dict[str, Any]:
        return {
            "users": [user_row(u, lang, now) for u in users],
            "keys": [key_row(k, lang) for k in keys],
            "roles": role_names(),
            "role_short": role_short_names(),
            "scopes": scope_names(),
            "script_data": {"strings": admin_strings()},
        }

    return ui.render(request, "admin.html", page, nav="admin")
