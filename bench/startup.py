"""Time from `kefu serve` starting to its first answered suggestion, fresh and cached.

    .venv/bin/python bench/startup.py [--runs 5]

`fresh`: a new data folder each run, holding only the API key the requests carry (made
with `kefu keys create` before the clock starts, which creates the store's tables): the
start seeds the store with the shipped library, creates the first admin account, and,
no index being cached, answers from a provisional index while the trained one is built.
`cached`: a data folder an earlier start has filled (the store and the trained index
cached by library content). Each run starts the real command
in a new process and polls `POST /v1/suggest` every 20 ms until it answers 200; prints
each run, the medians, and a JSON object as the last line. `floor`: the same for
`bench/bare_app.py` under uvicorn, the least any FastAPI service needs on this machine
(measured in the same run, since these machines' load varies).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder comes first on sys.path, where bench/http.py would shadow
# the standard library's `http` (which urllib imports): put the repository there instead.
ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402

BODY = json.dumps(
    {"message": "when will you ship my order?", "context": {"now": "2026-11-18T12:00:00+08:00"}}
).encode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def first_answer(
    data_dir: Path, timeout: float = 120, bare: bool = False
) -> tuple[float, subprocess.Popen[bytes]]:
    """Seconds from process start to the first 200 from /v1/suggest; the process runs on."""
    port = free_port()
    env = {**os.environ, "KEFU_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    headers = {"Content-Type": "application/json"}
    if not bare:  # suggest needs an API key: made before the clock starts
        made = subprocess.run(
            [sys.executable, "-m", "app.cli", "keys", "create", "--name", "startup",
             "--scopes", "suggest"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True,
        )
        headers["Authorization"] = "Bearer " + made.stdout.strip().splitlines()[-1]
    command = (
        ["-m", "uvicorn", "bench.bare_app:app", "--port", str(port), "--log-level", "warning"]
        if bare
        else ["-m", "app.cli", "serve", "--port", str(port), "--log-level", "warning"]
    )
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/suggest", data=BODY, headers=headers
    )
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, *command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while time.perf_counter() - start < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"kefu serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return time.perf_counter() - start, process
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.02)
    process.kill()
    raise TimeoutError("no answer")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for_index(data_dir: Path, timeout: float = 180) -> None:
    """Until the background training has written the index cache."""
    deadline = time.monotonic() + timeout
    while not list((data_dir / "cache").glob("index-*.pickle")):
        if time.monotonic() > deadline:
            raise TimeoutError("the trained index was never cached")
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kefu-startup-"))
    results: dict[str, list[float]] = {"floor": [], "fresh": [], "cached": []}
    try:
        for run in range(args.runs):
            seconds, process = first_answer(work, bare=True)
            stop(process)
            results["floor"].append(seconds)
            print(f"floor  run {run + 1}: {seconds:.2f} s (bare FastAPI app)", flush=True)
        for run in range(args.runs):
            data = work / f"fresh-{run}"
            seconds, process = first_answer(data)
            if run == 0:
                wait_for_index(data)  # this one becomes the cached folder
            stop(process)
            results["fresh"].append(seconds)
            print(f"fresh  run {run + 1}: {seconds:.2f} s", flush=True)
        cached = work / "fresh-0"
        for run in range(args.runs):
            seconds, process = first_answer(cached)
            stop(process)
            results["cached"].append(seconds)
            print(f"cached run {run + 1}: {seconds:.2f} s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = {f"{k}_median_s": round(statistics.median(v), 2) for k, v in results.items()}
    summary.update({f"{k}_runs_s": [round(x, 2) for x in v] for k, v in results.items()})
    print(
        f"median: fresh {summary['fresh_median_s']} s, cached {summary['cached_median_s']} s,"
        f" floor (bare FastAPI app, same interpreter) {summary['floor_median_s']} s"
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
