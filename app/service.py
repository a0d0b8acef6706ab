"""The running service's state: settings and the current library snapshot."""

from __future__ import annotations

import threading

from app.config import Settings
from app.language import warm_up
from app.library import load_library
from app.suggest import (
    Options,
    Snapshot,
    SuggestRequest,
    SuggestResult,
    build_snapshot,
    suggest,
)


class Kefu:
    """One service instance. The snapshot is replaced whole, so readers never lock."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._snapshot: Snapshot | None = None
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

    def load(self) -> Snapshot:
        """Read and compile the library, then swap it in (one reference assignment)."""
        with self._lock:
            warm_up()
            snapshot = build_snapshot(
                load_library(self.settings.replies_dir),
                cache_dir=self.settings.data_dir / "cache",
            )
            self._snapshot = snapshot
        # Compile the rest off the request path; a request that comes first compiles its own.
        threading.Thread(target=snapshot.replies.warm, name="kefu-warm", daemon=True).start()
        return snapshot

    def suggest(self, request: SuggestRequest) -> SuggestResult:
        return suggest(self.snapshot, request, self.options)
