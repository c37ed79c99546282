"""The writer thread runs writes in the order they were asked for, holds few of them at once,
and raises a write's error on the extract's thread."""

from __future__ import annotations

import threading

import pytest

from restsync.source._background import Background


def test_writes_run_in_order_on_one_thread_of_their_own() -> None:
    done: list[tuple[int, str]] = []
    background = Background(pending=2)
    for index in range(20):
        background.run(lambda i=index: done.append((i, threading.current_thread().name)))
    background.close()
    assert [i for i, _ in done] == list(range(20))
    names = {name for _, name in done}
    assert len(names) == 1
    assert names != {threading.current_thread().name}


def test_a_failed_write_is_raised_at_the_next_call_and_at_close() -> None:
    def fail() -> None:
        raise OSError("disk full")

    background = Background(pending=1)
    background.run(fail)
    with pytest.raises(OSError, match="disk full"):
        background.run(lambda: None)
    background.run(fail)
    with pytest.raises(OSError, match="disk full"):
        background.close()
