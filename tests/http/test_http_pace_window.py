"""The window a host's rate-limit headers describe, measured from the answers (``HostPace``).

A fixed window (80 requests per 2 s, reset in whole seconds rounded up, as GitHub and the
emulator send it) whose later windows the pace entered late: each later window's first
send came more than a second after it opened, so the bounds read from those windows say
~1.4 s. Earlier answers proved the window longer than 1.8 s; the measured window must not
fall below what was proven (it did: 76 per 1 s, twice the rate the API allows).
"""

from __future__ import annotations

import math

from restsync.http._pace import HostPace
from restsync.http._ratelimit import RateBudget
from restsync.http._slots import Slots

PERIOD = 2.0
LIMIT = 80
ANSWER_AFTER = 0.01  # seconds from a send to its answer being read


def _sends() -> list[float]:
    """Send times: the first window from 0.1 s on, each later one from 1.2 s into it."""
    first = [0.1 + 0.02 * i for i in range(70)]
    later = [w * PERIOD + 1.2 + 0.02 * i for w in range(1, 6) for i in range(35)]
    return first + later


def test_a_fixed_window_entered_late_is_not_measured_shorter_than_proven() -> None:
    clock = [0.0]
    pace = HostPace.of(Slots(16), lambda: clock[0], None)
    counts: dict[int, int] = {}
    for sent_at in _sends():
        clock[0] = sent_at
        if pace.reserve() != 0.0:
            continue  # held back by the pace already learned: not sent
        window = math.floor(sent_at / PERIOD)
        counts[window] = counts.get(window, 0) + 1
        end = (window + 1) * PERIOD
        clock[0] = sent_at + ANSWER_AFTER
        budget = RateBudget(
            limit=LIMIT,
            remaining=LIMIT - counts[window],
            reset=float(max(1, math.ceil(end - sent_at))),
        )
        pace.observe(budget, sent_at)
    assert pace.window is not None
    cap, seconds = pace.window
    assert (cap, seconds) == (76, PERIOD)
