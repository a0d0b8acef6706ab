"""Accounts, sessions, keys and the audit log in the store: the same tests on SQLite and
PostgreSQL; passwords and tokens alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.auth.passwords import hash_password, verify_password
from app.auth.tokens import digest, new_api_key, new_session_cookie, session_digest
from app.store.access import AccessStore, NameTaken
from app.store.repository import LibraryStore
from tests.stores import postgres_schema_url


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AccessStore]:
    urls = (
        iter([f"sqlite:///{tmp_path / 'kefu.db'}"])
        if request.param == "sqlite"
        else postgres_schema_url()
    )
    for url in urls:
        store = LibraryStore(url)
        store.migrate()
        try:
            yield AccessStore(store)
        finally:
            store.close()


def test_a_user_name_is_unique(db: AccessStore) -> None:
    db.create_user("ana", "agent", "h")
    with pytest.raises(NameTaken):
        db.create_user("ana", "manager", "h")
    assert [u.name for u in db.users()] == ["ana"]
    assert db.count_users() == 1


def test_failed_logins_lock_at_the_limit_and_success_resets(db: AccessStore) -> None:
    user = db.create_user("ana", "agent", "h")
    assert not db.login_failed(user.id, 3, timedelta(minutes=5))
    assert not db.login_failed(user.id, 3, timedelta(minutes=5))
    assert db.login_failed(user.id, 3, timedelta(minutes=5))
    locked = db.user("ana")
    assert locked is not None and locked.locked_until is not None
    assert locked.locked_until > datetime.now(UTC) + timedelta(minutes=4)
    db.login_succeeded(user.id)
    again = db.user("ana")
    assert again is not None and again.locked_until is None and again.failed_logins == 0


def test_sessions_end_one_or_all_and_expire(db: AccessStore) -> None:
    user = db.create_user("ana", "agent", "h")
    later = datetime.now(UTC) + timedelta(hours=1)
    for name in ("a", "b", "c"):
        db.create_session(digest(name), user.id, later, "127.0.0.1")
    db.create_session(digest("old"), user.id, datetime.now(UTC) - timedelta(seconds=1), "x")
    assert db.session_user(digest("a")) is not None
    assert db.session_user(digest("old")) is None
    db.end_session(digest("a"))
    assert db.session_user(digest("a")) is None
    assert db.end_sessions(user.id, keep=digest("b")) == 2  # c and old
    assert db.session_user(digest("b")) is not None
    db.change_user(user.id, disabled=True)
    assert db.session_user(digest("b")) is None
    db.create_session(digest("gone"), user.id, datetime.now(UTC) - timedelta(seconds=1), "x")
    assert db.purge_sessions() == 1  # only the expired one


def test_keys_are_found_by_digest_and_revoked(db: AccessStore) -> None:
    key, prefix = new_api_key()
    stored = db.create_key(
        "widget", digest(key), prefix, ("suggest",), ("https://shop.example",), "admin"
    )
    found = db.key_by_digest(digest(key))
    assert found is not None and found.scopes == ("suggest",) and found.prefix == prefix
    assert db.live_origins() == {"https://shop.example"}
    db.touch_key(stored.id, datetime.now(UTC))
    touched = db.key(stored.id)
    assert touched is not None and touched.last_used_at is not None
    revoked = db.revoke_key(stored.id)
    assert revoked is not None and revoked.revoked_at is not None
    assert db.live_origins() == set()


def test_audit_entries_newest_first_and_filtered(db: AccessStore) -> None:
    db.audit("ana", "login", "ana", {}, "10.0.0.1")
    db.audit("bo", "login.failed", "bo", {"reason": "wrong password"}, "10.0.0.2")
    entries = db.audit_entries()
    assert [e.actor for e in entries] == ["bo", "ana"]
    assert entries[0].detail == {"reason": "wrong password"}
    assert [e.actor for e in db.audit_entries(action="login")] == ["ana"]


def test_password_hash_verifies_only_the_password() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("scrypt$") and "correct" not in hashed
    assert verify_password("correct horse battery", hashed)
    assert not verify_password("correct horse batterY", hashed)
    assert not verify_password("x", "garbage")
    assert hash_password("same") != hash_password("same")  # salted


def test_a_session_cookie_is_refused_when_tampered_or_signed_with_another_secret() -> None:
    cookie, session = new_session_cookie(b"one")
    assert session_digest(b"one", cookie) == session
    assert session_digest(b"two", cookie) is None
    tampered = ("B" if cookie[0] == "A" else "A") + cookie[1:]  # one character differs
    assert session_digest(b"one", tampered) is None
    assert session_digest(b"one", "no-dot") is None
