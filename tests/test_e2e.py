"""The real server: `kefu serve` in its own process, called over loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import OPEN_HOURS
from tests.servers import start_server, stop

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("data")
    url, process = start_server(data, data / "server.log", {})
    try:
        yield url
    finally:
        stop(process)


def test_real_server_answers_the_done_when_messages(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as http:
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


def test_real_server_refuses_bad_input_with_the_error_shape(server: str) -> None:
    response = httpx.post(
        server + "/v1/suggest",
        content=b"\xff\xfe\x00garbage",
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_body"


def test_an_edit_through_one_server_is_served_by_another_within_a_second(
    tmp_path: Path,
) -> None:
    data = tmp_path / "shared"
    env = {"KEFU_RELOAD_INTERVAL": "0.2"}
    processes = []
    try:
        first, p1 = start_server(data, tmp_path / "one.log", env)
        processes.append(p1)
        second, p2 = start_server(data, tmp_path / "two.log", env)  # same database
        processes.append(p2)
        time.sleep(5)  # both finish compiling their replies, as a running service has
        ask = {
            "message": "bye bye, see you",
            "locale": "en",
            "tone": "friendly",
            "context": {"now": OPEN_HOURS},
        }
        with httpx.Client(timeout=10) as http:
            stored = http.get(f"{first}/v1/library/templates/thanks.goodbye")
            document = stored.json()["template"]
            document["replies"]["en"]["friendly"] = "Bye for now, come back soon!"
            saved = http.put(
                f"{first}/v1/library/templates/thanks.goodbye",
                json=document,
                headers={"If-Match": stored.headers["ETag"], "X-Kefu-User": "ana"},
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
