"""The real server: `kefu serve` in its own process, called over loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import OPEN_HOURS, ROOT

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"kefu serve exited with {process.returncode}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError(f"kefu serve did not answer within {timeout}s")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    data = tmp_path_factory.mktemp("data")
    env = {**os.environ, "KEFU_DATA_DIR": str(data)}
    kefu = Path(sys.executable).with_name("kefu")
    command = [str(kefu)] if kefu.exists() else [sys.executable, "-m", "app.cli"]
    log_path = data / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                *command,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            try:
                wait_until_up(url, process)
            except (RuntimeError, TimeoutError) as exc:
                raise RuntimeError(f"{exc}\n{log_path.read_text(errors='replace')}") from exc
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


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
