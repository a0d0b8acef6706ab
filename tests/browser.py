"""Debian's Chromium driven by Playwright, against a real `kefu serve`.

The browser is the system's (`/usr/bin/chromium`, installed by scripts/test.sh), never a
downloaded build. Without it these tests skip on a developer machine and fail in CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.servers import new_key, new_user, start_server, stop

CHROMIUM = Path(os.environ.get("KEFU_TEST_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}


PASSWORD = "correct horse battery staple"
MANAGERS = ("mia", "ana", "bo")  # each signs in through the login page
ADMINS = ("ada",)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """The server's URL, and headers with an API key for checks made beside the browser."""
    data = tmp_path_factory.mktemp("browser-data")
    url, process = start_server(data, data / "server.log", {"KEFU_RELOAD_INTERVAL": "0.2"})
    try:
        for name in MANAGERS:
            new_user(data, name, "manager", PASSWORD)
        for name in ADMINS:
            new_user(data, name, "admin", PASSWORD)
        key = new_key(data, scopes="suggest,feedback,library:read,library:write,insights")
        yield url, {"Authorization": f"Bearer {key}"}
    finally:
        stop(process)


@pytest.fixture(scope="module")
def server(served: tuple[str, dict[str, str]]) -> str:
    return served[0]


@pytest.fixture(scope="module")
def api_headers(served: tuple[str, dict[str, str]]) -> dict[str, str]:
    return served[1]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            raise RuntimeError(f"{CHROMIUM} is missing: scripts/test.sh installs it in CI")
        pytest.skip(f"no {CHROMIUM} here (scripts/test.sh installs it); CI runs these")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


def open_context(
    browser: Browser, server: str, user: str = "mia", **options: object
) -> BrowserContext:
    """A browser profile signed in as `user` through the login page."""
    context = browser.new_context(viewport=DESKTOP, **options)  # type: ignore[arg-type]
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    context.set_default_timeout(15_000)
    sign_in(context.new_page(), server, user)
    return context


def sign_in(page: Page, server: str, user: str) -> None:
    page.goto(server + "/login?lang=en&next=/library")
    page.fill("#name", user)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(server + "/library")
    page.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    context = open_context(browser, server, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"the page's script failed: {errors}"


def no_horizontal_overflow(page: Page) -> bool:
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )
