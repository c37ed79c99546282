"""The adaptive page window: how many pages of one resource may be in flight at once."""

from __future__ import annotations

__all__ = ["AdaptiveWindow"]


class AdaptiveWindow:
    """An AIMD window (as in TCP congestion control) over the pages of one resource.

    ``on_success`` grows the window by one after a *full window* of successes in a row (``size``
    successes at size ``size``), so growth is gentle: about one step per round of requests.
    ``on_throttle`` halves it at once, never below ``minimum``; call it once per throttle signal
    (``HttpClient`` reports one ``throttle`` event per 429 or rate-limit pause). The window
    never exceeds ``maximum``.
    """

    def __init__(self, *, initial: int, maximum: int, minimum: int = 1) -> None:
        if minimum < 1 or maximum < minimum:
            # Built from validated config; a bad value here is a bug in the caller.
            raise ValueError(f"need 1 <= minimum <= maximum, got {minimum=} {maximum=}")
        self._minimum = minimum
        self._maximum = maximum
        self._size = min(max(initial, minimum), maximum)
        self._successes = 0

    @property
    def size(self) -> int:
        return self._size

    @property
    def minimum(self) -> int:
        return self._minimum

    @property
    def maximum(self) -> int:
        return self._maximum

    def on_success(self) -> None:
        self._successes += 1
        if self._successes >= self._size:
            self._successes = 0
            self._size = min(self._size + 1, self._maximum)

    def on_throttle(self) -> None:
        self._successes = 0
        self._size = max(self._size // 2, self._minimum)

    def __repr__(self) -> str:
        return f"AdaptiveWindow(size={self._size}, min={self._minimum}, max={self._maximum})"
