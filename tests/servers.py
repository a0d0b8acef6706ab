"""The real server for end-to-end and browser tests: `kefu serve` in its own process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import ROOT


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


def start_server(
    data: Path, log_path: Path, extra_env: dict[str, str]
) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    env = {**os.environ, "KEFU_DATA_DIR": str(data), **extra_env}
    kefu = Path(sys.executable).with_name("kefu")
    command = [str(kefu)] if kefu.exists() else [sys.executable, "-m", "app.cli"]
    log = log_path.open("wb")
    process = subprocess.Popen(
        [*command, "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
    except (RuntimeError, TimeoutError) as exc:
        stop(process)
        raise RuntimeError(f"{exc}\n{log_path.read_text(errors='replace')}") from exc
    return url, process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
