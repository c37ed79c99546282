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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

import httpx

from restsync._exceptions import APIError
from restsync._urls import resolve_link, shorten, url_problem
from restsync.config import AuthConfig, ClientConfig

from ._actions import Reactor
from ._auth import TokenRequestFailed, build_auth, describe_auth, form_fields, token_refused
from ._budget import open_budget
from ._errors import (
    UnusableRedirect,
    bad_redirect,
    exhausted,
    fatal,
    refused_origin,
    unbuildable,
    unreachable,
    unsendable,
    wait_too_long,
)
from ._origins import CredentialScope, origin_of, show_origin, without_secrets
from ._pace import HostPace
from ._ratelimit import rate_budget, rate_limit_reset
from ._redact import redact_error, redact_url, secret_values
from ._retry import RETRIABLE_TRANSPORT_ERRORS, DeadlineExceeded, backoff, retry_after
from ._slots import Slots
from ._transport import AiohttpTransport

log = logging.getLogger("restsync")

__all__ = ["HttpClient", "HttpEvent", "HttpStats", "RequestSpec"]

_USER_AGENT = "restsync/0.1"


@dataclass(frozen=True)
class RequestSpec:
    """One logical request, as the engine plans it. ``url`` is relative to ``base_url`` or
    absolute (next-page links)."""

    method: str
    url: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    #: a form (mapping, encoded as requests encodes it) or raw (str) body; or ``content``
    data: Mapping[str, Any] | str | None = None
    content: bytes | None = None
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


def wire_headers(headers: Mapping[str, str]) -> dict[bytes, bytes]:
    """``headers`` as bytes, a value outside ASCII as UTF-8 (httpx alone refuses it; aiohttp
    sends header text as UTF-8 all the same)."""
    return {name.encode(): value.encode() for name, value in headers.items()}


def _build(client: httpx.AsyncClient, request: RequestSpec) -> httpx.Request:
    data = request.data
    content = request.content
    if isinstance(data, str):
        content, data = data.encode("utf-8"), None
    return client.build_request(
        request.method,
        request.url,
        params=dict(request.params) if request.params else None,
        json=request.json,
        data=form_fields(dict(data)) if data is not None else None,
        content=content,
        headers=wire_headers(request.headers) if request.headers else None,
    )


async def _check_redirect(response: httpx.Response) -> None:
    """httpx's response hook, run before httpx reads a redirect's ``Location``: one that
    cannot be requested fails the request at once (httpx would raise a protocol error, which
    is retried as if the network had failed, or an error naming nothing)."""
    if not response.has_redirect_location:
        return
    location = response.headers["Location"]
    problem = url_problem(resolve_link(str(response.request.url), location))
    if problem is not None:
        raise UnusableRedirect(location, problem, response.status_code)


def _take_outcome(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


#: seconds past ``client.timeout`` that a whole request may take: a wait that a read or
#: connect timeout bounds ends with that, more specific, error first
DEADLINE_GRACE = 1.0


async def _send_by(
    client: httpx.AsyncClient, request: httpx.Request, auth: httpx.Auth | None, timeout: float
) -> httpx.Response:
    """``client.send``, failing with ``DeadlineExceeded`` when the whole exchange (body
    included) takes longer than ``timeout`` plus ``DEADLINE_GRACE`` seconds."""
    try:
        async with asyncio.timeout(timeout + DEADLINE_GRACE):
            return await client.send(request, auth=auth)
    except TimeoutError:
        raise DeadlineExceeded(
            f"the whole answer took longer than client.timeout ({timeout:g} s) "
            f"plus {DEADLINE_GRACE:g} s",
            request=request,
        ) from None


async def _send_keeping_slot(
    client: httpx.AsyncClient, request: httpx.Request, auth: httpx.Auth | None, timeout: float
) -> httpx.Response:
    """``client.send`` that, when cancelled, still waits for the answer before returning.

    Cancelling a request on the wire only drops the connection: the server goes on serving
    it. Giving the slot back at once would let the next request in while the server still
    works on this one, so it would see more than the caps allow (the engine cancels the pages
    it fetched past the end of a sequence). So the first cancellation waits for the answer
    (bounded by ``client.timeout``); a second one abandons the request at once.
    """
    sending = asyncio.ensure_future(_send_by(client, request, auth, timeout))
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


#: the response extension holding the loop time its request was sent at (for ``HostPace``)
SENT_AT = "restsync.sent_at"

#: redirects followed for one request at most (httpx's default)
MAX_REDIRECTS = 20

#: how many paced waits (429 with Retry-After) a request may sit out per configured retry
PACED_WAITS_PER_RETRY = 10


def paced_status(response: httpx.Response) -> bool:
    """A 429 carrying Retry-After or a rate-limit reset: the API asking us to slow down."""
    return response.status_code == 429 and (
        retry_after(response) is not None or rate_limit_reset(response) is not None
    )


#: failures of an attempt that leave no answer to judge (see ``HttpClient._without_answer``)
_NO_ANSWER: tuple[type[Exception], ...] = (*RETRIABLE_TRANSPORT_ERRORS, TokenRequestFailed)


class HttpClient:
    """Sends the engine's requests politely; use as ``async with HttpClient(config) as http``.

    One ``httpx.AsyncClient`` (HTTP/1.1, pool sized to the in-flight cap) serves every host,
    over aiohttp (``AiohttpTransport``). ``transport`` replaces the network
    (``httpx.ASGITransport`` in tests); ``on_event`` receives an ``HttpEvent`` for every
    attempt, retry and throttle; ``max_in_flight`` overrides ``config.limits.max_in_flight``;
    ``secrets`` are masked in errors besides those ``config`` holds (the source's others).
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        on_event: Callable[[HttpEvent], None] | None = None,
        max_in_flight: int | None = None,
        secrets: Iterable[str] = (),
    ) -> None:
        self._config = config
        self._transport = transport
        self._on_event = on_event
        self._max_in_flight = max_in_flight or config.limits.max_in_flight
        self._global = asyncio.Semaphore(self._max_in_flight)
        self._hosts: dict[tuple[str, str, int | None], HostPace] = {}
        self._secrets = sorted({*secret_values(config), *secrets}, key=lambda v: (-len(v), v))
        self._scope = CredentialScope.of(config)
        self._client_auth = build_auth(config.auth)
        self._auths: dict[int, httpx.Auth | None] = {}
        self._told_foreign: set[str] = set()
        self._client: httpx.AsyncClient | None = None
        self.stats = HttpStats()

    async def __aenter__(self) -> HttpClient:
        size = self._max_in_flight
        headers = wire_headers({"User-Agent": _USER_AGENT, **self._config.headers})
        self._client = httpx.AsyncClient(
            base_url=self._config.base_url,
            headers=headers,
            timeout=self._config.timeout,
            limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
            transport=self._transport or AiohttpTransport(max_connections=size),
            follow_redirects=False,  # followed by _exchange, which decides on credentials
            event_hooks={"response": [_check_redirect]},
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
        self,
        request: RequestSpec,
        *,
        resource: str,
        auth: AuthConfig | None = None,
        react: Reactor | None = None,
    ) -> httpx.Response:
        """Send one logical request with retries; return the 2xx response, body read.

        Raises ``RetriableAPIError`` when retries run out (or the server asks for a longer
        wait than ``client.retry.max_backoff``) and ``FatalAPIError`` at once for answers that
        retrying cannot fix (401, 403, 404, other 4xx, statuses outside ``retry.statuses``).
        ``auth`` replaces the client's auth for this request (an endpoint's own auth).
        Redirects are followed; credentials go only where ``CredentialScope`` allows.
        ``react`` (the endpoint's response actions) sees every answer first: it may change
        it, or raise ``ResponseIgnored``, which ends here.
        """
        client = self._client
        if client is None:
            raise RuntimeError("HttpClient.send() needs 'async with HttpClient(...)' first")
        secrets = self._secrets
        if auth is not None:
            secrets = [*secrets, *secret_values(self._config.model_copy(update={"auth": auth}))]
        try:
            return await self._send(client, request, resource, auth, secrets, react)
        except APIError as exc:
            redact_error(exc, secrets)
            raise

    async def _send(
        self,
        client: httpx.AsyncClient,
        request: RequestSpec,
        resource: str,
        auth: AuthConfig | None,
        secrets: list[str],
        react: Reactor | None,
    ) -> httpx.Response:
        retry = self._config.retry
        credentials = self._auth_for(auth) if auth is not None else self._client_auth
        attempt = 0
        paced_waits = 0
        while True:
            # Built afresh for every attempt: auth flows write into the request they get.
            try:
                http_request = _build(client, request)
            except (httpx.InvalidURL, ValueError, TypeError) as exc:
                shown = shorten(redact_url(request.url, secrets))
                raise unbuildable(exc, resource, shown, secrets) from exc
            url = redact_url(http_request.url, secrets)
            try:
                response, host, trusted = await self._exchange(
                    client, http_request, credentials, request.priority, resource, secrets
                )
            except _NO_ANSWER as exc:
                failed, status, retriable = self._without_answer(
                    exc, attempt, resource, url, secrets, auth
                )
                if not retriable or attempt >= retry.max_retries:
                    raise failed from exc
                attempt += 1
                wait = backoff(retry, attempt)
                self._retry_event(resource, status, wait)
                await asyncio.sleep(wait)
                continue
            except UnusableRedirect as exc:
                raise bad_redirect(exc, resource, url, secrets) from None
            except httpx.HTTPError as exc:
                raise unsendable(exc, resource, url, secrets) from exc

            self._emit("request", resource, response.status_code, 0.0)
            self._observe(host, resource, response)
            if react is not None:
                response = react(response)
            url = redact_url(response.request.url, secrets)
            if response.is_success:
                host.note_answered()
                self._note_budget(host, resource, response)
                return response
            paced = paced_status(response)
            if response.status_code not in retry.statuses:
                if response.status_code == 429:
                    self._throttle(host, resource, 429, 0.0)
                raise fatal(
                    response,
                    resource,
                    url,
                    secrets,
                    auth_hint=self._auth_hint(auth),
                    withheld_from=None if trusted else self._scope.describe(),
                )
            wait = self._retry_wait(
                response,
                attempt=paced_waits if paced else attempt,
                paced=paced,
                host=host,
                resource=resource,
                url=url,
                secrets=secrets,
            )
            if paced:
                paced_waits += 1
            else:
                attempt += 1
            self._retry_event(resource, response.status_code, wait)
            await asyncio.sleep(wait)

    async def _exchange(
        self,
        client: httpx.AsyncClient,
        request: httpx.Request,
        credentials: httpx.Auth | None,
        priority: int,
        resource: str,
        secrets: list[str],
    ) -> tuple[httpx.Response, HostPace, bool]:
        """Send ``request`` and follow its redirects: the final response, its host, and
        whether the request that got it carried credentials.

        Each hop carries credentials only if ``CredentialScope`` allows its URL (never after
        a hop from https to http); otherwise headers and query parameters that hold a secret
        are removed, or the hop is refused (``client.foreign_origins: refuse``)."""
        downgraded = False
        for _ in range(MAX_REDIRECTS + 1):
            trusted = self._scope.allows(request.url, downgraded=downgraded)
            if not trusted:
                self._leave_scope(request, resource, secrets)
            before_auth = httpx.Headers(request.headers)
            host = self._host(request.url)
            response = await self._attempt(
                client, host, request, credentials if trusted else None, priority
            )
            following = response.next_request
            if following is None:
                return response, host, trusted
            self._emit("request", resource, response.status_code, 0.0)
            # httpx copies the headers onto the redirect, the auth flow's ones included; the
            # next hop gets credentials afresh, if its origin allows them
            for name in {name.lower() for name in request.headers} - {"cookie"}:
                if request.headers.get_list(name) != before_auth.get_list(name):
                    following.headers.pop(name, None)
            downgraded |= request.url.scheme == "https" and following.url.scheme == "http"
            request = following
        raise httpx.TooManyRedirects(f"more than {MAX_REDIRECTS} redirects", request=request)

    def _leave_scope(self, request: httpx.Request, resource: str, secrets: list[str]) -> None:
        """Make ``request``, bound outside the credential scope, fit to send, or refuse it."""
        origin = show_origin(origin_of(request.url))
        if self._scope.refuse_foreign:
            url = redact_url(request.url, secrets)
            raise refused_origin(origin, self._scope.describe(), resource, url)
        without_secrets(request, secrets)
        if origin not in self._told_foreign:
            self._told_foreign.add(origin)
            log.info(
                "resource '%s': requests to %s go without credentials (credentials go to %s; "
                "client.auth_origins adds origins)",
                resource,
                origin,
                self._scope.describe(),
            )

    def _auth_for(self, auth: AuthConfig) -> httpx.Auth | None:
        """The flow of an endpoint's own auth, built once per client so that a token it
        fetches (OAuth2) serves every request of the endpoint."""
        key = id(auth)
        if key not in self._auths:
            self._auths[key] = build_auth(auth)
        return self._auths[key]

    def _without_answer(
        self,
        exc: Exception,
        attempt: int,
        resource: str,
        url: str,
        secrets: list[str],
        auth: AuthConfig | None,
    ) -> tuple[APIError, int | None, bool]:
        """An attempt that got no answer to judge: a transport error (retriable) or a failed
        OAuth2 token request (retriable when its status is one of ``retry.statuses``).
        Returns the error to give up with, the status to report and whether to retry."""
        if isinstance(exc, TokenRequestFailed):
            hint = self._auth_hint(auth)
            failed = token_refused(exc, attempt, resource, redact_url(exc.url, secrets), hint)
            return failed, exc.status, exc.status in self._config.retry.statuses
        self._emit("request", resource, None, 0.0)
        return unreachable(exc, attempt, resource, url, secrets), None, True

    def _auth_hint(self, auth: AuthConfig | None) -> str:
        if auth is not None:
            return describe_auth(auth, where="the endpoint's auth")
        return describe_auth(self._config.auth)

    def _observe(self, host: HostPace, resource: str, response: httpx.Response) -> None:
        """Learn the host's pace from the rate-limit headers of any answer."""
        budget = rate_budget(response)
        if budget is None:
            return
        rate = host.observe(budget, response.extensions[SENT_AT])
        if rate is not None and host.window is not None:
            cap, seconds = host.window
            log.info(
                "resource '%s': the API allows %g requests per %g s; its host is now paced at "
                "%d per %g s (%.2f requests/s)",
                resource,
                budget.limit,
                seconds,
                cap,
                seconds,
                rate,
            )

    def _note_budget(self, host: HostPace, resource: str, response: httpx.Response) -> None:
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
        host: HostPace,
        resource: str,
        url: str,
        secrets: list[str],
    ) -> float:
        """Seconds to wait before retrying a failed answer, or the error to give up with.

        A 429 that says how long to wait (``paced``) is the API setting the pace, not failing:
        it does not use up ``retry.max_retries`` (``attempt`` then counts such waits, up to
        ``PACED_WAITS_PER_RETRY`` times the retries), so a sync against a rate-limited API
        that restsync was not told about slows down instead of giving up."""
        retry = self._config.retry
        status = response.status_code
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
            raise exhausted(response, attempt, resource, url, secrets)
        if asked is not None and asked > retry.max_backoff:
            raise wait_too_long(response, asked, retry.max_backoff, resource, url)
        return wait

    # --- pieces -----------------------------------------------------------------------------

    def _host(self, url: httpx.URL) -> HostPace:
        key = (url.scheme, url.host, url.port)
        host = self._hosts.get(key)
        if host is None:
            limits = self._config.limits
            host = HostPace.of(
                Slots(min(limits.max_in_flight_per_host, self._max_in_flight)),
                asyncio.get_running_loop().time,
                limits.requests_per_second,
            )
            if limits.shared_budget is not None:
                host.budget = open_budget(
                    limits.shared_budget,
                    f"{url.scheme}://{url.host}:{url.port}",
                    credentials=secret_values(self._config),
                    requests_per_second=limits.requests_per_second,
                    max_in_flight=limits.max_in_flight_per_host,
                    timeout=self._config.timeout,
                )
            self._hosts[key] = host
        return host

    async def _attempt(
        self,
        client: httpx.AsyncClient,
        host: HostPace,
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
                    # A 429 paused the host while we queued for a global slot, or the window's cap
                    # is reached: give the slot back while waiting.
                    wait = 0.0 if host.paused_for() > 0 else host.reserve()
                    if host.paused_for() <= 0 and wait <= 0:
                        break
                    self._global.release()
                    await asyncio.sleep(wait)
                stats = self.stats
                sent_at = host.sent[-1]
                try:
                    stats.requests += 1
                    stats.in_flight += 1
                    host.in_flight += 1
                    stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
                    response = await _send_keeping_slot(client, request, auth, self._config.timeout)
                finally:
                    stats.in_flight -= 1
                    host.in_flight -= 1
                    self._global.release()
                response.extensions[SENT_AT] = sent_at
                return response
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

    def _throttle(self, host: HostPace, resource: str, status: int, wait: float) -> None:
        self.stats.throttled += 1
        host.pause(wait)
        self._emit("throttle", resource, status, wait)
