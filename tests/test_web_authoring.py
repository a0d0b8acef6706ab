"""The pages that shape the library and the admin page, over ASGI: HTML checked through
its elements, manager and admin text escaped, who may see what."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from tests.conftest import REPLIES, Client, api_key, signed_in
from tests.test_web import Elements, parse

HOSTILE = '<script>alert("x")</script> Wholesale'


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("authoring"), replies_dir=REPLIES))


@pytest.fixture(scope="module")
def web(app: FastAPI) -> Client:
    return Client(app)


def attrs_of(page: Elements, tag: str, **match: str) -> list[dict[str, str | None]]:
    return [
        a for t, a in page.tags if t == tag and all(a.get(k) == v for k, v in match.items())
    ]


def text_of(html: str, element_id: str) -> str:
    """The text inside the element with this id (up to its first closing tag)."""
    start = html.index(f'id="{element_id}"')
    return html[html.index(">", start) + 1 : html.index("</", start)]


def options_of(html: str, select_id: str) -> list[str]:
    start = html.index(f'id="{select_id}"')
    inside = parse(html[start : html.index("</select>", start)])
    return [a["value"] or "" for a in attrs_of(inside, "option") if a.get("value")]


def page_data(html: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text_of(html, "page-data"))
    return data


def make_category(web: Client, category_id: str, title: str) -> None:
    response = web.post("/v1/library/categories", json={"id": category_id, "title": title})
    assert response.status_code == 201, response.text


# ---- a new template ----------------------------------------------------------------------


def test_the_library_offers_a_new_template_in_any_live_category_even_an_empty_one(
    web: Client,
) -> None:
    make_category(web, "invoices", HOSTILE)
    html = web.get("/library").text
    page = parse(html)
    form = attrs_of(page, "form", id="new-template-form")
    assert form and form[0]["action"] == "/library/new" and form[0]["method"] == "get"
    options = options_of(html, "new-category")
    assert "invoices" in options and "thanks" in options
    assert "busy_hour" not in options  # chosen by the shop's state, which the editor lacks
    name = attrs_of(page, "input", id="new-name")[0]
    assert name["pattern"] == "[a-z][a-z0-9_]*"
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html


@pytest.mark.parametrize(
    ("query", "field", "problem"),
    [
        ({"category": "thanks", "name": "Bad Name", "title": "T"}, "new-name", "Lower-case"),
        ({"category": "thanks", "name": "goodbye", "title": "T"}, "new-name", "exists already"),
        ({"category": "nope", "name": "x", "title": "T"}, "new-category", "no category nope"),
        ({"category": "busy_hour", "name": "x", "title": "T"}, "new-category", "Busy-hour"),
        ({"category": "thanks", "name": "fine", "title": " "}, "new-title", "title"),
        ({"category": "", "name": "fine", "title": "T"}, "new-category", "Choose"),
    ],
)
def test_a_bad_new_template_shows_the_problem_next_to_its_field(
    web: Client, query: dict[str, str], field: str, problem: str
) -> None:
    response = web.get("/library/new", params=query)
    assert response.status_code == 422
    assert problem in text_of(response.text, f"{field}-error")
    marked = attrs_of(parse(response.text), "input", id=field) or attrs_of(
        parse(response.text), "select", id=field
    )
    assert marked[0]["class"] == "invalid"


def test_the_new_template_form_keeps_what_was_typed_as_text(web: Client) -> None:
    response = web.get("/library/new", params={"category": "", "name": "x", "title": HOSTILE})
    title = attrs_of(parse(response.text), "input", id="new-title")[0]
    assert title["value"] == HOSTILE  # an attribute value, escaped in the HTML
    assert "<script>alert" not in response.text


def test_a_good_new_template_opens_the_editor_on_an_unsaved_draft(web: Client) -> None:
    query = {"category": "invoices", "name": "vat_copy", "title": HOSTILE}
    response = web.get("/library/new", params=query)
    assert response.status_code == 200
    html = response.text
    data = page_data(html)
    assert data["new"] is True and data["version"] == 0
    assert data["template"]["id"] == "invoices.vat_copy"
    assert data["template"]["title"] == HOSTILE
    assert list(data["template"]["replies"]) == ["en"]  # the shop's language, empty
    assert "not saved yet" in text_of(html, "version-line")
    assert text_of(html, "save") == "Create"
    assert "hidden" in attrs_of(parse(html), "button", id="delete")[0]
    assert "<script>alert" not in html
    assert web.get("/v1/library/templates/invoices.vat_copy").status_code == 404  # not saved


def test_a_deleted_id_is_not_offered_again_and_the_deleted_filter_lists_it(web: Client) -> None:
    created = web.post(
        "/v1/library/templates",
        json={"id": "invoices.old", "title": "Old invoice", "replies": {"en": {"formal": "Hi"}}},
    )
    assert created.status_code == 201
    deleted = web.request(
        "DELETE", "/v1/library/templates/invoices.old", headers={"If-Match": '"1"'}
    )
    assert deleted.status_code == 200

    again = web.get("/library/new", params={"category": "invoices", "name": "old", "title": "T"})
    assert "restore it" in text_of(again.text, "new-name-error")
    live = web.get("/library").text
    assert 'href="/library/invoices.old"' not in live
    gone = web.get("/library", params={"deleted": "true"}).text
    assert 'href="/library/invoices.old"' in gone and 'href="/library/thanks.goodbye"' not in gone
    assert attrs_of(parse(gone), "p", id="deleted-view")


def test_the_editor_of_a_deleted_template_offers_restore_and_no_save(web: Client) -> None:
    created = web.post(
        "/v1/library/templates",
        json={"id": "invoices.gone", "title": "Gone", "replies": {"en": {"formal": "Hi"}}},
    )
    assert created.status_code == 201
    web.request("DELETE", "/v1/library/templates/invoices.gone", headers={"If-Match": '"1"'})
    page = parse(web.get("/library/invoices.gone").text)
    assert "hidden" not in attrs_of(page, "p", id="deleted-note")[0]
    assert "hidden" not in attrs_of(page, "button", id="restore")[0]
    assert "hidden" in attrs_of(page, "button", id="delete")[0]
    assert "disabled" in attrs_of(page, "button", id="save")[0]
    live = parse(web.get("/library/thanks.goodbye").text)
    assert "hidden" in attrs_of(live, "p", id="deleted-note")[0]
    assert "hidden" not in attrs_of(live, "button", id="delete")[0]


# ---- categories --------------------------------------------------------------------------


def test_categories_list_titles_descriptions_counts_and_deleted_ones(web: Client) -> None:
    make_category(web, "empty_one", "Empty")
    web.request("DELETE", "/v1/library/categories/empty_one", headers={"If-Match": '"1"'})
    html = web.get("/library/categories").text
    page = parse(html)
    rows = {a["data-id"]: a for a in attrs_of(page, "tr") if a.get("data-id")}
    assert {"thanks", "invoices", "empty_one"} <= set(rows)
    thanks = web.get("/v1/library/categories/thanks").json()
    assert rows["thanks"]["data-version"] == str(thanks["version"])
    titles = [a["value"] for a in attrs_of(page, "input") if a.get("class") == "title"]
    assert HOSTILE in titles and thanks["title"] in titles
    assert "<script>alert" not in html
    deleted = html[html.index('id="deleted-categories"') :]
    assert 'data-id="empty_one"' in deleted and 'class="restore"' in deleted
    assert 'data-id="thanks"' not in deleted
    live_counts = html[html.index('data-id="thanks"') :]
    assert f'<td class="count">{thanks["templates"]}</td>' in live_counts


def test_a_reader_sees_categories_without_change_buttons(app: FastAPI) -> None:
    reader = Client(app, key=api_key(app, ["library:read"], name="reader"))
    html = reader.get("/library/categories").text
    assert 'class="save"' not in html and 'id="category-form"' not in html
    assert "readonly" in html
    assert reader.get("/library/new").status_code == 403  # creating needs library:write
    assert 'id="new-template-form"' not in reader.get("/library").text


# ---- accounts and keys -------------------------------------------------------------------


def test_the_admin_page_lists_accounts_and_keys_without_their_secrets(app: FastAPI) -> None:
    admin = signed_in(app, "boss", role="admin")
    signed_in(app, "clerk", role="agent")
    key = api_key(app, ["suggest"], ["https://shop.example"], name=HOSTILE)
    revoked = Client(app).post("/v1/admin/keys", json={"name": "old key", "scopes": ["suggest"]})
    Client(app).request("DELETE", f"/v1/admin/keys/{revoked.json()['info']['id']}")
    response = admin.get("/admin")
    assert response.status_code == 200
    html = response.text
    page = parse(html)
    users = {a["data-name"]: a for a in attrs_of(page, "tr") if a.get("data-name")}
    assert {"boss", "clerk"} <= set(users)
    selected = [a["value"] for a in attrs_of(page, "option") if "selected" in a]
    assert "admin" in selected and "agent" in selected
    keys = html[html.index('id="keys"') :]
    assert key not in html and key[:13] in keys  # a prefix to recognise it, never the key
    assert "https://shop.example" in keys
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    old = keys[keys.index('data-name="old key"') :]
    old = old[: old.index("</tr>")]
    assert 'class="revoked"' in old and 'class="revoke danger"' not in old
    scopes = [a["value"] for a in attrs_of(page, "input") if a.get("name") == "scopes"]
    assert scopes == ["suggest", "feedback", "library:read", "library:write", "insights", "admin"]


def test_the_admin_page_speaks_chinese(app: FastAPI) -> None:
    html = signed_in(app, "boss", role="admin").get("/admin?lang=zh-Hant").text
    assert '<html lang="zh-Hant">' in html and "帳號" in html


@pytest.mark.parametrize(
    ("role", "pages", "links"),
    [
        ("agent", {"/library/categories": 403, "/library/new": 403, "/admin": 403}, set()),
        (
            "manager",
            {"/library/categories": 200, "/library/new": 200, "/admin": 403},
            {"/library/categories"},
        ),
        (
            "admin",
            {"/library/categories": 200, "/library/new": 200, "/admin": 200},
            {"/library/categories", "/admin"},
        ),
    ],
)
def test_each_role_sees_the_pages_and_links_it_may_use(
    app: FastAPI, role: str, pages: dict[str, int], links: set[str]
) -> None:
    user = signed_in(app, f"nav-{role}", role=role)
    for url, status in pages.items():
        assert user.get(url).status_code == status, url
    hrefs = {a.get("href") for a in attrs_of(parse(user.get("/").text), "a")}
    assert hrefs & {"/library/categories", "/admin"} == links


def test_strangers_are_sent_to_sign_in_from_the_new_pages(app: FastAPI) -> None:
    for url in ("/admin", "/library/categories", "/library/new?category=thanks"):
        response = Client(app, key=None).get(url)
        assert response.status_code == 303, url
        assert response.headers["location"].startswith("/login?next=")
