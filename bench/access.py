"""What checking the caller costs per request, against the same request without a check.

    .venv/bin/python bench/access.py [--requests 2000]

Runs the real app in-process (ASGI, no network) on a fresh store in a temporary folder
and times `GET /v1/categories` three ways in one run: with an API key, with a session
cookie (both resolved from the in-memory cache after the first request), and a baseline
route that declares `public` and does the same work. Prints medians (µs per request)
and each one's ratio to the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi import Depends  # noqa: E402

from app.api.access import COOKIE, public  # noqa: E402
from app.api.meta import categories  # noqa: E402
from app.auth.tokens import new_session_cookie  # noqa: E402
from app.config import Settings  # noqa: E402
from app.main import create_app  # noqa: E402


async def _call(app: object, path: str, headers: list[tuple[bytes, bytes]]) -> int:
    status = 0

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])  # type: ignore[call-overload]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"kefu"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("kefu", 80),
    }
    await app(scope, receive, send)  # type: ignore[operator]
    return status


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Settings(data_dir=Path(folder), suggest_rate_per_minute=0))
        app.get("/bench/categories", dependencies=[Depends(public)])(categories)
        # First in the route list, as /v1/categories nearly is: routing costs the same.
        app.router.routes.insert(0, app.router.routes.pop())
        access = app.state.access
        _, key = access.create_key("bench", "bench", "suggest", [], "local")
        user, _ = access.create_user("bench", "bencher", "agent", "a long bench password", "x")
        cookie, digest = new_session_cookie(access.secret)
        access.db.create_session(digest, user.id, datetime.now(UTC) + timedelta(hours=1), "x")
        ways = {
            "baseline (public)": ("/bench/categories", []),
            "API key": ("/v1/categories", [(b"authorization", f"Bearer {key}".encode())]),
            "session cookie": ("/v1/categories", [(b"cookie", f"{COOKIE}={cookie}".encode())]),
        }

        async def run() -> dict[str, list[float]]:
            times: dict[str, list[float]] = {name: [] for name in ways}
            for path, headers in ways.values():
                assert await _call(app, path, headers) == 200  # warm caches
            for _ in range(args.requests):
                for name, (path, headers) in ways.items():  # interleaved: same noise
                    start = time.perf_counter()
                    await _call(app, path, headers)
                    times[name].append((time.perf_counter() - start) * 1e6)
            return times

        times = asyncio.run(run())
    base = statistics.median(times["baseline (public)"])
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:18} median {median:7.1f} µs   ratio {median / base:4.2f}")


if __name__ == "__main__":
    main()
