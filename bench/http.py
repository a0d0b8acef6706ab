"""Suggest over HTTP against the ceiling: a bare FastAPI endpoint, measured in the same run.

    .venv/bin/python bench/http.py [--rounds 3] [--duration 5] [--fixed 10]
                                   [--messages FILE.jsonl] [--workers 1]

Starts `kefu serve` (the real service: uvicorn with uvloop and httptools, one worker,
access log off; requests carry an API key made with `kefu keys create`, and the per-key
rate limit is off since one key sends all the load) on a data folder of its own, and
`bench/bare_app.py` on the same uvicorn settings. Both servers are pinned to CPU 0 and
the load generators to CPU 1 when `taskset` exists, and they are driven one after the
other, never at once.

- Saturating load: Debian's `wrk` (install with `apt-get install wrk`), 64 connections,
  `--duration` seconds per endpoint and round, rounds interleaved (bare, suggest, bare…).
  Its Lua script rotates through the message mix, so no two consecutive requests carry
  the same text: `bench/messages.py` (several hundred distinct messages in many
  languages, lengths and categories, with several asks or nothing to match), or the
  `text` of each line of `--messages`. Some requests carry variables, a locale or a
  queue length, as a chat widget sends them.
- Fixed rate: 200 requests/s for `--fixed` seconds from an open-loop asyncio client in
  this process (requests leave on schedule whether or not earlier ones have answered, and
  latency counts from the scheduled time, so a stall is not hidden). `hey -q` would pace
  requests but repeats one body, and wrk2 is not packaged by Debian.

Prints req/s, p50 and p99 per endpoint (medians over rounds), the server's CPU time per
request, and the ratio suggest ÷ bare per round and its median. The last line is one JSON
object: suggest_rps, bare_rps, ratio, suggest_p99_ms, bare_p99_ms, fixed_rate_p99_ms …
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on sys.path, where this file would
# shadow the standard library's `http`: put the repository there instead.
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)
else:
    sys.path.insert(0, str(ROOT))

from bench.messages import mix, read_messages  # noqa: E402

# A weekday noon in the shipped shop's time zone: open, so busy-hour replies come only
# from the requests that say the queue is long.
OPEN_NOW = "2026-11-18T12:00:00+08:00"
CONNECTIONS = 64
FIXED_RATE = 200


def bodies(messages: list[str], seed: int = 3) -> list[bytes]:
    """Request bodies as widgets send them: mostly the message, some with extras."""
    rng = random.Random(seed)
    out = []
    for message in messages:
        body: dict[str, object] = {"message": message, "context": {"now": OPEN_NOW}}
        roll = rng.random()
        if roll < 0.25:
            body["variables"] = {
                "order_id": f"A{rng.randrange(100_000)}",
                "tracking_number": f"YT{rng.randrange(10**9)}",
                "amount": rng.randrange(5, 500),
            }
        elif roll < 0.35:
            body["locale"] = rng.choice(["en", "zh-CN", "de-DE", "es", "fr", "pt-PT", "ja"])
        elif roll < 0.40:
            body["context"] = {"now": OPEN_NOW, "queue_length": 50}
        out.append(json.dumps(body, ensure_ascii=False).encode())
    return out


def lua_script(payloads: list[bytes], key: str = "") -> str:
    """A wrk script that rotates through the bodies and prints its figures as JSON."""
    items = []
    for payload in payloads:
        text = payload.decode()
        level = "=" * 3
        while f"]{level}]" in text:
            level += "="
        items.append(f"[{level}[{text}]{level}]")
    return (
        "local bodies = {\n" + ",\n".join(items) + "\n}\n"
        'local headers = {["Content-Type"] = "application/json"'
        + (f', ["Authorization"] = "Bearer {key}"' if key else "")
        + "}\n"
        "local i = 0\n"
        "function init(args) i = tonumber(args[1] or '0') end\n"
        "function request()\n"
        "  i = i % #bodies + 1\n"
        '  return wrk.format("POST", "/v1/suggest", headers, bodies[i])\n'
        "end\n"
        "function done(summary, latency, requests)\n"
        "  local e = summary.errors\n"
        '  io.write(string.format(\'WRKJSON {"requests": %d, "duration_us": %d, '
        '"errors": %d, "p50_us": %d, "p99_us": %d, "mean_us": %.1f}\\n\', '
        "summary.requests, summary.duration, "
        "e.connect + e.read + e.write + e.status + e.timeout, "
        "latency:percentile(50), latency:percentile(99), latency.mean))\n"
        "end\n"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pinned(cpu: int, command: list[str]) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(cpu), *command]
    return command


def wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    body = json.dumps({"message": "hi", "context": {"now": OPEN_NOW}}).encode()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            status, _ = asyncio.run(asyncio.wait_for(_one_request(port, body), 30))
            if status == 200:
                return
            if status == 503:  # listening, library still loading (see /readyz)
                time.sleep(0.2)
                continue
        except OSError:
            time.sleep(0.1)
            continue
        raise RuntimeError(f"server answered {status} to a plain request")
    raise TimeoutError("server did not answer")


@contextmanager
def server(command: list[str], port: int, env: dict[str, str], log: Path) -> Iterator[int]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            pinned(0, command), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        try:
            wait_ready(port, process)
        except (RuntimeError, TimeoutError):
            sys.stderr.write(log.read_text(errors="replace")[-3000:])
            raise
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children so far (Linux /proc)."""
    total = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def run_wrk(port: int, script: Path, seconds: float, pid: int) -> dict[str, float]:
    start_offset = random.randrange(1000)
    before = cpu_seconds(pid)
    out = subprocess.run(
        pinned(
            1,
            [
                "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s",
                "--timeout", "10s",
                "-s", str(script), f"http://127.0.0.1:{port}/v1/suggest", "--",
                str(start_offset),
            ],
        ),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu = cpu_seconds(pid) - before
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    raw = json.loads(line.removeprefix("WRKJSON "))
    requests = raw["requests"]
    return {
        "rps": requests / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "errors": raw["errors"],
        "cpu_us": cpu / requests * 1e6 if requests else float("nan"),
    }


# ---- the fixed-rate client -------------------------------------------------------------


AUTH = {"header": b""}  # "Authorization: Bearer …\r\n" once a key is made


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int, body: bytes
) -> int:
    writer.write(
        b"POST /v1/suggest HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
        % (port, AUTH["header"], len(body), body)
    )
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def _one_request(port: int, body: bytes) -> tuple[int, float]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        start = time.perf_counter()
        status = await _exchange(reader, writer, port, body)
        return status, time.perf_counter() - start
    finally:
        writer.close()


async def _fixed_rate(port: int, payloads: list[bytes], rate: float, seconds: float) -> dict:
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    latencies: list[float] = []
    failures = 0

    async def one(scheduled: float, body: bytes) -> None:
        nonlocal failures
        conn = idle.pop() if idle else await asyncio.open_connection("127.0.0.1", port)
        try:
            status = await _exchange(*conn, port, body)
        except (OSError, asyncio.IncompleteReadError):
            failures += 1
            conn[1].close()
            return
        latencies.append(time.perf_counter() - scheduled)
        if status != 200:
            failures += 1
        idle.append(conn)

    total = int(rate * seconds)
    offset = random.randrange(len(payloads))
    start = time.perf_counter() + 0.05
    tasks = []
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled, payloads[(offset + i) % len(payloads)])))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    for _, writer in idle:
        writer.close()
    latencies.sort()
    return {
        "sent": total,
        "achieved_rps": total / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "max_ms": latencies[-1] * 1000,
        "failures": failures,
    }


def fixed_rate(port: int, payloads: list[bytes], rate: float, seconds: float) -> dict:
    try:
        import uvloop

        return uvloop.run(_fixed_rate(port, payloads, rate, seconds))
    except ImportError:
        return asyncio.run(_fixed_rate(port, payloads, rate, seconds))


# ---- the run ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--fixed", type=float, default=10.0, help="seconds at the fixed rate")
    parser.add_argument("--messages", type=Path, help="JSON lines with `text` (or plain lines)")
    parser.add_argument("--count", type=int, default=600, help="messages in the built-in mix")
    parser.add_argument("--workers", type=int, default=1, help="kefu serve --workers")
    parser.add_argument("--data-dir", type=Path, help="kefu's data folder (default: a temp one)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/http.py needs wrk: apt-get install wrk")

    messages = read_messages(args.messages) if args.messages else mix(args.count)
    payloads = bodies(messages)
    work = Path(tempfile.mkdtemp(prefix="kefu-bench-"))
    script = work / "mix.lua"
    data_dir = args.data_dir or work / "data"
    print(f"{len(messages)} distinct messages, {len(set(payloads))} distinct bodies")

    bare_port, kefu_port = free_port(), free_port()
    env = {
        **os.environ,
        "KEFU_DATA_DIR": str(data_dir),
        "PYTHONPATH": str(ROOT),
        # One key sends all the load here; a platform's traffic comes from many keys.
        "KEFU_SUGGEST_RATE_PER_MINUTE": "0",
    }
    # Widgets authenticate with an API key: so does the benchmark (the bare app ignores it).
    made = subprocess.run(
        [sys.executable, "-m", "app.cli", "keys", "create", "--name", "bench", "--scopes",
         "suggest"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )
    key = made.stdout.strip().splitlines()[-1]
    AUTH["header"] = f"Authorization: Bearer {key}\r\n".encode()
    script.write_text(lua_script(payloads, key), encoding="utf-8")
    uvicorn_settings = ["--loop", "uvloop", "--http", "httptools", "--no-access-log"]
    bare_cmd = [
        sys.executable, "-m", "uvicorn", "bench.bare_app:app", *uvicorn_settings,
        "--workers", "1", "--log-level", "warning", "--port", str(bare_port),
    ]
    kefu_cmd = [
        sys.executable, "-m", "app.cli", "serve", "--port", str(kefu_port),
        "--workers", str(args.workers), "--log-level", "warning",
    ]
    results: dict[str, list[dict[str, float]]] = {"bare": [], "suggest": []}
    fixed: dict[str, dict] = {}
    try:
        with server(bare_cmd, bare_port, env, work / "bare.log") as bare_pid, server(
            kefu_cmd, kefu_port, env, work / "kefu.log"
        ) as kefu_pid:
            # A first start answers from a provisional index while the trained one is
            # built; measure the trained one (cached by content once built, then swapped in).
            deadline = time.monotonic() + 300
            while not list((data_dir / "cache").glob("index-*.pickle")):
                if time.monotonic() > deadline:
                    raise TimeoutError("the trained index was never cached")
                time.sleep(0.2)
            time.sleep(2)
            targets = {"bare": (bare_port, bare_pid), "suggest": (kefu_port, kefu_pid)}
            for port, pid in targets.values():  # warm both: first renders, JIT-free caches
                run_wrk(port, script, 2, pid)
            for round_no in range(args.rounds):
                for name, (port, pid) in targets.items():
                    r = run_wrk(port, script, args.duration, pid)
                    results[name].append(r)
                    print(
                        f"round {round_no + 1} {name:8} {r['rps']:8.0f} req/s"
                        f"  p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms"
                        f"  server CPU {r['cpu_us']:5.0f} µs/req  errors {r['errors']}",
                        flush=True,
                    )
            for name, (port, _) in targets.items():
                fixed[name] = fixed_rate(port, payloads, FIXED_RATE, args.fixed)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    ratios = [s["rps"] / b["rps"] for s, b in zip(results["suggest"], results["bare"], strict=True)]
    p99_ratios = [
        s["p99_ms"] / b["p99_ms"] for s, b in zip(results["suggest"], results["bare"], strict=True)
    ]
    print()
    print(f"{'endpoint':10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU µs/req':>11}")
    for name in results:
        print(
            f"{name:10} {med(name, 'rps'):8.0f} {med(name, 'p50_ms'):8.1f}"
            f" {med(name, 'p99_ms'):8.1f} {med(name, 'cpu_us'):11.0f}"
        )
    print(f"ratio suggest ÷ bare, req/s: {' '.join(f'{r:.2f}' for r in ratios)}"
          f"  median {statistics.median(ratios):.2f}")
    print(f"ratio suggest ÷ bare, p99:   {' '.join(f'{r:.2f}' for r in p99_ratios)}"
          f"  median {statistics.median(p99_ratios):.2f}")
    for name, f in fixed.items():
        print(
            f"fixed {FIXED_RATE} req/s {name:8} p50 {f['p50_ms']:.1f} ms  p99 {f['p99_ms']:.1f} ms"
            f"  max {f['max_ms']:.1f} ms  ({f['sent']} sent, {f['achieved_rps']:.0f}/s,"
            f" {f['failures']} failed)"
        )
    errors = sum(r["errors"] for rs in results.values() for r in rs)
    print(
        json.dumps(
            {
                "suggest_rps": round(med("suggest", "rps")),
                "bare_rps": round(med("bare", "rps")),
                "ratio": round(statistics.median(ratios), 3),
                "suggest_p50_ms": round(med("suggest", "p50_ms"), 2),
                "suggest_p99_ms": round(med("suggest", "p99_ms"), 2),
                "bare_p50_ms": round(med("bare", "p50_ms"), 2),
                "bare_p99_ms": round(med("bare", "p99_ms"), 2),
                "p99_ratio": round(statistics.median(p99_ratios), 3),
                "suggest_cpu_us": round(med("suggest", "cpu_us")),
                "bare_cpu_us": round(med("bare", "cpu_us")),
                "fixed_rate_p99_ms": round(fixed["suggest"]["p99_ms"], 2),
                "fixed_rate_bare_p99_ms": round(fixed["bare"]["p99_ms"], 2),
                "fixed_rate_failures": fixed["suggest"]["failures"],
                "errors": errors,
                "messages": len(messages),
                "workers": args.workers,
            }
        )
    )


if __name__ == "__main__":
    main()
