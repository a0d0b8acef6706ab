"""The library editor in a real browser, with the console beside it."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import api_headers, browser, open_context, page, served, server

pytestmark = pytest.mark.e2e
__all__ = ["api_headers", "browser", "page", "served", "server"]  # fixtures used by name

HOSTILE = "Bye for now <script>window.pwned = 1</script><b>bold</b>, come back soon!"


def open_editor(page: Page, server: str, template_id: str) -> None:
    page.goto(f"{server}/library/{template_id}?lang=en")
    expect(page.locator(".history-entry").first).to_be_visible()


def test_a_manager_sees_a_validation_error_saves_and_the_console_serves_the_new_text(
    server: str, browser: Browser
) -> None:
    page = open_context(browser, server, user="ana").new_page()
    open_editor(page, server, "thanks.goodbye")
    reply = page.locator("#reply-en-friendly")
    reply.fill("Bye {{ nope }}!")
    problem = page.locator('[data-error="en/friendly"]')
    expect(problem).to_contain_text("nope")  # the live preview names it at once
    page.click("#save")
    expect(page.locator("#banner")).to_contain_text("Not saved")
    expect(problem).to_contain_text("nope")
    expect(reply).to_have_class("invalid")

    reply.fill(HOSTILE)
    expect(page.locator('[data-preview="en/friendly"]')).to_have_text(HOSTILE)
    page.click("#save")
    expect(page.locator("#banner")).to_contain_text("Saved as version 2")
    expect(page.locator(".history-entry").first).to_contain_text("ana")

    console = page.context.new_page()
    console.goto(server + "/?lang=en")
    console.select_option("#locale", "en")
    console.select_option("#tone", "friendly")
    deadline = time.monotonic() + 15
    while True:  # every worker picks a saved change up within a second or so
        console.fill("#message", "bye bye, see you")
        console.press("#message", "Enter")
        first = console.locator(".card .reply").first
        expect(first).to_be_visible()
        if first.inner_text() == HOSTILE:
            break
        assert time.monotonic() < deadline, "the console never showed the saved text"
        time.sleep(0.3)
    # The manager's markup is shown as text, never run or parsed.
    assert console.evaluate("window.pwned") is None
    assert console.locator(".card .reply b").count() == 0
    assert page.evaluate("window.pwned") is None


def test_a_conflicting_save_is_reported_and_merged_never_overwritten(
    browser: Browser, server: str, api_headers: dict[str, str]
) -> None:
    template = "thanks.resolved"
    ana = open_context(browser, server, user="ana").new_page()
    bo = open_context(browser, server, user="bo").new_page()
    open_editor(ana, server, template)
    open_editor(bo, server, template)

    ana.fill("#reply-en-formal", "Ana's formal text, {{ shop.name }}.")
    ana.click("#save")
    expect(ana.locator("#banner")).to_contain_text("Saved")

    bo.fill("#reply-en-empathetic", "Bo's empathetic text.")
    bo.click("#save")
    banner = bo.locator("#banner")
    expect(banner).to_contain_text("ana saved version")
    expect(banner).to_contain_text("Nothing was overwritten")
    bo.click("#banner button.merge")
    expect(banner).to_contain_text("Merged")
    expect(bo.locator("#reply-en-formal")).to_have_value("Ana's formal text, {{ shop.name }}.")
    expect(bo.locator("#reply-en-empathetic")).to_have_value("Bo's empathetic text.")
    bo.click("#save")
    expect(banner).to_contain_text("Saved")

    saved = httpx.get(
        f"{server}/v1/library/templates/{template}", headers=api_headers, timeout=10
    ).json()
    assert saved["template"]["replies"]["en"]["formal"] == "Ana's formal text, {{ shop.name }}."
    assert saved["template"]["replies"]["en"]["empathetic"] == "Bo's empathetic text."
    assert saved["updated_by"] == "bo"


def test_shop_facts_show_a_field_error_then_save(
    browser: Browser, server: str, api_headers: dict[str, str]
) -> None:
    page = open_context(browser, server, user="ana").new_page()
    page.goto(server + "/library/shop?lang=en")
    page.fill("#currency", "DOLLARS")
    page.click("#save")
    expect(page.locator('[data-error="currency"]')).not_to_be_empty()
    expect(page.locator("#banner")).to_contain_text("Not saved")
    page.fill("#currency", "EUR")
    page.fill("#return_days", "14")
    page.click("#save")
    expect(page.locator("#banner")).to_contain_text("Saved as version")
    shop = httpx.get(server + "/v1/library/shop", headers=api_headers, timeout=10).json()
    assert shop["shop"]["currency"] == "EUR" and shop["shop"]["return_days"] == 14
    assert shop["updated_by"] == "ana"
