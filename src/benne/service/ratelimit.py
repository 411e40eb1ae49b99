"""In-process rate limits: token buckets per partner key, person token and client address,
and a growing back-off for addresses that keep failing to authenticate.

Each key may make ``per_minute`` requests a minute on average, with bursts of up to ten
seconds' worth. The buckets live in the process: a deployment with several workers or machines
needs a shared limiter (e.g. Redis or the gateway in front) to enforce one budget across them.
The clock is passed in, so tests can move time without sleeping. A bucket table holds at most
``max_keys`` keys: past that the fullest (least used) buckets are dropped, so a flood of
made-up keys cannot grow memory.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

__all__ = ["AuthBackoff", "Limits", "TokenBucketLimiter"]


class TokenBucketLimiter:
    """``acquire(key)`` returns 0 when the request may go, else the seconds to wait."""

    def __init__(self, per_minute: int, *, burst_seconds: float = 10.0,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self.per_minute = per_minute
        self.burst_seconds = burst_seconds
        self.clock = clock
        self.max_keys = max_keys
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
            if key not in self._buckets and len(self._buckets) >= self.max_keys:
                self._buckets.clear()  # all buckets restart full: a bounded, fail-open reset
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.rate))


class AuthBackoff:
    """Failed authentications per client address: ``free`` failures, then a doubling wait.

    The ``free + n``-th failure within ``forget`` seconds of the previous one blocks the address
    for ``2 ** (n - 1)`` seconds, up to ``max_wait``; ``forget`` seconds without a failure clear
    its record. :meth:`wait` is the seconds an address must still wait (0: it may try).
    """

    def __init__(self, *, free: int = 10, max_wait: float = 300.0, forget: float = 600.0,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self.free, self.max_wait, self.forget = free, max_wait, forget
        self.clock, self.max_keys = clock, max_keys
        self._state: dict[str, tuple[int, float, float]] = {}  # key -> (failures, last, until)
        self._lock = threading.Lock()

    def wait(self, key: str) -> int:
        with self._lock:
            state = self._state.get(key)
        if state is None:
            return 0
        left = state[2] - self.clock()
        return max(1, math.ceil(left)) if left > 0 else 0

    def failed(self, key: str) -> None:
        with self._lock:
            now = self.clock()
            if key not in self._state and len(self._state) >= self.max_keys:
                self._state.clear()
            failures, last, until = self._state.get(key, (0, now, 0.0))
            if now - last > self.forget:
                failures, until = 0, 0.0
            failures += 1
            if failures > self.free:
                until = now + min(self.max_wait, 2.0 ** (failures - self.free - 1))
            self._state[key] = (failures, now, until)


class Limits:
    """The app's limiters: per partner key, per person token, per client address; back-off."""

    def __init__(self, *, partner_per_minute: int, person_per_minute: int,
                 address_per_minute: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.partner = TokenBucketLimiter(partner_per_minute, clock=clock)
        self.person = TokenBucketLimiter(person_per_minute, clock=clock)
        self.address = TokenBucketLimiter(address_per_minute, clock=clock)
        self.auth = AuthBackoff(clock=clock)
