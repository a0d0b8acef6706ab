"""Who may do what: every route against every kind of caller (a table built from the
app's own routes), API keys and their origins, sessions, lock-out, rate limits, audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.convertors import IntegerConvertor

from app.api.access import COOKIE, Public, Requirement
from app.api.openapi import api_routes, route_rules
from app.auth.access import Access
from app.auth.scopes import ROLE_SCOPES, Role, Scope, parse_scopes
from app.auth.tokens import new_session_cookie
from app.config import Settings
from app.main import add_routes, create_app
from tests.conftest import PASSWORD, REPLIES, Client, api_key
from tests.test_error_shape import assert_error_shape

# ---- the table: every route × every kind of caller --------------------------------------


rules = route_rules
all_routes = api_routes


def _declared_routes() -> list[APIRoute]:
    bare = FastAPI()
    add_routes(bare)  # the same wiring as create_app, without loading a library
    return [r for r in all_routes(bare) if isinstance(r, APIRoute)]


ROUTES = [
    (method, route) for route in _declared_routes() for method in sorted(route.methods - {"HEAD"})
]
CALLERS = {
    "anonymous": frozenset[Scope](),
    **{f"role:{role.value}": ROLE_SCOPES[role] for role in Role},
    **{f"key:{scope.value}": frozenset(parse_scopes(scope.value)) for scope in Scope},
}


def allowed(route: APIRoute, caller: str) -> bool:
    declared = rules(route)
    if any(isinstance(rule, Public) for rule in declared):
        return True
    if caller == "anonymous":
        return False
    scopes = CALLERS[caller]
    return all(
        not rule.scopes or any(s in scopes for s in rule.scopes)
        for rule in declared
        if isinstance(rule, Requirement)
    )


def concrete(route: APIRoute) -> str:
    """The route's path with made-up ids (nothing by those ids exists)."""
    path = route.path
    for name, convertor in route.param_convertors.items():
        value = "999999" if isinstance(convertor, IntegerConvertor) else "no-such-thing"
        path = path.replace("{" + name + "}", value)
    return path


def test_every_route_of_the_running_app_declares_who_may_call_it(app: FastAPI) -> None:
    routes = all_routes(app)
    served = {(m, r.path) for r in routes if isinstance(r, APIRoute) for m in r.methods - {"HEAD"}}
    assert served == {(m, r.path) for m, r in ROUTES}, "a route is wired outside add_routes"
    for _, route in ROUTES:
        assert rules(route), f"{route.path} has no access rule: add require(...) or public"
    others = [r for r in routes if not isinstance(r, APIRoute)]
    assert all(getattr(r, "path", "").startswith("/static") for r in others), others


@pytest.fixture(scope="module")
def callers(app: FastAPI) -> dict[str, dict[str, str]]:
    """Credentials (headers) per kind of caller; users sign in by session cookie."""
    access: Access = app.state.access
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for role in Role:
        name = f"table-{role.value}"
        access.create_user("tests", name, role.value, PASSWORD, "local")
        headers[f"role:{role.value}"] = {"x-user": name}
    for scope in Scope:
        key = api_key(app, [scope.value], name=f"table-{scope.value}")
        headers[f"key:{scope.value}"] = {"Authorization": f"Bearer {key}"}
    return headers


def fresh_session(app: FastAPI, name: str) -> str:
    """A session cookie for `name`, made in the store (no password hashing per test)."""
    access: Access = app.state.access
    user = access.db.user(name)
    assert user is not None
    cookie, digest = new_session_cookie(access.secret)
    access.db.create_session(digest, user.id, datetime.now(UTC) + timedelta(hours=1), "test")
    return cookie


@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize(("method", "route"), ROUTES, ids=[f"{m} {r.path}" for m, r in ROUTES])
def test_each_caller_against_each_route(
    app: FastAPI,
    callers: dict[str, dict[str, str]],
    method: str,
    route: APIRoute,
    caller: str,
) -> None:
    headers = dict(callers[caller])
    user = headers.pop("x-user", None)
    if user is not None:
        headers["Cookie"] = f"{COOKIE}={fresh_session(app, user)}"
    kwargs: dict[str, Any] = {"headers": headers}
    if method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = {}  # refused before the body is read, or a 4xx about the body
    response = Client(app, key=None).request(method, concrete(route), **kwargs)
    assert response.status_code < 500, response.text
    page = any(isinstance(r, Requirement) and r.page for r in rules(route))
    if allowed(route, caller):
        assert response.status_code not in (401, 403), response.text
    elif page and caller == "anonymous":
        assert response.status_code == 303  # a page sends strangers to sign in
        assert response.headers["location"].startswith("/login?next=")
    else:
        expected = 401 if caller == "anonymous" else 403
        assert response.status_code == expected, response.text
        assert_error_shape(response.json())


def test_only_health_and_sign_in_answer_without_credentials() -> None:
    public = sorted(
        f"{m} {r.path}" for m, r in ROUTES if any(isinstance(x, Public) for x in rules(r))
    )
    assert public == ["GET /healthz", "GET /login", "POST /v1/auth/login"]


# ---- API keys and origins ----------------------------------------------------------------

SHOP = "https://shop.example"
EVIL = "https://evil.example"
ASK = {"message": "hello", "context": {"now": "2026-11-21T12:00:00+08:00"}}


def preflight(client: Client, origin: str) -> httpx.Response:
    return client.request(
        "OPTIONS",
        "/v1/suggest",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_a_key_answers_cors_only_for_its_own_origins(app: FastAPI) -> None:
    widget = Client(app, key=api_key(app, ["suggest"], [SHOP + "/"], name="widget"))
    ok = preflight(widget, SHOP)
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == SHOP
    assert "authorization" in ok.headers["access-control-allow-headers"]
    refused = preflight(widget, EVIL)
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    assert_error_shape(refused.json())

    from_shop = widget.post("/v1/suggest", json=ASK, headers={"Origin": SHOP})
    assert from_shop.status_code == 200
    assert from_shop.headers["access-control-allow-origin"] == SHOP
    assert "Origin" in from_shop.headers["vary"]
    from_evil = widget.post("/v1/suggest", json=ASK, headers={"Origin": EVIL})
    assert from_evil.status_code == 403 and "access-control-allow-origin" not in from_evil.headers
    from_server = widget.post("/v1/suggest", json=ASK)  # no Origin: not a browser
    assert from_server.status_code == 200
    assert "access-control-allow-origin" not in from_server.headers


def test_a_key_without_origins_is_refused_in_a_browser(app: FastAPI) -> None:
    server_key = Client(app, key=api_key(app, ["suggest"], name="backend"))
    assert server_key.post("/v1/suggest", json=ASK).status_code == 200
    response = server_key.post("/v1/suggest", json=ASK, headers={"Origin": SHOP})
    assert response.status_code == 403
    assert "may not be used from" in response.json()["error"]["message"]


def test_a_revoked_key_is_refused_at_once_and_its_origins_go(app: FastAPI) -> None:
    admin = Client(app)
    created = admin.post(
        "/v1/admin/keys",
        json={"name": "to revoke", "scopes": ["suggest"], "origins": ["https://gone.example"]},
    )
    assert created.status_code == 201
    key, info = created.json()["key"], created.json()["info"]
    assert key.startswith(info["prefix"]) and key not in str(admin.get("/v1/admin/keys").json())
    revocable = Client(app, key=key)
    assert revocable.post("/v1/suggest", json=ASK).status_code == 200
    assert preflight(revocable, "https://gone.example").status_code == 204
    revoked = admin.request("DELETE", f"/v1/admin/keys/{info['id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    refused = revocable.post("/v1/suggest", json=ASK)
    assert refused.status_code == 401
    assert_error_shape(refused.json())
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert preflight(revocable, "https://gone.example").status_code == 403


def test_a_used_key_shows_when_it_was_last_used(app: FastAPI) -> None:
    key = api_key(app, ["suggest"], name="watched")
    listed = {k["name"]: k for k in Client(app).get("/v1/admin/keys").json()}
    assert listed["watched"]["last_used_at"] is None
    assert (
        Client(app, key=None).post("/v1/suggest", json=ASK, headers={"X-API-Key": key}).status_code
        == 200
    )
    listed = {k["name"]: k for k in Client(app).get("/v1/admin/keys").json()}
    assert listed["watched"]["last_used_at"] is not None


@pytest.mark.parametrize(
    "header", ["Basic YWRtaW46YWRtaW4=", "Bearer", "Bearer kefu_not-a-real-key-at-all-0000"]
)
def test_bad_authorization_is_a_401(app: FastAPI, header: str) -> None:
    response = Client(app, key=None).get("/v1/categories", headers={"Authorization": header})
    assert response.status_code == 401
    assert assert_error_shape(response.json())["code"] == "unauthorized"


def test_key_scopes_are_checked_when_made(app: FastAPI) -> None:
    response = Client(app).post("/v1/admin/keys", json={"name": "x", "scopes": ["everything"]})
    assert response.status_code == 422 and "everything" in response.json()["error"]["message"]
    response = Client(app).post(
        "/v1/admin/keys", json={"name": "x", "scopes": ["suggest"], "origins": ["shop.example"]}
    )
    assert response.status_code == 422 and "origin" in response.json()["error"]["message"]


# ---- sessions ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def people(app: FastAPI) -> Iterator[dict[str, str]]:
    access: Access = app.state.access
    for name, role in (("sia", "agent"), ("mo", "manager"), ("ola", "agent"), ("dee", "agent")):
        access.create_user("tests", name, role, PASSWORD, "local")
    yield {"agent": "sia", "manager": "mo"}


def test_sign_in_sets_a_hardened_cookie_and_me_says_who(app: FastAPI, people: Any) -> None:
    client = Client(app, key=None, address="198.51.100.1")
    response = client.login("sia", PASSWORD)
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert f"{COOKIE}=" in cookie and "HttpOnly" in cookie and "Path=/" in cookie
    assert "samesite=lax" in cookie.lower() and "Secure" not in cookie
    me = client.get("/v1/auth/me").json()
    assert me["name"] == "sia" and me["role"] == "agent"
    assert me["scopes"] == ["feedback", "suggest"] and me["kind"] == "user"
    assert client.post("/v1/suggest", json=ASK).status_code == 200
    assert client.get("/v1/library/templates").status_code == 403


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(
    app: FastAPI, people: Any
) -> None:
    client = Client(app, key=None, address="198.51.100.2")
    wrong = client.login("ola", "not the password")
    unknown = client.login("nobody-here", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert COOKIE not in client.cookies


def test_sign_out_ends_the_session_and_the_old_cookie_is_refused(app: FastAPI, people: Any) -> None:
    client = Client(app, key=None, address="198.51.100.3")
    assert client.login("mo", PASSWORD).status_code == 200
    old = client.cookies[COOKIE]
    assert client.post("/v1/auth/logout").status_code == 200
    assert COOKIE not in client.cookies
    replay = Client(app, key=None).get("/v1/auth/me", headers={"Cookie": f"{COOKIE}={old}"})
    assert replay.status_code == 401
    assert_error_shape(replay.json())


def test_sign_out_everywhere_ends_every_session(app: FastAPI, people: Any) -> None:
    laptop, phone = (Client(app, key=None, address=f"198.51.100.{n}") for n in (4, 5))
    assert laptop.login("dee", PASSWORD).status_code == 200
    assert phone.login("dee", PASSWORD).status_code == 200
    assert phone.get("/v1/auth/me").status_code == 200
    assert laptop.post("/v1/auth/logout", json={"everywhere": True}).status_code == 200
    assert phone.get("/v1/auth/me").status_code == 401


def test_a_tampered_cookie_is_refused(app: FastAPI, people: Any) -> None:
    client = Client(app, key=None, address="198.51.100.6")
    assert client.login("sia", PASSWORD).status_code == 200
    token, _, signature = client.cookies[COOKIE].rpartition(".")
    forged = f"{token[:-1]}{'A' if token[-1] != 'A' else 'B'}.{signature}"
    response = Client(app, key=None).get("/v1/auth/me", headers={"Cookie": f"{COOKIE}={forged}"})
    assert response.status_code == 401


def test_a_change_with_a_cookie_from_another_site_is_refused(app: FastAPI, people: Any) -> None:
    client = Client(app, key=None, address="198.51.100.7")
    assert client.login("sia", PASSWORD).status_code == 200
    cross = client.post("/v1/suggest", json=ASK, headers={"Origin": EVIL})
    assert cross.status_code == 403 and "own pages" in cross.json()["error"]["message"]
    same = client.post("/v1/suggest", json=ASK, headers={"Origin": "http://kefu"})
    assert same.status_code == 200


def test_a_password_set_by_an_admin_must_be_changed_first(app: FastAPI, people: Any) -> None:
    admin = Client(app)
    set_by_admin = "temporary password 1"
    changed = admin.request("PATCH", "/v1/admin/users/ola", json={"password": set_by_admin})
    assert changed.status_code == 200 and changed.json()["must_change_password"] is True
    ola = Client(app, key=None, address="198.51.100.8")
    assert ola.login("ola", set_by_admin).status_code == 200
    blocked = ola.post("/v1/suggest", json=ASK)
    assert blocked.status_code == 403
    assert blocked.json()["error"]["code"] == "password_change_required"
    assert ola.get("/v1/auth/me").json()["must_change_password"] is True
    short = ola.post("/v1/auth/password", json={"current": set_by_admin, "new": "short"})
    assert short.status_code == 422
    done = ola.post("/v1/auth/password", json={"current": set_by_admin, "new": PASSWORD})
    assert done.status_code == 200 and done.json()["must_change_password"] is False
    assert ola.post("/v1/suggest", json=ASK).status_code == 200


def test_a_disabled_account_is_signed_out_and_cannot_sign_in(app: FastAPI) -> None:
    access: Access = app.state.access
    access.create_user("tests", "leaver", "agent", PASSWORD, "local")
    leaver = Client(app, key=None, address="198.51.100.9")
    assert leaver.login("leaver", PASSWORD).status_code == 200
    admin = Client(app)
    assert (
        admin.request("PATCH", "/v1/admin/users/leaver", json={"disabled": True}).status_code == 200
    )
    assert leaver.get("/v1/auth/me").status_code == 401
    assert leaver.login("leaver", PASSWORD).status_code == 401


def test_the_last_admin_cannot_be_demoted(app: FastAPI) -> None:
    admins = [u for u in Client(app).get("/v1/admin/users").json() if u["role"] == "admin"]
    access: Access = app.state.access
    for user in admins[1:]:
        access.change_user("tests", user["name"], "local", disabled=True)
    response = Client(app).request(
        "PATCH", f"/v1/admin/users/{admins[0]['name']}", json={"role": "agent"}
    )
    assert response.status_code == 422 and "last active admin" in response.text
    for user in admins[1:]:
        access.change_user("tests", user["name"], "local", disabled=False)


# ---- lock-out and rate limits (an app with small limits) --------------------------------


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("strict"),
        replies_dir=REPLIES,
        login_max_failures=3,
        login_lockout_minutes=30,
        login_rate_per_minute=6,
        suggest_rate_per_minute=3,
        cookie_secure=True,
    )
    return create_app(settings)


def test_repeated_wrong_passwords_lock_the_account_without_saying_so(strict: FastAPI) -> None:
    access: Access = strict.state.access
    access.create_user("tests", "target", "agent", PASSWORD, "local")
    client = Client(strict, key=None, address="192.0.2.1")
    unknown = client.login("nobody-at-all", "guess").json()
    for _ in range(3):
        assert client.login("target", "guess").json() == unknown
    locked = client.login("target", PASSWORD)
    assert locked.status_code == 401 and locked.json() == unknown  # right password, locked
    user = access.db.user("target")
    assert user is not None and user.locked_until is not None
    assert user.locked_until > datetime.now(UTC) + timedelta(minutes=29)
    assert (
        Client(strict).request("PATCH", "/v1/admin/users/target", json={"unlock": True}).status_code
        == 200
    )
    signed_in = client.login("target", PASSWORD)
    assert signed_in.status_code == 200
    assert "Secure" in signed_in.headers["set-cookie"]  # cookie_secure=True


def test_sign_in_attempts_are_rate_limited_with_retry_after(strict: FastAPI) -> None:
    client = Client(strict, key=None, address="192.0.2.2")
    answers = [client.login(f"who-{n}", "guess") for n in range(7)]
    assert [a.status_code for a in answers] == [401] * 6 + [429]
    error = assert_error_shape(answers[-1].json())
    assert error["code"] == "rate_limited"
    assert int(answers[-1].headers["retry-after"]) >= 1
    other_address = Client(strict, key=None, address="192.0.2.3")
    assert other_address.login("who-0", "guess").status_code == 401


def test_suggestions_are_rate_limited_per_key(strict: FastAPI) -> None:
    busy = Client(strict, key=api_key(strict, ["suggest"], name="busy"))
    codes = [busy.post("/v1/suggest", json=ASK).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = busy.post("/v1/suggest", json=ASK)
    assert int(limited.headers["retry-after"]) >= 1
    assert assert_error_shape(limited.json())["code"] == "rate_limited"
    calm = Client(strict, key=api_key(strict, ["suggest"], name="calm"))
    assert calm.post("/v1/suggest", json=ASK).status_code == 200


def test_suggestions_are_rate_limited_per_account(strict: FastAPI) -> None:
    access: Access = strict.state.access
    access.create_user("tests", "fast-typist", "agent", PASSWORD, "local")
    agent = Client(strict, key=None, address="192.0.2.4")
    signed_in = agent.login("fast-typist", PASSWORD)
    assert signed_in.status_code == 200
    # The cookie is Secure (cookie_secure=True): sent by hand over this plain-http client.
    cookie = {"Cookie": f"{COOKIE}={signed_in.cookies[COOKIE]}"}
    codes = [agent.post("/v1/suggest", json=ASK, headers=cookie).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


# ---- the audit log ------------------------------------------------------------------------


def audit(app: FastAPI, **params: Any) -> list[dict[str, Any]]:
    response = Client(app).get("/v1/admin/audit", params=params)
    assert response.status_code == 200
    entries: list[dict[str, Any]] = response.json()
    return entries


def test_a_library_change_is_audited_with_who_what_and_from_where(
    app: FastAPI, people: Any
) -> None:
    manager = Client(app, key=None, address="198.51.100.20")
    assert manager.login("mo", PASSWORD).status_code == 200
    stored = manager.get("/v1/library/templates/thanks.goodbye")
    document = {**stored.json()["template"], "title": "Goodbye (audited)"}
    saved = manager.request(
        "PUT",
        "/v1/library/templates/thanks.goodbye",
        json=document,
        headers={"If-Match": stored.headers["ETag"]},
    )
    assert saved.status_code == 200
    entry = audit(app, actor="mo", action="PUT /v1/library/templates/{template_id}")[0]
    assert entry["target"] == "/v1/library/templates/thanks.goodbye"
    assert entry["remote"] == "198.51.100.20"
    assert entry["detail"]["etag"] == saved.headers["ETag"]
    assert entry["detail"]["if_match"] == stored.headers["ETag"]
    history = manager.get("/v1/library/templates/thanks.goodbye/history").json()
    assert history[-1]["author"] == "mo"


def test_a_refused_change_is_not_audited_as_a_change(app: FastAPI, people: Any) -> None:
    manager = Client(app, key=None, address="198.51.100.21")
    assert manager.login("mo", PASSWORD).status_code == 200
    before = len(audit(app, actor="mo", action="PUT /v1/library/templates/{template_id}"))
    invalid = manager.request(
        "PUT", "/v1/library/templates/thanks.goodbye", json={}, headers={"If-Match": '"1"'}
    )
    assert invalid.status_code == 422
    after = len(audit(app, actor="mo", action="PUT /v1/library/templates/{template_id}"))
    assert after == before


def test_sign_ins_keys_and_accounts_are_audited(app: FastAPI, people: Any) -> None:
    client = Client(app, key=None, address="198.51.100.22")
    client.login("sia", "wrong password")
    client.login("sia", PASSWORD)
    client.post("/v1/auth/logout")
    admin = Client(app)
    created = admin.post("/v1/admin/keys", json={"name": "audited", "scopes": ["feedback"]})
    key_id = created.json()["info"]["id"]
    admin.request("DELETE", f"/v1/admin/keys/{key_id}")
    admin.post("/v1/admin/users", json={"name": "newbie", "role": "agent"})
    admin.request("PATCH", "/v1/admin/users/newbie", json={"role": "manager"})

    sia = [(e["action"], e["remote"]) for e in audit(app, actor="sia")]
    assert sia[:3] == [
        ("logout", "198.51.100.22"),
        ("login", "198.51.100.22"),
        ("login.failed", "198.51.100.22"),
    ]
    actions = {(e["action"], e["target"]) for e in audit(app, limit=20)}
    assert {
        ("key.create", f"key#{key_id}"),
        ("key.revoke", f"key#{key_id}"),
        ("user.create", "newbie"),
        ("user.change", "newbie"),
    } <= actions


def test_the_audit_log_is_for_admins_only(app: FastAPI, people: Any) -> None:
    manager = Client(app, key=None, address="198.51.100.23")
    assert manager.login("mo", PASSWORD).status_code == 200
    assert manager.get("/v1/admin/audit").status_code == 403


def test_kefu_serve_binds_to_loopback_unless_told(tmp_path: Path) -> None:
    from app.cli import build_parser

    assert build_parser().parse_args(["serve"]).host == "127.0.0.1"


def test_a_page_sends_an_unknown_caller_to_sign_in_and_back(app: FastAPI, people: Any) -> None:
    from fastapi import Depends
    from fastapi.responses import PlainTextResponse

    from app.api.access import require_page
    from app.api.errors import install_error_handlers

    pages = FastAPI()
    pages.state.access = app.state.access
    install_error_handlers(pages)

    @pages.get("/library", dependencies=[Depends(require_page(Scope.LIBRARY_READ))])
    async def library_page() -> PlainTextResponse:
        return PlainTextResponse("the library")

    visitor = Client(pages, key=None, address="198.51.100.30")
    sent = visitor.get("/library?q=ship", follow_redirects=False)
    assert sent.status_code == 303
    assert sent.headers["location"] == "/login?next=%2Flibrary%3Fq%3Dship"
    manager = Client(app, key=None, address="198.51.100.31")
    signed_in = manager.login("mo", PASSWORD)
    cookie = {"Cookie": f"{COOKIE}={signed_in.cookies[COOKIE]}"}
    assert visitor.get("/library", headers=cookie).text == "the library"
    agent = Client(app, key=None, address="198.51.100.32")
    cookie = {"Cookie": f"{COOKIE}={agent.login('sia', PASSWORD).cookies[COOKIE]}"}
    assert visitor.get("/library", headers=cookie).status_code == 403


def test_the_api_schema_says_how_to_authenticate_and_which_answers_refuse(
    client: Client,
) -> None:
    schema = client.get("/openapi.json").json()
    assert set(schema["components"]["securitySchemes"]) == {
        "apiKeyBearer",
        "apiKeyHeader",
        "session",
    }
    suggest = schema["paths"]["/v1/suggest"]["post"]
    assert {"401", "403", "429"} <= set(suggest["responses"]) and suggest["security"]
    assert schema["paths"]["/healthz"]["get"]["security"] == []
    assert "401" not in schema["paths"]["/healthz"]["get"]["responses"]
    assert "429" in schema["paths"]["/v1/auth/login"]["post"]["responses"]
