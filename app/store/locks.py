"""One process at a time through a store's first start (migrations and the seed import).

`kefu serve --workers N`, or N replicas started together, would otherwise all find an
empty store, all migrate it and all import the shipped library: one would fail on a
duplicate row. PostgreSQL: an advisory lock per schema (held by one connection, released
when it closes even if the process dies). SQLite: an exclusive lock on a file beside
the database (released by the kernel when the process dies).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, text

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock, a racing start may fail once
    fcntl = None  # type: ignore[assignment]


@contextlib.contextmanager
def startup_lock(engine: Engine) -> Iterator[None]:
    """Hold the store's startup lock for the duration of the block (waits for it)."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine):
            yield
        return
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:" and fcntl:
        with _file_lock(Path(database).with_name(Path(database).name + ".lock")):
            yield
        return
    yield


@contextlib.contextmanager
def _advisory_lock(engine: Engine) -> Iterator[None]:
    key = "hashtext('kefu-startup:' || current_schema())"
    with engine.connect() as connection:
        connection.execute(text(f"SELECT pg_advisory_lock({key})"))
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text(f"SELECT pg_advisory_unlock({key})"))
            connection.commit()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
