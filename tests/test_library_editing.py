"""Stale-translation marks, categories and the shop's facts through `/v1/library`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from tests.conftest import Client, signed_in


@pytest.fixture(scope="module")
def app(store_settings: Settings) -> Iterator[FastAPI]:
    # Its own store (these tests change the library), on SQLite and on PostgreSQL.
    app = create_app(store_settings)
    yield app
    app.state.kefu.close()


@pytest.fixture(scope="module")
def api(app: FastAPI) -> Client:
    return Client(app)


def get(api: Client, url: str) -> tuple[dict[str, Any], str]:
    response = api.get(url)
    assert response.status_code == 200, response.text
    return response.json(), response.headers["ETag"]


def with_text(template: dict[str, Any], locale: str, text: str) -> dict[str, Any]:
    replies = {**template["replies"], locale: {**template["replies"][locale], "formal": text}}
    return {**template, "replies": replies}


def test_changing_the_english_text_marks_every_other_locale_for_review(api: Client) -> None:
    url = "/v1/library/templates/thanks.goodbye"
    body, etag = get(api, url)
    assert body["needs_review"] == []
    english = with_text(body["template"], "en", "Goodbye, and thank you for shopping with us.")
    saved = api.request("PUT", url, json=english, headers={"If-Match": etag})
    assert saved.status_code == 200, saved.text
    stale = saved.json()["needs_review"]
    assert "de" in stale and "zh-Hans" in stale and "en" not in stale
    listed = api.get("/v1/library/templates", params={"needs_review": True}).json()
    assert "thanks.goodbye" in [i["template"]["id"] for i in listed["items"]]

    # The German translator saves German: it is clear; the others still wait.
    german = with_text(saved.json()["template"], "de", "Auf Wiedersehen und vielen Dank.")
    again = api.request("PUT", url, json=german, headers={"If-Match": saved.headers["ETag"]})
    assert "de" not in again.json()["needs_review"] and "fr" in again.json()["needs_review"]

    # Another translator checks French and Japanese as they are and confirms them.
    confirmed = api.post(f"{url}/review", json={"locales": ["fr", "ja"]},
                         headers={"If-Match": again.headers["ETag"]})
    assert confirmed.status_code == 200, confirmed.text
    assert not {"fr", "ja"} & set(confirmed.json()["needs_review"])
    history = api.get(f"{url}/history").json()
    assert history[-1]["message"] == "translations confirmed: fr, ja"


def test_confirming_a_locale_the_template_lacks_is_422(api: Client) -> None:
    url = "/v1/library/templates/thanks.goodbye"
    _, etag = get(api, url)
    response = api.post(f"{url}/review", json={"locales": ["xx"]}, headers={"If-Match": etag})
    assert response.status_code == 422


def test_a_new_category_takes_templates_and_is_suggested(api: Client) -> None:
    created = api.post("/v1/library/categories", json={
        "id": "invoice", "title": "Invoices", "description": "Buyers asking for an invoice"})
    assert created.status_code == 201, created.text
    assert created.json()["version"] == 1 and created.json()["templates"] == 0
    assert api.post("/v1/library/categories", json={"id": "invoice", "title": "x"}).status_code \
        == 409
    template = {
        "id": "invoice.request", "title": "Invoice request",
        "triggers": {"en": {"examples": ["can i get an invoice", "i need a vat invoice",
                                         "please send me the invoice for my order"],
                            "keywords": ["invoice"]}},
        "replies": {"en": {"friendly": "Sure, I'll send the invoice today!",
                           "formal": "Certainly. The invoice will be sent today.",
                           "empathetic": "Of course, I'll send the invoice to you today."}},
    }
    saved = api.post("/v1/library/templates", json=template)
    assert saved.status_code == 201, saved.text
    listed = {c["id"]: c for c in api.get("/v1/library/categories").json()}
    assert listed["invoice"]["templates"] == 1


def test_a_category_with_templates_cannot_be_deleted_but_an_empty_one_can(api: Client) -> None:
    _, etag = get(api, "/v1/library/categories/thanks")
    refused = api.request("DELETE", "/v1/library/categories/thanks", headers={"If-Match": etag})
    assert refused.status_code == 422 and "templates" in refused.json()["error"]["message"]

    api.post("/v1/library/categories", json={"id": "empty_one", "title": "Empty"})
    _, etag = get(api, "/v1/library/categories/empty_one")
    deleted = api.request("DELETE", "/v1/library/categories/empty_one",
                          headers={"If-Match": etag})
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    assert "empty_one" not in [c["id"] for c in api.get("/v1/library/categories").json()]
    restored = api.post("/v1/library/categories/empty_one/restore",
                        headers={"If-Match": deleted.headers["ETag"]})
    assert restored.status_code == 200 and restored.json()["deleted"] is False


def test_renaming_a_category_needs_the_current_version(api: Client) -> None:
    body, etag = get(api, "/v1/library/categories/greeting")
    first = signed_in(api.app, "ana").request(
        "PATCH", "/v1/library/categories/greeting",
        json={"title": "Hello and welcome"}, headers={"If-Match": etag})
    second = api.request("PATCH", "/v1/library/categories/greeting",
                         json={"title": "Hellos"}, headers={"If-Match": etag})
    assert first.status_code == 200 and second.status_code == 412
    assert "ana" in second.json()["error"]["message"]
    history = api.get("/v1/library/categories/greeting/history").json()
    assert [h["title"] for h in history][-1] == "Hello and welcome"
    assert api.get("/v1/library/categories/greeting").json()["version"] == body["version"] + 1


def test_shop_facts_are_versioned_and_reach_the_replies(api: Client) -> None:
    body, etag = get(api, "/v1/library/shop")
    changed = {**body["shop"], "return_days": 30}
    saved = signed_in(api.app, "ben").request(
        "PUT", "/v1/library/shop", json=changed, headers={"If-Match": etag})
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == body["version"] + 1
    stale = api.request("PUT", "/v1/library/shop", json={**body["shop"], "return_days": 14},
                        headers={"If-Match": etag})
    assert stale.status_code == 412 and "ben" in stale.json()["error"]["message"]
    history = api.get("/v1/library/shop/history").json()
    assert [h["shop"]["return_days"] for h in history][-2:] == [body["shop"]["return_days"], 30]

    rolled = api.post("/v1/library/shop/rollback", json={"version": body["version"]},
                      headers={"If-Match": saved.headers["ETag"]})
    assert rolled.status_code == 200 and rolled.json()["shop"]["return_days"] == \
        body["shop"]["return_days"]


def test_invalid_shop_facts_are_refused_and_nothing_changes(api: Client) -> None:
    body, etag = get(api, "/v1/library/shop")
    for broken in ({**body["shop"], "currency": "dollars"},
                   {**body["shop"], "business_hours": {"timezone": "Mars/Base"}},
                   {**body["shop"], "surprise": 1}):
        response = api.request("PUT", "/v1/library/shop", json=broken,
                               headers={"If-Match": etag})
        assert response.status_code == 422, response.text
    assert get(api, "/v1/library/shop")[0]["version"] == body["version"]
