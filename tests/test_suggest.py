"""The pipeline end to end, without HTTP."""

from datetime import datetime

import pytest

from app.library import BusyState, Tone
from app.suggest import (
    Options,
    SuggestContext,
    SuggestRequest,
    build_snapshot,
    busy_state,
    split_asks,
    suggest,
)
from tests.factories import make_library, make_template, replies

OPEN = datetime.fromisoformat("2026-11-18T12:00:00+00:00")  # a Wednesday at noon UTC
BUSY = make_template(
    id="busy_hour.queue_long",
    title="Queue",
    variables=[],
    busy="queue",
    triggers={},
    replies=replies({"en": "Sorry, many buyers right now", "zh-Hans": "亲，咨询的人有点多"}),
)
AFTER = make_template(
    id="busy_hour.after_hours",
    title="Closed",
    variables=[],
    busy="after_hours",
    triggers={},
    replies=replies({"en": "We are back at {{ shop.hours }}"}),
)
GREETING = make_template(
    id="greeting.hello",
    title="Hello",
    variables=[],
    triggers={"en": {"examples": ["hi", "hello"]}, "zh-Hans": {"examples": ["在吗", "你好"]}},
    replies=replies(
        {"en": "Hi, welcome to {{ shop.name }}", "zh-Hans": "亲，欢迎光临{{ shop.name }}"}
    ),
)
BARGAIN = make_template(
    id="bargaining.hold_price",
    title="Hold",
    variables=[],
    triggers={"en": {"examples": ["can you do a discount", "cheaper please"]}},
    replies=replies({"en": "Sorry, this is already our best price"}),
)
SNAPSHOT = build_snapshot(make_library(make_template(), BUSY, AFTER, GREETING, BARGAIN))


def run(message: str, **fields) -> object:  # type: ignore[no-untyped-def]
    fields.setdefault("context", SuggestContext(now=OPEN))
    return suggest(SNAPSHOT, SuggestRequest(message=message, **fields), Options())


def test_variables_fill_the_reply() -> None:
    result = run("when will you ship my order", variables={"order_id": "A1"})
    top = result.suggestions[0]
    assert top.template_id == "shipping_delay.not_shipped"
    assert "A1" in top.text and top.missing_variables == []


def test_missing_variable_is_a_visible_placeholder() -> None:
    top = run("when will you ship my order").suggestions[0]
    assert "[order number]" in top.text
    assert top.missing_variables == ["order_id"]


def test_reply_is_in_the_buyers_language() -> None:
    top = run("什么时候发货").suggestions[0]
    assert (top.locale, top.text.startswith("订单")) == ("zh-Hans", True)


def test_traditional_buyer_gets_traditional_characters() -> None:
    top = run("請問什麼時候發貨").suggestions[0]
    assert top.locale == "zh-Hant" and top.locale_match == "converted"
    assert "訂單" in top.text


def test_explicit_locale_and_tone_win() -> None:
    top = run("when will you ship my order", locale="zh-CN", tone=Tone.empathetic).suggestions[0]
    assert top.locale == "zh-Hans" and top.tone is Tone.empathetic
    assert top.text.endswith("(empathetic)")


def test_unknown_locale_falls_back_and_says_so() -> None:
    top = run("when will you ship my order", locale="sw").suggestions[0]
    assert (top.locale, top.locale_match) == ("en", "fallback")


def test_long_queue_puts_the_busy_reply_first_and_marks_it_auto_send() -> None:
    result = run("hello", context=SuggestContext(queue_length=50, now=OPEN))
    first = result.suggestions[0]
    assert first.template_id == "busy_hour.queue_long" and first.auto_send
    assert result.busy is BusyState.queue
    assert any(s.template_id == "greeting.hello" and not s.auto_send for s in result.suggestions)


def test_outside_business_hours_puts_the_after_hours_reply_first() -> None:
    night = datetime.fromisoformat("2026-11-18T23:30:00+00:00")
    result = run("hello", context=SuggestContext(now=night))
    assert result.suggestions[0].template_id == "busy_hour.after_hours"
    assert "Mon–Fri" in result.suggestions[0].text


@pytest.mark.parametrize(
    ("queue", "switch", "hour", "state"),
    [
        (None, False, 12, None),
        (9, False, 12, None),
        (10, False, 12, BusyState.queue),  # the threshold itself is busy
        (None, True, 12, BusyState.queue),
        (None, False, 7, BusyState.after_hours),
        (None, False, 18, BusyState.after_hours),  # closes at 18:00
    ],
)
def test_busy_state(queue: int | None, switch: bool, hour: int, state: BusyState | None) -> None:
    now = datetime.fromisoformat(f"2026-11-18T{hour:02d}:00:00+00:00")
    shop = SNAPSHOT.shop
    assert busy_state(shop, SuggestContext(queue_length=queue, busy=switch, now=now)) is state


def test_no_good_match_says_why_and_offers_guesses_marked_low() -> None:
    result = run("what is the capital of peru")
    assert result.suggestions == []
    assert result.no_match is not None
    assert "below" in result.no_match.reason or "nothing" in result.no_match.reason
    assert all(g.low_confidence for g in result.no_match.guesses)


def test_two_asks_are_both_answered_and_the_greeting_does_not_crowd_them_out() -> None:
    result = run("hi! can you do a discount and when will you ship my order?", limit=3)
    ids = [s.template_id for s in result.suggestions]
    assert set(ids[:2]) == {"bargaining.hold_price", "shipping_delay.not_shipped"}
    assert ids[2] == "greeting.hello"


@pytest.mark.parametrize(
    ("message", "asks"),
    [
        (
            "hi! can you do a discount and when do you ship?",
            ["hi", "can you do a discount", "when do you ship"],
        ),
        ("black and white one please", ["black and white one please"]),
        ("hola buenas, cuándo llega mi pedido", ["hola buenas", "cuándo llega mi pedido"]),
        ("在吗？能便宜点吗 还有什么时候发货", ["在吗", "能便宜点吗", "什么时候发货"]),
    ],
)
def test_split_asks(message: str, asks: list[str]) -> None:
    assert split_asks(message) == asks


def test_template_syntax_in_the_message_is_never_evaluated() -> None:
    result = run("{{7*7}} {% for x in range(3) %}x{% endfor %}")
    texts = [s.text for s in result.suggestions] + [
        g.text for g in (result.no_match.guesses if result.no_match else [])
    ]
    assert not any("49" in t for t in texts)
