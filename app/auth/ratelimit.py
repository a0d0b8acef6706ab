"""Token buckets in memory, one per key, account or address.

Per process: with N workers or replicas a caller can get up to N times the rate. The
lock-out after failed logins is in the database and holds for all of them.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class RateLimiter:
    """`per_minute` requests a minute, in bursts of at most `per_minute`; 0 means no limit."""

    MAX_BUCKETS = 10_000  # full buckets are forgotten beyond this: memory stays bounded

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # who → (tokens, at)
        self._lock = threading.Lock()

    def take(self, who: str) -> float:
        """0.0 if `who` may go ahead (a token is used); else seconds until one is due."""
        if self.capacity <= 0:
            return 0.0
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(who, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[who] = (tokens - 1.0, now)
                if len(self._buckets) > self.MAX_BUCKETS:
                    self._forget_full(now)
                return 0.0
            self._buckets[who] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        full = [
            who
            for who, (tokens, at) in self._buckets.items()
            if tokens + (now - at) * self.rate >= self.capacity
        ]
        for who in full:
            del self._buckets[who]
        if len(self._buckets) > 10 * self.MAX_BUCKETS:  # a flood of callers: start over
            self._buckets.clear()


def retry_after(seconds: float) -> int:
    """Whole seconds for a Retry-After header, at least 1."""
    return max(1, math.ceil(seconds))
