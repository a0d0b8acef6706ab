"""Liveness and readiness: the server answers at once, and says when it can suggest."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from app.config import Settings
from app.main import create_app
from app.service import Kefu
from app.startup import BackgroundStart
from tests.conftest import OPEN_HOURS, REPLIES, Client, api_key
from tests.test_error_shape import assert_error_shape


def test_a_loaded_app_is_ready(client: Client) -> None:
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["library_version"] == client.get("/healthz").json()["library_version"]
    assert isinstance(ready.json()["warm"], bool)


def test_while_the_library_loads_the_service_is_alive_but_not_ready_then_ready(
    tmp_path: Path,
) -> None:
    # A fresh data folder: no index cache, so loading takes seconds (the matcher trains).
    app = create_app(Settings(data_dir=tmp_path, replies_dir=REPLIES), background=True)
    auth = {"Authorization": f"Bearer {api_key(app)}"}
    ask = {"message": "hello", "context": {"now": OPEN_HOURS}}

    async def go() -> tuple[list[httpx.Response], list[int], httpx.Response]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://kefu") as http:
                early = [
                    await http.get("/healthz"),
                    await http.get("/readyz"),
                    await http.post("/v1/suggest", json=ask, headers=auth),
                    await http.get("/v1/library/templates", headers=auth),
                    await http.get("/library", headers=auth),  # a page reads the library
                ]
                statuses = []
                for _ in range(1200):
                    statuses.append((await http.get("/readyz")).status_code)
                    if statuses[-1] == 200:
                        break
                    await asyncio.sleep(0.1)
                return early, statuses, await http.post("/v1/suggest", json=ask, headers=auth)

    early, statuses, answer = asyncio.run(go())
    health, *refused = early
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "library_version": None}
    for response in refused:
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "1"
        assert assert_error_shape(response.json())["code"] == "not_ready"
    assert statuses[-1] == 200 and set(statuses[:-1]) <= {503}
    assert answer.status_code == 200
    assert answer.json()["suggestions"][0]["category"] == "greeting"


def test_a_library_that_fails_to_load_is_retried_and_the_error_kept(tmp_path: Path) -> None:
    empty = tmp_path / "no-library"
    empty.mkdir()
    kefu = Kefu(Settings(data_dir=tmp_path / "data", replies_dir=empty))
    starter = BackgroundStart(kefu, retry_seconds=0.05)
    starter.start()
    try:
        deadline = time.monotonic() + 30
        while starter.error is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert starter.error is not None and "_shop.yaml" in starter.error
        assert not kefu.ready
    finally:
        starter.stop()
        kefu.close()
