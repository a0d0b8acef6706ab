"""Store URLs for the suite: SQLite always; PostgreSQL where it runs (always in CI)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

POSTGRES = os.environ.get("KEFU_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_schema_url() -> Iterator[str]:
    """A fresh schema for one test, dropped afterwards."""
    import psycopg

    plain = POSTGRES.replace("postgresql+psycopg://", "postgresql://")
    schema = f"kefu_test_{uuid.uuid4().hex[:12]}"
    try:
        connection = psycopg.connect(plain, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            raise RuntimeError(f"PostgreSQL must run in CI: {exc}") from exc
        pytest.skip(f"PostgreSQL not reachable here ({exc}); CI runs these")
    with connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
        finally:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
