"""The HTTP API through httpx, on the shipped library."""

from tests.conftest import Client


def test_healthz(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["library_version"]


def test_categories_lists_the_nine(client: Client) -> None:
    ids = {c["id"] for c in client.get("/v1/categories").json()}
    assert ids == {
        "greeting",
        "bargaining",
        "shipping_delay",
        "busy_hour",
        "bad_review",
        "return_refund",
        "product_question",
        "payment",
        "thanks",
    }


def test_chinese_are_you_there_gets_a_simplified_greeting(client: Client) -> None:
    body = client.suggest("在吗")
    assert body["language"]["code"] == "zh-Hans"
    top = body["suggestions"][0]
    assert top["category"] == "greeting" and top["locale"] == "zh-Hans"


def test_shipping_question_names_the_order(client: Client) -> None:
    body = client.suggest("when will you ship my order?", variables={"order_id": "A1"})
    top = body["suggestions"][0]
    assert (top["category"], top["locale"]) == ("shipping_delay", "en")
    assert "A1" in top["text"] and "order_id" not in top["missing_variables"]


def test_cheaper_gets_a_bargaining_reply(client: Client) -> None:
    body = client.suggest("can u do it cheaper??")
    assert body["suggestions"][0]["category"] == "bargaining"


def test_long_queue_puts_the_busy_hour_reply_first(client: Client) -> None:
    body = client.suggest("hello", context={"queue_length": 50})
    first = body["suggestions"][0]
    assert first["category"] == "busy_hour" and first["auto_send"] is True
    assert body["busy"] == "queue"


def test_template_syntax_in_the_message_renders_nothing(client: Client) -> None:
    response = client.post("/v1/suggest", json={"message": "{{7*7}}"})
    assert response.status_code == 200
    body = response.json()
    guesses = body["no_match"]["guesses"] if body["no_match"] else []
    assert not any("49" in s["text"] for s in body["suggestions"] + guesses)


def test_template_syntax_in_a_variable_renders_nothing(client: Client) -> None:
    body = client.suggest("when will you ship my order?", variables={"order_id": "{{7*7}}"})
    texts = [s["text"] for s in body["suggestions"]]
    assert "{{7*7}}" in texts[0]
    assert not any("49" in text for text in texts)


def test_every_suggestion_explains_itself(client: Client) -> None:
    body = client.suggest("where is my parcel? tracking not updating", limit=3)
    for suggestion in body["suggestions"]:
        matched = suggestion["matched"]
        assert matched["ask"] and (matched["trigger"] or matched["keywords"])
        assert 0 <= suggestion["score"] <= 1


def test_accept_language_hints_an_ambiguous_message(client: Client) -> None:
    response = client.post(
        "/v1/suggest",
        json={"message": "ok", "context": {"now": "2026-11-21T12:00:00+08:00"}},
        headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"},
    )
    assert response.json()["language"] == {
        "code": "de-DE",
        "confidence": 0.5,
        "detected_by": "hint",
    }


def test_openapi_docs_have_examples(client: Client) -> None:
    schema = client.get("/openapi.json").json()
    body = schema["components"]["schemas"]["SuggestBody"]
    assert body["examples"][0] == {"message": "在吗"}
    assert client.get("/docs").status_code == 200


def test_request_currency_formats_money_in_the_reply_locale(client: Client) -> None:
    body = client.suggest("包邮吗", currency="CNY")
    texts = " ".join(s["text"] for s in body["suggestions"])
    assert "¥" in texts and "US$" not in texts
