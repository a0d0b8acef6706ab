"""Nothing is lost on a failed save: the store refuses, the save says so (503 in the error
shape), the previous version is intact, and the next save works.

SQLite: another process holds the file's write lock (a backup, a stuck import), or the file
may not grow (a full disk). CI runs as root, for whom a chmod cannot make a file read-only,
so these stand in for "the file takes no writes". PostgreSQL: the server ends the very
connection a save is using, in the middle of its transaction (`pg_terminate_backend` on
that backend only).
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event

from app.config import Settings
from app.main import create_app
from tests.conftest import REPLIES, Client
from tests.stores import POSTGRES, postgres_schema_url
from tests.test_error_shape import assert_error_shape

TEMPLATE = "thanks.goodbye"


def snapshot(api: Client) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    current = api.get(f"/v1/library/templates/{TEMPLATE}")
    assert current.status_code == 200, current.text
    history = api.get(f"/v1/library/templates/{TEMPLATE}/history").json()
    return current.json(), history


def save(api: Client, title: str, version: int) -> Any:
    document = {**snapshot(api)[0]["template"], "title": title}
    return api.request("PUT", f"/v1/library/templates/{TEMPLATE}", json=document,
                       headers={"If-Match": f'"{version}"', "X-Kefu-User": "ana"})


def assert_failed_cleanly(response: Any, mentions: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"]
    error = assert_error_shape(response.json())
    assert error["code"] == "store_unavailable"
    assert mentions in error["message"] and "nothing was changed" in error["message"]


def assert_then_it_saves(api: Client, before: dict[str, Any], history: list[Any]) -> None:
    """The failed save left no trace; the next one becomes the very next version."""
    after, history_after = snapshot(api)
    assert after == before and history_after == history
    title = f"Saved after the store came back ({before['version']})"
    retried = save(api, title, before["version"])
    assert retried.status_code == 200, retried.text
    assert retried.json()["version"] == before["version"] + 1
    assert snapshot(api)[0]["template"]["title"] == title


# ---- SQLite ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("locked")


@pytest.fixture(scope="module")
def sqlite_api(sqlite_data: Path) -> Client:
    settings = Settings(data_dir=sqlite_data, replies_dir=REPLIES, sqlite_busy_timeout=0.5)
    return Client(create_app(settings))


def test_a_save_while_another_process_locks_the_sqlite_file_fails_and_loses_nothing(
    sqlite_api: Client, sqlite_data: Path
) -> None:
    before, history = snapshot(sqlite_api)
    blocker = sqlite3.connect(sqlite_data / "kefu.db", timeout=0, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        response = save(sqlite_api, "Lost in the lock", before["version"])
        assert snapshot(sqlite_api)[0] == before  # readers are served meanwhile
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert_failed_cleanly(response, "database is locked")
    assert_then_it_saves(sqlite_api, before, history)


def test_a_create_while_the_sqlite_file_is_locked_leaves_no_template(
    sqlite_api: Client, sqlite_data: Path
) -> None:
    document = {**snapshot(sqlite_api)[0]["template"], "id": "thanks.never_saved"}
    blocker = sqlite3.connect(sqlite_data / "kefu.db", timeout=0, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        response = sqlite_api.post("/v1/library/templates", json=document)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert_failed_cleanly(response, "database is locked")
    assert sqlite_api.get("/v1/library/templates/thanks.never_saved").status_code == 404


# ---- PostgreSQL -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    tmp_path = tmp_path_factory.mktemp("postgres")
    schema_urls = postgres_schema_url()
    url = next(schema_urls)
    # Our own application_name: only this test's connections are ever terminated.
    url += f"&application_name=kefu_test_{uuid.uuid4().hex[:8]}"
    app = create_app(Settings(data_dir=tmp_path, replies_dir=REPLIES, database_url=url))
    try:
        yield app
    finally:
        app.state.kefu.close()
        schema_urls.close()  # drops the schema


@contextmanager
def terminated_on(app: FastAPI, statement_start: str) -> Iterator[dict[str, int]]:
    """When the app's engine is about to run `statement_start`, end that connection's
    backend from another connection and wait until it is gone (once)."""
    import psycopg

    killed: dict[str, int] = {}

    def before_execute(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if killed or not statement.lstrip().upper().startswith(statement_start):
            return
        pid = conn.connection.dbapi_connection.info.backend_pid
        admin = POSTGRES.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
        killed["pid"] = pid

    engine = app.state.kefu.store.engine
    event.listen(engine, "before_cursor_execute", before_execute)
    try:
        yield killed
    finally:
        event.remove(engine, "before_cursor_execute", before_execute)


@pytest.mark.parametrize(
    "statement", ["UPDATE TEMPLATES", "INSERT INTO TEMPLATE_VERSIONS", "UPDATE LIBRARY_STATE"]
)
def test_postgresql_going_away_mid_save_fails_the_save_and_writes_nothing(
    postgres_app: FastAPI, statement: str
) -> None:
    api = Client(postgres_app)
    before, history = snapshot(api)
    revision = postgres_app.state.kefu.store.revision()
    with terminated_on(postgres_app, statement) as killed:
        response = save(api, "Half written?", before["version"])
    assert killed, f"the save never ran {statement}"
    assert_failed_cleanly(response, "connection")
    assert postgres_app.state.kefu.store.revision() == revision  # no announcement either
    assert_then_it_saves(api, before, history)


def test_postgresql_connections_ended_between_saves_are_replaced(postgres_app: FastAPI) -> None:
    """A restarted database server: the next save reconnects and works."""
    import psycopg

    api = Client(postgres_app)
    before, history = snapshot(api)
    name = postgres_app.state.kefu.store.engine.url.query["application_name"]
    admin = POSTGRES.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as other:
        ended = other.execute(
            "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
            " WHERE application_name = %s", (name,)
        ).fetchone()
    assert ended and ended[0] >= 1
    assert_then_it_saves(api, before, history)


def test_a_save_on_a_full_disk_fails_and_loses_nothing(
    sqlite_api: Client, sqlite_data: Path
) -> None:
    """SQLite's page limit stands in for the disk filling up: the file may not grow."""
    before, history = snapshot(sqlite_api)
    engine = sqlite_api.app.state.kefu.store.engine

    def full(dbapi_connection: Any, _record: Any) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    with sqlite3.connect(sqlite_data / "kefu.db") as compact:
        compact.execute("VACUUM")  # no free pages left to reuse
    engine.dispose()
    event.listen(engine, "connect", full)
    try:
        big = {**before["template"], "title": "Too big to fit",
               "triggers": {"en": {"examples": [f"filler {i} " * 20 for i in range(200)]}}}
        response = sqlite_api.request(
            "PUT", f"/v1/library/templates/{TEMPLATE}", json=big,
            headers={"If-Match": f'"{before["version"]}"'})
    finally:
        event.remove(engine, "connect", full)
        engine.dispose()
    assert_failed_cleanly(response, "full")
    assert_then_it_saves(sqlite_api, before, history)
