"""Server-side template injection: what a manager saves or a buyer types never escapes.

Every payload below is (a) saved as a reply text through the API, where it is refused
with a reason naming the construct or accepted because it renders harmlessly; (b) rendered
by preview; (c) sent as a buyer message and as request variables. Throughout, a secret in
the environment and a secret file are planted: no answer shows either, no file is opened
outside Python's installation, kefu's code and its data folder, nothing else is written,
nothing is run or connected to, no answer is a 500, and every answer comes back (a hang
fails the test instead of stalling it).
"""

from __future__ import annotations

import os
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from jinja2 import StrictUndefined, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.parser import Parser

from app.config import Settings
from app.main import create_app
from app.sandbox import MAX_REPLY_CHARS, RenderRefused, ReplyEnvironment, bounded_join
from tests.conftest import OPEN_HOURS, REPLIES, ROOT, Client
from tests.test_error_shape import assert_error_shape

SECRET_ENV = "KEFU_TEST_INJECTION_SECRET"
SECRET_VALUE = f"env-secret-{uuid.uuid4().hex}"
FILE_SECRET = f"file-secret-{uuid.uuid4().hex}"
HANG = 60.0  # seconds: far beyond any real render; only a runaway one gets near it
VARIABLES = ["buyer_name", "order_id", "amount", "delivery_date"]


@dataclass(frozen=True)
class Refused:
    """Refused at save with a 422 whose message contains `reason`."""

    reason: str


@dataclass(frozen=True)
class Renders:
    """Accepted: renders to exactly `text` (with the sample values)."""

    text: str


# `{file}` is replaced by the secret file's path and `{out}` by a path nothing may create.
PAYLOADS: list[tuple[str, str, Refused | Renders]] = [
    # attribute walks towards Python's internals
    ("mro-subclasses", "{{ ''.__class__.__mro__[1].__subclasses__() }}", Refused("not allowed")),
    ("class-base", "{{ order_id.__class__.__base__ }}", Refused("'__base__' is not allowed")),
    ("shop-globals", "{{ shop.__init__.__globals__['os'].environ }}", Refused("not allowed")),
    ("builtins-open", "{{ shop.__init__.__globals__.__builtins__.open('{file}').read() }}",
     Refused("not allowed")),
    ("getitem-dunder", "{{ shop['__class__'] }}", Refused("'__class__' is not allowed")),
    ("escaped-dunder", "{{ order_id['\\x5f\\x5fclass\\x5f\\x5f'] }}", Refused("not allowed")),
    ("built-dunder", "{{ order_id[('__cl' ~ 'ass__')] }}", Refused("unsafe")),
    ("attr-filter", "{{ shop|attr('__class__') }}", Refused("filter 'attr' is not allowed")),
    ("method-object", "{{ order_id.upper }}", Refused("unsafe")),
    ("private-name", "{{ _locale }}", Refused("'_locale' is not allowed")),
    # Jinja's and frameworks' well-known names
    ("request", "{{ request.application.__globals__ }}", Refused("not allowed")),
    ("config", "{{ config.items() }}", Refused("not allowed")),
    ("self", "{{ self.__init__.__globals__.__builtins__ }}", Refused("not allowed")),
    ("self-plain", "{{ self }}", Refused("'self' is not allowed")),
    ("cycler", "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
     Refused("not allowed")),
    ("joiner", "{{ joiner.__init__.__globals__.os.popen('id').read() }}",
     Refused("not allowed")),
    ("namespace", "{{ namespace.__init__.__globals__.os.popen('cat {file}').read() }}",
     Refused("not allowed")),
    ("lipsum-globals", "{{ lipsum.__globals__['os'].popen('cat {file}').read() }}",
     Refused("not allowed")),
    ("lipsum-bomb", "{{ lipsum(99999, False, 1000, 1000) }}", Refused("calls")),
    ("global-name", "{{ range }}", Refused("undeclared variables: range")),
    ("loop-name", "{{ loop }}", Refused("'loop' is not allowed")),
    ("caller", "{{ caller() }}", Refused("calls")),
    # format strings
    ("str-format", "{{ '{0.__class__}'.format(shop) }}", Refused("calls")),
    ("format-map", "{{ shop.name.format_map(shop) }}", Refused("calls")),
    ("percent-format", "{{ '%s' % shop }}", Refused("`%` formatting of text")),
    ("percent-width", "{{ '%999999999d' % 1 }}", Refused("`%` formatting of text")),
    ("format-filter", "{{ '%999999999d'|format(1) }}", Refused("filter 'format'")),
    # loops, recursion, huge ranges
    ("range-loop", "{% for i in range(999999999) %}x{% endfor %}", Refused("loops")),
    ("nested-loops", "{% for a in order_id %}{% for b in order_id %}{{ b }}{% endfor %}"
     "{% endfor %}", Refused("loops")),
    ("recursive-loop", "{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}",
     Refused("loops")),
    ("macro-recursion", "{% macro r(n) %}{{ r(n) }}{% endmacro %}{{ r(1) }}",
     Refused("macro")),
    ("call-block", "{% call(x) shop.name() %}{% endcall %}", Refused("`{% call %}`")),
    ("deep-parens", "{{ " + "(" * 1500 + "1" + ")" * 1500 + " }}", Refused("nests")),
    ("deep-ifs", "{% if 1 %}" * 150 + "x" + "{% endif %}" * 150, Refused("nests")),
    ("long-sum", "{{ 1" + " + 1" * 900 + " }}", Refused("nests")),
    # multiplication bombs and huge values
    ("string-bomb", "{{ 'a' * 999999999 }}", Refused("more than 10000 characters")),
    ("variable-bomb", "{{ order_id * 99999999 }}", Refused("more than 10000 characters")),
    ("list-bomb", "{{ [1] * 99999999 }}", Refused("list literals")),
    ("tuple-bomb", "{{ (1, 2) * 99999999 }}", Refused("tuple literals")),
    ("power", "{{ 9 ** 9 ** 9 }}", Refused("`**`")),
    ("int-growth", "{{ 99999999999999999999 * 99999999999999999999 * 99999999999999999999"
     " * 99999999999999999999 }}", Refused("too large")),
    ("long-output", "{{ 'x' * 9000 ~ 'y' * 9000 }}", Refused("longer than 10000")),
    ("huge-join", "{{ order_id|join(',') }}", Refused("filter 'join'")),
    ("center", "{{ order_id|center(999999999) }}", Refused("filter 'center'")),
    ("indent", "{{ order_id|indent(999999999, true) }}", Refused("filter 'indent'")),
    ("replace-chain", "{{ order_id|replace('', order_id)|replace('', order_id) }}",
     Refused("filter 'replace'")),
    ("money-huge-arg", "{{ amount|money('X' * 99999) }}", Refused("more than 10000")),
    ("set-huge", "{% set x = 'a' * 999999999 %}{{ x }}", Refused("`{% set %}`")),
    # other templates and files
    ("include", "{% include '{file}' %}", Refused("include")),
    ("import", "{% import '{file}' as s %}{{ s }}", Refused("import")),
    ("from-import", "{% from '{file}' import x %}{{ x }}", Refused("import")),
    ("extends", "{% extends '{file}' %}", Refused("extends")),
    ("block", "{% block b %}x{% endblock %}", Refused("block")),
    ("with", "{% with a = shop %}{{ a }}{% endwith %}", Refused("with")),
    ("filter-block", "{% filter upper %}x{% endfilter %}", Refused("filter")),
    ("dict-literal", "{{ {'a': 1} }}", Refused("dict literals")),
    ("dyn-args", "{{ order_id|truncate(*[5]) }}", Refused("not allowed")),
    # harmless: accepted, and shown as written or computed without harm
    ("arithmetic", "Bye {{ 7*7 }}", Renders("Bye 49")),
    ("raw-block", "Bye {% raw %}{{ 7*7 }}{% endraw %}", Renders("Bye {{ 7*7 }}")),
    ("braces-as-data", "Bye {{ '{{7*7}}' }}", Renders("Bye {{7*7}}")),
    ("truncate-huge", "Bye {{ shop.name|truncate(999999999) }}", Renders("Bye Lumen Home")),
    ("bounded-mul", "Bye {{ 'ab' * 3 }}", Renders("Bye ababab")),
    ("number-mod", "Bye {{ 10 % 3 }}", Renders("Bye 1")),
    ("slice", "Bye {{ shop.currency[:2] }}", Renders("Bye US")),
    ("guarded-variable", "Bye{% if order_id %} {{ order_id * 2 }}{% endif %}", Renders("Bye A1A1")),
]
IDS = [p[0] for p in PAYLOADS]
SAMPLES = {"order_id": "A1", "amount": "12.5", "buyer_name": "Anna", "delivery_date": "2026-12-03"}


# ---- the fences a test watches --------------------------------------------------------


# Audit events that mean a process, a file change, a listing or the network.
FORBIDDEN_EVENTS = (
    "subprocess.", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
    "os.kill", "os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.truncate", "os.chmod",
    "os.chown", "os.link", "os.symlink", "os.listdir", "os.scandir", "os.putenv",
    "os.unsetenv", "shutil.", "socket.connect", "socket.bind", "socket.getaddrinfo",
    "socket.gethostbyname", "socket.sendto", "urllib.", "ctypes.", "webbrowser.", "builtins.input",
)


class Watch:
    """Audit events seen while a payload is handled (`sys.addaudithook` cannot be
    removed, so the hook is installed once and records only while active)."""

    active = False
    events: list[tuple[str, tuple[Any, ...]]] = []
    lock = threading.Lock()
    installed = False


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if Watch.active and (event == "open" or event.startswith(FORBIDDEN_EVENTS)):
        # The service's own background threads (warm-up, reloads, index rebuilds, counts)
        # never see a request's text; what they open is not the payload's doing.
        if threading.current_thread().name.startswith("kefu-"):
            return
        with Watch.lock:
            Watch.events.append((event, args))


CODE_ROOTS = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(ROOT / "app")}
# The service's own data folder (its index cache, read and rebuilt in the background).
STATE_ROOTS: set[str] = set()


def _within(path: str, roots: set[str]) -> bool:
    return any(path.startswith(os.path.abspath(r) + os.sep) for r in roots)


def _allowed_open(path: Any, mode: Any) -> bool:
    """Reading code and the packages' data (Babel's locale files, a source line for a
    traceback) is fine, and so is kefu's own data folder; anything else, and any other
    write, is not."""
    if not isinstance(path, str | bytes | os.PathLike):
        return False  # an open by file descriptor: nothing in kefu does that mid-request
    text = os.path.abspath(os.fsdecode(path))
    if _within(text, STATE_ROOTS):
        return True
    if isinstance(mode, str) and any(m in mode for m in "wax+"):
        return False
    return _within(text, CODE_ROOTS)


@pytest.fixture(scope="module")
def secret_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secret") / "secret.txt"
    path.write_text(FILE_SECRET, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    data = tmp_path_factory.mktemp("injection")
    STATE_ROOTS.add(str(data))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SECRET_ENV, SECRET_VALUE)
        yield create_app(Settings(data_dir=data, replies_dir=REPLIES))


@pytest.fixture(scope="module")
def api(app: FastAPI) -> Client:
    if not Watch.installed:
        sys.addaudithook(_hook)
        Watch.installed = True
    return Client(app)


def source_of(raw: str, secret_file: Path, out: Path) -> str:
    return raw.replace("{file}", str(secret_file)).replace("{out}", str(out))


def watched(call: Callable[[], httpx.Response], out: Path) -> httpx.Response:
    """Run one request under the audit hook and a hang guard; check every fence."""
    pool = ThreadPoolExecutor(max_workers=1)
    with Watch.lock:
        Watch.events.clear()
    Watch.active = True
    try:
        response = pool.submit(call).result(timeout=HANG)
    except FutureTimeout:
        pytest.fail(f"the request did not come back within {HANG:.0f} s")
    finally:
        Watch.active = False
        pool.shutdown(wait=False)
    with Watch.lock:
        events = list(Watch.events)
    assert response.status_code < 500, response.text
    for secret in (SECRET_VALUE, FILE_SECRET):
        assert secret not in response.text
    assert "object at 0x" not in response.text  # no object reprs with memory addresses
    forbidden = [e for e in events if e[0] != "open"]
    assert not forbidden, forbidden
    opened = [e[1][:2] for e in events if e[0] == "open" and not _allowed_open(*e[1][:2])]
    assert not opened, f"files opened while handling the payload: {opened}"
    assert not out.exists()
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        if isinstance(body, dict) and "error" in body:
            assert_error_shape(body)
    return response


def draft(template_id: str, source: str) -> dict[str, Any]:
    return {
        "id": template_id,
        "title": "Injection probe",
        "variables": VARIABLES,
        "replies": {"en": dict.fromkeys(("friendly", "formal", "empathetic"), source)},
    }


def texts(body: dict[str, Any]) -> list[str]:
    shown = body["suggestions"] + (body["no_match"]["guesses"] if body["no_match"] else [])
    return [s["text"] for s in shown]


# ---- (a) saved as a template ----------------------------------------------------------


@pytest.mark.parametrize(("name", "raw", "outcome"), PAYLOADS, ids=IDS)
def test_a_payload_saved_as_a_template_is_refused_with_a_reason_or_renders_harmlessly(
    api: Client, secret_file: Path, tmp_path: Path, name: str, raw: str,
    outcome: Refused | Renders,
) -> None:
    out = tmp_path / "pwned"
    template_id = f"thanks.probe_{name.replace('-', '_')}"
    source = source_of(raw, secret_file, out)
    response = watched(
        lambda: api.post("/v1/library/templates", json=draft(template_id, source)), out
    )
    if isinstance(outcome, Refused):
        assert response.status_code == 422, response.text
        error = assert_error_shape(response.json())
        assert error["code"] == "invalid_input"
        assert outcome.reason in error["message"], error["message"]
        assert api.get(f"/v1/library/templates/{template_id}").status_code == 404
    else:
        assert response.status_code == 201, response.text


# ---- (b) rendered by preview ----------------------------------------------------------


@pytest.mark.parametrize(("name", "raw", "outcome"), PAYLOADS, ids=IDS)
def test_a_payload_previewed_shows_its_problem_or_its_harmless_text(
    api: Client, secret_file: Path, tmp_path: Path, name: str, raw: str,
    outcome: Refused | Renders,
) -> None:
    out = tmp_path / "pwned"
    source = source_of(raw, secret_file, out)
    response = watched(
        lambda: api.post(
            "/v1/library/preview",
            json={"template": draft("thanks.preview_probe", source), "variables": SAMPLES},
        ),
        out,
    )
    assert response.status_code == 200, response.text
    items = response.json()
    assert len(items) == 3
    for item in items:
        if isinstance(outcome, Refused):
            assert item["text"] is None and outcome.reason in item["problem"], item
        else:
            assert item["problem"] is None and item["text"] == outcome.text


# ---- (c) served, and sent by a buyer --------------------------------------------------


def serve_as_goodbye(app: FastAPI, api: Client, source: str) -> None:
    """Save `source` as the English replies of thanks.goodbye and serve the new library."""
    current = api.get("/v1/library/templates/thanks.goodbye")
    document = {**current.json()["template"], "variables": VARIABLES}
    document["replies"] = {**document["replies"], **draft("x.y", source)["replies"]}
    saved = api.request("PUT", "/v1/library/templates/thanks.goodbye", json=document,
                        headers={"If-Match": current.headers["ETag"]})
    assert saved.status_code == 200, saved.text
    app.state.kefu.load()  # what the watcher does within a second of a save


HARMLESS = [(n, r, o) for n, r, o in PAYLOADS if isinstance(o, Renders)]


@pytest.mark.parametrize(("name", "raw", "outcome"), HARMLESS, ids=[p[0] for p in HARMLESS])
def test_an_accepted_payload_is_served_as_its_harmless_text(
    app: FastAPI, api: Client, secret_file: Path, tmp_path: Path, name: str, raw: str,
    outcome: Renders,
) -> None:
    out = tmp_path / "pwned"
    serve_as_goodbye(app, api, source_of(raw, secret_file, out))
    response = watched(
        lambda: api.post("/v1/suggest", json={
            "message": "ok bye bye", "locale": "en", "variables": SAMPLES,
            "context": {"now": OPEN_HOURS}}),
        out,
    )
    served = [s for s in response.json()["suggestions"] if s["template_id"] == "thanks.goodbye"]
    assert served and served[0]["text"] == outcome.text


@pytest.mark.parametrize(("name", "raw", "outcome"), PAYLOADS, ids=IDS)
def test_a_payload_tried_as_a_draft_shows_its_problem_or_its_harmless_text(
    api: Client, secret_file: Path, tmp_path: Path, name: str, raw: str,
    outcome: Refused | Renders,
) -> None:
    out = tmp_path / "pwned"
    template = draft("thanks.try_probe", source_of(raw, secret_file, out))
    template["triggers"] = {"en": {"examples": ["ok bye bye"]}}
    response = watched(
        lambda: api.post("/v1/library/try", json={
            "message": "ok bye bye", "locale": "en", "tone": "formal", "template": template,
            "variables": SAMPLES, "context": {"now": OPEN_HOURS}}),
        out,
    )
    assert response.status_code == 200, response.text
    verdict = response.json()["draft"]
    if isinstance(outcome, Refused):
        assert verdict["text"] is None and outcome.reason in verdict["problem"], verdict
    else:
        assert verdict["problem"] is None and verdict["text"] == outcome.text


@pytest.mark.parametrize(("name", "raw", "outcome"), PAYLOADS, ids=IDS)
def test_a_payload_typed_by_a_buyer_is_data(
    api: Client, secret_file: Path, tmp_path: Path, name: str, raw: str,
    outcome: Refused | Renders,
) -> None:
    out = tmp_path / "pwned"
    message = source_of(raw, secret_file, out)[:2000]
    response = watched(
        lambda: api.post("/v1/suggest", json={"message": message,
                                              "context": {"now": OPEN_HOURS}}),
        out,
    )
    assert response.status_code == 200, response.text
    assert all(len(t) <= MAX_REPLY_CHARS for t in texts(response.json()))


@pytest.mark.parametrize(("name", "raw", "outcome"), PAYLOADS, ids=IDS)
def test_a_payload_sent_as_a_variable_is_shown_as_written(
    api: Client, secret_file: Path, tmp_path: Path, name: str, raw: str,
    outcome: Refused | Renders,
) -> None:
    out = tmp_path / "pwned"
    value = source_of(raw, secret_file, out)[:500]
    response = watched(
        lambda: api.post("/v1/suggest", json={
            "message": "when will you ship my order?", "locale": "en",
            "variables": {"order_id": value, "buyer_name": value, "product_name": value,
                          "_locale": value, "shop": value},
            "context": {"now": OPEN_HOURS}}),
        out,
    )
    assert response.status_code == 200, response.text
    shown = texts(response.json())
    assert shown and any(value in t for t in shown)


def test_braces_in_a_buyer_message_are_never_evaluated(api: Client) -> None:
    body = api.suggest("{{7*7}} when will you ship {% for x in range(9) %}{{x}}{% endfor %}",
                       variables={"order_id": "{{7*7}}"}, locale="en")
    shown = texts(body)
    assert shown and all("49" not in t for t in shown)
    assert any("{{7*7}}" in t for t in shown)


@pytest.mark.parametrize("value", ["1e999999", "-1e999999", "1e16", "NaN", "Infinity", "1e-999"])
def test_an_absurd_number_variable_is_a_clear_422_or_harmless(api: Client, value: str) -> None:
    response = api.post("/v1/suggest", json={
        "message": "can you give me a discount", "variables": {"amount": value},
        "context": {"now": OPEN_HOURS}})
    if value == "1e-999":
        assert response.status_code == 200  # a tiny number is just zero
        return
    assert response.status_code == 422, response.text
    error = assert_error_shape(response.json())
    assert "variables.amount" in error["message"]


def test_a_value_that_breaks_the_budget_only_at_serve_time_skips_that_reply(
    app: FastAPI, api: Client
) -> None:
    """A text within budget for its sample value but not for a long request value."""
    serve_as_goodbye(app, api, "Bye {% if order_id %}{{ order_id * 300 }}{% endif %}")
    short = api.suggest("ok bye bye", locale="en", variables={"order_id": "A1"})
    assert any(s["template_id"] == "thanks.goodbye" for s in short["suggestions"])
    long = api.suggest("ok bye bye", locale="en", variables={"order_id": "x" * 400})
    assert all(s["template_id"] != "thanks.goodbye" for s in long["suggestions"])


class Unchecked(ReplyEnvironment):
    """The reply environment without its parse-time whitelist: the second fence alone."""

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        return Parser(self, source, name, filename).parse()


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("{{ 'a' * 999999999 }}", RenderRefused),
        ("{{ x * 99999999 }}", RenderRefused),
        ("{{ [1] * 99999999 }}", RenderRefused),
        ("{{ '%999999999d' % 1 }}", RenderRefused),
        ("{{ 9 ** 9 ** 9 }}", RenderRefused),
        ("{{ x.upper() }}", SecurityError),
        ("{{ x.__class__ }}", SecurityError),
        ("{{ lipsum(99999) }}", RenderRefused),
        ("{{ range }}", UndefinedError),
        ("{{ cycler }}", UndefinedError),
        ("{% for a in x %}{{ 'y' * 9999 }}{% endfor %}", RenderRefused),
    ],
)
def test_the_render_budget_holds_even_for_a_text_that_skipped_the_parse_check(
    source: str, error: type[Exception]
) -> None:
    env = Unchecked(undefined=StrictUndefined)
    with pytest.raises(error):
        bounded_join(env.from_string(source).generate(x="xyz"))
