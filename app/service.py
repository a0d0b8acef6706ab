"""The running service's state: settings and the current library snapshot."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace

from app.checking import is_stamped
from app.compiled import validate_replies
from app.config import Settings, database_url
from app.language import warm_up
from app.library import load_library
from app.matching import save_index
from app.store.activity import ActivityLog
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
            if not is_stamped(self.settings.replies_dir, library):
                validate_replies(library)  # content `kefu check --stamp` passed is not redone
            store.import_library(library, author="kefu", message="first start: shipped library")
        self.store = store
        self.activity = ActivityLog(store)
        return store

    def load(self) -> Snapshot:
        """Read the library from the store, compile it, swap it in (one assignment).

        The first load of a process answers as soon as it can: without an index cached
        for this library it serves a provisional one (untrained category model) and
        trains the full one in the background, swapped in when ready (and cached, so the
        next start loads it). The language detector also loads in the background.
        """
        first = self._snapshot is None
        if first:  # the detector's model loads beside the store and the index
            threading.Thread(target=warm_up, name="kefu-language", daemon=True).start()
        with self._lock:
            store = self.store if self.store is not None else self.open_store()
            revision = store.revision()
            snapshot = build_snapshot(
                store.load_library(),
                cache_dir=self.settings.data_dir / "cache",
                previous=self._snapshot,
                provisional=first,
            )
            self._snapshot = snapshot
            self.revision = revision
        # Finish off the request path; a request that comes first compiles its own reply.
        self._warm = threading.Thread(
            target=self._finish, args=(snapshot,), name="kefu-warm", daemon=True
        )
        self._warm.start()
        return snapshot

    def _finish(self, snapshot: Snapshot) -> None:
        if not snapshot.complete:
            try:
                index = snapshot.index.trained_copy()
                save_index(index, self.settings.data_dir / "cache")
            except Exception:  # noqa: BLE001 - keep answering with the provisional index
                log.exception("training the index failed; serving the provisional one")
                return
            full = replace(snapshot, index=index)
            with self._lock:
                if self._snapshot is not snapshot:
                    return  # a newer library came meanwhile; its own load finishes it
                self._snapshot = snapshot = full
            log.info("library %s: trained index swapped in", full.version)
        snapshot.replies.warm(lambda: self._snapshot is not snapshot)

    def warmed(self, timeout: float | None = None) -> bool:
        """Wait until the current library is complete: its trained index swapped in (after
        a first start) and every reply text compiled."""
        if self._warm is not None:
            self._warm.join(timeout)
        return self._warm is None or not self._warm.is_alive()

    def watch(self) -> None:
        """Poll the store's revision; a change builds a new snapshot and swaps it in.

        Every worker and every replica on the same database runs its own watcher, so a
        saved change reaches all of them within `reload_interval` plus a rebuild.
        """
        if self._watcher is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(self.settings.reload_interval):
                try:
                    if self.store is not None and self.store.revision() != self.revision:
                        self.load()
                    self._housekeeping()
                except Exception:  # noqa: BLE001 - a failed reload keeps the old snapshot
                    log.exception("reloading the library failed; still serving the old one")

        self._watcher = threading.Thread(target=loop, name="kefu-watch", daemon=True)
        self._watcher.start()

    def close(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=30)
            self._watcher = None
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
