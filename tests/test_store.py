"""The store, the same tests on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.config import Settings
from app.library import Library, Tone, library_files, load_library
from app.service import Kefu
from app.store.repository import LibraryStore, TemplateEditor
from app.suggest import SuggestRequest
from tests.conftest import REPLIES
from tests.stores import postgres_schema_url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kefu.db'}"
    else:
        yield from postgres_schema_url()


@pytest.fixture()
def store(store_url: str) -> Iterator[LibraryStore]:
    store = LibraryStore(store_url)
    store.migrate()
    yield store
    store.close()


def renamed(library: Library, template_id: str, title: str) -> Library:
    categories = {}
    for cid, category in library.categories.items():
        templates = [
            t.model_copy(update={"title": title}) if t.id == template_id else t
            for t in category.templates
        ]
        categories[cid] = category.model_copy(update={"templates": templates})
    return library.model_copy(update={"categories": categories})


def test_import_then_load_gives_the_same_library(store: LibraryStore,
                                                 shipped_library: Library) -> None:
    assert store.is_empty()
    store.import_library(shipped_library, author="test")
    assert store.load_library() == shipped_library


def test_migrating_twice_is_harmless(store: LibraryStore) -> None:
    store.migrate()
    assert store.revision() == 0


def test_an_unchanged_import_writes_no_version(store: LibraryStore,
                                               shipped_library: Library) -> None:
    store.import_library(shipped_library, author="test")
    revision = store.revision()
    assert store.import_library(shipped_library, author="test") == 0
    assert store.revision() == revision


def test_a_change_is_a_new_version_with_who_and_why(store: LibraryStore,
                                                    shipped_library: Library) -> None:
    store.import_library(shipped_library, author="ana")
    changed = renamed(shipped_library, "thanks.goodbye", "Goodbye, see you")
    assert store.import_library(changed, author="ben", message="clearer title") == 1
    history = store.history("thanks.goodbye")
    assert [(v.version, v.author, v.message) for v in history] == [
        (1, "ana", "import"), (2, "ben", "clearer title")]
    assert store.load_library().template("thanks.goodbye").title == "Goodbye, see you"


def test_export_import_export_is_byte_identical(store: LibraryStore, store_url: str,
                                                shipped_library: Library,
                                                tmp_path: Path) -> None:
    store.import_library(shipped_library, author="test")
    first = library_files(store.load_library())
    folder = tmp_path / "exported"
    folder.mkdir()
    for name, text in first.items():
        (folder / name).write_text(text, encoding="utf-8")
    again = LibraryStore(store_url.replace("kefu.db", "again.db")) if store_url.startswith(
        "sqlite") else store
    again.migrate()
    again.import_library(load_library(folder), author="test")
    assert library_files(again.load_library()) == first
    if again is not store:
        again.close()


def test_a_saved_change_is_served_without_a_restart(store_url: str, tmp_path: Path,
                                                  shipped_library: Library) -> None:
    settings = Settings(data_dir=tmp_path / "data", replies_dir=REPLIES, database_url=store_url,
                        reload_interval=0.2)
    kefu = Kefu(settings)
    kefu.load()
    kefu.watch()
    try:
        before = kefu.snapshot.version
        other = LibraryStore(store_url)  # another process's connection to the same database
        other.import_library(renamed(shipped_library, "thanks.goodbye", "Bye!"), author="x")
        other.close()
        # Rebuilding the index takes seconds today (retraining the model): the one-second
        # target of the library-management issue is not met yet.
        deadline = time.monotonic() + 60
        while kefu.snapshot.version == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert kefu.snapshot.templates["thanks.goodbye"].title == "Bye!"
    finally:
        kefu.close()


@contextmanager
def running(url: str, data: Path, reload_interval: float) -> Iterator[tuple[Kefu, TemplateEditor]]:
    """A running service (every reply compiled, watching the store) and a second
    connection to the same store to edit through, as another process would."""
    settings = Settings(data_dir=data, replies_dir=REPLIES, database_url=url,
                        reload_interval=reload_interval)
    kefu = Kefu(settings)
    kefu.load()
    assert kefu.warmed(timeout=60)
    kefu.watch()
    editor = TemplateEditor(LibraryStore(url))
    try:
        yield kefu, editor
    finally:
        editor.store.close()
        kefu.close()


def test_counts_served_in_several_batches_add_up(store: LibraryStore) -> None:
    from app.store.activity import ActivityLog

    log = ActivityLog(store)
    for batch, question in ((3, "what is the capital of peru"), (2, "is it raining in lima")):
        for _ in range(batch):
            log.served("thanks.thank_you", "thanks", "en", "friendly", "en")
        log.served("greeting.hello", "greeting", "de", "formal", "de")
        log.unmatched(question, "en")
        log.flush()
    data = log.insights()
    top = {t["template_id"]: t["count"] for t in data["top_templates"]}
    assert top == {"thanks.thank_you": 5, "greeting.hello": 2}
    assert data["unmatched_total"] == 2


def test_a_first_start_validates_a_library_whose_stamp_does_not_match(tmp_path: Path) -> None:
    import shutil

    from app.errors import LibraryError

    replies = tmp_path / "replies"
    shutil.copytree(REPLIES, replies)
    thanks = replies / "thanks.yaml"
    # An edit after `kefu check --stamp`: a reply that no longer compiles.
    broken = thanks.read_text(encoding="utf-8").replace("{{", "{{ (", 1)
    thanks.write_text(broken, encoding="utf-8")
    kefu = Kefu(Settings(data_dir=tmp_path / "data", replies_dir=replies))
    with pytest.raises(LibraryError):
        kefu.open_store()


def test_a_first_start_answers_before_training_and_then_serves_the_trained_index(
    tmp_path: Path,
) -> None:
    from app.suggest import SuggestContext, SuggestRequest

    settings = Settings(data_dir=tmp_path / "data", replies_dir=REPLIES)
    request = SuggestRequest(message="hi, when will you ship my order?",
                             context=SuggestContext(now=None))
    first = Kefu(settings)
    try:
        first.load()
        # Nothing cached yet: a provisional index answers while the trained one is built.
        answer = first.suggest(request)
        assert answer.suggestions or answer.no_match is not None
        assert first.settled(timeout=300)
        assert first.snapshot.complete
        assert list((tmp_path / "data" / "cache").glob("index-*.pickle"))
        trained = first.suggest(request)
        assert trained.suggestions[0].category == "shipping_delay"
    finally:
        first.close()
    again = Kefu(settings)  # the next start loads the trained index from the cache
    try:
        assert again.load().complete
    finally:
        again.close()


def edit_reply_and_wait(kefu: Kefu, editor: TemplateEditor, tone: Tone, text: str) -> float:
    """Save a new English reply of thanks.goodbye; seconds until the service serves it."""
    stored = editor.get("thanks.goodbye")
    assert stored is not None
    replies = {**stored.template.replies}
    replies["en"] = {**replies["en"], tone: text}
    start = time.monotonic()
    editor.update(stored.template.model_copy(update={"replies": replies}), stored.version,
                  "ana", "goodbye edited")
    key = ("thanks.goodbye", "en", tone)
    while kefu.snapshot.replies.sources[key] != text and time.monotonic() - start < 10:
        time.sleep(0.02)
    return time.monotonic() - start


def test_an_edited_reply_is_served_within_a_second(store_url: str, tmp_path: Path) -> None:
    # Reply texts need no retraining: only the edited text is recompiled.
    with running(store_url, tmp_path / "data", reload_interval=0.1) as (kefu, editor):
        took = edit_reply_and_wait(kefu, editor, Tone.friendly, "See you soon, take care!")
        assert took < 1.0, f"the edit was served after {took:.2f} s"


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    yield from postgres_schema_url()


def test_postgresql_replicas_hear_a_save_by_notify_without_polling(
    tmp_path: Path, postgres_url: str
) -> None:
    # Polling every 30 s: only LISTEN/NOTIFY can bring the edit within a second.
    with running(postgres_url, tmp_path / "data", reload_interval=30) as (kefu, editor):
        time.sleep(0.5)  # the listener connects
        took = edit_reply_and_wait(kefu, editor, Tone.formal, "Goodbye, and thank you.")
        assert took < 1.0, f"NOTIFY brought the edit after {took:.2f} s"


def test_a_new_trigger_is_served_within_a_second_and_survives_the_rebuild(
    store_url: str, tmp_path: Path
) -> None:
    # Retraining takes seconds: the edit is served at once by a patched index, and the
    # rebuilt index that replaces it later gives the same answer.
    message = "could you tuck a handwritten card in the parcel for my mum"

    def top() -> str | None:
        result = kefu.suggest(SuggestRequest(message=message, locale="en"))
        return result.suggestions[0].template_id if result.suggestions else None

    with running(store_url, tmp_path / "data", reload_interval=0.1) as (kefu, editor):
        assert top() != "product_question.recommend"
        stored = editor.get("product_question.recommend")
        assert stored is not None
        triggers = dict(stored.template.triggers)
        triggers["en"] = triggers["en"].model_copy(
            update={"examples": [*triggers["en"].examples, message]}
        )
        start = time.monotonic()
        editor.update(stored.template.model_copy(update={"triggers": triggers}),
                      stored.version, "ana", "new trigger")
        while top() != "product_question.recommend":
            assert time.monotonic() - start < 1.0, "the new trigger was not served within 1 s"
            time.sleep(0.02)
        assert kefu.settled(timeout=120), "the full index was never rebuilt"
        assert top() == "product_question.recommend"
