"""The shared budget: clients that name the same store keep one rate and one in-flight cap
between them, as separate processes would (each client has its own connection to Redis and
no state in common with the other). Measured server-side, as the other limits tests."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from http_fakes import ClientFactory, FakeAPI, free_port

from restsync import ConfigError
from restsync.config import ClientConfig, load_config
from restsync.http import RequestSpec


def _limits(redis_url: str | None, **limits: object) -> dict[str, object]:
    # the budget is kept per API host: a host of its own keeps this test's keys apart
    return {
        "base_url": f"http://api-{uuid.uuid4().hex[:12]}.test/v1/",
        "limits": {**limits, **({"shared_budget": redis_url} if redis_url else {})},
    }


async def _two_clients(
    make_client: ClientFactory, config: dict[str, object], each: int, *, tokens: str = "tt"
) -> None:
    async def one(name: str, token: str) -> None:
        auth = {"type": "bearer", "token": token}
        async with make_client(**config, auth=auth) as http:
            await asyncio.gather(
                *(http.send(RequestSpec("GET", f"{name}{i}"), resource=name) for i in range(each))
            )

    await asyncio.gather(one("a", tokens[0]), one("b", tokens[1]))


async def test_clients_sharing_a_budget_share_the_in_flight_cap(
    make_client: ClientFactory, api: FakeAPI, redis_url: str
) -> None:
    api.delay = 0.05
    config = _limits(redis_url, max_in_flight_per_host=3)
    await _two_clients(make_client, config, each=12)
    assert api.count() == 24
    assert api.max_in_flight == 3  # each client alone would keep 3 in flight: 6 together


async def test_clients_sharing_a_budget_share_the_rate(
    make_client: ClientFactory, api: FakeAPI, redis_url: str
) -> None:
    rate = 20.0
    await _two_clients(make_client, _limits(redis_url, requests_per_second=rate), each=10)
    arrivals = sorted(seen.at for seen in api.seen)
    assert len(arrivals) == 20
    # together the two send 1/rate apart: request i cannot arrive before (i - 1)/rate s after
    # the first (one interval absorbs the first one's lateness); each alone would keep to
    # the rate by itself, and the pair would go twice as fast
    for index, at in enumerate(arrivals):
        assert at - arrivals[0] >= (index - 1) / rate - 0.005


async def test_each_credential_has_a_budget_of_its_own(
    make_client: ClientFactory, api: FakeAPI, redis_url: str
) -> None:
    # an API limits each key on its own: two accounts on one host do not share
    api.delay = 0.05
    config = _limits(redis_url, max_in_flight_per_host=3)
    await _two_clients(make_client, config, each=12, tokens="ab")
    assert api.count() == 24
    assert api.max_in_flight > 3


def test_a_shared_budget_names_a_redis_url() -> None:
    bad = {
        "client": {
            "base_url": "http://api.test/",
            "limits": {"shared_budget": "postgresql://u:secret@db/x"},
        },
        "resources": ["items"],
    }
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    assert caught.value.location == "client.limits.shared_budget"
    assert "redis://" in str(caught.value)
    assert "secret" not in str(caught.value)
    assert ClientConfig.model_validate(
        {"base_url": "http://a/", "limits": {"shared_budget": "redis://127.0.0.1:6379/0"}}
    )


async def test_an_unreachable_store_is_a_config_error_without_its_password(
    make_client: ClientFactory, api: FakeAPI
) -> None:
    store = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    async with make_client(**_limits(store)) as http:
        with pytest.raises(ConfigError) as caught:
            await http.send(RequestSpec("GET", "a"), resource="a")
    assert caught.value.location == "client.limits.shared_budget"
    assert "cannot be reached" in str(caught.value)
    assert "hunter2" not in str(caught.value)
    assert api.count() == 0
