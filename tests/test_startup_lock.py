"""Several workers or replicas starting at once on an empty store: one migrates and
imports the shipped library, the others wait and find it done."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.config import Settings
from app.service import Kefu
from app.store.repository import LibraryStore
from app.store.tables import TemplateVersionRow
from tests.conftest import REPLIES
from tests.stores import postgres_schema_url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kefu.db'}"
    else:
        yield from postgres_schema_url()


def test_concurrent_first_starts_seed_the_store_once(store_url: str, tmp_path: Path) -> None:
    starters = 4
    barrier = threading.Barrier(starters)
    errors: list[BaseException] = []
    services: list[Kefu] = []

    def start() -> None:
        kefu = Kefu(Settings(data_dir=tmp_path, replies_dir=REPLIES, database_url=store_url))
        services.append(kefu)
        barrier.wait()
        try:
            kefu.open_store()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start, daemon=True) for _ in range(starters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a start is stuck"
    for kefu in services:
        if kefu.store is not None:
            kefu.store.close()

    assert errors == []
    store = LibraryStore(store_url)
    try:
        with store.engine.connect() as connection:
            versions = connection.scalar(select(func.count()).select_from(TemplateVersionRow))
        assert versions == len(store.load_library().templates())  # one import, not four
        assert store.revision() == 1
    finally:
        store.close()
