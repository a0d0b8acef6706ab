"""`kefu users` and `kefu keys`, run as an operator runs them (in-process, real store)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from app.auth.access import Access
from app.cli import main
from app.config import Settings
from app.library import load_library
from app.store.access import AccessStore
from app.store.repository import LibraryStore
from tests.conftest import REPLIES


@pytest.fixture()
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path))
    return tmp_path


def access(data: Path) -> Access:
    settings = Settings(data_dir=data)
    store = LibraryStore(f"sqlite:///{data / 'kefu.db'}")
    return Access(store, settings)


def test_users_create_reads_the_password_from_stdin(
    data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    assert main(["users", "create", "ana", "--role", "manager", "--password-stdin"]) == 0
    assert "password:" not in capsys.readouterr().out  # nothing generated, nothing printed
    cookie, user = access(data).login("ana", "a long enough secret", "local")
    assert user.role == "manager" and cookie


def test_users_create_prints_a_generated_password_that_works(
    data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal: nothing to ask
    assert main(["users", "create", "bo", "--role", "agent"]) == 0
    password = capsys.readouterr().out.strip().splitlines()[-1].removeprefix("password: ")
    _, user = access(data).login("bo", password, "local")
    assert user.name == "bo"
    assert main(["users", "list"]) == 0
    assert "bo\tagent\tactive" in capsys.readouterr().out


def test_users_refuses_a_short_password_and_an_unknown_user(
    data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "create", "cy", "--role", "agent", "--password-stdin"]) == 1
    assert "at least 10" in capsys.readouterr().err
    assert main(["users", "set", "nobody", "--disabled", "yes"]) == 1


def test_keys_create_prints_the_key_last_list_never_shows_it_revoke_ends_it(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "keys",
                "create",
                "--scopes",
                "suggest,feedback",
                "--name",
                "widget",
                "--origins",
                "https://shop.example",
            ]
        )
        == 0
    )
    key = capsys.readouterr().out.strip().splitlines()[-1]
    principal = access(data).key_principal(key)
    assert principal is not None
    assert {s.value for s in principal.scopes} == {"suggest", "feedback"}
    assert principal.origins == ("https://shop.example",)
    assert main(["keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert "widget" in listed and key[:13] in listed and key not in listed
    assert main(["keys", "revoke", str(principal.key_id)]) == 0
    assert access(data).key_principal(key) is None
    assert main(["keys", "create", "--scopes", "everything", "--name", "x"]) == 1


def test_an_import_is_audited(data: Path) -> None:
    assert main(["import", str(REPLIES), "--author", "ops"]) == 0
    store = LibraryStore(f"sqlite:///{data / 'kefu.db'}")
    entry = AccessStore(store).audit_entries(action="library.import")[0]
    assert entry.actor.startswith("cli") and entry.detail["author"] == "ops"
    assert entry.detail["templates"] == len(load_library(REPLIES).templates())
