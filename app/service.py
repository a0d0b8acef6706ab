"""The running service's state: settings and the current library snapshot."""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from pathlib import Path

from app.checking import is_stamped
from app.compiled import validate_replies
from app.config import Settings, database_url
from app.errors import NotReady
from app.language import warm_up
from app.library import Library, load_library
from app.store.activity import ActivityLog
from app.store.locks import startup_lock
from app.store.notify import is_postgres, listen
from app.store.repository import LibraryStore
from app.suggest import (
    Options,
    Snapshot,
    SuggestRequest,
    SuggestResult,
    build_index,
    build_snapshot,
    complete_snapshot,
    suggest,
)

log = logging.getLogger("kefu")


def build_in_child(library: Library, cache_dir: Path) -> None:
    """Build the library's index in a child process and leave it in the disk cache.

    Training is seconds of CPU; in this process it would hold the GIL and slow every
    request meanwhile. If the child fails, the caller's load builds it in-process.
    """
    process = multiprocessing.get_context("spawn").Process(
        target=build_index, args=(library, cache_dir), name="kefu-index", daemon=True
    )
    process.start()
    process.join()


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
        self._rebuilder: threading.Thread | None = None
        self._rebuild_due = threading.Event()
        self._warm: threading.Thread | None = None
        self._stop = threading.Event()
        self.options = Options(
            min_confidence=settings.min_confidence, fallbacks=settings.locale_fallbacks
        )
        self._lock = threading.Lock()
        self.on_load: list[Callable[[Snapshot], None]] = []  # e.g. metrics: told of every swap

    @property
    def snapshot(self) -> Snapshot:
        snapshot = self._snapshot
        if snapshot is None:  # still loading in the background: 503 with Retry-After
            raise NotReady("the library is still loading; try again shortly")
        return snapshot

    @property
    def ready(self) -> bool:
        return self._snapshot is not None

    def open_store(self) -> LibraryStore:
        """Migrate the store; an empty one is seeded with the configured library folder."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = LibraryStore(
            database_url(self.settings), busy_timeout=self.settings.sqlite_busy_timeout
        )
        with startup_lock(store.engine):  # several workers or replicas starting at once
            store.migrate()
            if store.is_empty():
                library = load_library(self.settings.replies_dir)
                if not is_stamped(self.settings.replies_dir, library):
                    validate_replies(library)  # content `kefu check --stamp` passed is not redone
                store.import_library(library, author="kefu", message="first start: shipped library")
        self.store = store
        self.activity = ActivityLog(store)
        return store

    def load(self) -> Snapshot:
        """Read the library from the store, compile it, swap it in (one assignment).

        The first load of a process answers as soon as it can: without an index cached
        for this library it serves a provisional one (untrained category model) while
        the rebuilder builds the full one in a child process and swaps it in (cached, so
        the next start loads it). The language detector loads beside it in a thread.
        """
        first = self._snapshot is None
        if first:  # the detector's model loads beside the store and the index
            threading.Thread(target=warm_up, name="kefu-language", daemon=True).start()
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
        store = self.store if self.store is not None else self.open_store()
        revision = store.revision()
        first = self._snapshot is None
        snapshot = build_snapshot(
            store.load_library(),
            cache_dir=self.settings.data_dir / "cache",
            previous=self._snapshot,
            patch=not first,  # a running service serves edits at once
            provisional=first,  # and a first start answers before its index is trained
        )
        self._snapshot = snapshot
        self.revision = revision
        for listener in self.on_load:  # called under the lock: keep them quick
            listener(snapshot)
        if snapshot.pending:
            self._rebuild_due.set()
            self._start_rebuilder()
        # Compile the rest off the request path; a request that comes first compiles its own.
        self._warm = threading.Thread(
            target=snapshot.replies.warm,
            # Superseded by a new library, not by the same one with its index completed.
            args=(lambda: self.snapshot.replies is not snapshot.replies,),
            name="kefu-warm",
            daemon=True,
        )
        self._warm.start()
        return snapshot

    def _start_rebuilder(self) -> None:
        """One thread builds full indexes for patched snapshots, newest first: a burst of
        trigger edits costs one or two rebuilds, not one per edit."""
        if self._rebuilder is not None and self._rebuilder.is_alive():
            return

        def loop() -> None:
            while not self._stop.is_set():
                if not self._rebuild_due.wait(timeout=1.0):
                    continue
                self._rebuild_due.clear()
                current = self._snapshot
                if current is None or not current.pending:
                    continue
                try:
                    cache = self.settings.data_dir / "cache"
                    build_in_child(current.library, cache)  # off this process's GIL
                    full = complete_snapshot(current, cache)  # loads what the child wrote
                except Exception:  # noqa: BLE001 - the patched snapshot keeps serving
                    log.exception("rebuilding the index failed; serving the patched one")
                    continue
                with self._lock:
                    if self._snapshot is current:
                        self._snapshot = full

        self._rebuilder = threading.Thread(target=loop, name="kefu-rebuild", daemon=True)
        self._rebuilder.start()

    def settled(self, timeout: float = 60.0) -> bool:
        """Wait until the current snapshot's index is built in full (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while True:  # checked once even with timeout 0 (`/readyz` asks without waiting)
            if self._snapshot is not None and not self._snapshot.pending:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def warmed(self, timeout: float | None = None) -> bool:
        """Wait until the current library is fully ready: its index built in full (see
        `settled`; a first start serves a provisional one meanwhile) and every reply text
        compiled."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self.settled(300.0 if timeout is None else timeout):
            return False
        warm = self._warm  # the settled snapshot's own warm-up, if a swap started one
        if warm is not None:
            warm.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return warm is None or not warm.is_alive()

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
        for thread in (self._watcher, self._listener, self._rebuilder):
            if thread is not None:
                thread.join(timeout=30)
        self._watcher = self._listener = self._rebuilder = None
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
