"""The HTTP client under the engine: one logical request in, one 2xx response out.

``HttpClient.send`` owns everything between: the global and per-host concurrency caps, the
per-host rate limit and pauses, auth, retries with backoff, and turning failures into
``RetriableAPIError`` / ``FatalAPIError`` whose text never holds a secret.

Politeness is per host: a 429 (or a 503 with ``Retry-After``, or a response saying the
rate-limit budget is used up) pauses *every* request to that host until the server's time,
not just the one that was told off. The caller learns about it through ``on_event``
(``throttle``), which is what the engine's ``AdaptiveWindow`` listens to.

Waiting order for one attempt, chosen so that a paused or rate-limited host never holds
global slots that other hosts could use: per-host slot, host pause, rate-limit token, global
slot. Backoff sleeps happen with no slot held; a request cancelled on the wire keeps its slots
until the server has answered it, since the server is still serving it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

import httpx
from aiolimiter import AsyncLimiter

from restsync._exceptions import FatalAPIError, RetriableAPIError
from restsync.config import AuthConfig, ClientConfig, LimitsConfig

from ._auth import build_auth, describe_auth
from ._budget import SharedBudget, open_budget
from ._redact import redact_text, redact_url, secret_values
from ._retry import (
    RETRIABLE_TRANSPORT_ERRORS,
    backoff,
    rate_limit_reset,
    retry_after,
    transport_error_kind,
)
from ._slots import Slots
from ._transport import AiohttpTransport

log = logging.getLogger("restsync")

__all__ = ["HttpClient", "HttpEvent", "HttpStats", "RequestSpec"]

_EXCERPT = 200
_USER_AGENT = "restsync/0.1"


@dataclass(frozen=True)
class RequestSpec:
    """One logical request, as the engine plans it. ``url`` is relative to ``base_url`` or
    absolute (next-page links)."""

    method: str
    url: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    headers: Mapping[str, str] | None = None
    priority: int = 0  # lower is let in first when requests wait for a slot (see ``Slots``)


@dataclass(frozen=True)
class HttpEvent:
    """What happened to a request, for progress and for adapting concurrency.

    ``request``: an attempt got an answer (``status``) or a transport error (``status`` None).
    ``retry``: the attempt will be repeated after ``wait`` seconds.
    ``throttle``: the server asked us to slow down (429, or a rate-limit budget used up);
    the host is paused for ``wait`` seconds. A 429 gives ``request``, ``throttle``, ``retry``.
    """

    kind: Literal["request", "retry", "throttle"]
    resource: str
    status: int | None
    wait: float


@dataclass
class HttpStats:
    """Counters over the client's life: ``requests`` attempts sent (retries included),
    ``retries`` repeated attempts, ``throttled`` throttle signals (429s and rate-limit pauses),
    ``max_in_flight`` the most requests observed on the wire at once, ``in_flight`` right now."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    max_in_flight: int = 0
    in_flight: int = 0


@dataclass
class _Host:
    """Shared state of every request to one scheme://host:port."""

    slots: Slots
    limiter: AsyncLimiter | None
    loop_time: Callable[[], float]
    rate: float | None = None  # requests/s in force: configured, or learned from 429s
    budget: SharedBudget | None = None  # the rate and in-flight cap shared with other processes
    paused_until: float = 0.0  # in loop_time() seconds
    answered: deque[float] = field(default_factory=deque)  # loop_time() of 2xx in the last 1 s

    def shared(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Held around a request: the host's shared budget, if it has one."""
        return self.budget.request() if self.budget is not None else contextlib.nullcontext()

    def note_answered(self) -> None:
        now = self.loop_time()
        self.answered.append(now)
        while self.answered and self.answered[0] < now - 1.0:
            self.answered.popleft()

    def learn_rate(self) -> float | None:
        """After a 429: a little less than what the API let through in the last second
        becomes this host's rate, if lower than the rate in force (it is never raised).
        Returns the new rate, or None when nothing changed."""
        now = self.loop_time()
        allowed = sum(1 for t in self.answered if t >= now - 1.0)
        if allowed == 0:
            return None
        learned = max(0.5, allowed * LEARNED_RATE_SHARE)
        if self.rate is not None and learned >= self.rate:
            return None
        self.rate = learned
        self.limiter = AsyncLimiter(1, 1.0 / learned)
        return learned

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self.loop_time() + seconds)

    def paused_for(self) -> float:
        return self.paused_until - self.loop_time()

    async def wait_until_resumed(self) -> None:
        while (delay := self.paused_for()) > 0:
            await asyncio.sleep(delay)


#: share of the rate an API let through before its 429 that restsync adopts for the host
LEARNED_RATE_SHARE = 0.9


def _limiter(limits: LimitsConfig) -> AsyncLimiter | None:
    rate = limits.requests_per_second
    if rate is None:
        return None
    # A bucket of one: requests are spaced 1/rate apart instead of bursting a second's worth.
    return AsyncLimiter(1, 1.0 / rate)


def _excerpt(response: httpx.Response, secrets: list[str]) -> str:
    text = response.content[: _EXCERPT * 4].decode("utf-8", errors="replace")
    text = redact_text(re.sub(r"\s+", " ", text).strip(), secrets)
    if len(text) > _EXCERPT:
        text = text[: _EXCERPT - 3] + "..."
    return text or "(empty body)"


def _answer(response: httpx.Response) -> str:
    return f"{response.status_code} {response.reason_phrase}".strip()


def _build(client: httpx.AsyncClient, request: RequestSpec) -> httpx.Request:
    return client.build_request(
        request.method,
        request.url,
        params=dict(request.params) if request.params else None,
        json=request.json,
        headers=dict(request.headers) if request.headers else None,
    )


def _take_outcome(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


async def _send_keeping_slot(
    client: httpx.AsyncClient, request: httpx.Request, auth: httpx.Auth | None
) -> httpx.Response:
    """``client.send`` that, when cancelled, still waits for the answer before returning.

    Cancelling a request on the wire only drops the connection: the server goes on serving
    it. Giving the slot back at once would let the next request in while the server still
    works on this one, so it would see more than the caps allow (the engine cancels the pages
    it fetched past the end of a sequence). So the first cancellation waits for the answer
    (bounded by ``client.timeout``); a second one abandons the request at once.
    """
    if auth is None:
        sending = asyncio.ensure_future(client.send(request))
    else:
        sending = asyncio.ensure_future(client.send(request, auth=auth))
    # when a second cancellation abandons the request, nobody awaits its outcome any more;
    # taking it here keeps asyncio from reporting "Task exception was never retrieved"
    sending.add_done_callback(_take_outcome)
    try:
        return await asyncio.shield(sending)
    except asyncio.CancelledError:
        # Awaiting the task itself: a second cancellation reaches it and drops the connection.
        with contextlib.suppress(Exception):
            response = await sending
            await response.aclose()
        raise


def _unsendable(exc: Exception, resource: str, url: str, secrets: list[str]) -> FatalAPIError:
    detail = redact_text(str(exc), secrets)
    hint = "check client.base_url and the endpoint path"
    if "proxy" in detail:
        hint = "point HTTP(S)_PROXY/ALL_PROXY at an http proxy, or list the host in NO_PROXY"
    return FatalAPIError(
        f"the request could not be sent: {detail} ({type(exc).__name__})",
        resource=resource,
        url=url,
        hint=hint,
    )


#: how many paced waits (429 with Retry-After) a request may sit out per configured retry
PACED_WAITS_PER_RETRY = 10


def paced_status(response: httpx.Response) -> bool:
    """A 429 carrying Retry-After or a rate-limit reset: the API asking us to slow down."""
    return response.status_code == 429 and (
        retry_after(response) is not None or rate_limit_reset(response) is not None
    )


def _exhausted(
    response: httpx.Response, retries: int, resource: str, url: str, secrets: list[str]
) -> RetriableAPIError:
    return RetriableAPIError(
        f"gave up after {retries} retries: last answer {_answer(response)}, "
        f"body: {_excerpt(response, secrets)}",
        resource=resource,
        url=url,
        status=response.status_code,
        hint="the API is overloaded or down; try again later, or raise "
        "client.retry.max_retries / lower client.limits",
    )


def _wait_too_long(
    response: httpx.Response, asked: float, max_backoff: float, resource: str, url: str
) -> RetriableAPIError:
    return RetriableAPIError(
        f"the API asked to wait {asked:.0f} s before retrying, longer than "
        f"client.retry.max_backoff ({max_backoff:g} s); last answer {_answer(response)}",
        resource=resource,
        url=url,
        status=response.status_code,
        hint="run again later, or raise client.retry.max_backoff to wait it out; "
        "lowering client.limits.requests_per_second avoids hitting the limit",
    )


def _unreachable(
    exc: Exception, retries: int, resource: str, url: str, secrets: list[str]
) -> RetriableAPIError:
    detail = redact_text(str(exc), secrets)
    hint = (
        "check that the API host is reachable from here (base_url, DNS, firewall, proxy); "
        "for timeouts raise client.timeout"
    )
    if "certificate verify failed" in detail.lower():
        hint = (
            "the server's TLS certificate is not trusted here: if a private CA or an "
            "inspecting proxy signs it, point SSL_CERT_FILE at that CA's certificate"
        )
    return RetriableAPIError(
        f"gave up after {retries} retries: last error: {transport_error_kind(exc)}"
        + (f": {detail}" if detail else ""),
        resource=resource,
        url=url,
        hint=hint,
    )


class HttpClient:
    """Sends the engine's requests politely; use as ``async with HttpClient(config) as http``.

    One ``httpx.AsyncClient`` (HTTP/1.1, pool sized to the in-flight cap) serves every host,
    over aiohttp (``AiohttpTransport``). ``transport`` replaces the network
    (``httpx.ASGITransport`` in tests); ``on_event`` receives an ``HttpEvent`` for every
    attempt, retry and throttle; ``max_in_flight`` overrides ``config.limits.max_in_flight``.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        on_event: Callable[[HttpEvent], None] | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        self._config = config
        self._transport = transport
        self._on_event = on_event
        self._max_in_flight = max_in_flight or config.limits.max_in_flight
        self._global = asyncio.Semaphore(self._max_in_flight)
        self._hosts: dict[tuple[str, str, int | None], _Host] = {}
        self._secrets = secret_values(config)
        self._client: httpx.AsyncClient | None = None
        self.stats = HttpStats()

    async def __aenter__(self) -> HttpClient:
        size = self._max_in_flight
        headers = {"User-Agent": _USER_AGENT, **self._config.headers}
        self._client = httpx.AsyncClient(
            base_url=self._config.base_url,
            headers=headers,
            auth=build_auth(self._config.auth),
            timeout=self._config.timeout,
            limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
            transport=self._transport or AiohttpTransport(max_connections=size),
            follow_redirects=True,
            http1=True,
            http2=False,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        client, self._client = self._client, None
        if client is not None:
            # closing waits for the connections to close: a cancellation (the engine
            # stopping) must not cut that short; the engine lets the closing finish
            await asyncio.shield(client.aclose())
        for host in self._hosts.values():
            if host.budget is not None:
                await asyncio.shield(host.budget.aclose())

    # --- the one public operation -----------------------------------------------------------

    async def send(
        self, request: RequestSpec, *, resource: str, auth: AuthConfig | None = None
    ) -> httpx.Response:
        """Send one logical request with retries; return the 2xx response, body read.

        Raises ``RetriableAPIError`` when retries run out (or the server asks for a longer
        wait than ``client.retry.max_backoff``) and ``FatalAPIError`` at once for answers that
        retrying cannot fix (401, 403, 404, other 4xx, statuses outside ``retry.statuses``).
        ``auth`` replaces the client's auth for this request (an endpoint's own auth).
        """
        client = self._client
        if client is None:
            raise RuntimeError("HttpClient.send() needs 'async with HttpClient(...)' first")
        retry = self._config.retry
        request_auth = build_auth(auth)
        secrets = self._secrets
        if auth is not None:
            secrets = [*secrets, *secret_values(self._config.model_copy(update={"auth": auth}))]
        attempt = 0
        paced_waits = 0
        while True:
            # Built afresh for every attempt: auth flows write into the request they get.
            http_request = _build(client, request)
            url = redact_url(http_request.url, secrets)
            host = self._host(http_request.url)
            try:
                response = await self._attempt(
                    client, host, http_request, request_auth, request.priority
                )
            except RETRIABLE_TRANSPORT_ERRORS as exc:
                self._emit("request", resource, None, 0.0)
                if attempt >= retry.max_retries:
                    raise _unreachable(exc, attempt, resource, url, secrets) from exc
                attempt += 1
                wait = backoff(retry, attempt)
                self._retry_event(resource, None, wait)
                await asyncio.sleep(wait)
                continue
            except httpx.HTTPError as exc:
                raise _unsendable(exc, resource, url, secrets) from exc

            self._emit("request", resource, response.status_code, 0.0)
            url = redact_url(response.request.url, secrets)
            if response.is_success:
                host.note_answered()
                self._note_budget(host, resource, response)
                return response
            paced = paced_status(response)
            wait = self._retry_wait(
                response,
                attempt=paced_waits if paced else attempt,
                paced=paced,
                host=host,
                resource=resource,
                url=url,
                secrets=secrets,
                auth=auth,
            )
            if paced:
                paced_waits += 1
            else:
                attempt += 1
            self._retry_event(resource, response.status_code, wait)
            await asyncio.sleep(wait)

    def _note_budget(self, host: _Host, resource: str, response: httpx.Response) -> None:
        """Pause the host when a successful answer says the rate-limit budget is used up."""
        reset = rate_limit_reset(response)
        if reset is not None and reset > 0:
            wait = min(reset, self._config.retry.max_backoff)
            self._throttle(host, resource, response.status_code, wait)

    def _retry_wait(
        self,
        response: httpx.Response,
        *,
        attempt: int,
        paced: bool,
        host: _Host,
        resource: str,
        url: str,
        secrets: list[str],
        auth: AuthConfig | None,
    ) -> float:
        """Seconds to wait before retrying a failed answer, or the error to give up with.

        A 429 that says how long to wait (``paced``) is the API setting the pace, not failing:
        it does not use up ``retry.max_retries`` (``attempt`` then counts such waits, up to
        ``PACED_WAITS_PER_RETRY`` times the retries), so a sync against a rate-limited API
        that restsync was not told about slows down instead of giving up."""
        retry = self._config.retry
        status = response.status_code
        if status not in retry.statuses:
            if status == 429:
                self._throttle(host, resource, status, 0.0)
            raise self._fatal(response, resource, url, secrets, auth)
        # The server's own word beats our backoff.
        asked = retry_after(response)
        if asked is None:
            asked = rate_limit_reset(response)
        wait = asked if asked is not None else backoff(retry, attempt + 1)
        if status == 429 or (asked is not None and status == 503):
            self._throttle(host, resource, status, min(wait, retry.max_backoff))
        if status == 429 and (learned := host.learn_rate()) is not None:
            log.info(
                "resource '%s': the API answered 429; its host is now paced at %.1f requests/s "
                "(client.limits.requests_per_second sets the rate)",
                resource,
                learned,
            )
        allowed = retry.max_retries * (PACED_WAITS_PER_RETRY if paced else 1)
        if attempt >= allowed:
            raise _exhausted(response, attempt, resource, url, secrets)
        if asked is not None and asked > retry.max_backoff:
            raise _wait_too_long(response, asked, retry.max_backoff, resource, url)
        return wait

    # --- pieces -----------------------------------------------------------------------------

    def _host(self, url: httpx.URL) -> _Host:
        key = (url.scheme, url.host, url.port)
        host = self._hosts.get(key)
        if host is None:
            limits = self._config.limits
            host = _Host(
                slots=Slots(min(limits.max_in_flight_per_host, self._max_in_flight)),
                limiter=_limiter(limits),
                loop_time=asyncio.get_running_loop().time,
                rate=limits.requests_per_second,
            )
            if limits.shared_budget is not None:
                host.budget = open_budget(
                    limits.shared_budget,
                    f"{url.scheme}://{url.host}:{url.port}",
                    requests_per_second=limits.requests_per_second,
                    max_in_flight=limits.max_in_flight_per_host,
                    timeout=self._config.timeout,
                )
            self._hosts[key] = host
        return host

    async def _attempt(
        self,
        client: httpx.AsyncClient,
        host: _Host,
        request: httpx.Request,
        auth: httpx.Auth | None,
        priority: int,
    ) -> httpx.Response:
        await host.slots.acquire(priority)
        try:
            async with host.shared():
                while True:
                    await host.wait_until_resumed()
                    if host.limiter is not None:
                        await host.limiter.acquire()
                    await self._global.acquire()
                    if host.paused_for() <= 0:
                        break
                    # A 429 paused the host while we queued for a global slot: give it back.
                    self._global.release()
                stats = self.stats
                try:
                    stats.requests += 1
                    stats.in_flight += 1
                    stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
                    return await _send_keeping_slot(client, request, auth)
                finally:
                    stats.in_flight -= 1
                    self._global.release()
        finally:
            host.slots.release()

    def _emit(
        self,
        kind: Literal["request", "retry", "throttle"],
        resource: str,
        status: int | None,
        wait: float,
    ) -> None:
        if self._on_event is not None:
            self._on_event(HttpEvent(kind, resource, status, wait))

    def _retry_event(self, resource: str, status: int | None, wait: float) -> None:
        self.stats.retries += 1
        self._emit("retry", resource, status, wait)

    def _throttle(self, host: _Host, resource: str, status: int, wait: float) -> None:
        self.stats.throttled += 1
        host.pause(wait)
        self._emit("throttle", resource, status, wait)

    def _fatal(
        self,
        response: httpx.Response,
        resource: str,
        url: str,
        secrets: list[str],
        auth: AuthConfig | None,
    ) -> FatalAPIError:
        status = response.status_code
        body = _excerpt(response, secrets)
        if status in (401, 403):
            effective = auth if auth is not None else self._config.auth
            where = "the endpoint's auth" if auth is not None else "client.auth"
            verb = "rejected the credentials" if status == 401 else "refused access"
            return FatalAPIError(
                f"the API {verb}: {_answer(response)}, body: {body}",
                resource=resource,
                url=url,
                status=status,
                hint=describe_auth(effective, where=where),
            )
        if status == 404:
            return FatalAPIError(
                f"not found: {_answer(response)}, body: {body}",
                resource=resource,
                url=url,
                status=status,
                hint="check client.base_url and the endpoint path (and any {placeholders} in "
                "it) against the API's documentation",
            )
        if 400 <= status < 500:
            hint = "check the endpoint's params, json body and headers against the API docs"
        else:
            hint = "the API failed; add this status to client.retry.statuses if it is temporary"
        return FatalAPIError(
            f"the API rejected the request: {_answer(response)}, body: {body}",
            resource=resource,
            url=url,
            status=status,
            hint=hint,
        )
