"""Small builders for libraries in tests: `make_template(**overrides)`."""

from __future__ import annotations

from typing import Any

from app.library import Category, Library, ShopFacts, Template, Variable

TONES = ("friendly", "formal", "empathetic")
# A small "none of the above" class, as `_out_of_scope.yaml` gives the real library.
OUT_OF_SCOPE = [
    "what is the weather tomorrow", "tell me a joke", "who won the game last night",
    "what is the capital of france", "how tall is mount everest", "play some music",
    "set an alarm for 7", "how do i cook rice", "what time is it in tokyo",
    "translate hello into german", "who wrote hamlet", "recommend a good movie",
]


def replies(texts: dict[str, str]) -> dict[str, dict[str, str]]:
    """The same text for every tone of each locale, tagged with the tone."""
    return {loc: {tone: f"{text} ({tone})" for tone in TONES} for loc, text in texts.items()}


def make_template(**overrides: Any) -> Template:
    fields: dict[str, Any] = {
        "id": "shipping_delay.not_shipped",
        "title": "Not shipped yet",
        "variables": ["order_id"],
        "triggers": {
            "en": {
                "examples": ["when will you ship my order", "not shipped yet"],
                "keywords": ["ship"],
            },
            "zh-Hans": {"examples": ["什么时候发货"], "keywords": ["发货"]},
        },
        "replies": replies(
            {"en": "Order {{ order_id }} ships soon", "zh-Hans": "订单{{ order_id }}马上发货"}
        ),
    }
    fields.update(overrides)
    return Template.model_validate(fields)


def make_library(*templates: Template, **shop: Any) -> Library:
    by_category: dict[str, list[Template]] = {}
    for template in templates or (make_template(),):
        by_category.setdefault(template.category, []).append(template)
    return Library(
        categories={
            cid: Category(id=cid, title=cid, templates=ts)  # type: ignore[arg-type]
            for cid, ts in by_category.items()
        },
        shop=ShopFacts.model_validate({"name": "Test Shop", "agent": "Ann", **shop}),
        variables={
            "order_id": Variable(sample="A1", label={"en": "order number", "zh-Hans": "订单号"}),
            "amount": Variable(type="money", sample=12.5, label={"en": "amount"}),  # type: ignore[arg-type]
            "delivery_date": Variable(type="date", sample="2026-12-03", label={"en": "date"}),  # type: ignore[arg-type]
            "buyer_name": Variable(sample="Anna", label={"en": "name", "de": "Name"}),
        },
        out_of_scope={"en": OUT_OF_SCOPE},
    )
