"""What the observability middleware costs per request (request id, metrics, access log).

Calls the pure ASGI middleware around an app that answers at once, against that app
alone, in the same run: the difference is the middleware's own CPU per request. Measured
with metrics in one process (the default) and in prometheus_client's multiprocess mode
(`kefu serve --workers N`, in a child process: the mode is chosen at import), with the
access log off and on (JSON lines written to a null stream).

    .venv/bin/python -m bench.observability [--requests 20000] [--rounds 7]

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from starlette.types import Message, Receive, Scope, Send


class _Route:
    path = "/v1/suggest"


async def _bare(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x", b"y")]})
    await send({"type": "http.response.body", "body": b"{}"})


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: Message) -> None:
    return None


SCOPE: dict[str, Any] = {
    "type": "http",
    "method": "POST",
    "path": "/v1/suggest",
    "headers": [(b"content-type", b"application/json"), (b"accept", b"*/*")],
    "route": _Route(),
}


async def _per_request(app: Any, requests: int) -> float:
    # CPU time of this process: other work on a shared machine does not count.
    start = time.process_time()
    for _ in range(requests):
        await app(dict(SCOPE), _receive, _send)
    return (time.process_time() - start) / requests * 1e6


def measure(requests: int, rounds: int) -> dict[str, float]:
    """Median µs per request of each variant, rounds interleaved."""
    from app.api.middleware import Observe
    from app.observability import JsonFormatter, Metrics, RequestIdFilter

    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    access = logging.getLogger("kefu.access")
    access.addHandler(handler)
    access.propagate = False
    variants = {
        "bare": _bare,
        "metrics": Observe(_bare, Metrics(), access=False),
        "metrics_and_log": Observe(_bare, Metrics(), access=True),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}

    async def run() -> None:
        for app in variants.values():
            await _per_request(app, requests // 10)  # warm up: label children, caches
        for _ in range(rounds):
            for name, app in variants.items():
                handler.stream = io.StringIO()
                access.setLevel(logging.INFO)
                times[name].append(await _per_request(app, requests))

    asyncio.run(run())
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.requests, args.rounds)))
        return

    single = measure(args.requests, args.rounds)
    with tempfile.TemporaryDirectory(prefix="kefu-bench-metrics-") as folder:
        child = subprocess.run(
            [sys.executable, "-m", "bench.observability", "--child",
             "--requests", str(args.requests), "--rounds", str(args.rounds)],
            env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": folder},
            capture_output=True, text=True, check=True,
        )
    multi = json.loads(child.stdout.strip().splitlines()[-1])

    result: dict[str, float] = {}
    print(f"{'variant':<34} {'µs/request':>10} {'over bare':>10}")
    for mode, numbers in (("one process", single), ("multiprocess", multi)):
        bare = numbers["bare"]
        for name in ("bare", "metrics", "metrics_and_log"):
            extra = numbers[name] - bare
            print(f"{mode + ': ' + name:<34} {numbers[name]:>10.2f} {extra:>+10.2f}")
            if name != "bare":
                key = "single" if mode == "one process" else "multiprocess"
                result[f"{key}_{name}_us"] = round(extra, 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
