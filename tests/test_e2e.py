"""The real server: `kefu serve` in its own process, called over loopback."""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.store.repository import LibraryStore, TemplateEditor
from tests.conftest import OPEN_HOURS
from tests.servers import new_key, start_server, stop
from tests.stores import postgres_schema_url

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    data = tmp_path_factory.mktemp("data")
    url, process = start_server(data, data / "server.log", {})
    try:
        yield url, new_key(data)
    finally:
        stop(process)


def test_first_start_prints_a_one_time_admin_password_that_must_be_replaced(
    tmp_path: Path,
) -> None:
    url, process = start_server(tmp_path, tmp_path / "server.log", {})
    try:
        printed = (tmp_path / "server.log").read_text()
        found = re.search(r"one-time password:\nkefu:\s+(\S+)", printed)
        assert found, printed
        password = found.group(1)
        ask = {"message": "hello", "context": {"now": OPEN_HOURS}}
        with httpx.Client(base_url=url, timeout=30) as http:
            assert http.post("/v1/suggest", json=ask).status_code == 401
            assert http.get("/docs").status_code == 401
            signed_in = http.post("/v1/auth/login", json={"name": "admin", "password": password})
            assert signed_in.status_code == 200, signed_in.text
            assert signed_in.json()["must_change_password"] is True
            blocked = http.post("/v1/suggest", json=ask)
            assert blocked.json()["error"]["code"] == "password_change_required"
            new = "my own admin password"
            changed = http.post("/v1/auth/password", json={"current": password, "new": new})
            assert changed.status_code == 200, changed.text
            assert http.post("/v1/suggest", json=ask).status_code == 200
            assert http.get("/v1/admin/users").json()[0]["name"] == "admin"
            again = http.post("/v1/auth/login", json={"name": "admin", "password": password})
            assert again.status_code == 401  # the printed password is spent
    finally:
        stop(process)
    url, process = start_server(tmp_path, tmp_path / "second.log", {})
    stop(process)
    assert "password" not in (tmp_path / "second.log").read_text()  # printed once only


def test_real_server_answers_the_done_when_messages(server: tuple[str, str]) -> None:
    url, key = server
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url, timeout=10, headers=auth) as http:
        ctx = {"now": OPEN_HOURS}
        greeting = http.post("/v1/suggest", json={"message": "在吗", "context": ctx}).json()
        assert greeting["suggestions"][0]["category"] == "greeting"
        assert greeting["suggestions"][0]["locale"] == "zh-Hans"

        ship = http.post(
            "/v1/suggest",
            json={
                "message": "when will you ship my order?",
                "variables": {"order_id": "A1"},
                "context": ctx,
            },
        ).json()
        assert ship["suggestions"][0]["category"] == "shipping_delay"
        assert "A1" in ship["suggestions"][0]["text"]

        busy = http.post(
            "/v1/suggest", json={"message": "hello", "context": {"queue_length": 50}}
        ).json()
        assert busy["suggestions"][0]["category"] == "busy_hour"

        hostile = http.post("/v1/suggest", json={"message": "{{7*7}}"})
        assert hostile.status_code == 200
        body = hostile.json()
        shown = body["suggestions"] + (body["no_match"]["guesses"] if body["no_match"] else [])
        assert not any("49" in s["text"] for s in shown)


def test_real_server_refuses_bad_input_with_the_error_shape(server: tuple[str, str]) -> None:
    url, key = server
    response = httpx.post(
        url + "/v1/suggest",
        content=b"\xff\xfe\x00garbage",
        headers={"content-type": "application/json", "Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_body"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_env(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The environment that points `kefu serve` at the store under test."""
    if request.param == "sqlite":
        yield {}  # the default: a SQLite file in the data folder
    else:
        for url in postgres_schema_url():
            yield {"KEFU_DATABASE_URL": url}


def test_an_edit_through_one_server_is_served_by_another_within_a_second(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    data = tmp_path / "shared"
    env = {"KEFU_RELOAD_INTERVAL": "0.2", **database_env}
    processes = []
    try:
        first, p1 = start_server(data, tmp_path / "one.log", env)
        processes.append(p1)
        second, p2 = start_server(data, tmp_path / "two.log", env)  # same database
        processes.append(p2)
        time.sleep(15)  # both finish compiling their replies, as a running service has
        ask = {
            "message": "bye bye, see you",
            "locale": "en",
            "tone": "friendly",
            "context": {"now": OPEN_HOURS},
        }
        auth = {"Authorization": f"Bearer {new_key(data, env=database_env)}"}
        with httpx.Client(timeout=10, headers=auth) as http:
            stored = http.get(f"{first}/v1/library/templates/thanks.goodbye")
            document = stored.json()["template"]
            document["replies"]["en"]["friendly"] = "Bye for now, come back soon!"
            saved = http.put(
                f"{first}/v1/library/templates/thanks.goodbye",
                json=document,
                headers={"If-Match": stored.headers["ETag"]},
            )
            assert saved.status_code == 200, saved.text
            start = time.monotonic()
            seen: set[str] = set()
            while seen != {first, second}:
                assert time.monotonic() - start < 1.0, f"only {seen} served the edit in time"
                for url in (first, second):
                    texts = [
                        s["text"]
                        for s in http.post(f"{url}/v1/suggest", json=ask).json()["suggestions"]
                    ]
                    if "Bye for now, come back soon!" in texts:
                        seen.add(url)
    finally:
        for process in processes:
            stop(process)


def test_sigkill_in_a_burst_of_saves_loses_no_acknowledged_save(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    """Three managers save as fast as they can; the server is killed mid-burst."""
    data = tmp_path / "data"
    url, process = start_server(data, tmp_path / "server.log", database_env)
    auth = {"Authorization": f"Bearer {new_key(data, env=database_env)}"}
    targets = ["thanks.goodbye", "greeting.hello", "bargaining.hold_price"]
    acknowledged: dict[str, list[tuple[int, str]]] = {t: [] for t in targets}
    stop_saving = threading.Event()

    def manager(template_id: str) -> None:
        with httpx.Client(base_url=url, timeout=5, headers=auth) as http:
            current = http.get(f"/v1/library/templates/{template_id}")
            document, etag = current.json()["template"], current.headers["ETag"]
            n = 0
            while not stop_saving.is_set():
                n += 1
                document = {**document, "title": f"{template_id} burst {n}"}
                try:
                    saved = http.put(f"/v1/library/templates/{template_id}", json=document,
                                     headers={"If-Match": etag})
                except httpx.TransportError:
                    return  # the server is gone: this save was never acknowledged
                if saved.status_code == 200:
                    etag = saved.headers["ETag"]
                    acknowledged[template_id].append((saved.json()["version"], document["title"]))

    threads = [threading.Thread(target=manager, args=(t,)) for t in targets]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while min(len(v) for v in acknowledged.values()) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
    finally:
        stop_saving.set()
        for thread in threads:
            thread.join()
        if process.poll() is None:
            stop(process)
    assert min(len(v) for v in acknowledged.values()) >= 5, "the burst never got going"

    store = LibraryStore(database_env.get("KEFU_DATABASE_URL")
                         or f"sqlite:///{(data / 'kefu.db').resolve()}")
    try:
        editor = TemplateEditor(store)
        for template_id, saves in acknowledged.items():
            last_version, last_title = saves[-1]
            stored = editor.get(template_id)
            assert stored is not None
            # Nothing acknowledged is lost; a save cut off after its commit may add one more.
            assert stored.version in (last_version, last_version + 1)
            if stored.version == last_version:
                assert stored.template.title == last_title
            history = store.history(template_id)
            assert [h.version for h in history] == list(range(1, stored.version + 1))
            for version, title in saves:
                old = editor.version(template_id, version)
                assert old is not None and old.title == title  # whole, parseable documents
        store.load_library()  # the library as a whole still loads and validates
    finally:
        store.close()
