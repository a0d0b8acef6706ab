"""Every configured limit answers its 4xx in the one error shape, and the schema states it.

The app here runs with small limits, so each test shows the limit is the setting's and
not a constant.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from tests.conftest import OPEN_HOURS, REPLIES, Client
from tests.test_error_shape import assert_error_shape

LIMITS = {
    "max_message_chars": 100,
    "max_variables": 3,
    "max_variable_chars": 20,
    "max_suggestions": 4,
    "max_body_bytes": 2048,
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(
        Settings(data_dir=tmp_path_factory.mktemp("limits"), replies_dir=REPLIES, **LIMITS)
    )


@pytest.fixture(scope="module")
def api(app: FastAPI) -> Client:
    return Client(app)


def suggest_body(**fields: Any) -> dict[str, Any]:
    return {"message": "when will you ship my order?", "context": {"now": OPEN_HOURS}, **fields}


def refused(response: Any, status: int, mentions: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = assert_error_shape(response.json())
    assert mentions in error["message"] + str(error["details"]), error
    return error


@pytest.mark.parametrize("path", ["/v1/suggest", "/v1/library/try"])
@pytest.mark.parametrize(
    ("fields", "mentions"),
    [
        ({"message": "a" * 101}, "longer than 100 characters"),
        ({"limit": 5}, "limit: at most 4"),
        ({"variables": {"a": "1", "b": "2", "c": "3", "d": "4"}}, "at most 3 entries"),
        ({"variables": {"order_id": "x" * 21}}, "variables.order_id: longer than 20"),
        ({"variables": {"not a name": "x"}}, "variables"),
    ],
)
def test_an_over_limit_suggest_or_try_is_a_422_naming_the_field(
    api: Client, path: str, fields: dict[str, Any], mentions: str
) -> None:
    body = suggest_body(**fields)
    if path.endswith("/try"):
        body["template"] = {"id": "thanks.tiny", "title": "Bye",
                            "replies": {"en": {"formal": "Bye"}}}
    error = refused(api.post(path, json=body), 422, mentions)
    assert error["code"] == "invalid_input"


def test_at_the_limits_a_suggest_is_answered(api: Client) -> None:
    body = suggest_body(
        message="when will you ship my order? " + "a" * 71,
        limit=4,
        variables={"order_id": "x" * 20, "buyer_name": "Anna", "carrier": "DHL"},
    )
    response = api.post("/v1/suggest", json=body)
    assert response.status_code == 200, response.text
    assert len(response.json()["suggestions"]) <= 4


def test_render_refuses_too_many_or_too_long_variables(api: Client) -> None:
    body = {"template_id": "shipping_delay.not_shipped", "locale": "en", "tone": "formal"}
    refused(api.post("/v1/render", json={**body, "variables": {"order_id": "x" * 21}}), 422,
            "longer than 20")
    many = {f"v{i}": "1" for i in range(4)}
    refused(api.post("/v1/render", json={**body, "variables": many}), 422, "at most 3")


def test_a_body_over_the_configured_size_is_a_413_before_parsing(api: Client) -> None:
    content = b'{"message": "' + b"a" * 2100 + b'"}'
    error = refused(
        api.post("/v1/suggest", content=content, headers={"content-type": "application/json"}),
        413, "2048 bytes",
    )
    assert error["code"] == "body_too_large"


@pytest.mark.parametrize(
    ("query", "mentions"),
    [
        ({"limit": 201}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 2**40}, "offset"),
        ({"q": "x" * 201}, "q"),
        ({"category": "x" * 65}, "category"),
        ({"locale": "x" * 36}, "locale"),
        ({"deleted": "maybe"}, "deleted"),
    ],
)
def test_list_query_parameters_over_their_limits_are_a_422(
    api: Client, query: dict[str, Any], mentions: str
) -> None:
    refused(api.get("/v1/library/templates", params=query), 422, mentions)


@pytest.mark.parametrize(
    ("path", "query"),
    [("/v1/library/unmatched", {"limit": 201}), ("/v1/insights", {"days": 366})],
)
def test_other_list_limits_are_a_422(api: Client, path: str, query: dict[str, Any]) -> None:
    refused(api.get(path, params=query), 422, next(iter(query)))


def test_the_schema_states_the_configured_limits(app: FastAPI) -> None:
    schemas = app.openapi()["components"]["schemas"]
    for body in ("SuggestBody", "TryBody"):
        properties = schemas[body]["properties"]
        assert properties["message"]["maxLength"] == 100
        assert properties["message"]["minLength"] == 1
        assert properties["limit"]["maximum"] == 4
        assert properties["variables"]["maxProperties"] == 3
        assert properties["variables"]["additionalProperties"] is False
        (value,) = properties["variables"]["patternProperties"].values()
        assert {"type": "string", "maxLength": 20} in value["anyOf"]
