"""A request budget shared by every process that calls one API.

One process keeps its host's rate and in-flight cap by itself (``_pace.HostPace``). Many
processes calling the same API with one key (Dagster workers, partitions run at once, several
machines) must share them, or N workers send N times the rate the API allows and spend
their time on 429s. ``client.limits.shared_budget`` names a store they all reach; then every
request also takes, per host and credentials (an API limits each key on its own):

- a rate token from pyrate-limiter's GCRA (a leaky bucket of one request, kept as one
  timestamp in Redis and updated by one atomic script), so all processes together send at
  most ``requests_per_second``, evenly spaced;
- an in-flight lease: a member of a Redis sorted set scored by when the lease lapses, added
  only while the set holds fewer than ``max_in_flight_per_host`` members (one atomic script).
  pyrate-limiter has no concurrency limit; the lease lapses by itself (``LEASE_SECONDS`` or
  four request timeouts) so a worker that dies mid-request does not hold a slot forever.

``SharedBudget`` is the small interface ``HttpClient`` uses (one ``request()`` block around
each request on the wire); ``open_budget`` builds the one a URL names (``redis://`` or
``rediss://``; another store would plug in there). pyrate-limiter and redis
are the optional ``budget`` extra: asking for a shared budget without them is a config error.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol
from urllib.parse import urlsplit

from restsync._exceptions import ConfigError

__all__ = ["LEASE_SECONDS", "SharedBudget", "open_budget"]

_LOCATION = "client.limits.shared_budget"
#: the least time an in-flight lease lasts without its request ending
LEASE_SECONDS = 60.0
#: polling an in-flight cap that is full: first and longest sleep between tries
_POLL_FIRST = 0.002
_POLL_MOST = 0.05

# Takes a lease when fewer than the cap are held (lapsed ones dropped first).
# KEYS[1] the set; ARGV: now (ms), lapses at (ms), cap, lease id, key's time to live (ms)
_TAKE_LEASE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
"""


class SharedBudget(Protocol):
    """What every request to one host takes and gives back, across processes."""

    def request(self) -> AbstractAsyncContextManager[None]:
        """Held while one request is on the wire: entering waits for an in-flight slot, then
        for a rate token (a token is not spent while the request still waits for a slot);
        leaving gives the slot back, whether the request was answered, failed or cancelled."""
        ...

    async def aclose(self) -> None:
        """Close the connection to the store."""


class RedisBudget:
    """``SharedBudget`` kept in Redis under ``restsync:budget:<name>``."""

    def __init__(
        self,
        url: str,
        name: str,
        *,
        requests_per_second: float | None,
        max_in_flight: int,
        timeout: float,
    ) -> None:
        from pyrate_limiter import (
            Limiter,
            Rate,
            RedisStateStore,
            SingleBucketFactory,
            StateBucket,
        )
        from redis.asyncio import Redis

        self._url = url
        self._redis: Any = Redis.from_url(url)
        key = f"restsync:budget:{name}"
        self._slots_key = f"{key}:in_flight"
        self._cap = max_in_flight
        self._lease_ms = int(1000 * max(LEASE_SECONDS, 4 * timeout))
        self._take_lease = self._redis.register_script(_TAKE_LEASE)
        self._limiter: Any = None
        if requests_per_second is not None:
            # a bucket of one: requests spaced 1/rate apart rather than a second's burst
            interval_ms = max(1, math.ceil(1000 / requests_per_second))
            bucket = StateBucket(
                [Rate(1, interval_ms, burst=1)],
                store=RedisStateStore(self._redis, f"{key}:rate"),
            )
            # no leak thread (this bucket keeps no log) and 1 ms past the computed wait:
            # the library's default 50 ms would idle a third of a 10/s budget
            self._limiter = Limiter(SingleBucketFactory(bucket, schedule_leak=False), buffer_ms=1)

    @asynccontextmanager
    async def request(self) -> AsyncIterator[None]:
        from redis import RedisError

        lease = uuid.uuid4().hex
        try:
            await self._take(lease)
        except RedisError as exc:
            raise self._unreachable(exc) from exc
        try:
            yield
        finally:
            # shielded: a cancelled request must still give its slot back to the others; a
            # store gone meanwhile lets the lease lapse instead
            with contextlib.suppress(RedisError):
                await asyncio.shield(self._redis.zrem(self._slots_key, lease))

    async def _take(self, lease: str) -> None:
        """Wait for an in-flight lease, then for a rate token."""
        pause = _POLL_FIRST
        while True:
            now = int(time.time() * 1000)
            taken = await self._take_lease(
                keys=[self._slots_key],
                args=[now, now + self._lease_ms, self._cap, lease, 2 * self._lease_ms],
            )
            if taken:
                break
            await asyncio.sleep(pause)
            pause = min(_POLL_MOST, pause * 2)
        try:
            if self._limiter is not None:
                await self._limiter.try_acquire_async("request")
        except BaseException:
            await asyncio.shield(self._redis.zrem(self._slots_key, lease))
            raise

    def _unreachable(self, exc: Exception) -> ConfigError:
        parts = urlsplit(self._url)  # shown without its password
        where = f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}"
        return ConfigError(
            f"the shared budget's store {where} cannot be reached ({exc}); start it, or "
            "point the setting at one every worker reaches",
            location=_LOCATION,
        )

    async def aclose(self) -> None:
        await self._redis.aclose()


def open_budget(
    url: str,
    host: str,
    *,
    credentials: Sequence[str] = (),
    requests_per_second: float | None,
    max_in_flight: int,
    timeout: float,
) -> SharedBudget:
    """The shared budget of ``host`` (``scheme://host:port``) called with ``credentials`` (the
    client's secrets), in the store ``url`` names (a Redis URL: ``LimitsConfig`` checked it).
    An API limits each key on its own: one budget per host and credentials, named by a digest
    of them, so the store never holds a secret."""
    digest = hashlib.sha256("\0".join(sorted(credentials)).encode()).hexdigest()[:16]
    try:
        return RedisBudget(
            url,
            f"{host}/{digest}",
            requests_per_second=requests_per_second,
            max_in_flight=max_in_flight,
            timeout=timeout,
        )
    except ImportError as exc:
        raise ConfigError(
            f"a shared budget needs pyrate-limiter and redis ({exc.name} is not installed): "
            "pip install 'restsync[budget]' (the dagster extra includes it)",
            location=_LOCATION,
        ) from exc
