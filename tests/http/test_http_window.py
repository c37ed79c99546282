"""AdaptiveWindow: additive increase per full window of successes, halving on throttle."""

from __future__ import annotations

import pytest

from restsync.http import AdaptiveWindow


@pytest.mark.parametrize(
    ("initial", "minimum", "maximum", "size"),
    [(8, 1, 8, 8), (20, 1, 8, 8), (0, 2, 8, 2)],
    ids=["as-given", "clamped-down", "clamped-up"],
)
def test_initial_size(initial: int, minimum: int, maximum: int, size: int) -> None:
    assert AdaptiveWindow(initial=initial, maximum=maximum, minimum=minimum).size == size


def test_grows_by_one_per_full_window_of_successes() -> None:
    window = AdaptiveWindow(initial=2, maximum=4)
    sizes = []
    for _ in range(10):
        window.on_success()
        sizes.append(window.size)
    # 2 successes at size 2 -> 3; 3 at size 3 -> 4; then capped at 4
    assert sizes == [2, 3, 3, 3, 4, 4, 4, 4, 4, 4]


def test_halves_on_throttle_down_to_minimum() -> None:
    window = AdaptiveWindow(initial=16, maximum=16, minimum=3)
    sizes = []
    for _ in range(4):
        window.on_throttle()
        sizes.append(window.size)
    assert sizes == [8, 4, 3, 3]


def test_throttle_restarts_the_success_count() -> None:
    window = AdaptiveWindow(initial=4, maximum=8)
    for _ in range(3):
        window.on_success()
    window.on_throttle()
    assert window.size == 2
    window.on_success()
    assert window.size == 2
    window.on_success()
    assert window.size == 3


@pytest.mark.parametrize(("minimum", "maximum"), [(0, 4), (5, 4)], ids=["zero-min", "min>max"])
def test_rejects_impossible_bounds(minimum: int, maximum: int) -> None:
    with pytest.raises(ValueError, match="minimum <= maximum"):
        AdaptiveWindow(initial=2, maximum=maximum, minimum=minimum)
