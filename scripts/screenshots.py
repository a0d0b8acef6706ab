"""Screenshots of the main pages for the README: `.venv/bin/python scripts/screenshots.py`.

Starts `kefu serve` on a fresh data folder, sends it real buyer messages, feedback and
unmatched messages, adds two weeks of generated sample counts so the insights charts have
a shape, and saves PNGs under docs/screenshots/. Uses Debian's Chromium like the browser
tests; CJK text needs a CJK font (Debian: fonts-noto-cjk).
"""

from __future__ import annotations

import random
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.store.repository import LibraryStore  # noqa: E402
from app.store.tables import SuggestionCountRow  # noqa: E402
from tests.browser import ARGS, CHROMIUM  # noqa: E402
from tests.servers import new_key, new_user, start_server, stop  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
MESSAGES = [
    ("when will you ship my order?", 9),
    ("在吗", 6),
    ("能便宜点吗", 5),
    ("¿cuándo llega mi pedido?", 4),
    ("the item arrived broken!!", 3),
    ("can I return this?", 3),
    ("متى سيتم شحن طلبي؟", 2),
    ("do you sell gift cards for the cinema", 2),
    ("do u sell cinema gift cards", 1),
    ("can i pick it up at your warehouse", 1),
]


def backfill(data: Path, days: int = 14) -> None:
    """Generated sample counts for the past days (the running service counts only today)."""
    rng = random.Random(7)
    mix = [
        ("shipping_delay.not_shipped", "shipping_delay", "en"),
        ("greeting.hello", "greeting", "zh-Hans"),
        ("bargaining.hold_price", "bargaining", "zh-Hans"),
        ("shipping_delay.not_shipped", "shipping_delay", "es"),
        ("bad_review.arrived_broken", "bad_review", "en"),
        ("return_refund.return_item", "return_refund", "en"),
        ("shipping_delay.not_shipped", "shipping_delay", "ar"),
    ]
    store = LibraryStore(f"sqlite:///{data / 'kefu.db'}")
    with store._write() as session:
        for back in range(1, days):
            day = date.today() - timedelta(days=back)
            for template, category, language in mix:
                session.add(
                    SuggestionCountRow(
                        day=day, template_id=template, category=category, locale=language,
                        tone="friendly", language=language, count=rng.randint(2, 30),
                    )
                )
    store.close()


PASSWORD = "screenshots only"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        url, process = start_server(data, data / "server.log", {})
        try:
            new_user(data, "mia", "manager", PASSWORD)
            new_user(data, "ada", "admin", PASSWORD)
            auth = {"Authorization": f"Bearer {new_key(data, scopes='suggest,feedback')}"}
            with httpx.Client(base_url=url, timeout=10, headers=auth) as http:
                for message, times in MESSAGES:
                    for _ in range(times):
                        http.post("/v1/suggest", json={"message": message})
                for template, action in [
                    ("shipping_delay.not_shipped", "used"), ("greeting.hello", "used"),
                    ("bargaining.hold_price", "dismissed"), ("bargaining.hold_price", "edited"),
                    ("shipping_delay.courier_choice", "dismissed"),
                ]:
                    http.post("/v1/feedback", json={"template_id": template, "action": action})
            backfill(data)
            shoot(url)
        finally:
            stop(process)
    print(f"saved {len(list(OUT.glob('*.png')))} screenshots in {OUT.relative_to(ROOT)}")


def shoot(url: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="en-US")
        page = context.new_page()
        page.goto(f"{url}/login?lang=en")
        page.fill("#name", "mia")
        page.screenshot(path=OUT / "login.png")
        page.fill("#password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(f"{url}/")

        def ask(message: str, lang: str = "en") -> None:
            page.goto(f"{url}/?lang={lang}")
            page.fill("#message", message)
            page.press("#message", "Enter")
            page.wait_for_selector(".card, .nomatch")

        ask("hi, when will you ship my order? can you do a discount for 20 pieces?")
        page.locator(".card input[data-variable]").first.fill("A1024")
        page.wait_for_timeout(500)
        page.screenshot(path=OUT / "console.png", full_page=True)
        ask("what is the capital of peru")
        page.screenshot(path=OUT / "console-no-match.png")
        ask("能便宜点吗？什么时候发货", "zh-Hans")
        page.screenshot(path=OUT / "console-zh-hans.png", full_page=True)
        page.goto(f"{url}/library?lang=en")
        page.screenshot(path=OUT / "library.png")
        page.goto(f"{url}/library/shipping_delay.not_shipped?lang=en")
        page.wait_for_selector(".history-entry")
        page.wait_for_timeout(800)
        page.locator("h2", has_text="Replies").scroll_into_view_if_needed()
        page.screenshot(path=OUT / "editor.png")
        page.goto(f"{url}/insights?lang=en&days=14")
        page.screenshot(path=OUT / "insights.png", full_page=True)
        page.goto(f"{url}/library/categories?lang=en")
        page.screenshot(path=OUT / "categories.png")
        phone = context.new_page()
        phone.set_viewport_size({"width": 390, "height": 844})
        phone.goto(f"{url}/?lang=en")
        phone.fill("#message", "متى سيتم شحن طلبي؟")
        phone.press("#message", "Enter")
        phone.wait_for_selector(".card")
        phone.screenshot(path=OUT / "console-phone-ar.png")
        admin = browser.new_context(viewport={"width": 1280, "height": 720}, locale="en-US")
        page = admin.new_page()
        page.goto(f"{url}/login?lang=en&next=/admin")
        page.fill("#name", "ada")
        page.fill("#password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(f"{url}/admin")
        page.screenshot(path=OUT / "admin.png")
        browser.close()


if __name__ == "__main__":
    main()
