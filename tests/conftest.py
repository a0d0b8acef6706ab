"""Shared fixtures: an app per test module on the shipped library, and a sync client."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import settings as hypothesis_settings

from app.config import Settings
from app.library import Library, load_library
from app.main import create_app
from app.suggest import Snapshot, build_snapshot

ROOT = Path(__file__).resolve().parent.parent
REPLIES = ROOT / "replies"
# A Saturday at noon in the shipped shop's time zone: open, so tests see no after-hours reply.
OPEN_HOURS = "2026-11-21T12:00:00+08:00"


class Client:
    """A synchronous client over the ASGI app (no server, no network)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://kefu") as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(go())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def suggest(self, message: str, **fields: Any) -> dict[str, Any]:
        fields.setdefault("context", {}).setdefault("now", OPEN_HOURS)
        response = self.post("/v1/suggest", json={"message": message, **fields})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture(scope="session")
def shipped_library() -> Library:
    return load_library(REPLIES)


@pytest.fixture(scope="session")
def shipped_snapshot(shipped_library: Library) -> Snapshot:
    return build_snapshot(shipped_library)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), replies_dir=REPLIES)
    return create_app(settings)


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[Client]:
    yield Client(app)


# Property tests (hypothesis): a fixed, reproducible run in CI; the same number of
# examples locally, with a saved database of failures. Deadlines are generous: the machines
# are small and shared, and a deadline only catches calls that are slow every time.
hypothesis_settings.register_profile(
    "ci",
    max_examples=200,
    derandomize=True,
    database=None,
    deadline=timedelta(seconds=2),
    print_blob=True,
)
hypothesis_settings.register_profile("dev", max_examples=200, deadline=timedelta(seconds=2))
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") == "true" else "dev")
)
