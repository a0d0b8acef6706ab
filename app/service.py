"""The running service's state: settings and the current library snapshot."""

from __future__ import annotations

import logging
import threading
import time

from app.compiled import validate_replies
from app.config import Settings, database_url
from app.language import warm_up
from app.library import load_library
from app.store.activity import ActivityLog
from app.store.notify import is_postgres, listen
from app.store.repository import LibraryStore
from app.suggest import (
    Options,
    Snapshot,
    SuggestRequest,
    SuggestResult,
    build_snapshot,
    suggest,
)

log = logging.getLogger("kefu")


class Kefu:
    """One service instance. The snapshot is replaced whole, so readers never lock."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._snapshot: Snapshot | None = None
        self.store: LibraryStore | None = None
        self.activity: ActivityLog | None = None
        self._last_purge = 0.0
        self.revision = -1
        self._watcher: threading.Thread | None = None
        self._listener: threading.Thread | None = None
        self._warm: threading.Thread | None = None
        self._stop = threading.Event()
        self.options = Options(
            min_confidence=settings.min_confidence, fallbacks=settings.locale_fallbacks
        )
        self._lock = threading.Lock()

    @property
    def snapshot(self) -> Snapshot:
        snapshot = self._snapshot
        if snapshot is None:
            raise RuntimeError("library not loaded yet")
        return snapshot

    @property
    def ready(self) -> bool:
        return self._snapshot is not None

    def open_store(self) -> LibraryStore:
        """Migrate the store; an empty one is seeded with the configured library folder."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = LibraryStore(database_url(self.settings))
        store.migrate()
        if store.is_empty():
            library = load_library(self.settings.replies_dir)
            validate_replies(library)
            store.import_library(library, author="kefu", message="first start: shipped library")
        self.store = store
        self.activity = ActivityLog(store)
        return store

    def load(self) -> Snapshot:
        """Read the library from the store, compile it, swap it in (one assignment)."""
        with self._lock:
            return self._load_locked()

    def reload_if_changed(self) -> bool:
        """Build and swap in a new snapshot if the store moved on; True if it did."""
        store = self.store
        if store is None or store.revision() == self.revision:
            return False
        with self._lock:
            # Another thread (the listener or the poller) may have loaded it meanwhile.
            if store.revision() == self.revision:
                return False
            self._load_locked()
            return True

    def _load_locked(self) -> Snapshot:
        warm_up()
        store = self.store if self.store is not None else self.open_store()
        revision = store.revision()
        snapshot = build_snapshot(
            store.load_library(),
            cache_dir=self.settings.data_dir / "cache",
            previous=self._snapshot,
        )
        self._snapshot = snapshot
        self.revision = revision
        # Compile the rest off the request path; a request that comes first compiles its own.
        self._warm = threading.Thread(
            target=snapshot.replies.warm,
            args=(lambda: self._snapshot is not snapshot,),
            name="kefu-warm",
            daemon=True,
        )
        self._warm.start()
        return snapshot

    def warmed(self, timeout: float | None = None) -> bool:
        """Wait until every reply text of the current library is compiled."""
        if self._warm is not None:
            self._warm.join(timeout)
        return self._warm is None or not self._warm.is_alive()

    def watch(self) -> None:
        """Keep the snapshot current: poll the store's revision and, on PostgreSQL, also
        LISTEN for the NOTIFY every save sends.

        Every worker and every replica on the same database runs its own watcher, so a
        saved change reaches all of them within a rebuild (plus `reload_interval` on SQLite).
        """
        if self._watcher is not None:
            return
        self._stop.clear()

        def reload() -> None:
            try:
                self.reload_if_changed()
            except Exception:  # noqa: BLE001 - a failed reload keeps the old snapshot
                log.exception("reloading the library failed; still serving the old one")

        def loop() -> None:
            while not self._stop.wait(self.settings.reload_interval):
                reload()
                try:
                    self._housekeeping()
                except Exception:  # noqa: BLE001 - counts wait for the next round
                    log.exception("writing activity counts failed")

        self._watcher = threading.Thread(target=loop, name="kefu-watch", daemon=True)
        self._watcher.start()
        if self.store is not None and is_postgres(self.store.engine):
            self._listener = threading.Thread(
                target=listen,
                args=(self.store.engine, reload, self._stop),
                name="kefu-listen",
                daemon=True,
            )
            self._listener.start()

    def close(self) -> None:
        self._stop.set()
        for thread in (self._watcher, self._listener):
            if thread is not None:
                thread.join(timeout=30)
        self._watcher = self._listener = None
        if self.activity is not None:
            try:
                self.activity.flush()
            except Exception:  # noqa: BLE001 - shutting down: log, do not hang
                log.exception("could not write the last counts")
        if self.store is not None:
            self.store.close()

    def suggest(self, request: SuggestRequest) -> SuggestResult:
        result = suggest(self.snapshot, request, self.options)
        if self.activity is not None:
            language = result.language.code
            for s in result.suggestions:
                self.activity.served(s.template_id, s.category, s.locale, s.tone.value, language)
            if result.no_match is not None:
                self.activity.unmatched(request.message, language)
        return result

    def _housekeeping(self) -> None:
        if self.activity is None:
            return
        self.activity.flush()
        if time.monotonic() - self._last_purge > 3600:
            self.activity.purge(self.settings.unmatched_retention_days)
            self._last_purge = time.monotonic()
