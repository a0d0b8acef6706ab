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

from app.auth.access import Access
from app.auth.scopes import Scope
from app.config import Settings
from app.library import Library, load_library
from app.main import create_app
from app.suggest import Snapshot, build_snapshot

ROOT = Path(__file__).resolve().parent.parent
REPLIES = ROOT / "replies"
# A Saturday at noon in the shipped shop's time zone: open, so tests see no after-hours reply.
OPEN_HOURS = "2026-11-21T12:00:00+08:00"


ALL_SCOPES = [s.value for s in Scope]


def api_key(app: FastAPI, scopes: list[str] | None = None, origins: list[str] | None = None,
            name: str = "tests") -> str:
    """A new API key in the app's own store (every scope unless told)."""
    access: Access = app.state.access
    _, key = access.create_key("tests", name, scopes or ALL_SCOPES, origins or [], "local")
    return key


class Client:
    """A synchronous client over the ASGI app (no server, no network).

    It calls as an API key holding every scope unless given `key=` (another key) or
    `key=None` (no credentials: then it signs in with `login` and keeps the cookie).
    """

    def __init__(
        self, app: FastAPI, key: str | None = "admin", address: str = "203.0.113.7"
    ) -> None:
        self.app = app
        self.address = address
        self.headers: dict[str, str] = {}
        if key == "admin":
            key = api_key(app)
        if key is not None:
            self.headers["Authorization"] = f"Bearer {key}"
        self.cookies = httpx.Cookies()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}

        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, client=(self.address, 4711))
            async with httpx.AsyncClient(
                transport=transport, base_url="http://kefu", cookies=self.cookies
            ) as client:
                response = await client.request(method, url, headers=headers, **kwargs)
                self.cookies = client.cookies
                return response

        return asyncio.run(go())

    def login(self, name: str, password: str) -> httpx.Response:
        return self.post("/v1/auth/login", json={"name": name, "password": password})

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


PASSWORD = "correct horse battery staple"


def signed_in(app: FastAPI, name: str, role: str = "manager") -> Client:
    """A client signed in (session cookie) as `name`, made with `role` on first use."""
    cache: dict[str, Client] = app.state.__dict__.setdefault("test_clients", {})
    if name not in cache:
        access: Access = app.state.access
        access.create_user("tests", name, role, PASSWORD, "local")
        client = Client(app, key=None)
        response = client.login(name, PASSWORD)
        assert response.status_code == 200, response.text
        cache[name] = client
    return cache[name]


@pytest.fixture(scope="session")
def shipped_library() -> Library:
    return load_library(REPLIES)


@pytest.fixture(scope="session")
def shipped_snapshot(shipped_library: Library) -> Snapshot:
    return build_snapshot(shipped_library)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), replies_dir=REPLIES)
    app = create_app(settings)
    # A first start answers at once with a provisional index; tests judge the full one.
    assert app.state.kefu.warmed(timeout=300)
    return app


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[Client]:
    yield Client(app)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store_settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """Settings for an app with its own store, once on SQLite and once on PostgreSQL."""
    from tests.stores import postgres_schema_url

    data = tmp_path_factory.mktemp(f"store-{request.param}")
    if request.param == "sqlite":
        yield Settings(data_dir=data, replies_dir=REPLIES)
    else:
        for url in postgres_schema_url():
            yield Settings(data_dir=data, replies_dir=REPLIES, database_url=url)


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
