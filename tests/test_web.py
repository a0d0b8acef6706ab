"""The pages over ASGI: HTML checked through its elements, the CSRF guard, /v1/render."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from tests.conftest import REPLIES, Client, signed_in


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("web"), replies_dir=REPLIES))


@pytest.fixture(scope="module")
def web(app: FastAPI) -> Client:
    return Client(app)


class Elements(HTMLParser):
    """Tags with their attributes, and the page's text, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


def test_the_console_is_the_front_page_with_its_controls(web: Client) -> None:
    response = web.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = parse(response.text)
    ids = {attrs.get("id") for _, attrs in page.tags}
    assert {"message", "locale", "tone", "busy", "results"} <= ids
    locales = [a["value"] for t, a in page.tags if t == "option" and a.get("value")]
    assert "ar" in locales and "zh-Hans" in locales
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_a_page_sets_the_csrf_cookie_and_gives_its_script_the_token(app: FastAPI) -> None:
    response = Client(app).get("/")  # a first visit: no cookie yet
    token = response.cookies["kefu_csrf"]
    tags = parse(response.text).tags
    meta = next(a for t, a in tags if t == "meta" and a.get("name") == "csrf-token")
    assert meta["content"] == token


FEEDBACK = {"template_id": "thanks.goodbye", "action": "used"}


@pytest.fixture()
def browser(app: FastAPI) -> Client:
    """A signed-in browser holding a page's CSRF cookie `abc` (session cookie auth)."""
    client = signed_in(app, "csrf-agent", role="agent")
    client.cookies.set("kefu_csrf", "abc")
    return client


def test_a_change_with_the_page_cookie_but_no_token_is_refused(browser: Client) -> None:
    response = browser.post("/v1/feedback", json=FEEDBACK)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"


def test_a_change_with_a_wrong_token_is_refused(browser: Client) -> None:
    response = browser.post("/v1/feedback", json=FEEDBACK, headers={"x-csrf-token": "abd"})
    assert response.status_code == 403


def test_a_change_with_the_matching_token_goes_through(browser: Client) -> None:
    response = browser.post("/v1/feedback", json=FEEDBACK, headers={"x-csrf-token": "abc"})
    assert response.status_code == 202


def test_api_clients_without_the_page_cookie_are_not_asked_for_a_token(web: Client) -> None:
    assert web.post("/v1/feedback", json=FEEDBACK).status_code == 202


def test_reading_needs_no_token(web: Client) -> None:
    response = web.get("/v1/categories", headers={"cookie": "kefu_csrf=abc"})
    assert response.status_code == 200


def test_render_fills_the_variables_an_agent_typed(web: Client) -> None:
    body = {"template_id": "shipping_delay.not_shipped", "locale": "en", "tone": "friendly"}
    empty = web.post("/v1/render", json=body).json()
    assert "order_id" in empty["missing_variables"]
    filled = web.post("/v1/render", json={**body, "variables": {"order_id": "A-77"}}).json()
    assert "A-77" in filled["text"] and "order_id" not in filled["missing_variables"]


def test_render_names_the_variable_whose_value_does_not_fit(web: Client) -> None:
    body = {
        "template_id": "bargaining.bulk_price",
        "locale": "en",
        "tone": "friendly",
        "variables": {"min_quantity": "twenty"},
    }
    response = web.post("/v1/render", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "variables.min_quantity"


def test_render_of_an_unknown_template_is_404(web: Client) -> None:
    body = {"template_id": "x.y", "locale": "en", "tone": "friendly"}
    assert web.post("/v1/render", json=body).status_code == 404


def test_static_files_are_served(web: Client) -> None:
    assert web.get("/static/console.js").status_code == 200


def test_the_console_renders_in_simplified_chinese_and_remembers_it(web: Client) -> None:
    response = web.get("/?lang=zh-Hans")
    assert '<html lang="zh-Hans">' in response.text
    assert "客服台" in response.text and "店铺繁忙" in response.text
    assert response.cookies["kefu_lang"] == "zh-Hans"
    again = web.get("/", headers={"cookie": "kefu_lang=zh-Hant"})
    assert "店鋪繁忙" in again.text


def test_the_browser_language_is_used_when_nothing_was_chosen(app: FastAPI) -> None:
    response = Client(app).get("/", headers={"accept-language": "zh-TW,zh;q=0.9,en;q=0.8"})
    assert '<html lang="zh-Hant">' in response.text


def _save_title(web: Client, template_id: str, title: str) -> None:
    current = web.get(f"/v1/library/templates/{template_id}")
    document = current.json()["template"]
    document["title"] = title
    saved = web.request(
        "PUT",
        f"/v1/library/templates/{template_id}",
        json=document,
        headers={"If-Match": current.headers["ETag"]},
    )
    assert saved.status_code == 200, saved.text


def test_library_lists_templates_with_their_coverage_and_filters(web: Client) -> None:
    everything = parse(web.get("/library").text)
    rows = [a for t, a in everything.tags if t == "a" and a.get("href", "").startswith("/library/")]
    assert len([r for r in rows if r["href"] != "/library/unmatched"]) >= 40
    cells = [a.get("class") for t, a in everything.tags if t == "td"]
    assert "has" in cells
    page = web.get("/library", params={"category": "thanks", "q": "goodbye"}).text
    assert "thanks.goodbye" in page and "shipping_delay.not_shipped" not in page


def test_manager_text_is_escaped_on_every_page(web: Client) -> None:
    hostile = '<script>alert("x")</script> Goodbye'
    _save_title(web, "thanks.goodbye", hostile)
    for url in ("/library", "/library/thanks.goodbye", "/library?q=goodbye"):
        html = web.get(url).text
        assert "<script>alert" not in html, url
        assert "&lt;script&gt;alert" in html or "\\u003cscript\\u003ealert" in html, url


def test_an_unknown_template_page_is_a_404_page(web: Client) -> None:
    response = web.get("/library/nope.nothing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "nope.nothing" in response.text


def test_unmatched_page_lists_groups_with_add_as_trigger(web: Client) -> None:
    web.post("/v1/unmatched", json={"message": "do you ship to <b>mars</b>?", "language": "en"})
    html = web.get("/library/unmatched").text
    assert "do you ship to &lt;b&gt;mars&lt;/b&gt;?" in html
    assert 'class="add-trigger"' in html


def test_insights_draws_charts_as_svg_with_escaped_labels(web: Client) -> None:
    web.suggest("when will you ship my order?")
    web.post("/v1/feedback", json={"template_id": "shipping_delay.not_shipped", "action": "used"})
    web.post("/v1/feedback", json={"template_id": "thanks.goodbye", "action": "dismissed"})
    web.post("/v1/unmatched", json={"message": "<img src=x onerror=alert(1)> hi", "language": "en"})
    response = web.get("/insights", params={"days": 7})
    assert response.status_code == 200
    page = parse(response.text)
    sections = {a.get("id") for t, a in page.tags if t == "section"}
    charts = {"by-category", "by-language", "most-used", "most-dismissed", "unmatched-groups"}
    assert charts <= sections
    assert sum(1 for t, _ in page.tags if t == "rect") >= 4
    assert not any(t == "img" for t, _ in page.tags)
    assert "&lt;img src=x" in response.text
    assert not any(t == "script" and a.get("src", "").startswith("http") for t, a in page.tags)


def test_shop_page_shows_the_facts_in_a_form(web: Client) -> None:
    html = web.get("/library/shop").text
    page = parse(html)
    values = {a.get("id"): a.get("value") for t, a in page.tags if t == "input"}
    assert values["currency"] and values["timezone"]
    assert sum(1 for t, a in page.tags if t == "input" and a.get("name") == "days") == 7


def test_a_stranger_is_sent_to_sign_in_and_back(app: FastAPI) -> None:
    response = Client(app, key=None).get("/library?q=ship")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Flibrary%3Fq%3Dship"
    login = Client(app, key=None).get("/login?next=/library")
    assert login.status_code == 200 and 'id="login-form"' in login.text


def test_an_agent_sees_the_console_but_not_the_library(app: FastAPI) -> None:
    agent = signed_in(app, "page-agent", role="agent")
    console = agent.get("/")
    assert console.status_code == 200 and 'href="/library"' not in console.text
    assert agent.get("/library").status_code == 403
