"""The access service: sign in and out, resolve a cookie or key to a principal, manage
accounts and keys, write the audit log, apply rate limits.

Resolved sessions and keys are cached in memory for `CACHE_SECONDS`, so a suggestion
costs no database read; a change made through this process (logout, revoke, disable,
role change) clears the cache at once, one made through another process or replica
takes effect there within `CACHE_SECONDS`.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from app.auth.passwords import (
    burn_time,
    generate_password,
    hash_password,
    password_problem,
    verify_password,
)
from app.auth.ratelimit import RateLimiter, retry_after
from app.auth.scopes import ROLE_SCOPES, Role, Scope, parse_scopes
from app.auth.tokens import digest, load_secret, looks_like_key, new_api_key, new_session_cookie
from app.auth.tokens import session_digest as signed_digest
from app.config import Settings
from app.errors import AlreadyExists, InvalidInput, NotFound, RateLimited, Unauthorized
from app.store.access import AccessStore, ApiKey, AuditEntry, NameTaken, User
from app.store.repository import LibraryStore

log = logging.getLogger("kefu")

CACHE_SECONDS = 5.0
TOUCH_SECONDS = 60.0  # last_used_at is written at most this often per key
CACHE_LIMIT = 10_000
FIRST_ADMIN = "admin"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
BAD_LOGIN = "wrong name or password, or the account is locked for a while"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a signed-in user or an API key, and what they may do."""

    name: str  # the user's name, or "key:NAME#ID"; the author of their library changes
    kind: str  # "user" or "key"
    scopes: frozenset[Scope]
    role: Role | None = None
    user_id: int | None = None
    key_id: int | None = None
    origins: tuple[str, ...] = ()
    must_change_password: bool = False
    session: str | None = field(default=None, repr=False)  # the session's digest

    def may(self, *scopes: Scope) -> bool:
        """True if the principal holds any of `scopes`."""
        return any(s in self.scopes for s in scopes)


def user_principal(user: User, session: str | None = None) -> Principal:
    role = Role(user.role)
    return Principal(
        name=user.name,
        kind="user",
        scopes=ROLE_SCOPES[role],
        role=role,
        user_id=user.id,
        must_change_password=user.must_change_password,
        session=session,
    )


def key_principal(key: ApiKey) -> Principal:
    known = {s.value for s in Scope}
    return Principal(
        name=f"key:{key.name}#{key.id}",
        kind="key",
        scopes=frozenset(Scope(s) for s in key.scopes if s in known),
        key_id=key.id,
        origins=key.allowed_origins,
    )


def normalize_origin(text: str) -> str:
    """`https://Shop.example:443/` → `https://shop.example`; ValueError if not an origin."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an origin (scheme://host[:port]): {text!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"an origin has no path, query or user: {text!r}")
    port = parts.port
    default = 443 if parts.scheme == "https" else 80
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise InvalidInput(
            "name: 1-64 letters, digits or . _ @ - (starting with a letter or digit)",
            [{"field": "name", "problem": "invalid name"}],
        )
    return name


def check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInput(
            f"role: one of {', '.join(r.value for r in Role)}",
            [{"field": "role", "problem": f"unknown role {role!r}"}],
        ) from None


def check_password(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise InvalidInput(f"password: {problem}", [{"field": "password", "problem": problem}])
    return password


class _Cache:
    """digest → (principal, monotonic expiry); bounded; cleared whole on any change."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[Principal, float]] = {}

    def get(self, key: str) -> Principal | None:
        entry = self._entries.get(key)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def put(self, key: str, principal: Principal) -> None:
        if len(self._entries) >= CACHE_LIMIT:
            self._entries.clear()
        self._entries[key] = (principal, time.monotonic() + CACHE_SECONDS)

    def drop(self, key: str | None = None) -> None:
        if key is None:
            self._entries.clear()
        else:
            self._entries.pop(key, None)


class Access:
    def __init__(self, store: LibraryStore, settings: Settings) -> None:
        self.db = AccessStore(store)
        self.settings = settings
        configured = settings.secret_key.get_secret_value() if settings.secret_key else None
        self.secret = load_secret(configured, settings.data_dir)
        self._sessions = _Cache()
        self._keys = _Cache()
        self._touched: dict[int, float] = {}
        self._origins: tuple[frozenset[str], float] = (frozenset(), 0.0)
        self._purged = 0.0
        self._lock = threading.Lock()
        self.suggest_limit = RateLimiter(settings.suggest_rate_per_minute)
        self.login_by_address = RateLimiter(settings.login_rate_per_minute)
        self.login_by_name = RateLimiter(settings.login_rate_per_minute)

    # ---- first start ------------------------------------------------------------------

    def ensure_first_admin(self) -> str | None:
        """With no account at all, make `admin` with a generated password and return it
        (it must be changed at first sign-in). None when accounts exist."""
        if self.db.count_users():
            return None
        password = generate_password()
        try:
            self.db.create_user(
                FIRST_ADMIN, Role.ADMIN, hash_password(password), must_change_password=True
            )
        except NameTaken:
            return None  # another worker made it first and printed its password
        self.db.audit(
            "kefu", "user.create", FIRST_ADMIN, {"role": "admin", "first_start": True}, "local"
        )
        return password

    # ---- signing in and out -----------------------------------------------------------

    def _limit_login(self, name: str, remote: str) -> None:
        wait = max(self.login_by_address.take(remote), self.login_by_name.take(name.casefold()))
        if wait:  # logged, not audited: a flood must not turn into a flood of writes
            log.warning("sign-in attempts rate-limited from %s for %r", remote, name[:64])
            raise RateLimited("too many sign-in attempts: wait and try again", retry_after(wait))

    def login(self, name: str, password: str, remote: str) -> tuple[str, User]:
        """A new session's cookie value and the user; Unauthorized with one message for a
        wrong name, a wrong password, a disabled or a locked account."""
        self._limit_login(name, remote)
        user = self.db.user(name) if len(password) <= 1024 else None
        now = datetime.now(UTC)
        if user is None or user.disabled:
            burn_time(password)
            self.db.audit(
                name[:64], "login.failed", name[:64], {"reason": "unknown or disabled"}, remote
            )
            raise Unauthorized(BAD_LOGIN)
        if user.locked_until is not None and user.locked_until > now:
            burn_time(password)
            self.db.audit(name, "login.failed", name, {"reason": "locked"}, remote)
            raise Unauthorized(BAD_LOGIN)
        if not verify_password(password, user.password_hash):
            locked = self.db.login_failed(
                user.id,
                self.settings.login_max_failures,
                timedelta(minutes=self.settings.login_lockout_minutes),
            )
            detail: dict[str, Any] = {"reason": "wrong password"}
            if locked:
                detail["locked_minutes"] = self.settings.login_lockout_minutes
            self.db.audit(name, "login.failed", name, detail, remote)
            raise Unauthorized(BAD_LOGIN)
        self.db.login_succeeded(user.id)
        if time.monotonic() - self._purged > 3600:  # expired sessions go, now and then
            self._purged = time.monotonic()
            self.db.purge_sessions()
        cookie, session = new_session_cookie(self.secret)
        expires = now + timedelta(hours=self.settings.session_hours)
        self.db.create_session(session, user.id, expires, remote)
        self.db.audit(name, "login", name, {}, remote)
        return cookie, user

    def logout(self, principal: Principal, remote: str, everywhere: bool = False) -> None:
        if principal.user_id is None:
            return
        if everywhere:
            ended = self.db.end_sessions(principal.user_id)
            self._sessions.drop()
        else:
            ended = 0
            if principal.session is not None:
                self.db.end_session(principal.session)
                self._sessions.drop(principal.session)
                ended = 1
        self.db.audit(
            principal.name,
            "logout",
            principal.name,
            {"everywhere": everywhere, "sessions": ended},
            remote,
        )

    def change_own_password(
        self, principal: Principal, current: str, new: str, remote: str
    ) -> None:
        """Needs the current password; ends every other session of the account."""
        user = self.db.user(principal.name) if principal.user_id is not None else None
        if user is None or not verify_password(current, user.password_hash):
            self.db.audit(principal.name, "password.change_failed", principal.name, {}, remote)
            raise Unauthorized("the current password is wrong")
        check_password(new)
        if new == current:
            raise InvalidInput("password: the new password must differ from the current one")
        self.db.change_user(user.id, password_hash=hash_password(new), must_change_password=False)
        self.db.end_sessions(user.id, keep=principal.session)
        self._sessions.drop()
        self.db.audit(principal.name, "password.change", principal.name, {}, remote)

    # ---- resolving callers ------------------------------------------------------------

    def cached_session(self, cookie: str) -> Principal | None:
        session = signed_digest(self.secret, cookie)
        return None if session is None else self._sessions.get(session)

    def session_principal(self, cookie: str) -> Principal | None:
        """The signed-in user of a session cookie, or None (bad signature, ended, expired)."""
        session = signed_digest(self.secret, cookie)
        if session is None:
            return None
        principal = self._sessions.get(session)
        if principal is None:
            user = self.db.session_user(session)
            if user is None:
                return None
            principal = user_principal(user, session)
            self._sessions.put(session, principal)
        return principal

    def cached_key(self, key: str) -> Principal | None:
        principal = self._keys.get(digest(key))
        if principal is not None and principal.key_id is not None:
            if time.monotonic() - self._touched.get(principal.key_id, 0.0) >= TOUCH_SECONDS:
                return None  # let key_principal write last_used_at
        return principal

    def key_principal(self, key: str) -> Principal | None:
        """The principal of an unrevoked API key, or None."""
        if not looks_like_key(key):
            return None
        hashed = digest(key)
        principal = self._keys.get(hashed)
        if principal is None:
            found = self.db.key_by_digest(hashed)
            if found is None or found.revoked_at is not None:
                return None
            principal = key_principal(found)
            self._keys.put(hashed, principal)
        assert principal.key_id is not None
        now = time.monotonic()
        with self._lock:
            due = now - self._touched.get(principal.key_id, 0.0) >= TOUCH_SECONDS
            if due:
                self._touched[principal.key_id] = now
        if due:
            self.db.touch_key(principal.key_id, datetime.now(UTC))
        return principal

    def origin_allowed_somewhere(self, origin: str) -> bool:
        """Whether any unrevoked key allows `origin` (a CORS preflight carries no key)."""
        origins, expires = self._origins
        if expires < time.monotonic():
            origins = frozenset(self.db.live_origins())
            self._origins = (origins, time.monotonic() + CACHE_SECONDS)
        return origin in origins

    def limit_suggest(self, principal: Principal) -> None:
        wait = self.suggest_limit.take(principal.name)
        if wait:
            raise RateLimited(
                f"more than {self.settings.suggest_rate_per_minute} suggestions a minute for "
                f"{principal.name}",
                retry_after(wait),
            )

    # ---- accounts ---------------------------------------------------------------------

    def create_user(
        self, actor: str, name: str, role: str, password: str | None, remote: str
    ) -> tuple[User, str | None]:
        """The new user and, when no password was given, the generated one."""
        check_name(name)
        checked_role = check_role(role)
        generated = None
        if password is None:
            password = generated = generate_password()
        check_password(password)
        try:
            user = self.db.create_user(name, checked_role, hash_password(password))
        except NameTaken:
            raise AlreadyExists(f"a user named {name!r} exists already") from None
        self.db.audit(actor, "user.create", name, {"role": checked_role.value}, remote)
        return user, generated

    def change_user(
        self,
        actor: str,
        name: str,
        remote: str,
        role: str | None = None,
        disabled: bool | None = None,
        password: str | None = None,
        unlock: bool = False,
    ) -> User:
        """Change role, disable or enable, set a password (to be changed at next sign-in),
        unlock. Disabling or a new password ends the user's sessions."""
        user = self.db.user(name)
        if user is None:
            raise NotFound(f"no user {name!r}")
        values: dict[str, Any] = {}
        detail: dict[str, Any] = {}
        if user.role == Role.ADMIN and not user.disabled and (
            (role is not None and role != Role.ADMIN) or disabled
        ):
            others = [
                u for u in self.db.users() if u.role == Role.ADMIN and not u.disabled and u != user
            ]
            if not others:
                raise InvalidInput(f"{name} is the last active admin: make another admin first")
        if role is not None:
            values["role"] = detail["role"] = check_role(role).value
        if disabled is not None:
            values["disabled"] = detail["disabled"] = disabled
        if password is not None:
            values["password_hash"] = hash_password(check_password(password))
            values["must_change_password"] = True
            detail["password"] = "set"
        if unlock:
            values["locked_until"], values["failed_logins"] = None, 0
            detail["unlocked"] = True
        if not values:
            raise InvalidInput("nothing to change: give role, disabled, password or unlock")
        changed = self.db.change_user(user.id, **values)
        assert changed is not None
        if disabled or password is not None:
            self.db.end_sessions(user.id)
        self._sessions.drop()
        self.db.audit(actor, "user.change", name, detail, remote)
        return changed

    # ---- keys -------------------------------------------------------------------------

    def create_key(
        self,
        actor: str,
        name: str,
        scopes: str | list[str],
        origins: list[str],
        remote: str,
    ) -> tuple[ApiKey, str]:
        """The stored key and the key itself (shown this once, never again)."""
        name = name.strip()
        if not 1 <= len(name) <= 120 or not name.isprintable():
            raise InvalidInput("name: 1-120 printable characters")
        try:
            checked = parse_scopes(scopes)
            allowed = tuple(dict.fromkeys(normalize_origin(o) for o in origins))
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        key, prefix = new_api_key()
        stored = self.db.create_key(
            name, digest(key), prefix, tuple(s.value for s in checked), allowed, actor
        )
        self._origins = (frozenset(), 0.0)
        self.db.audit(
            actor,
            "key.create",
            f"key#{stored.id}",
            {"name": name, "scopes": list(stored.scopes), "origins": list(allowed)},
            remote,
        )
        return stored, key

    def revoke_key(self, actor: str, key_id: int, remote: str) -> ApiKey:
        revoked = self.db.revoke_key(key_id)
        if revoked is None:
            raise NotFound(f"no key {key_id}")
        self._keys.drop()
        self._origins = (frozenset(), 0.0)
        self.db.audit(actor, "key.revoke", f"key#{key_id}", {"name": revoked.name}, remote)
        return revoked

    # ---- audit ------------------------------------------------------------------------

    def audit(
        self, actor: str, action: str, target: str, detail: dict[str, Any], remote: str
    ) -> None:
        self.db.audit(actor, action, target, detail, remote)

    def audit_entries(self, **filters: Any) -> list[AuditEntry]:
        return self.db.audit_entries(**filters)
