"""An in-process token bucket per partner.

Each partner may make ``per_minute`` requests a minute on average, with bursts of up to ten
seconds' worth. The buckets live in the process: a deployment with several workers or machines
needs a shared limiter (e.g. Redis or the gateway in front) to enforce one budget across them.
The clock is passed in, so tests can move time without sleeping.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

__all__ = ["TokenBucketLimiter"]


class TokenBucketLimiter:
    """``acquire(key)`` returns 0 when the request may go, else the seconds to wait."""

    def __init__(self, per_minute: int, *, burst_seconds: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.burst_seconds = burst_seconds
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    @property
    def rate(self) -> float:
        return self.per_minute / 60.0

    @property
    def capacity(self) -> float:
        return max(1.0, self.rate * self.burst_seconds)

    def acquire(self, key: str) -> int:
        """Take one token for ``key``; returns 0 if taken, else whole seconds until one is."""
        with self._lock:
            now = self.clock()
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.rate))
