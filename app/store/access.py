"""Accounts, sessions, API keys and the audit log as rows; one code path for both databases.

Secrets never reach this module in the clear: passwords arrive as KDF hashes, session
tokens and API keys as SHA-256 digests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from app.store.repository import LibraryStore
from app.store.tables import Base


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SessionRow(Base):
    """A signed-in browser; `id` is the SHA-256 of the token in its cookie."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    remote: Mapped[str] = mapped_column(String(64))


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[str] = mapped_column(Text)  # space-separated
    allowed_origins: Mapped[str] = mapped_column(Text)  # JSON list
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255))
    detail: Mapped[str] = mapped_column(Text)
    remote: Mapped[str] = mapped_column(String(64))


def utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every one kefu stores is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _maybe_utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else utc(moment)


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    password_hash: str
    must_change_password: bool
    failed_logins: int
    locked_until: datetime | None
    disabled: bool
    created_at: datetime


@dataclass(frozen=True)
class ApiKey:
    id: int
    name: str
    prefix: str
    scopes: tuple[str, ...]
    allowed_origins: tuple[str, ...]
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    remote: str


class NameTaken(Exception):
    """A user with that name exists already."""


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        name=row.name,
        role=row.role,
        password_hash=row.password_hash,
        must_change_password=row.must_change_password,
        failed_logins=row.failed_logins,
        locked_until=_maybe_utc(row.locked_until),
        disabled=row.disabled,
        created_at=utc(row.created_at),
    )


def _key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        scopes=tuple(row.scopes.split()),
        allowed_origins=tuple(json.loads(row.allowed_origins)),
        created_by=row.created_by,
        created_at=utc(row.created_at),
        last_used_at=_maybe_utc(row.last_used_at),
        revoked_at=_maybe_utc(row.revoked_at),
    )


class AccessStore:
    """Reads and writes of the access tables, each in its own short transaction."""

    def __init__(self, store: LibraryStore) -> None:
        self.store = store
        self._read = store._sessions
        self._write = store._write

    # ---- users ------------------------------------------------------------------------

    def count_users(self) -> int:
        with self._read() as session:
            return int(session.scalar(select(func.count()).select_from(UserRow)) or 0)

    def create_user(
        self, name: str, role: str, password_hash: str, must_change_password: bool = False
    ) -> User:
        row = UserRow(
            name=name,
            role=role,
            password_hash=password_hash,
            must_change_password=must_change_password,
            failed_logins=0,
            locked_until=None,
            disabled=False,
            created_at=datetime.now(UTC),
        )
        try:
            with self._write() as session:
                session.add(row)
                session.flush()
                return _user(row)
        except IntegrityError as exc:
            raise NameTaken(name) from exc

    def user(self, name: str) -> User | None:
        with self._read() as session:
            row = session.scalar(select(UserRow).where(UserRow.name == name))
            return None if row is None else _user(row)

    def users(self) -> list[User]:
        with self._read() as session:
            return [_user(r) for r in session.scalars(select(UserRow).order_by(UserRow.name))]

    def change_user(self, user_id: int, **values: Any) -> User | None:
        """Set some of role, password_hash, must_change_password, disabled, locked_until."""
        with self._write() as session:
            row = session.get(UserRow, user_id)
            if row is None:
                return None
            for name, value in values.items():
                setattr(row, name, value)
            return _user(row)

    def login_failed(self, user_id: int, max_failures: int, lock_for: timedelta) -> bool:
        """Count a failed login; the `max_failures`-th locks the account. True if locked now."""
        with self._write() as session:
            # One UPDATE: concurrent failures on PostgreSQL each count.
            session.execute(
                update(UserRow)
                .where(UserRow.id == user_id)
                .values(failed_logins=UserRow.failed_logins + 1)
            )
            row = session.get(UserRow, user_id)
            if row is None or row.failed_logins < max_failures:
                return False
            row.failed_logins = 0
            row.locked_until = datetime.now(UTC) + lock_for
            return True

    def login_succeeded(self, user_id: int) -> None:
        with self._write() as session:
            session.execute(
                update(UserRow)
                .where(UserRow.id == user_id)
                .values(failed_logins=0, locked_until=None)
            )

    # ---- sessions ---------------------------------------------------------------------

    def create_session(self, digest: str, user_id: int, expires_at: datetime, remote: str) -> None:
        with self._write() as session:
            session.add(
                SessionRow(
                    id=digest,
                    user_id=user_id,
                    created_at=datetime.now(UTC),
                    expires_at=expires_at,
                    remote=remote[:64],
                )
            )

    def session_user(self, digest: str) -> User | None:
        """The user of a live session; None if it expired, or its user is disabled."""
        with self._read() as session:
            found = session.execute(
                select(UserRow, SessionRow.expires_at)
                .join(SessionRow, SessionRow.user_id == UserRow.id)
                .where(SessionRow.id == digest)
            ).first()
        if found is None:
            return None
        row, expires_at = found
        if utc(expires_at) <= datetime.now(UTC) or row.disabled:
            return None
        return _user(row)

    def end_session(self, digest: str) -> None:
        with self._write() as session:
            session.execute(delete(SessionRow).where(SessionRow.id == digest))

    def end_sessions(self, user_id: int, keep: str | None = None) -> int:
        """End every session of a user (but `keep`); how many ended."""
        query = delete(SessionRow).where(SessionRow.user_id == user_id)
        if keep is not None:
            query = query.where(SessionRow.id != keep)
        with self._write() as session:
            return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]

    def purge_sessions(self) -> int:
        with self._write() as session:
            result = session.execute(
                delete(SessionRow).where(SessionRow.expires_at < datetime.now(UTC))
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # ---- API keys ---------------------------------------------------------------------

    def create_key(
        self,
        name: str,
        digest: str,
        prefix: str,
        scopes: tuple[str, ...],
        origins: tuple[str, ...],
        created_by: str,
    ) -> ApiKey:
        row = ApiKeyRow(
            name=name,
            key_hash=digest,
            prefix=prefix,
            scopes=" ".join(scopes),
            allowed_origins=json.dumps(list(origins)),
            created_by=created_by,
            created_at=datetime.now(UTC),
        )
        with self._write() as session:
            session.add(row)
            session.flush()
            return _key(row)

    def key_by_digest(self, digest: str) -> ApiKey | None:
        with self._read() as session:
            row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == digest))
            return None if row is None else _key(row)

    def key(self, key_id: int) -> ApiKey | None:
        with self._read() as session:
            row = session.get(ApiKeyRow, key_id)
            return None if row is None else _key(row)

    def keys(self) -> list[ApiKey]:
        with self._read() as session:
            return [_key(r) for r in session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id))]

    def revoke_key(self, key_id: int) -> ApiKey | None:
        with self._write() as session:
            row = session.get(ApiKeyRow, key_id)
            if row is None:
                return None
            if row.revoked_at is None:
                row.revoked_at = datetime.now(UTC)
            return _key(row)

    def touch_key(self, key_id: int, when: datetime) -> None:
        with self._write() as session:
            session.execute(
                update(ApiKeyRow).where(ApiKeyRow.id == key_id).values(last_used_at=when)
            )

    def live_origins(self) -> set[str]:
        """Every origin some unrevoked key allows: what a CORS preflight may be told yes."""
        with self._read() as session:
            rows = session.scalars(
                select(ApiKeyRow.allowed_origins).where(ApiKeyRow.revoked_at.is_(None))
            )
            return {origin for text in rows for origin in json.loads(text)}

    # ---- audit ------------------------------------------------------------------------

    def audit(
        self, actor: str, action: str, target: str, detail: dict[str, Any], remote: str
    ) -> None:
        with self._write() as session:
            session.add(
                AuditRow(
                    at=datetime.now(UTC),
                    actor=actor[:120],
                    action=action[:64],
                    target=target[:255],
                    detail=json.dumps(detail, ensure_ascii=False, sort_keys=True),
                    remote=remote[:64],
                )
            )

    def audit_entries(
        self,
        limit: int = 100,
        offset: int = 0,
        actor: str | None = None,
        action: str | None = None,
    ) -> list[AuditEntry]:
        """Newest first."""
        query = select(AuditRow).order_by(AuditRow.id.desc()).offset(offset).limit(limit)
        if actor is not None:
            query = query.where(AuditRow.actor == actor)
        if action is not None:
            query = query.where(AuditRow.action == action)
        with self._read() as session:
            return [
                AuditEntry(
                    id=r.id,
                    at=utc(r.at),
                    actor=r.actor,
                    action=r.action,
                    target=r.target,
                    detail=json.loads(r.detail),
                    remote=r.remote,
                )
                for r in session.scalars(query)
            ]
