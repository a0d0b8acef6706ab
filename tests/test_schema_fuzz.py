"""The OpenAPI schema fuzzed with schemathesis: no 500, and every answer is what the
schema says (status documented, body and headers conform, schema-invalid input refused).

Each operation gets its own hypothesis run (the CI profile makes it reproducible). The run
is bounded: `EXAMPLES` per operation keeps the whole file well under a minute here.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from app.config import Settings
from app.main import create_app
from tests.conftest import REPLIES

# FUZZ_EXAMPLES=500 for a deeper run by hand.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))

# Every operation of the API (a new one fails `test_every_operation_is_fuzzed`).
OPERATIONS = [
    "GET /healthz",
    "GET /v1/categories",
    "POST /v1/suggest",
    "POST /v1/render",
    "POST /v1/feedback",
    "POST /v1/unmatched",
    "GET /v1/insights",
    "GET /v1/library/templates",
    "POST /v1/library/templates",
    "GET /v1/library/templates/{template_id}",
    "PUT /v1/library/templates/{template_id}",
    "DELETE /v1/library/templates/{template_id}",
    "POST /v1/library/templates/{template_id}/restore",
    "GET /v1/library/templates/{template_id}/history",
    "GET /v1/library/templates/{template_id}/diff",
    "POST /v1/library/templates/{template_id}/rollback",
    "POST /v1/library/templates/{template_id}/review",
    "POST /v1/library/preview",
    "POST /v1/library/try",
    "GET /v1/library/categories",
    "POST /v1/library/categories",
    "GET /v1/library/categories/{category_id}",
    "PATCH /v1/library/categories/{category_id}",
    "DELETE /v1/library/categories/{category_id}",
    "POST /v1/library/categories/{category_id}/restore",
    "GET /v1/library/categories/{category_id}/history",
    "GET /v1/library/shop",
    "PUT /v1/library/shop",
    "GET /v1/library/shop/history",
    "POST /v1/library/shop/rollback",
    "GET /v1/library/unmatched",
    "POST /v1/library/unmatched/{unmatched_id}/add-trigger",
]

# Where a schema-valid request may still be refused, for reasons no JSON Schema can state:
# a change needs If-Match with the current version (428/412), and a draft must compile and
# render, name an existing category, and give values of the catalog's types (422). Every
# other check still runs on these.
SEMANTIC = {
    "POST /v1/library/templates",
    "PUT /v1/library/templates/{template_id}",
    "DELETE /v1/library/templates/{template_id}",
    "POST /v1/library/templates/{template_id}/restore",
    "POST /v1/library/templates/{template_id}/rollback",
    "POST /v1/library/templates/{template_id}/review",
    "POST /v1/library/preview",
    "POST /v1/library/try",
    "PATCH /v1/library/categories/{category_id}",
    "DELETE /v1/library/categories/{category_id}",
    "POST /v1/library/categories/{category_id}/restore",
    "PUT /v1/library/shop",
    "POST /v1/library/shop/rollback",
    "POST /v1/library/unmatched/{unmatched_id}/add-trigger",
    # a value of the wrong type for a catalog variable ("amount": "cheap") is a 422
    "POST /v1/suggest",
    "POST /v1/render",
}


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> Any:
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("fuzz"), replies_dir=REPLIES))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_every_operation_is_fuzzed(schema: Any) -> None:
    labels = [result.ok().label for result in schema.get_all_operations()]
    assert sorted(labels) == sorted(OPERATIONS)


@pytest.mark.parametrize("label", OPERATIONS)
def test_the_api_answers_generated_requests_as_its_schema_says(schema: Any, label: str) -> None:
    operation = schema.find_operation_by_label(label)
    excluded = [positive_data_acceptance] if label in SEMANTIC else []

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def fuzz(case: Any) -> None:
        case.call_and_validate(excluded_checks=excluded)

    fuzz()
