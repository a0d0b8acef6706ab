"""What an operator sees: Prometheus metrics, request ids and one structured log line per
request."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from app.api.deps import get_kefu
from app.config import Settings
from app.main import create_app
from app.observability import JsonFormatter, RequestIdFilter, logging_config
from tests.conftest import OPEN_HOURS, REPLIES, Client
from tests.test_error_shape import assert_error_shape


@pytest.fixture(scope="module")
def app(app: FastAPI, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """Its own store (these tests edit the library), with the shared app's index cache."""
    data = tmp_path_factory.mktemp("observability")
    shutil.copytree(app.state.kefu.settings.data_dir / "cache", data / "cache")
    return create_app(Settings(data_dir=data, replies_dir=REPLIES))


@pytest.fixture(scope="module")
def api(app: FastAPI) -> Client:
    return Client(app)


def scrape(api: Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_requests_per_route_template_with_latency(api: Client) -> None:
    before = scrape(api)
    assert api.get("/v1/library/templates/greeting.hello").status_code in (200, 404)
    api.get("/v1/library/templates/thanks.goodbye")
    api.get("/no/such/page")
    api.post("/v1/suggest", json={"message": "hello", "context": {"now": OPEN_HOURS}})
    after = scrape(api)

    template = "/v1/library/templates/{template_id}"
    got = sum(
        value(after, "kefu_http_requests_total", route=template, method="GET", status=s)
        - value(before, "kefu_http_requests_total", route=template, method="GET", status=s)
        for s in ("200", "404")
    )
    assert got == 2  # both ids under one template label, no raw path
    assert not any("thanks.goodbye" in str(key) for key in after)
    assert (
        value(after, "kefu_http_requests_total", route="unmatched", method="GET", status="404")
        - value(before, "kefu_http_requests_total", route="unmatched", method="GET", status="404")
        == 1
    )
    suggest = {"route": "/v1/suggest", "method": "POST"}
    count = "kefu_http_request_duration_seconds_count"
    assert value(after, count, **suggest) - value(before, count, **suggest) == 1
    assert value(after, "kefu_http_request_duration_seconds_sum", **suggest) > 0


def test_metrics_count_suggestions_per_category_and_language_and_no_match(api: Client) -> None:
    before = scrape(api)
    api.post("/v1/suggest", json={"message": "hello", "locale": "en", "limit": 1,
                                  "context": {"now": OPEN_HOURS}})
    api.post("/v1/suggest", json={"message": "qwertyuiop zxcvbnm", "locale": "en",
                                  "context": {"now": OPEN_HOURS}})
    api.post("/v1/suggest", json={"message": "hello", "locale": "xx-YY", "limit": 1,
                                  "context": {"now": OPEN_HOURS}})
    after = scrape(api)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    # The label is the buyer's language, not whatever locale a caller asks replies in.
    assert delta("kefu_suggestions_total", category="greeting", language="en") == 2
    assert not any("xx" in str(key) for key in after)
    assert delta("kefu_suggest_answers_total") == 3
    assert delta("kefu_suggest_no_match_total") == 1


def test_metrics_show_the_library_version_and_count_reloads(app: FastAPI, api: Client) -> None:
    kefu = app.state.kefu
    first = kefu.snapshot.version
    before = scrape(api)
    assert value(before, "kefu_library_info", version=first) == 1

    stored = api.get("/v1/library/templates/thanks.goodbye")
    document = stored.json()["template"]
    document["replies"]["en"]["friendly"] = "Bye for now!"
    saved = api.request(
        "PUT",
        "/v1/library/templates/thanks.goodbye",
        json=document,
        headers={"If-Match": stored.headers["ETag"], "X-Kefu-User": "ops"},
    )
    assert saved.status_code == 200, saved.text
    kefu.load()  # what the watcher does when the store's revision moves

    after = scrape(api)
    assert kefu.snapshot.version != first
    assert value(after, "kefu_library_info", version=kefu.snapshot.version) == 1
    assert ("kefu_library_info", (("version", first),)) not in after
    assert value(after, "kefu_library_reloads_total") - value(
        before, "kefu_library_reloads_total"
    ) == 1


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("abc-123", True), ("trace:9f/ok=", True), ("has space", False), ("x" * 200, False)],
)
def test_a_plain_request_id_is_echoed_and_any_other_replaced(
    api: Client, sent: str, kept: bool
) -> None:
    response = api.get("/healthz", headers={"X-Request-ID": sent})
    returned = response.headers["x-request-id"]
    assert (returned == sent) is kept
    assert returned and len(returned) <= 128 and " " not in returned


def test_every_answer_carries_a_fresh_request_id(api: Client) -> None:
    ids = {api.get("/healthz").headers["x-request-id"] for _ in range(3)}
    refused = api.post("/v1/suggest", content=b"x" * 70000)  # refused before routing
    assert refused.status_code == 413
    ids.add(refused.headers["x-request-id"])
    assert len(ids) == 4


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Capture what the service logs, formatted as `kefu serve` formats it (JSON)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("kefu")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def test_each_request_logs_one_json_line_with_its_id_route_status_and_time(
    api: Client, log_lines: io.StringIO
) -> None:
    response = api.get("/v1/library/templates/thanks.goodbye", headers={"X-Request-ID": "r-42"})
    assert response.headers["x-request-id"] == "r-42"
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    mine = [line for line in lines if line["request_id"] == "r-42"]
    assert len(mine) == 1
    line = mine[0]
    assert line["route"] == "/v1/library/templates/{template_id}"
    assert line["path"] == "/v1/library/templates/thanks.goodbye"
    assert line["status"] == 200
    assert line["level"] == "info"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert {"time", "message", "logger"} <= set(line)


def test_an_unexpected_error_is_logged_with_its_request_id_and_answers_the_error_shape(
    app: FastAPI, api: Client, log_lines: io.StringIO
) -> None:
    def broken() -> None:
        raise RuntimeError("disk on fire")

    app.dependency_overrides[get_kefu] = broken
    try:
        response = api.post("/v1/suggest", json={"message": "hi"}, headers={"X-Request-ID": "b-1"})
    finally:
        app.dependency_overrides.pop(get_kefu)
    assert response.status_code == 500
    assert assert_error_shape(response.json())["code"] == "internal_error"
    assert "disk on fire" not in response.text
    assert response.headers["x-request-id"] == "b-1"
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    mine = [line for line in lines if line["request_id"] == "b-1"]
    assert [line["level"] for line in mine] == ["error", "info"]
    assert "disk on fire" in mine[0]["exception"]
    assert mine[1]["status"] == 500


def test_logging_config_applies_in_both_formats() -> None:
    root = logging.getLogger()
    saved = root.level, list(root.handlers)
    try:
        for log_format in ("json", "text"):
            logging.config.dictConfig(logging_config(log_format, "warning"))
            assert root.level == logging.WARNING
            assert logging.getLogger("uvicorn.access").propagate is False
            record = logging.LogRecord("kefu", 30, __file__, 1, "hi %s", ("ops",), None)
            handler = root.handlers[-1]
            assert handler.filter(record)
            line = handler.format(record)
            if log_format == "json":
                assert json.loads(line)["message"] == "hi ops"
            else:
                assert line.endswith("WARNING kefu [] hi ops")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[1]:
            root.addHandler(handler)
        root.setLevel(saved[0])
        logging.getLogger("uvicorn.access").propagate = True
