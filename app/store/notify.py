"""PostgreSQL LISTEN/NOTIFY: replicas hear about a saved change at once.

Every write transaction that moves the library's revision also sends NOTIFY on
`CHANNEL`; PostgreSQL delivers it when (and only if) the transaction commits. The
listener keeps one dedicated connection per process. Polling the revision stays on as
the safety net (and is the only mechanism on SQLite), so a lost connection delays a
reload by at most the polling interval, never loses it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

log = logging.getLogger("kefu")

CHANNEL = "kefu_library"


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def announce(session: Session, revision_hint: str = "") -> None:
    """Queue a notification; it goes out with the transaction's commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {"channel": CHANNEL, "payload": revision_hint},
        )


def listen(engine: Engine, on_change: Callable[[], None], stop: threading.Event) -> None:
    """Call `on_change` for every notification until `stop` is set (run in a thread).

    A dropped connection is reopened after a pause; meanwhile polling covers.
    """
    while not stop.is_set():
        connection = None
        try:
            raw = engine.raw_connection()
            connection = raw.driver_connection
            raw.detach()  # ours for good: a pooled connection must not sit in LISTEN
            if connection is None:
                raise RuntimeError("no driver connection")
            connection.autocommit = True
            connection.execute(f"LISTEN {CHANNEL}")
            while not stop.is_set():
                for _ in connection.notifies(timeout=0.5, stop_after=1):
                    on_change()
        except Exception:  # noqa: BLE001 - the listener must outlive a database restart
            log.warning("LISTEN connection lost; polling covers until it is back", exc_info=True)
            stop.wait(2.0)
        finally:
            if connection is not None:
                connection.close()
