"""The emulator's rate limits on a clock the test moves: fixed windows aligned to the epoch,
sliding windows over the last period, and the headers that announce them."""

from __future__ import annotations

import pytest

from restsync.emulator._ratelimit import RateLimiter


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_fixed_window_refills_at_its_boundary() -> None:
    clock = Clock(1_000_000_004.5)  # 4.5 s into a 10 s window
    limiter = RateLimiter(0.5, window="fixed", period=10, clock=clock)  # 5 per 10 s
    verdicts = [limiter.take() for _ in range(6)]
    assert [allowed for allowed, _ in verdicts] == [True] * 5 + [False]
    assert [h["X-RateLimit-Remaining"] for _, h in verdicts] == ["4", "3", "2", "1", "0", "0"]
    assert {h["X-RateLimit-Reset"] for _, h in verdicts} == {"1000000010"}
    assert verdicts[-1][1]["Retry-After"] == "6"
    clock.now = 1_000_000_010.0
    allowed, headers = limiter.take()
    assert allowed
    assert headers["X-RateLimit-Remaining"] == "4"


def test_a_sliding_window_counts_the_last_period() -> None:
    clock = Clock(100.0)
    limiter = RateLimiter(0.5, window="sliding", period=10, headers="seconds", clock=clock)
    for step in range(5):
        clock.now = 100.0 + 2 * step  # 100, 102, ..., 108
        assert limiter.take()[0]
    clock.now = 109.5
    allowed, headers = limiter.take()
    assert not allowed
    assert headers["X-RateLimit-Reset"] == "1"  # the request of 100.0 leaves at 110.0
    clock.now = 110.0
    allowed, headers = limiter.take()
    assert allowed
    assert headers["X-RateLimit-Remaining"] == "0"
    assert headers["X-RateLimit-Reset"] == "2"  # next: the request of 102.0


@pytest.mark.parametrize("window", ["fixed", "sliding"])
def test_ietf_headers_carry_the_policy(window: str) -> None:
    limiter = RateLimiter(
        2,
        window=window,
        period=30,
        headers="ietf",
        clock=Clock(60.0),  # type: ignore[arg-type]
    )
    allowed, headers = limiter.take()
    assert allowed
    assert headers == {
        "RateLimit": "limit=60, remaining=59, reset=30",
        "RateLimit-Policy": "60;w=30",
    }
