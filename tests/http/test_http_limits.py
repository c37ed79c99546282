"""Politeness: host pauses, the rate limit and the concurrency caps, measured server-side."""

from __future__ import annotations

import asyncio
import time

import pytest
from http_fakes import ClientFactory, FakeAPI, Reply

from restsync.http import HttpEvent, RequestSpec


async def test_429_pauses_the_whole_host(
    api: FakeAPI, make_client: ClientFactory, events: list[HttpEvent]
) -> None:
    api.on("/v1/limited", Reply(429, headers={"Retry-After": "0.4"}), Reply(200))
    throttled = asyncio.Event()

    def watch(event: HttpEvent) -> None:
        events.append(event)
        if event.kind == "throttle":
            throttled.set()

    async with make_client(on_event=watch) as http:
        first = asyncio.create_task(http.send(RequestSpec("GET", "limited"), resource="a"))
        await throttled.wait()
        paused_at = time.monotonic()
        await http.send(RequestSpec("GET", "other"), resource="b")
        other_done = time.monotonic()
        # a different host is not paused
        await http.send(RequestSpec("GET", "http://elsewhere.test/free"), resource="c")
        elsewhere_done = time.monotonic()
        await first
    (_, answered_429, when_429) = api.answered[0]
    assert answered_429 == 429
    other = next(s for s in api.seen if s.path == "/v1/other")
    assert other.at - when_429 >= 0.38
    assert other_done - paused_at >= 0.3
    assert elsewhere_done - other_done < 0.2
    assert [(e.kind, e.resource) for e in events if e.kind == "throttle"] == [("throttle", "a")]


@pytest.mark.parametrize("epoch", [False, True], ids=["seconds", "epoch"])
async def test_exhausted_rate_limit_budget_pauses_the_host(
    api: FakeAPI, make_client: ClientFactory, events: list[HttpEvent], epoch: bool
) -> None:
    reset = f"{time.time() + 0.4:.3f}" if epoch else "0.4"
    api.on("/v1/a", Reply(200, headers={"RateLimit-Remaining": "0", "RateLimit-Reset": reset}))
    async with make_client() as http:
        await http.send(RequestSpec("GET", "a"), resource="a")
        await http.send(RequestSpec("GET", "b"), resource="b")
    first, second = api.seen
    assert second.at - first.at >= 0.3
    assert [(e.kind, e.status) for e in events if e.kind == "throttle"] == [("throttle", 200)]


async def test_remaining_budget_does_not_pause(
    api: FakeAPI, make_client: ClientFactory, events: list[HttpEvent]
) -> None:
    # five left for 30 s: three requests go out, none throttled (every pause of a host is one)
    api.on("/v1/a", Reply(200, headers={"X-RateLimit-Remaining": "5", "X-RateLimit-Reset": "30"}))
    async with make_client() as http:
        for _ in range(3):
            await http.send(RequestSpec("GET", "a"), resource="a")
        assert http.stats.throttled == 0
    assert [(e.kind, e.status) for e in events] == [("request", 200)] * 3
    assert len(api.seen) == 3


@pytest.mark.parametrize("rate", [20.0, 50.0])
async def test_rate_limit_bounds_requests_per_second(
    api: FakeAPI, make_client: ClientFactory, rate: float
) -> None:
    async with make_client(limits={"requests_per_second": rate}) as http:
        await asyncio.gather(
            *(http.send(RequestSpec("GET", f"r{i}"), resource="r") for i in range(12))
        )
    arrivals = sorted(s.at for s in api.seen)
    assert len(arrivals) == 12
    for index, at in enumerate(arrivals):
        # request i cannot arrive before (i - 1) / rate seconds after the first: the limiter
        # spaces the sends 1 / rate apart, and one interval absorbs how late the first one
        # may arrive on a busy machine (unlimited, all twelve arrive within milliseconds)
        assert at - arrivals[0] >= (index - 1) / rate


async def test_rate_limit_is_shared_by_resources_on_one_host(
    api: FakeAPI, make_client: ClientFactory
) -> None:
    async with make_client(limits={"requests_per_second": 20}) as http:
        await asyncio.gather(
            *(http.send(RequestSpec("GET", f"r{i}"), resource=f"res{i % 3}") for i in range(9))
        )
    arrivals = sorted(s.at for s in api.seen)
    assert arrivals[-1] - arrivals[0] >= 7 / 20  # one interval of slack, as above


@pytest.mark.parametrize(
    ("limits", "override", "expected"),
    [
        ({"max_in_flight": 4}, None, 4),
        ({"max_in_flight": 16}, 3, 3),
        ({"max_in_flight": 8, "max_in_flight_per_host": 2}, None, 2),
        ({"max_in_flight": 1}, None, 1),
    ],
    ids=["global-cap", "override", "per-host-cap", "one-at-a-time"],
)
async def test_in_flight_cap_is_never_exceeded(
    make_client: ClientFactory,
    api: FakeAPI,
    limits: dict[str, int],
    override: int | None,
    expected: int,
) -> None:
    api.delay = 0.02
    async with make_client(limits=limits, max_in_flight=override) as http:
        await asyncio.gather(
            *(http.send(RequestSpec("GET", f"p{i}"), resource="p") for i in range(30))
        )
        assert http.stats.max_in_flight == expected
    assert api.count() == 30
    assert api.max_in_flight == expected


async def test_per_host_cap_leaves_room_for_other_hosts(
    make_client: ClientFactory, api: FakeAPI
) -> None:
    api.delay = 0.02
    limits = {"max_in_flight": 3, "max_in_flight_per_host": 2}
    async with make_client(limits=limits) as http:
        await asyncio.gather(
            *(
                http.send(RequestSpec("GET", f"http://{host}.test/p{i}"), resource=host)
                for i in range(10)
                for host in ("one", "two")
            )
        )
        assert http.stats.max_in_flight == 3
    assert api.max_in_flight == 3


async def test_backoff_does_not_hold_a_slot(make_client: ClientFactory, api: FakeAPI) -> None:
    # One request backs off for 0.5 s; with a cap of 1 the others still get through meanwhile.
    api.on("/v1/slow", Reply(503, headers={}), Reply(200))
    retry = {"initial_backoff": 0.5, "max_backoff": 0.5}
    async with make_client(limits={"max_in_flight": 1}, retry=retry) as http:
        slow = asyncio.create_task(http.send(RequestSpec("GET", "slow"), resource="s"))
        await asyncio.sleep(0.05)
        await asyncio.gather(
            *(http.send(RequestSpec("GET", f"f{i}"), resource="f") for i in range(5))
        )
        await slow
    # all five went through while the slow one backed off: before its retry arrived
    paths = [s.path for s in api.seen]
    assert paths[0] == "/v1/slow"
    assert sorted(paths[1:6]) == [f"/v1/f{i}" for i in range(5)]
    assert paths[6:] == ["/v1/slow"]
