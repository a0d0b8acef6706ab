"""Scale-out: two `kefu serve` replicas on one PostgreSQL database behind a round-robin
proxy, suggest load running through the proxy the whole time; a manager's edit saved
through one replica is served by the other within a second, and no request fails."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import OPEN_HOURS
from tests.proxy import RoundRobinProxy
from tests.servers import new_key, start_server, stop
from tests.stores import postgres_schema_url

pytestmark = pytest.mark.e2e

MIX = [
    {"message": "when will you ship my order?", "variables": {"order_id": "A1"}},
    {"message": "在吗"},
    {"message": "¿Dónde está mi pedido? Lo pedí hace una semana"},
    {"message": "I want a refund, the item arrived broken!!"},
    {"message": "Bonjour, avez-vous cette robe en taille M ?"},
    {"message": "hi! can you ship today? and do you have it in blue?"},
    {"message": "qwertyuiop"},
]
EDITED = "Bye for now, come back soon!"
ASK = {"message": "bye bye, see you", "locale": "en", "tone": "friendly",
       "context": {"now": OPEN_HOURS}}


ARGS = ["--log-level", "info"]  # the logs show when each replica swapped the library in


@pytest.fixture
def database() -> Iterator[str]:
    yield from postgres_schema_url()


class Load:
    """Suggest requests through the proxy at about `rate` a second, a new connection each
    (a steady widget load; saturating a 2-core machine would measure the machine)."""

    def __init__(self, url: str, key: str, rate: float = 100) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {key}"}
        self.interval = 1 / rate
        self.statuses: list[int] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="load", daemon=True)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        limits = httpx.Limits(max_keepalive_connections=0)  # spread over both replicas
        with httpx.Client(
            base_url=self.url, timeout=10, limits=limits, headers=self.headers
        ) as http:
            for n in range(10**9):
                if self._stop.wait(self.interval):
                    return
                body = {**MIX[n % len(MIX)], "context": {"now": OPEN_HOURS}}
                try:
                    response = http.post("/v1/suggest", json=body)
                    self.statuses.append(response.status_code)
                    if response.status_code != 200:
                        self.failures.append(f"{response.status_code}: {response.text[:200]}")
                except httpx.HTTPError as exc:
                    self.failures.append(repr(exc))


def serves_edit(http: httpx.Client, url: str) -> bool:
    answer = http.post(f"{url}/v1/suggest", json=ASK)
    assert answer.status_code == 200, answer.text
    return EDITED in [s["text"] for s in answer.json()["suggestions"]]


def test_two_replicas_on_postgresql_behind_a_proxy_serve_an_edit_within_a_second(
    database: str, tmp_path: Path
) -> None:
    env = {"KEFU_DATABASE_URL": database}  # reloads by LISTEN/NOTIFY, polling 0.5 s
    # Both start at once on the empty schema: one migrates and seeds, the other waits.
    with ThreadPoolExecutor(2) as pool:
        starting = [
            pool.submit(
                start_server, tmp_path / name, tmp_path / f"{name}.log", env, ARGS
            )
            for name in ("one", "two")
        ]
        replicas = [future.result() for future in starting]
    (first, p1), (second, p2) = replicas
    try:
        key = new_key(tmp_path / "one", env=env)  # `kefu keys create` on the shared database
        auth = {"Authorization": f"Bearer {key}"}
        backends = [("127.0.0.1", int(url.rsplit(":", 1)[1])) for url in (first, second)]
        with RoundRobinProxy(backends) as proxy, Load(proxy.url, key) as load:
            # As a running service: both have compiled their replies (under load meanwhile).
            deadline = time.monotonic() + 120
            while not all(
                httpx.get(f"{url}/readyz", timeout=10).json()["warm"]
                for url in (first, second)
            ):
                assert time.monotonic() < deadline
                time.sleep(0.2)
            time.sleep(1)
            with httpx.Client(timeout=10, headers=auth) as http:
                assert not serves_edit(http, second)
                stored = http.get(f"{first}/v1/library/templates/thanks.goodbye")
                document = stored.json()["template"]
                document["replies"]["en"]["friendly"] = EDITED
                saved = http.put(
                    f"{first}/v1/library/templates/thanks.goodbye",
                    json=document,
                    headers={"If-Match": stored.headers["ETag"]},
                )
                assert saved.status_code == 200, saved.text
                start = time.monotonic()
                seen: dict[str, float] = {}  # the one saved through reloads like the other
                while len(seen) < 2:
                    assert time.monotonic() - start < 1.0, f"only {seen} served it in time"
                    for url in {first, second} - set(seen):
                        if serves_edit(http, url):
                            seen[url] = time.monotonic() - start
            # Through the proxy, whichever replica answers, the edit is there.
            limits = httpx.Limits(max_keepalive_connections=0)
            with httpx.Client(timeout=10, limits=limits, headers=auth) as fresh:
                assert all(serves_edit(fresh, proxy.url) for _ in range(6))
            time.sleep(1)  # more load after the edit
        took = sorted(round(t * 1000) for t in seen.values())
        print(f"replicas served the edit after {took} ms; "
              f"{len(load.statuses)} requests through the proxy, per replica "
              f"{dict(proxy.connections)}")
        assert load.failures == []
        assert len(load.statuses) >= 50
        assert proxy.connections[0] > 10 and proxy.connections[1] > 10
        assert proxy.refused == 0
    finally:
        stop(p1)
        stop(p2)
