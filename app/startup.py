"""Loading the library off the event loop, so the server answers `/healthz` at once and
`/readyz` says when the library is there.

A store that cannot be reached yet (a database still starting) or a library that fails to
load is retried until it works; meanwhile every library route answers 503 with
Retry-After, and the last error is shown by `/readyz`.
"""

from __future__ import annotations

import logging
import threading

from app.errors import KefuError
from app.service import Kefu

log = logging.getLogger("kefu")


class BackgroundStart:
    """Load the library in a thread, then start watching the store for changes."""

    def __init__(self, kefu: Kefu, retry_seconds: float = 2.0) -> None:
        self.kefu = kefu
        self.retry_seconds = retry_seconds
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="kefu-start", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.kefu.load()
            except Exception as exc:  # noqa: BLE001 - keep trying; /readyz shows why
                message = exc.message if isinstance(exc, KefuError) else str(exc)
                self.error = f"{type(exc).__name__}: {message}"[:500]
                log.exception("loading the library failed; retrying in %ss", self.retry_seconds)
                self._stop.wait(self.retry_seconds)
                continue
            self.error = None
            if not self._stop.is_set():
                self.kefu.watch()
            return
