"""The agent console in a real browser: paste, Enter, a digit; variables; no match."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser import (
    PHONE,
    api_headers,
    browser,
    no_horizontal_overflow,
    page,
    served,
    server,
)

pytestmark = pytest.mark.e2e
__all__ = ["api_headers", "browser", "page", "served", "server"]  # fixtures used by name


def ask(page: Page, message: str) -> None:
    box = page.locator("#message")
    box.fill("")
    box.press_sequentially(message) if len(message) < 5 else box.fill(message)
    box.press("Enter")


def test_paste_enter_and_one_copies_the_first_reply_and_reports_it_used(
    page: Page, server: str, api_headers: dict[str, str]
) -> None:
    page.goto(server + "/?lang=en")
    ask(page, "when will you ship my order?")
    first = page.locator(".card").first
    expect(first).to_contain_text("shipping_delay")
    expect(page.locator("#summary")).to_contain_text("English")
    expect(first.locator("details")).to_contain_text("when will you ship my order?")
    shown = first.locator(".reply").inner_text()
    page.keyboard.press("1")
    expect(page.locator("#toast")).to_contain_text("1")
    assert page.evaluate("navigator.clipboard.readText()") == shown
    template = first.get_attribute("data-template")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        insights = httpx.get(server + "/v1/insights", headers=api_headers, timeout=10)
        feedback = insights.json()["feedback"]
        if any(f["template_id"] == template and f["used"] >= 1 for f in feedback):
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the copy was not reported as used")


def test_a_missing_variable_fills_the_text_as_the_agent_types(page: Page, server: str) -> None:
    page.goto(server + "/?lang=en")
    ask(page, "when will you ship my order?")
    first = page.locator(".card").first
    field = first.locator("input[data-variable=order_id]")
    expect(field).to_be_visible()
    expect(first.locator(".reply")).to_contain_text("[order number]")
    field.press_sequentially("A-77")
    expect(first.locator(".reply")).to_contain_text("A-77")
    expect(first.locator(".reply")).not_to_contain_text("[order number]")
    page.locator("#results").focus()
    page.keyboard.press("1")
    expect(page.locator("#toast")).to_contain_text("1")
    assert "A-77" in page.evaluate("navigator.clipboard.readText()")


def test_shift_enter_is_a_new_line_not_a_request(page: Page, server: str) -> None:
    page.goto(server + "/?lang=en")
    box = page.locator("#message")
    box.press_sequentially("hello")
    box.press("Shift+Enter")
    box.press_sequentially("are you there")
    assert box.input_value() == "hello\nare you there"
    assert page.locator(".card").count() == 0


def test_overrides_and_the_busy_switch_change_the_replies(page: Page, server: str) -> None:
    page.goto(server + "/?lang=en")
    ask(page, "when will you ship my order?")
    expect(page.locator(".card").first).to_contain_text("English")
    page.select_option("#locale", "de")
    expect(page.locator(".card").first).to_contain_text("German")
    page.select_option("#tone", "formal")
    expect(page.locator(".card").first.locator("header")).to_contain_text("formal")
    page.check("#busy")
    expect(page.locator(".card").first).to_contain_text("busy_hour")


def test_arabic_replies_read_right_to_left(page: Page, server: str) -> None:
    page.goto(server + "/?lang=en")
    ask(page, "متى سيتم شحن طلبي؟")
    reply = page.locator(".card .reply").first
    expect(reply).to_have_attribute("dir", "rtl")
    expect(reply).to_have_attribute("lang", "ar")


def test_no_good_match_is_plain_and_one_click_sends_it_to_the_unmatched_list(
    page: Page, server: str, api_headers: dict[str, str]
) -> None:
    page.goto(server + "/?lang=en")
    message = "what is the capital of peru, my friend"
    ask(page, message)
    expect(page.locator(".nomatch h2")).to_have_text("No good match")
    page.locator(".nomatch .send-unmatched").click()
    expect(page.locator("#toast")).to_contain_text("unmatched list")
    groups = httpx.get(server + "/v1/library/unmatched", headers=api_headers, timeout=10).json()
    mine = [g for g in groups if g["example"] == message]
    assert len(mine) == 1 and mine[0]["count"] == 1  # the service's own record, kept once


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 720}, PHONE])
def test_long_replies_wrap_without_overflow(
    page: Page, server: str, viewport: dict[str, int]
) -> None:
    page.set_viewport_size(viewport)  # type: ignore[arg-type]
    page.goto(server + "/?lang=en")
    ask(page, "hi! can you ship today? and do you give a discount if I buy 20? " * 3)
    expect(page.locator(".card").first).to_be_visible()
    assert no_horizontal_overflow(page)


def test_the_console_works_in_simplified_chinese(page: Page, server: str) -> None:
    page.goto(server + "/?lang=zh-Hans")
    expect(page.locator("nav")).to_contain_text("客服台")
    box = page.locator("#message")
    expect(box).to_have_attribute("placeholder", "粘贴买家的消息，然后按 Enter")
    ask(page, "在吗")
    first = page.locator(".card").first
    expect(first.locator("button.copy")).to_contain_text("复制")
    expect(page.locator("#summary")).to_contain_text("买家语言")
    page.keyboard.press("1")
    expect(page.locator("#toast")).to_have_text("已复制第 1 条回复")


def test_an_edited_reply_is_copied_as_edited_and_reported_so(
    page: Page, server: str, api_headers: dict[str, str]
) -> None:
    page.goto(server + "/?lang=en")
    ask(page, "do you have this in stock?")
    first = page.locator(".card").first
    reply = first.locator(".reply")
    reply.click()
    page.keyboard.press("Control+End")
    page.keyboard.insert_text(" (checked today)")
    first.locator("button.copy").click()
    expect(page.locator("#toast")).to_contain_text("1")
    assert page.evaluate("navigator.clipboard.readText()").endswith("(checked today)")
    template = first.get_attribute("data-template")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        insights = httpx.get(server + "/v1/insights", headers=api_headers, timeout=10)
        feedback = insights.json()["feedback"]
        if any(f["template_id"] == template and f["edited"] >= 1 for f in feedback):
            return
        time.sleep(0.2)
    raise AssertionError("the edited copy was not reported as edited")
