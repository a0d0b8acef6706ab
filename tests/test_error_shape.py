"""Every failure answers one JSON shape: {"error": {"code", "message", "details"}}."""

from typing import Any

import pytest

from tests.conftest import Client


def assert_error_shape(body: dict[str, Any]) -> dict[str, Any]:
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list)
    return error


JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("content", "status", "code", "mentions"),
    [
        ('{"message": ""}', 422, "invalid_input", "empty"),
        ('{"message": "   "}', 422, "invalid_input", "empty"),
        ('{"message": "' + "a" * 2001 + '"}', 422, "invalid_input", "2000"),
        ('{"message": 42}', 422, "invalid_input", "message"),
        ('{"message": "hi", "limit": "three"}', 422, "invalid_input", "limit"),
        ('{"message": "hi", "limit": 0}', 422, "invalid_input", "limit"),
        ('{"message": "hi", "limit": 1000}', 422, "invalid_input", "limit"),
        ('{"message": "hi", "locale": "not a locale!"}', 422, "invalid_input", "locale"),
        ('{"message": "hi", "tone": "sarcastic"}', 422, "invalid_input", "tone"),
        ('{"message": "hi", "variables": {"amount": "cheap"}}', 422, "invalid_input", "amount"),
        ('{"message": "hi", "variables": {"order_id": [1, 2]}}', 422, "invalid_input", "variables"),
        ('{"message": "hi", "context": {"queue_length": -1}}', 422, "invalid_input", "queue"),
        ('{"message": "hi", "surprise": 1}', 422, "invalid_input", "surprise"),
        ('{"message": "hi\\u0000"}', 422, "invalid_input", "NUL"),
        ("[1, 2]", 422, "invalid_input", "object"),
        ('"just a string"', 422, "invalid_input", "object"),
        ("{not json", 400, "malformed_body", "JSON"),
        ("", 400, "malformed_body", "JSON"),
    ],
)
def test_bad_suggest_bodies(
    client: Client, content: str, status: int, code: str, mentions: str
) -> None:
    response = client.post("/v1/suggest", content=content.encode(), headers=JSON)
    assert response.status_code == status, response.text
    error = assert_error_shape(response.json())
    assert error["code"] == code
    assert mentions.lower() in (error["message"] + str(error["details"])).lower()


def test_binary_body_is_a_clear_400(client: Client) -> None:
    response = client.post("/v1/suggest", content=bytes(range(256)) * 4, headers=JSON)
    assert response.status_code == 400
    assert assert_error_shape(response.json())["code"] == "malformed_body"


def test_huge_body_is_refused_before_parsing(client: Client) -> None:
    response = client.post(
        "/v1/suggest", content=b'{"message": "' + b"a" * 200_000 + b'"}', headers=JSON
    )
    assert response.status_code == 413
    assert assert_error_shape(response.json())["code"] == "body_too_large"


def test_unknown_route_uses_the_shape(client: Client) -> None:
    response = client.get("/v1/nope")
    assert response.status_code == 404
    assert assert_error_shape(response.json())["code"] == "not_found"


def test_wrong_method_uses_the_shape(client: Client) -> None:
    response = client.get("/v1/suggest")
    assert response.status_code == 405
    assert assert_error_shape(response.json())["code"] == "method_not_allowed"


def test_well_formed_locale_the_library_lacks_is_not_an_error(client: Client) -> None:
    response = client.post("/v1/suggest", json={"message": "hello", "locale": "sw-KE"})
    assert response.status_code == 200
    assert all(s["locale_match"] == "fallback" for s in response.json()["suggestions"])
