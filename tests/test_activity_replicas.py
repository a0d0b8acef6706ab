"""Suggestion counts from several replicas flushed into one database at the same time:
nothing fails (no duplicate-row error, no deadlock) and nothing is counted twice or lost."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.store.activity import ActivityLog
from app.store.repository import LibraryStore
from app.store.tables import SuggestionCountRow
from tests.stores import postgres_schema_url

TEMPLATES = [f"t{i}" for i in range(30)]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kefu.db'}"
    else:
        yield from postgres_schema_url()


def test_replicas_flushing_the_same_counts_at_once_add_up_exactly(store_url: str) -> None:
    first = LibraryStore(store_url)
    first.migrate()
    stores = [first, LibraryStore(store_url), LibraryStore(store_url)]
    rounds = 15
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(stores))

    def replica(index: int, store: LibraryStore) -> None:
        log = ActivityLog(store)
        # Each replica counts the same rows, in its own order (the order deadlocks need).
        order = TEMPLATES if index % 2 == 0 else TEMPLATES[::-1]
        for _ in range(rounds):
            for template in order:
                log.served(template, "greeting", "en", "friendly", "en")
            barrier.wait(timeout=60)
            try:
                log.flush()
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [
        threading.Thread(target=replica, args=(i, s), daemon=True) for i, s in enumerate(stores)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert errors == []
        with first.engine.connect() as connection:
            total = connection.scalar(select(func.sum(SuggestionCountRow.count)))
            rows = connection.scalar(select(func.count()).select_from(SuggestionCountRow))
        assert rows == len(TEMPLATES)
        assert total == len(stores) * rounds * len(TEMPLATES)
    finally:
        for store in stores:
            store.close()
