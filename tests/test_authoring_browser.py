"""Running the library without YAML, in a real browser: a new category and template that
the console suggests, deleted and restored; an API key made on /admin, used, revoked."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import api_headers, browser, open_context, page, served, server

pytestmark = pytest.mark.e2e
__all__ = ["api_headers", "browser", "page", "served", "server"]  # fixtures used by name

TEMPLATE = "wholesale.vat_invoice"
REPLY = "Of course! Every wholesale order comes with a VAT invoice 🧾"
TRIGGERS = [
    "can I get a VAT invoice for my wholesale order?",
    "do you issue VAT invoices for wholesale orders",
    "I need a VAT invoice for a wholesale purchase",
    "please send the VAT invoice for my bulk wholesale order",
]
ASK = "can I get a VAT invoice for my wholesale order?"


def suggested(console: Page, server: str, message: str, template_id: str, wanted: bool) -> None:
    """Ask the console until `template_id` is (or is no longer) a suggestion: a saved
    change is served within a second or so, a new trigger after the index is patched."""
    console.goto(server + "/?lang=en")
    deadline = time.monotonic() + 20
    card = console.locator(f'.card:not(.low)[data-template="{template_id}"]')
    while True:
        console.fill("#message", message)
        console.press("#message", "Enter")
        expect(console.locator("#results .card, #results .nomatch").first).to_be_visible()
        if (card.count() > 0) == wanted:
            return
        assert time.monotonic() < deadline, f"the console never {'showed' if wanted else 'hid'} it"
        time.sleep(0.5)


def test_a_manager_makes_a_category_and_a_template_the_console_suggests_deletes_and_restores_it(
    browser: Browser, server: str, api_headers: dict[str, str]
) -> None:
    page = open_context(browser, server, user="mia").new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(server + "/library/categories?lang=en")
    page.click("#new-category summary")
    page.fill("#category-id", "wholesale")
    page.fill("#category-title", "Wholesale <b>orders</b>")
    page.click("#category-form button[type=submit]")
    row = page.locator('#categories tr[data-id="wholesale"]')
    expect(row.locator(".title")).to_have_value("Wholesale <b>orders</b>")
    expect(row.locator(".count")).to_have_text("0")

    page.goto(server + "/library?lang=en")
    page.click("#new-template summary")
    page.select_option("#new-category", "wholesale")
    page.fill("#new-name", "vat_invoice")
    page.fill("#new-title", "VAT invoice")
    page.click("#new-template-form button[type=submit]")
    page.wait_for_url("**/library/new?*")
    expect(page.locator("#version-line")).to_contain_text("not saved yet")
    page.click("#save")  # nothing written yet: the reply is missing
    expect(page.locator('[data-error="en/friendly"]')).to_contain_text("at least one reply")
    page.fill("#reply-en-friendly", REPLY)
    page.click(".locale-col details summary")
    page.fill('[data-examples="en"]', "\n".join(TRIGGERS))
    page.fill('[data-keywords="en"]', "VAT invoice, wholesale")
    page.click("#save")
    expect(page.locator("#banner")).to_contain_text("Created as version 1")
    assert page.url.endswith(f"/library/{TEMPLATE}")
    expect(page.locator(".history-entry").first).to_contain_text("mia")

    console = page.context.new_page()
    suggested(console, server, ASK, TEMPLATE, wanted=True)
    expect(console.locator(f'.card[data-template="{TEMPLATE}"] .reply')).to_have_text(REPLY)

    page.click("#delete")
    expect(page.locator("#confirm-delete")).to_contain_text("Delete “VAT invoice”?")
    page.click("#confirm-delete-button")
    expect(page.locator("#banner")).to_contain_text("Deleted")
    expect(page.locator("#restore")).to_be_visible()
    expect(page.locator("#save")).to_be_disabled()
    suggested(console, server, ASK, TEMPLATE, wanted=False)

    page.goto(server + "/library?lang=en&deleted=true")
    page.click(f'a[href="/library/{TEMPLATE}"]')
    expect(page.locator("#deleted-note")).to_be_visible()
    page.click("#restore")
    expect(page.locator("#banner")).to_contain_text("Restored as version 3")
    expect(page.locator("#delete")).to_be_visible()
    suggested(console, server, ASK, TEMPLATE, wanted=True)

    stored = httpx.get(
        f"{server}/v1/library/templates/{TEMPLATE}", headers=api_headers, timeout=10
    ).json()
    assert stored["updated_by"] == "mia" and not stored["deleted"]
    category = httpx.get(
        f"{server}/v1/library/categories/wholesale", headers=api_headers, timeout=10
    ).json()
    assert category["templates"] == 1 and category["title"] == "Wholesale <b>orders</b>"
    assert not errors, errors


def test_a_category_with_templates_is_not_deleted_and_a_stale_rename_says_who(
    browser: Browser, server: str, api_headers: dict[str, str]
) -> None:
    page = open_context(browser, server, user="ana").new_page()
    page.goto(server + "/library/categories?lang=en")
    row = page.locator('#categories tr[data-id="thanks"]')
    row.locator("button.delete").click()
    expect(row.locator(".row-message")).to_contain_text("still has")
    expect(page.locator('#categories tr[data-id="thanks"]')).to_be_visible()

    current = httpx.get(f"{server}/v1/library/categories/thanks", headers=api_headers, timeout=10)
    changed = httpx.patch(  # someone else renames it meanwhile (an API key)
        f"{server}/v1/library/categories/thanks",
        json={"description": "Changed elsewhere"},
        headers={**api_headers, "If-Match": current.headers["ETag"]},
        timeout=10,
    )
    assert changed.status_code == 200
    row.locator(".title").fill("Thanks, and goodbye")
    row.locator("button.save").click()
    expect(row.locator(".row-message")).to_contain_text("key:e2e")
    expect(row.locator(".row-message")).to_contain_text("Nothing was overwritten")
    row.locator("button.reload").click()
    fresh = page.locator('#categories tr[data-id="thanks"]')
    expect(fresh.locator(".description")).to_have_value("Changed elsewhere")
    fresh.locator(".title").fill("Thanks, and goodbye")
    fresh.locator("button.save").click()
    expect(page.locator('#categories tr[data-id="thanks"] .row-message')).to_contain_text("Saved")


def test_an_admin_makes_an_api_key_sees_it_once_uses_it_and_revokes_it(
    browser: Browser, server: str
) -> None:
    page = open_context(browser, server, user="ada").new_page()
    page.goto(server + "/admin?lang=en")
    page.click("#new-key summary")
    page.fill("#key-name", "shop <widget>")
    page.check('#key-form input[value="suggest"]')
    page.click("#key-form button[type=submit]")
    expect(page.locator("#secret")).to_contain_text("shown this once")
    key = page.locator("#secret-value").inner_text()
    assert key.startswith("kefu_")
    page.click("#copy-secret")
    assert page.evaluate("navigator.clipboard.readText()") == key
    row = page.locator("#keys tr", has_text="shop <widget>")
    expect(row).to_contain_text("suggest")
    assert key not in page.locator("#keys").inner_text()  # the list shows a prefix only

    ask = {"message": "when will you ship my order?"}
    answer = httpx.post(
        f"{server}/v1/suggest", json=ask, headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    assert answer.status_code == 200 and answer.json()["suggestions"]

    page.reload()
    expect(page.locator("#secret")).to_be_hidden()  # once means once
    row = page.locator("#keys tr", has_text="shop <widget>")
    row.locator("button.revoke").click()
    expect(page.locator("#confirm-revoke")).to_contain_text("shop <widget>")
    page.click("#confirm-revoke-button")
    expect(page.locator("#keys tr", has_text="shop <widget>")).to_contain_text("revoked")
    refused = httpx.post(
        f"{server}/v1/suggest", json=ask, headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    assert refused.status_code == 401


def test_an_admin_makes_an_account_changes_its_role_and_gives_it_a_one_time_password(
    browser: Browser, server: str
) -> None:
    admin = open_context(browser, server, user="ada").new_page()
    admin.goto(server + "/admin?lang=en")
    admin.click("#new-user summary")
    admin.fill("#user-name", "newbie")
    admin.select_option("#user-role", "agent")
    admin.click("#user-form button[type=submit]")
    expect(admin.locator("#secret")).to_contain_text("Password for newbie, shown this once")
    row = admin.locator('#users tr[data-name="newbie"]')
    expect(row).to_contain_text("active")
    row.locator("select.role").select_option("manager")
    expect(admin.locator('#users tr[data-name="newbie"] .row-message')).to_contain_text("changed")
    expect(admin.locator('#users tr[data-name="newbie"] select.role')).to_have_value("manager")
    admin.locator('#users tr[data-name="newbie"] button.password').click()
    expect(admin.locator("#secret")).to_contain_text("One-time password for newbie")
    expect(admin.locator('#users tr[data-name="newbie"]')).to_contain_text("must set a password")
    password = admin.locator("#secret-value").inner_text()
    assert len(password) == 20

    newbie = browser.new_context().new_page()
    newbie.goto(server + "/login?lang=en&next=/library")
    newbie.fill("#name", "newbie")
    newbie.fill("#password", password)
    newbie.click("#login-form button[type=submit]")
    expect(newbie.locator("#password-form")).to_be_visible()  # the one-time one must go
    newbie.fill("#new-password", "a password of my own")
    newbie.fill("#new-password-again", "a password of my own")
    newbie.click("#password-form button[type=submit]")
    newbie.wait_for_url(server + "/library")  # a manager now

    admin.locator('#users tr[data-name="newbie"] button.disable').click()
    expect(admin.locator('#users tr[data-name="newbie"]')).to_contain_text("disabled")
    newbie.reload()
    assert "/login" in newbie.url  # disabling ended the session
    admin.locator('#users tr[data-name="newbie"] button.enable').click()
    expect(admin.locator('#users tr[data-name="newbie"]')).to_contain_text("active")
