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


def kefu_command() -> list[str]:
    kefu = Path(sys.executable).with_name("kefu")
    return [str(kefu)] if kefu.exists() else [sys.executable, "-m", "app.cli"]


def run_kefu(
    data: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`kefu ARGS` on the store in `data` (or env's database), as an operator runs it."""
    return subprocess.run(
        [*kefu_command(), *args],
        cwd=ROOT,
        env={**os.environ, "KEFU_DATA_DIR": str(data), **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def new_key(
    data: Path,
    scopes: str = "suggest,feedback,library:read,library:write",
    env: dict[str, str] | None = None,
) -> str:
    """A key made with `kefu keys create`: the key is on its last line."""
    done = run_kefu(data, "keys", "create", "--name", "e2e", "--scopes", scopes, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def new_user(data: Path, name: str, role: str, password: str,
             env: dict[str, str] | None = None) -> None:
    """An account made with `kefu users create NAME --role ROLE --password-stdin`."""
    done = run_kefu(data, "users", "create", name, "--role", role, "--password-stdin",
                    stdin=password + "\n", env=env)
    assert done.returncode == 0, done.stderr


def start_server(
    data: Path, log_path: Path, extra_env: dict[str, str]
) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    env = {**os.environ, "KEFU_DATA_DIR": str(data), **extra_env}
    command = kefu_command()
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
