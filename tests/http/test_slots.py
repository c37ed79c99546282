"""``Slots`` lets waiters in by priority, then in order of arrival, and never loses a slot to
a cancelled waiter."""

from __future__ import annotations

import asyncio

import pytest

from restsync.http._slots import Slots


async def _holders(slots: Slots, order: list[str], name: str, priority: int) -> None:
    await slots.acquire(priority)
    order.append(name)
    await asyncio.sleep(0)
    slots.release()


def test_waiters_are_let_in_lowest_priority_first_then_in_arrival_order() -> None:
    async def main() -> list[str]:
        slots = Slots(1)
        await slots.acquire()
        order: list[str] = []
        waiters = [
            asyncio.ensure_future(_holders(slots, order, name, priority))
            for name, priority in [("far", 5), ("near", 1), ("next", 0), ("near-later", 1)]
        ]
        await asyncio.sleep(0)  # all of them queue up
        slots.release()
        await asyncio.gather(*waiters)
        return order

    assert asyncio.run(main()) == ["next", "near", "near-later", "far"]


def test_no_more_holders_than_slots() -> None:
    async def main() -> int:
        slots = Slots(3)
        holding = most = 0

        async def hold(priority: int) -> None:
            nonlocal holding, most
            await slots.acquire(priority)
            holding += 1
            most = max(most, holding)
            await asyncio.sleep(0.001)
            holding -= 1
            slots.release()

        await asyncio.gather(*(hold(i % 4) for i in range(40)))
        return most

    assert asyncio.run(main()) == 3


@pytest.mark.parametrize("cancel_after_grant", [False, True])
def test_a_cancelled_waiter_does_not_keep_a_slot(cancel_after_grant: bool) -> None:
    async def main() -> bool:
        slots = Slots(1)
        await slots.acquire()
        cancelled = asyncio.ensure_future(slots.acquire(0))
        other = asyncio.ensure_future(slots.acquire(1))
        await asyncio.sleep(0)
        if cancel_after_grant:
            slots.release()  # hands the slot to ``cancelled``, which has not resumed yet
            cancelled.cancel()
        else:
            cancelled.cancel()
            await asyncio.sleep(0)
            slots.release()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        await asyncio.wait_for(other, timeout=1)  # the slot went on to the next waiter
        slots.release()
        await asyncio.wait_for(slots.acquire(), timeout=1)  # and came back
        return True

    assert asyncio.run(main())
