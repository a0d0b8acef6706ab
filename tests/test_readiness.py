"""Liveness and readiness: the server answers at once, and says when it can suggest."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from app.config import Settings
from app.main import create_app
from tests.conftest import OPEN_HOURS, REPLIES, Client
from tests.test_error_shape import assert_error_shape


def test_a_loaded_app_is_ready(client: Client) -> None:
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["library_version"] == client.get("/healthz").json()["library_version"]
    assert isinstance(ready.json()["replies_compiled"], bool)


def test_a_library_that_cannot_load_keeps_the_service_alive_but_not_ready(
    tmp_path: Path,
) -> None:
    empty = tmp_path / "no-library"
    empty.mkdir()
    app = create_app(Settings(data_dir=tmp_path / "data", replies_dir=empty), background=True)

    async def go() -> list[httpx.Response]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://kefu") as http:
                for _ in range(300):  # until the loader has tried, and failed, once
                    ready = await http.get("/readyz")
                    if ready.status_code != 503 or ready.json()["error"]["details"]:
                        break
                    await asyncio.sleep(0.1)
                return [
                    await http.get("/healthz"),
                    ready,
                    await http.post("/v1/suggest", json={"message": "hello"}),
                    await http.get("/v1/library/templates"),
                    await http.get("/library"),  # a page reads the library directly
                    await http.get("/library/thanks.goodbye"),
                ]

    health, ready, suggest, templates, page, editor = asyncio.run(go())
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "library_version": None}
    for response in (ready, suggest, templates, page, editor):
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        error = assert_error_shape(response.json())
        assert error["code"] == "not_ready"
    assert "_shop.yaml" in str(assert_error_shape(ready.json())["details"])


def test_a_background_start_becomes_ready_and_then_suggests(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, replies_dir=REPLIES), background=True)

    async def go() -> tuple[list[int], httpx.Response]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://kefu") as http:
                statuses = []
                for _ in range(1200):
                    statuses.append((await http.get("/readyz")).status_code)
                    if statuses[-1] == 200:
                        break
                    await asyncio.sleep(0.1)
                answer = await http.post(
                    "/v1/suggest", json={"message": "hello", "context": {"now": OPEN_HOURS}}
                )
                return statuses, answer

    statuses, answer = asyncio.run(go())
    assert statuses[-1] == 200
    assert set(statuses[:-1]) <= {503}
    assert answer.status_code == 200
    assert answer.json()["suggestions"][0]["category"] == "greeting"
