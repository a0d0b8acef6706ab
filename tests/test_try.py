"""`/v1/library/try`: would a draft template be suggested for a buyer message, and why."""

from __future__ import annotations

from typing import Any

from tests.conftest import OPEN_HOURS, Client

# Gift wrapping is nowhere in the shipped library: a manager adds it.
GIFT_WRAP = {
    "id": "product_question.gift_wrap",
    "title": "Gift wrapping",
    "variables": ["order_id"],
    "triggers": {"en": {"examples": ["can you gift wrap it", "do you offer gift wrapping",
                                     "can my order be wrapped as a present"],
                        "keywords": ["gift wrap", "wrapping"]}},
    "replies": {"en": {"friendly": "Sure! We'll gift wrap {{ order_id }} for you.",
                       "formal": "Certainly. Order {{ order_id }} will be gift wrapped.",
                       "empathetic": "Of course, we'll wrap {{ order_id }} nicely."}},
}


def try_(client: Client, message: str, template: dict[str, Any], **extra: Any) -> Any:
    response = client.post("/v1/library/try", json={
        "message": message, "template": template, "context": {"now": OPEN_HOURS}, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_draft_that_answers_the_message_is_suggested_first_and_rendered(client: Client) -> None:
    body = try_(client, "hi, can you gift wrap my order?", GIFT_WRAP,
                variables={"order_id": "A7"})
    draft = body["draft"]
    assert draft["suggested"] is True and draft["rank"] == 1
    assert "gift wrap" in draft["reason"] and draft["trigger"] is not None
    assert draft["text"] == "Sure! We'll gift wrap A7 for you."
    assert body["ranking"][0] == {"template_id": "product_question.gift_wrap",
                                  "confidence": draft["confidence"], "draft": True}
    # The live library is untouched: nothing was saved.
    assert client.get("/v1/library/templates/product_question.gift_wrap").status_code == 404


def test_a_draft_without_triggers_for_the_message_says_why_it_is_not_suggested(
    client: Client,
) -> None:
    body = try_(client, "when will you ship my order?", GIFT_WRAP)
    draft = body["draft"]
    assert draft["suggested"] is False and draft["reason"].startswith("not suggested")
    assert body["ranking"][0]["template_id"].startswith("shipping_delay.")
    assert body["live"]["suggestions"][0]["category"] == "shipping_delay"


def test_an_edited_template_is_tried_in_place_of_the_saved_one(client: Client) -> None:
    saved = client.get("/v1/library/templates/shipping_delay.not_shipped").json()["template"]
    gutted = {**saved, "triggers": {"en": {"examples": ["do you sell gift cards"]}}}
    body = try_(client, "when will you ship my order?", gutted)
    assert body["draft"]["rank"] > 1
    ids = [r["template_id"] for r in body["ranking"]]
    assert ids.count("shipping_delay.not_shipped") == 1  # the saved version is not a rival


def test_a_draft_with_a_broken_reply_names_the_problem(client: Client) -> None:
    broken = {**GIFT_WRAP, "replies": {"en": {"friendly": "Hi {{ secret }}", "formal": "x",
                                            "empathetic": "y"}}}
    body = try_(client, "can you gift wrap it", broken, tone="friendly")
    assert body["draft"]["text"] is None and "secret" in body["draft"]["problem"]
