"""What an operator sees: Prometheus metrics and structured logs. No web framework here.

Metrics live in a registry per app. With several worker processes (`kefu serve --workers
N`), `prometheus_client` runs in its multiprocess mode (chosen by the environment
variable PROMETHEUS_MULTIPROC_DIR, which `kefu serve` sets): every process writes its
values to files in that folder and a scrape of any worker reads them all, so `/metrics`
always shows the whole server, not the share of the worker that answered.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

from app.suggest import Snapshot, SuggestResult

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Seconds. Suggest answers in about a millisecond; the top buckets catch library edits.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

# The request being answered, for every log line written while answering it.
REQUEST_ID: ContextVar[str] = ContextVar("kefu_request_id", default="")


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


class Metrics:
    """The service's metrics. Children are cached: `labels()` is the costly part."""

    def __init__(self) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # no `_created` series
        self.registry = CollectorRegistry(auto_describe=False)
        r = self.registry
        self.requests = Counter(
            "kefu_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "kefu_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and method.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.suggestions = Counter(
            "kefu_suggestions",
            "Suggestions served, by category and buyer language.",
            ["category", "language"],
            registry=r,
        )
        self.suggest_answers = Counter(
            "kefu_suggest_answers", "Suggest requests answered with a result.", registry=r
        )
        self.no_match = Counter(
            "kefu_suggest_no_match",
            "Suggest answers with no good match (the no-match rate is this over answers).",
            registry=r,
        )
        self.library = Gauge(
            "kefu_library_info",
            "1 for the library version a live process serves.",
            ["version"],
            multiprocess_mode="livemax",
            registry=r,
        )
        self.ready = Gauge(
            "kefu_ready_workers",
            "Worker processes with the library loaded (0 or 1 per process, summed).",
            multiprocess_mode="livesum",
            registry=r,
        )
        self.reloads = Counter(
            "kefu_library_reloads",
            "Library snapshots swapped in after the first load (a saved change).",
            registry=r,
        )
        self._lock = threading.Lock()
        self._version: str | None = None
        self._languages: frozenset[str] = frozenset()
        self._request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._suggestion_children: dict[tuple[str, str], Any] = {}

    # ---- recording (hot path) ---------------------------------------------------------

    def request(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        children = self._request_children.get(key)
        if children is None:
            children = (
                self.requests.labels(route, method, str(status)),
                self.latency.labels(route, method),
            )
            self._request_children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def suggested(self, result: SuggestResult) -> None:
        self.suggest_answers.inc()
        if result.no_match is not None:
            self.no_match.inc()
        if not result.suggestions:
            return
        language = self._language_label(result.language.code)
        for suggestion in result.suggestions:
            key = (suggestion.category, language)
            child = self._suggestion_children.get(key)
            if child is None:
                child = self._suggestion_children[key] = self.suggestions.labels(*key)
            child.inc()

    def _language_label(self, code: str) -> str:
        # A caller can send any locale: only the library's languages become label values.
        if code in self._languages:
            return code
        base = code.split("-", 1)[0].lower()
        return base if base in self._languages else "other"

    # ---- library ------------------------------------------------------------------------

    def library_loaded(self, snapshot: Snapshot) -> None:
        locales = {locale for t in snapshot.templates.values() for locale in t.replies}
        languages = locales | {locale.split("-", 1)[0].lower() for locale in locales}
        with self._lock:
            self._languages = frozenset(languages)
            previous, self._version = self._version, snapshot.version
            if previous is not None:
                self.reloads.inc()
                if previous != snapshot.version:
                    if multiprocess_dir():
                        self.library.labels(previous).set(0)  # no removal in multiprocess mode
                    else:
                        self.library.remove(previous)
            self.library.labels(snapshot.version).set(1)
            self.ready.set(1)

    # ---- exposition ---------------------------------------------------------------------

    def exposition(self) -> tuple[bytes, str]:
        """The text a Prometheus scrape gets, and its content type."""
        folder = multiprocess_dir()
        if folder is None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged, path=folder)  # type: ignore[no-untyped-call]
        return generate_latest(merged), CONTENT_TYPE_LATEST

    def process_exit(self) -> None:
        """A worker stopping: its live gauges (library version) leave the scrape."""
        folder = multiprocess_dir()
        if folder is not None:
            multiprocess.mark_process_dead(os.getpid(), folder)  # type: ignore[no-untyped-call]


# ---- logs -----------------------------------------------------------------------------


def log_library(snapshot: Snapshot) -> None:
    """A line for every library swapped in: the first load and each saved change."""
    logging.getLogger("kefu").info(
        "serving library %s (%d templates)", snapshot.version, len(snapshot.templates)
    )


# Fields a log call may pass in `extra=` that the JSON line carries as they are.
EXTRA_FIELDS = ("method", "path", "route", "status", "duration_ms", "client")


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request being answered ('' outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or REQUEST_ID.get(),
        }
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(line, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` for the service and uvicorn (one handler on stderr).

    uvicorn's own access log is silenced: the service writes one line per request itself,
    with its request id, route template and duration.
    """
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {
            "json": {"()": JsonFormatter},
            "text": {"format": TEXT_FORMAT},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": log_format,
                "filters": ["request_id"],
            }
        },
        "loggers": {
            "uvicorn": {"level": level},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "propagate": False},
            "alembic.runtime.plugins": {"level": "WARNING"},  # a line per plugin at start
        },
        "root": {"handlers": ["stderr"], "level": level},
    }
