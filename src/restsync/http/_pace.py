"""How fast one host is asked: ``HostPace`` holds the per-host slots, the pause a 429 or an
exhausted budget imposes, and the rate in force, spaced evenly by ``aiolimiter``.

The rate comes from, in order: ``client.limits.requests_per_second``; else the API's
rate-limit headers (``rate_budget``): a limit of ``L`` per window of ``W`` seconds becomes a
cap of ``floor(0.95 * L)`` requests in any ``W`` seconds (at least one short of ``L``, so a
request that takes longer on the wire than the one after it cannot tip the window), sent
evenly at ``cap / W`` per second; else, after a 429, a little less than what the API let
through in the last second (only ever lowered). The cap is kept over a log of sending times,
so requests sent before the headers were read count too, and a fixed window (GitHub's) is
never overrun whatever its phase: any fixed window is one of the ``W``-second spans the cap
bounds.

``W`` is the policy's (IETF ``RateLimit-Policy``); for ``X-RateLimit-*`` it is measured. The
server counts ``L - remaining`` requests in its window, the ``L - remaining``-th latest of our
sends the oldest of them (when the budget is ours alone), and the window ends ``reset``
seconds from now, a reset the server rounds up to whole seconds: so each answer says
``W > span + reset - 1``, where ``span`` is the time since that send, and
``W <= span + reset`` where the window opened with that send: always for a sliding window
(whose reset is when its oldest request leaves it); for a fixed one only once an earlier send
of ours fell out of the window, which shows as the count dropping when the window refills
(before that, a sync starting mid-window measures it short). ``W`` is the shortest first
bound not below any lower bound (a sliding window's first requests measure it best: later the
oldest request is always about to leave, and whole-second rounding adds almost a second), or
the median of the latest later bounds (a fixed window's first send comes a little after it
opens, more so after a wait), whichever is shorter, rounded, and never shorter than the longest
lower bound (less the time an answer may wait to be read). Until a fixed window refills,
the sync may go faster for the rest of it; the budget check below keeps that safe.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import math
import statistics
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from aiolimiter import AsyncLimiter

from ._budget import SharedBudget
from ._ratelimit import RateBudget
from ._slots import Slots

__all__ = ["HEADER_RATE_SHARE", "LEARNED_RATE_SHARE", "HostPace"]

#: share of the rate an API let through before its 429 that restsync adopts for the host
LEARNED_RATE_SHARE = 0.9

#: share of the budget announced in rate-limit headers that restsync uses
HEADER_RATE_SHARE = 0.95

_SENT_LOG = 20_000  # sending times kept: the largest cap that is kept exactly
_BOUNDS = 64  # upper bounds of the window kept, of each kind
_REFILL_SEEN = 4  # a count at least this high that halves at once is a fixed window's refill
_ANSWER_POLL = 0.02  # seconds between looks at the budget while answers are awaited
_BUDGET_TTL = 1.0  # seconds a remaining budget without a reset time is believed
_ANSWER_DELAY = 0.25  # seconds an answer may wait before it is read, lengthening its bound


def _even(rate: float) -> AsyncLimiter:
    # A bucket of one: requests are spaced 1/rate apart instead of bursting a second's worth.
    return AsyncLimiter(1, 1.0 / rate)


@dataclass
class HostPace:
    """Shared state of every request to one scheme://host:port (``loop_time`` is the event
    loop's clock). ``rate`` None means unpaced."""

    slots: Slots
    loop_time: Callable[[], float]
    rate: float | None = None
    configured: bool = False  # the rate is the config's: nothing learned replaces it
    limiter: AsyncLimiter | None = None
    budget: SharedBudget | None = None  # the rate and in-flight cap shared with other processes
    paused_until: float = 0.0
    window: tuple[int, float] | None = None  # (cap, seconds) learned from headers
    longer_than: float = 0.0  # the window's longest lower bound measured
    # its upper bounds measured with all our sends counted (the shortest, sorted; valid unless
    # the window is fixed), and the latest measured with one of them fallen out
    first_bounds: list[float] = field(default_factory=list)
    later_bounds: deque[float] = field(default_factory=lambda: deque(maxlen=_BOUNDS))
    counted: int = 0  # the server's count in the latest answer
    refilled: bool = False  # the count dropped at once: a fixed window
    remaining: float | None = None  # the budget left, as the latest answer said
    remaining_until: float = 0.0  # when that stops being true (the window's reset)
    in_flight: int = 0
    answered: deque[float] = field(default_factory=deque)  # 2xx in the last second
    sent: deque[float] = field(default_factory=lambda: deque(maxlen=_SENT_LOG))

    @classmethod
    def of(cls, slots: Slots, loop_time: Callable[[], float], rate: float | None) -> HostPace:
        limiter = _even(rate) if rate is not None else None
        return cls(slots, loop_time, rate, configured=rate is not None, limiter=limiter)

    # --- waiting ----------------------------------------------------------------------------

    def shared(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Held around a request: the host's shared budget, if it has one."""
        return self.budget.request() if self.budget is not None else contextlib.nullcontext()

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self.loop_time() + seconds)

    def paused_for(self) -> float:
        return self.paused_until - self.loop_time()

    async def wait_until_resumed(self) -> None:
        while (delay := self.paused_for()) > 0:
            await asyncio.sleep(delay)

    def reserve(self) -> float:
        """0 after noting a request sent now, when the budget and the window's cap allow one;
        else the seconds to wait before asking again (nothing noted)."""
        now = self.loop_time()
        known = self.remaining is not None and now < self.remaining_until
        if known and self.in_flight >= (self.remaining or 0):
            return _ANSWER_POLL if self.in_flight else self.remaining_until - now
        if self.window is not None:
            cap, seconds = self.window
            sent = self.sent
            inside = len(sent) - bisect.bisect_right(sent, now - seconds)
            if inside >= cap:
                return sent[len(sent) - cap] + seconds - now
        self.sent.append(now)
        return 0.0

    # --- learning ---------------------------------------------------------------------------

    def note_answered(self) -> None:
        now = self.loop_time()
        self.answered.append(now)
        while self.answered and self.answered[0] < now - 1.0:
            self.answered.popleft()

    def observe(self, budget: RateBudget, sent_at: float) -> float | None:
        """Take in what an answer to a request sent at ``sent_at`` says about the budget, and
        adopt the pace it announces (unless the config sets the rate); returns the new rate
        when it changed."""
        now = self.loop_time()
        if budget.remaining is not None:
            self.remaining = budget.remaining
            ttl = budget.reset if budget.reset is not None else _BUDGET_TTL
            self.remaining_until = now + ttl
        if self.configured or budget.limit is None or budget.limit < 1:
            return None
        seconds = budget.window or self._measured_window(budget, sent_at, now)
        if seconds is None:
            return None
        cap = max(1, math.floor(budget.limit * HEADER_RATE_SHARE))
        if self.window == (cap, seconds):
            return None
        self.window = (cap, seconds)
        self.rate = cap / seconds
        self.limiter = _even(self.rate)
        return self.rate

    def _measured_window(self, budget: RateBudget, sent_at: float, now: float) -> float | None:
        if budget.reset is not None and budget.remaining is not None and budget.limit:
            counted = round(budget.limit - budget.remaining)  # this request among them
            self.refilled |= counted < self.counted // 2 and self.counted >= _REFILL_SEEN
            self.counted = counted
            mine = bisect.bisect_right(self.sent, sent_at)  # our sends up to this one
            if 1 <= counted <= mine:
                bound = now - self.sent[mine - counted] + budget.reset
                self.longer_than = max(self.longer_than, bound - 1)
                if counted < mine:
                    self.later_bounds.append(bound)
                else:
                    bisect.insort(self.first_bounds, bound)
        first = self.first_bounds
        del first[: bisect.bisect_left(first, self.longer_than)]
        del first[_BOUNDS:]
        candidates = [statistics.median(self.later_bounds)] if self.later_bounds else []
        if first and not self.refilled:
            candidates.append(first[0])
        if not candidates:
            return None
        # every answer proved the window longer than ``longer_than``: a fixed window's later
        # bounds, taken from a send the pace held back into the window, can round below it
        proven = math.ceil(self.longer_than - _ANSWER_DELAY)
        return float(max(1, round(min(candidates)), proven))

    def learn_rate(self) -> float | None:
        """After a 429: a little less than what the API let through in the last second
        becomes this host's rate, if lower than the rate in force (it is never raised), unless
        the API's own headers set it. Returns the new rate, or None when nothing changed."""
        if self.window is not None:
            return None
        now = self.loop_time()
        allowed = sum(1 for t in self.answered if t >= now - 1.0)
        if allowed == 0:
            return None
        learned = max(0.5, allowed * LEARNED_RATE_SHARE)
        if self.rate is not None and learned >= self.rate:
            return None
        self.rate = learned
        self.limiter = _even(learned)
        return learned
