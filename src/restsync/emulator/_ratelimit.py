"""The emulator's rate limits: a token bucket, or a fixed or sliding window announced in
rate-limit headers the way real APIs do.

``bucket`` (the default) allows ``rate_limit`` requests per second with bursts of one second's
worth and says nothing until it refuses (429, ``Retry-After``, ``X-RateLimit-Remaining: 0``).
``fixed`` and ``sliding`` allow ``limit = rate_limit * rate_period`` requests per window of
``rate_period`` seconds and announce the budget on every answer, in whole seconds:

* ``fixed``: windows aligned to multiples of ``rate_period`` since the epoch (GitHub's
  hourly windows); the budget comes back whole when a window ends.
* ``sliding``: at most ``limit`` requests in any ``rate_period`` seconds; the reset is when the
  oldest request in the window leaves it (when the budget next grows).

Header styles (``rate_headers``): ``epoch`` is ``X-RateLimit-Limit/Remaining/Reset`` with the
reset as a Unix time (GitHub), ``seconds`` the same with seconds to the reset, ``ietf`` the
IETF draft's ``RateLimit: limit=L, remaining=R, reset=T`` with ``RateLimit-Policy: L;w=W``.
A refused request gets 429 with the same headers and ``Retry-After``.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from typing import Literal

__all__ = ["RATE_HEADERS", "RATE_WINDOWS", "RateHeaders", "RateLimiter", "RateWindow"]

RateWindow = Literal["bucket", "fixed", "sliding"]
RATE_WINDOWS: tuple[str, ...] = ("bucket", "fixed", "sliding")
RateHeaders = Literal["epoch", "seconds", "ietf"]
RATE_HEADERS: tuple[str, ...] = ("epoch", "seconds", "ietf")

Verdict = tuple[bool, dict[str, str]]  # (allowed, headers to send with the answer)


class _TokenBucket:
    """Allows ``rate`` requests per second with bursts of up to one second's worth."""

    def __init__(self, rate: float, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.clock = clock
        self.stamp = clock()

    def take(self) -> Verdict:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True, {}
        wait = (1.0 - self.tokens) / self.rate
        return False, {
            "Retry-After": str(max(1, math.ceil(wait))),
            "X-RateLimit-Limit": f"{self.rate:g}",
            "X-RateLimit-Remaining": "0",
        }


class _Window:
    """A fixed or sliding window of ``limit`` requests per ``period`` seconds."""

    def __init__(
        self,
        limit: int,
        period: float,
        *,
        sliding: bool,
        headers: RateHeaders,
        clock: Callable[[], float],
    ) -> None:
        self.limit = limit
        self.period = period
        self.sliding = sliding
        self.style = headers
        self.clock = clock
        self.accepted: deque[float] = deque()  # sliding: times of the requests in the window
        self.index = -1  # fixed: which window ``count`` counts
        self.count = 0

    def take(self) -> Verdict:
        now = self.clock()
        if self.sliding:
            while self.accepted and self.accepted[0] <= now - self.period:
                self.accepted.popleft()
            allowed = len(self.accepted) < self.limit
            if allowed:
                self.accepted.append(now)
            used, reset_at = len(self.accepted), self.accepted[0] + self.period
        else:
            index = math.floor(now / self.period)
            if index != self.index:
                self.index, self.count = index, 0
            allowed = self.count < self.limit
            self.count += allowed
            used, reset_at = self.count, (index + 1) * self.period
        headers = self._headers(self.limit - used, reset_at, now)
        if not allowed:
            headers["Retry-After"] = str(max(1, math.ceil(reset_at - now)))
        return allowed, headers

    def _headers(self, remaining: int, reset_at: float, now: float) -> dict[str, str]:
        seconds = max(1, math.ceil(reset_at - now))
        if self.style == "ietf":
            return {
                "RateLimit": f"limit={self.limit}, remaining={remaining}, reset={seconds}",
                "RateLimit-Policy": f"{self.limit};w={self.period:g}",
            }
        reset = str(math.ceil(reset_at)) if self.style == "epoch" else str(seconds)
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": reset,
        }


class RateLimiter:
    """One of the limits above; ``take()`` decides on a request: allowed or not, and the
    headers its answer carries."""

    def __init__(
        self,
        rate: float,
        *,
        window: RateWindow = "bucket",
        period: float = 1.0,
        headers: RateHeaders = "epoch",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._limit: _TokenBucket | _Window
        if window == "bucket":
            self._limit = _TokenBucket(rate, clock)
        else:
            limit = max(1, round(rate * period))
            sliding = window == "sliding"
            self._limit = _Window(limit, period, sliding=sliding, headers=headers, clock=clock)

    def take(self) -> Verdict:
        return self._limit.take()
