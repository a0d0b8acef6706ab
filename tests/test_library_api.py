"""`/v1/library`: edits with versions, If-Match, validation before writing, history."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from tests.conftest import Client, signed_in

TEMPLATE = "thanks.goodbye"


@pytest.fixture(scope="module")
def app(store_settings: Settings) -> Iterator[FastAPI]:
    # Its own store (these tests change the library), on SQLite and on PostgreSQL.
    app = create_app(store_settings)
    assert app.state.kefu.warmed(timeout=300)  # the trained index, not the provisional one
    yield app
    app.state.kefu.close()


@pytest.fixture(scope="module")
def api(app: FastAPI) -> Client:
    return Client(app)


def current(api: Client, template_id: str = TEMPLATE) -> tuple[dict[str, Any], str]:
    response = api.get(f"/v1/library/templates/{template_id}")
    assert response.status_code == 200
    return response.json(), response.headers["ETag"]


def put(api: Client, document: dict[str, Any], etag: str | None, user: str = "ana") -> Any:
    """Saved by the manager `user`, signed in: the author is who is signed in."""
    headers = {} if etag is None else {"If-Match": etag}
    return signed_in(api.app, user).request(
        "PUT", f"/v1/library/templates/{document['id']}", json=document, headers=headers
    )


def test_list_filters_by_category_and_pages(api: Client) -> None:
    page = api.get("/v1/library/templates", params={"category": "thanks", "limit": 2}).json()
    assert page["total"] >= 4 and len(page["items"]) == 2
    assert all(i["template"]["id"].startswith("thanks.") for i in page["items"])


def test_get_carries_the_version_as_etag(api: Client) -> None:
    body, etag = current(api)
    assert etag == f'"{body["version"]}"'


def test_a_change_without_if_match_is_refused(api: Client) -> None:
    body, _ = current(api)
    response = put(api, body["template"], None)
    assert response.status_code == 428
    assert response.json()["error"]["code"] == "precondition_required"


def test_a_saved_change_is_a_new_version_in_the_history(api: Client) -> None:
    body, etag = current(api)
    document = {**body["template"], "title": "Buyer says goodbye (edited)"}
    response = put(api, document, etag, user="ana")
    assert response.status_code == 200, response.text
    assert response.json()["version"] == body["version"] + 1
    history = api.get(f"/v1/library/templates/{TEMPLATE}/history").json()
    assert history[-1]["author"] == "ana" and history[-1]["version"] == body["version"] + 1


def test_two_managers_saving_the_same_version_one_gets_412_and_nothing_is_lost(
    api: Client,
) -> None:
    body, etag = current(api)
    first = put(api, {**body["template"], "title": "Title by ana"}, etag, user="ana")
    second = put(api, {**body["template"], "title": "Title by ben"}, etag, user="ben")
    assert first.status_code == 200
    assert second.status_code == 412
    error = second.json()["error"]
    assert error["code"] == "version_conflict" and "ana" in error["message"]
    assert error["details"][0]["current_version"] == body["version"] + 1
    now, _ = current(api)
    assert now["template"]["title"] == "Title by ana"
    authors = [h["author"] for h in api.get(f"/v1/library/templates/{TEMPLATE}/history").json()]
    assert authors[-1] == "ana" and "ben" not in authors


def test_an_invalid_reply_is_refused_with_locale_and_tone_and_nothing_is_written(
    api: Client,
) -> None:
    body, etag = current(api)
    document = body["template"]
    broken = {**document, "replies": {**document["replies"],
                                      "de": {**document["replies"]["de"],
                                             "formal": "Auf Wiedersehen {{ secret }}"}}}
    response = put(api, broken, etag)
    assert response.status_code == 422
    error = response.json()["error"]
    assert "de" in error["message"] and "formal" in error["message"]
    assert "secret" in error["message"]
    assert current(api)[0]["version"] == body["version"]


def test_script_in_a_template_is_only_text(api: Client) -> None:
    body, etag = current(api)
    document = body["template"]
    text = "<script>alert(1)</script> bye!"
    edited = {**document, "replies": {**document["replies"],
                                      "en": {**document["replies"]["en"], "friendly": text}}}
    assert put(api, edited, etag).status_code == 200
    assert current(api)[0]["template"]["replies"]["en"]["friendly"] == text


def test_delete_is_soft_and_restore_brings_it_back(api: Client) -> None:
    body, etag = current(api, "thanks.resolved")
    deleted = api.request("DELETE", "/v1/library/templates/thanks.resolved",
                          headers={"If-Match": etag})
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    listed = api.get("/v1/library/templates", params={"category": "thanks"}).json()
    assert "thanks.resolved" not in [i["template"]["id"] for i in listed["items"]]
    restored = api.post("/v1/library/templates/thanks.resolved/restore",
                        headers={"If-Match": deleted.headers["ETag"]})
    assert restored.status_code == 200 and restored.json()["deleted"] is False


def test_rollback_makes_an_old_version_current_as_a_new_version(api: Client) -> None:
    body, etag = current(api)
    response = api.post(f"/v1/library/templates/{TEMPLATE}/rollback", json={"version": 1},
                        headers={"If-Match": etag})
    assert response.status_code == 200
    assert response.json()["version"] == body["version"] + 1
    assert response.json()["template"]["title"] == "Buyer says goodbye"
    diff = api.get(f"/v1/library/templates/{TEMPLATE}/diff",
                   params={"from": 1, "to": body["version"]}).json()["diff"]
    assert '-  "title": "Buyer says goodbye"' in diff


def test_unknown_template_is_404(api: Client) -> None:
    response = api.get("/v1/library/templates/thanks.nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_creating_an_existing_id_is_409(api: Client) -> None:
    body, _ = current(api)
    response = api.post("/v1/library/templates", json=body["template"])
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("template_id", "busy"), [("busy_hour.no_state", None), ("thanks.with_state", "queue")]
)
def test_a_template_breaking_the_busy_rule_is_refused_and_the_library_still_loads(
    api: Client, template_id: str, busy: str | None
) -> None:
    replies = {"en": {"friendly": "Hi"}}
    document = {"id": template_id, "title": "X", "busy": busy, "replies": replies}
    response = api.post("/v1/library/templates", json=document)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "busy"
    assert api.get(f"/v1/library/templates/{template_id}").status_code == 404
    api.app.state.kefu.store.load_library()  # what every reload does


def test_preview_renders_a_draft_in_every_locale_and_tone_without_saving(api: Client) -> None:
    body, _ = current(api, "shipping_delay.not_shipped")
    draft = {**body["template"]}
    english = {**draft["replies"]["en"], "formal": "Order {{ order_id }} ships soon."}
    draft["replies"] = {**draft["replies"], "en": english}
    items = api.post("/v1/library/preview",
                     json={"template": draft, "locales": ["en", "de"],
                           "variables": {"order_id": "Z9"}}).json()
    assert {(i["locale"], i["tone"]) for i in items} == {
        (loc, tone) for loc in ("en", "de") for tone in ("friendly", "formal", "empathetic")}
    formal = next(i for i in items if i["locale"] == "en" and i["tone"] == "formal")
    assert formal["text"] == "Order Z9 ships soon."
    assert current(api, "shipping_delay.not_shipped")[0]["version"] == body["version"]


def test_preview_names_the_problem_of_a_broken_reply(api: Client) -> None:
    body, _ = current(api)
    draft = {**body["template"], "replies": {"en": {"friendly": "Bye {{ nope }}",
                                                    "formal": "Bye", "empathetic": "Bye"}}}
    items = api.post("/v1/library/preview", json={"template": draft}).json()
    broken = next(i for i in items if i["tone"] == "friendly")
    assert broken["text"] is None and "nope" in broken["problem"]


def test_served_suggestions_feedback_and_unmatched_show_in_insights(api: Client) -> None:
    api.suggest("when will you ship my order?")
    api.post("/v1/feedback", json={"template_id": "shipping_delay.not_shipped",
                                   "action": "dismissed", "locale": "en", "tone": "friendly"})
    for text in ("do you sell gift cards for the cinema", "do u sell cinema gift cards",
                 "what is the capital of peru"):
        sent = api.post("/v1/unmatched", json={"message": text, "language": "en"})
        assert sent.status_code == 202
    data = api.get("/v1/insights").json()
    assert any(r["category"] == "shipping_delay" for r in data["volume"])
    rate = next(f for f in data["feedback"] if f["template_id"] == "shipping_delay.not_shipped")
    assert rate["dismissed"] == 1 and rate["dismiss_rate"] > 0
    groups = api.get("/v1/library/unmatched").json()
    assert groups[0]["count"] == 2 and "gift card" in groups[0]["example"]


def test_feedback_for_an_unknown_template_is_404(api: Client) -> None:
    response = api.post("/v1/feedback", json={"template_id": "x.y", "action": "used"})
    assert response.status_code == 404


def test_an_unmatched_message_becomes_a_trigger(api: Client) -> None:
    api.post("/v1/unmatched", json={"message": "can i pick it up at your warehouse",
                                    "language": "en"})
    group = next(g for g in api.get("/v1/library/unmatched").json()
                 if "warehouse" in g["example"])
    body, etag = current(api, "shipping_delay.courier_choice")
    response = api.post(f"/v1/library/unmatched/{group['ids'][0]}/add-trigger",
                        json={"template_id": "shipping_delay.courier_choice"},
                        headers={"If-Match": etag})
    assert response.status_code == 200, response.text
    examples = response.json()["template"]["triggers"]["en"]["examples"]
    assert "can i pick it up at your warehouse" in examples
    assert response.json()["version"] == body["version"] + 1
