"""`kefu serve --workers 2` on a fresh data folder: both workers start on one empty store
(one seeds it), every request is answered, and `/metrics` counts all workers' requests."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import OPEN_HOURS
from tests.servers import new_key, start_server, stop

pytestmark = pytest.mark.e2e


def metric(url: str, name: str, **labels: str) -> float:
    text = httpx.get(url + "/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


def test_two_workers_start_together_on_an_empty_store_and_share_metrics(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    log = tmp_path / "server.log"
    url, process = start_server(data, log, {}, ["--workers", "2", "--log-level", "info"])
    try:
        deadline = time.monotonic() + 120
        while metric(url, "kefu_ready_workers") < 2:  # the second may still be loading
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        ask = {"message": "when will you ship my order?", "context": {"now": OPEN_HOURS}}
        auth = {"Authorization": f"Bearer {new_key(data, 'suggest')}"}
        # A new connection each time, so the kernel spreads them over both workers.
        statuses = [
            httpx.post(url + "/v1/suggest", json=ask, headers=auth, timeout=10).status_code
            for _ in range(40)
        ]
        assert statuses == [200] * 40
        assert metric(url, "kefu_http_requests_total", route="/v1/suggest", status="200") == 40
        assert metric(url, "kefu_suggestions_total", category="shipping_delay") >= 40
    finally:
        stop(process)

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    started = {line["message"] for line in lines if line["message"].startswith("Started server")}
    assert len(started) == 2  # two worker processes
    assert not [line for line in lines if line["level"] in ("error", "critical")]
    with sqlite3.connect(data / "kefu.db") as db:
        templates = db.execute("SELECT count(*) FROM templates").fetchone()[0]
        versions = db.execute("SELECT count(*) FROM template_versions").fetchone()[0]
    assert templates > 40 and versions == templates  # seeded once: one version each
