"""What the schema fuzzing found, one test per fix: answers now match the schema, and no
schema-valid request reaches a 500."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from app.suggest import Options, SuggestRequest, build_snapshot, suggest
from tests.conftest import OPEN_HOURS, REPLIES, Client
from tests.factories import make_library, make_template, replies
from tests.test_error_shape import assert_error_shape


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("contract"),
                               replies_dir=REPLIES))


@pytest.fixture(scope="module")
def api(app: FastAPI) -> Client:
    return Client(app)


def template(**fields: Any) -> dict[str, Any]:
    return {"id": "thanks.probe", "title": "Probe",
            "triggers": {"en": {"examples": ["zqx blorp frobnicate"]}},
            "replies": {"en": {"formal": "Bye"}}, **fields}


def test_saved_times_carry_their_offset_on_sqlite(api: Client) -> None:
    """SQLite kept no offset, so `updated_at` was not an RFC 3339 date-time."""
    body = api.get("/v1/library/templates/thanks.goodbye").json()
    assert datetime.fromisoformat(body["updated_at"]).utcoffset() is not None
    history = api.get("/v1/library/templates/thanks.goodbye/history").json()
    assert all(datetime.fromisoformat(h["created_at"]).utcoffset() is not None for h in history)
    shop = api.get("/v1/library/shop").json()
    assert datetime.fromisoformat(shop["updated_at"]).utcoffset() is not None


@pytest.mark.parametrize("replies", [{}, {"en": {}}])
def test_a_template_without_any_reply_is_refused(
    app: FastAPI, api: Client, replies: dict[str, Any]
) -> None:
    """It was saved, and then every message matching its triggers answered 500."""
    response = api.post("/v1/library/templates", json=template(replies=replies))
    error = assert_error_shape(response.json())
    assert response.status_code == 422 and "replies" in error["message"]
    app.state.kefu.load()
    assert api.post("/v1/suggest", json={"message": "zqx blorp frobnicate"}).status_code == 200


def test_a_locale_babel_does_not_know_is_a_clear_problem_not_a_500(api: Client) -> None:
    """"aca" is a well-formed tag with no Babel data: save, preview and try answered 500."""
    draft = template(replies={"aca": {"formal": "Bye"}})
    saved = api.post("/v1/library/templates", json=draft)
    assert saved.status_code == 422
    assert "unknown locale 'aca'" in assert_error_shape(saved.json())["message"]
    preview = api.post("/v1/library/preview", json={"template": draft})
    assert preview.status_code == 200
    assert "unknown locale" in preview.json()[0]["problem"]
    tried = api.post("/v1/library/try", json={"message": "zqx blorp frobnicate",
                                              "locale": "aca", "template": draft,
                                              "context": {"now": OPEN_HOURS}})
    assert tried.status_code == 200, tried.text


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "mentions"),
    [
        ("GET", "/v1/library/templates/thanks.goodbye/diff", {"params": {"from": 1, "to": 2**40}},
         "to"),
        ("POST", "/v1/library/templates/thanks.goodbye/rollback",
         {"json": {"version": 2**40}, "headers": {"If-Match": '"1"'}}, "version"),
        ("PUT", "/v1/library/templates/thanks.goodbye",
         {"json": template(id="thanks.goodbye"), "headers": {"If-Match": '"' + "9" * 30 + '"'}},
         "If-Match"),
        ("POST", "/v1/library/shop/rollback",
         {"json": {"version": 2**40}, "headers": {"If-Match": '"1"'}}, "version"),
        ("POST", f"/v1/library/unmatched/{2**40}/add-trigger",
         {"json": {"template_id": "thanks.goodbye"}, "headers": {"If-Match": '"1"'}},
         "unmatched_id"),
    ],
)
def test_a_number_too_large_for_the_database_is_a_422(
    api: Client, method: str, path: str, kwargs: dict[str, Any], mentions: str
) -> None:
    """It reached SQLite as an integer it cannot hold: a 500 ("int too large")."""
    response = api.request(method, path, **kwargs)
    assert response.status_code == 422, response.text
    assert mentions in str(assert_error_shape(response.json()))


def test_every_operation_documents_its_failures_in_the_error_shape(app: FastAPI) -> None:
    """FastAPI documented its own 422 body, which kefu never sends, and no other failure."""
    schema = app.openapi()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            responses = operation["responses"]
            for status in ("422", "default"):
                ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody"), (method, path, status)
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_opening_hours_are_documented_as_local_times(app: FastAPI, api: Client) -> None:
    """`format: time` wants an offset; the shop's "09:00:00" has none."""
    hours = app.openapi()["components"]["schemas"]["BusinessHours"]["properties"]
    shop = api.get("/v1/library/shop").json()
    for field in ("open", "close"):
        assert "format" not in hours[field]
        assert re.search(hours[field]["pattern"], shop["shop"]["business_hours"][field])


def test_dicts_keyed_by_pattern_refuse_other_keys_in_the_schema_too(app: FastAPI) -> None:
    schemas = app.openapi()["components"]["schemas"]
    template_schema = schemas["Template"]
    for field in ("replies", "triggers"):
        assert template_schema["properties"][field]["additionalProperties"] is False


def test_a_stored_reply_in_a_locale_babel_lacks_is_skipped_not_fatal() -> None:
    """Saves refuse such locales now; one stored earlier must not stop the library loading
    nor turn a suggestion into a 500."""
    odd = make_template(replies=replies({"en": "Order {{ order_id }} ships soon",
                                         "aca": "Order {{ order_id }}"}))
    snapshot = build_snapshot(make_library(odd))
    result = suggest(snapshot, SuggestRequest(message="when will you ship my order",
                                              locale="aca"), Options())
    assert all(s.locale != "aca" for s in result.suggestions)


def test_reloading_while_the_previous_library_still_warms_up_works(app: FastAPI) -> None:
    """Found while testing: a reload right after another one iterated the compile cache
    the previous warm-up thread was still filling ("dictionary changed size"), so an edit
    saved soon after another was not served until the next change."""
    kefu = app.state.kefu
    for _ in range(5):
        kefu.load()  # each starts a warm-up; the next one reads its cache meanwhile
    assert kefu.warmed(timeout=120)


def test_the_schema_lists_the_valid_roles_and_scopes(app: FastAPI) -> None:
    """Any string was schema-valid; the service then refused all but a few."""
    schemas = app.openapi()["components"]["schemas"]
    assert schemas["NewUser"]["properties"]["role"]["enum"] == ["agent", "manager", "admin"]
    scopes = schemas["NewKey"]["properties"]["scopes"]["items"]["enum"]
    assert "suggest" in scopes and "library:write" in scopes
