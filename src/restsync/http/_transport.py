"""The network under httpx: aiohttp's HTTP/1.1 client as an ``httpx.AsyncBaseTransport``.

httpx stays the client the rest of restsync talks to (auth flows, redirects, content
decoding, its exceptions; tests put ``httpx.ASGITransport`` in this place). Only the wire
changes: httpx's own stack (httpcore, h11, anyio) is pure Python and spends ~2 ms of CPU on a
600 KB page, holding the GIL that the whole extraction shares, where aiohttp's C parser
spends ~0.4 ms (``python -m bench`` W2; the measurement is in README).

httpx leaves proxies to a transport it is given, so this one reads them from the environment
(``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``) as httpx would have. aiohttp's
errors become the httpx errors that httpcore raises for the same trouble, so retries and
messages do not change.
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import aiohttp
import httpx
from yarl import URL

__all__ = ["AiohttpTransport"]

_KEEPALIVE_SECONDS = 5.0  # httpx's default keep-alive expiry
_MAX_HEADER_BYTES = 65536  # h11 accepts header blocks this large; aiohttp's default is 8190

# most specific first: the first class the error is an instance of decides
_ERRORS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ClientProxyConnectionError, httpx.ProxyError),
    (aiohttp.ClientHttpProxyError, httpx.ProxyError),
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (asyncio.TimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (aiohttp.ClientConnectionError, httpx.ReadError),
    (aiohttp.ClientError, httpx.TransportError),
)


_Proxy = tuple[URL | None, dict[str, str] | None]  # the proxy and the headers it needs


@contextmanager
def _as_httpx_errors(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except tuple(cls for cls, _ in _ERRORS) as exc:
        mapped = next(target for cls, target in _ERRORS if isinstance(exc, cls))
        raise mapped(str(exc) or type(exc).__name__, request=request) from exc


def _environment_proxy(url: httpx.URL) -> _Proxy:
    """The proxy the environment names for ``url`` (``<scheme>_proxy``, else ``all_proxy``;
    none for hosts ``no_proxy`` lists) and the credentials in its URL."""
    proxies = urllib.request.getproxies()
    named = proxies.get(url.scheme) or proxies.get("all")
    if not named or urllib.request.proxy_bypass(url.host):
        return None, None
    proxy = URL(named)
    if proxy.scheme not in ("http", "https"):
        raise httpx.UnsupportedProtocol(
            f"the proxy the environment names for {url.host} "
            f"({proxy.scheme}://{proxy.host}) is not supported: only http:// and "
            "https:// proxies are"
        )
    auth = aiohttp.BasicAuth.from_url(proxy)
    headers = {"Proxy-Authorization": auth.encode()} if auth is not None else None
    return proxy.with_user(None), headers


def _timeout(request: httpx.Request) -> aiohttp.ClientTimeout:
    """httpx's timeouts for the request: ``pool`` + ``connect`` bound getting a connection,
    ``connect`` the connecting, ``read`` each wait for data."""
    given = request.extensions.get("timeout", {})
    pool, connect, read = given.get("pool"), given.get("connect"), given.get("read")
    whole_connect = None if pool is None or connect is None else pool + connect
    return aiohttp.ClientTimeout(
        total=None, connect=whole_connect, sock_connect=connect, sock_read=read
    )


class _Body(httpx.AsyncByteStream):
    """A body already read whole: httpx decodes it (gzip, ...) as it reads the stream."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._body


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Sends httpx requests with one ``aiohttp.ClientSession`` (opened on the first request,
    inside the running event loop) holding at most ``max_connections`` connections. Each
    response is read whole before it is returned, which is what ``HttpClient`` wants."""

    def __init__(self, *, max_connections: int) -> None:
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        self._ssl: ssl.SSLContext | None = None
        self._proxies: dict[tuple[bytes, bytes, int | None], _Proxy] = {}

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._max_connections, limit_per_host=0, keepalive_timeout=_KEEPALIVE_SECONDS
        )
        session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),  # httpx keeps the cookies
            auto_decompress=False,  # httpx decodes
            trust_env=False,  # it would read ~/.netrc and the proxies again on every request
            max_line_size=_MAX_HEADER_BYTES,
            max_field_size=_MAX_HEADER_BYTES,
        )
        # aiohttp sends an idempotent request a second time, at once, when the connection
        # breaks; retrying is HttpClient's job (counted, with backoff, up to max_retries).
        # aiohttp's own test client turns this off the same way.
        session._retry_connection = False
        return session

    def _ssl_for(self, url: httpx.URL) -> ssl.SSLContext | bool:
        """httpx's TLS settings (certifi, ``SSL_CERT_FILE``), made on the first https URL."""
        if url.scheme != "https":
            return True
        if self._ssl is None:
            self._ssl = httpx.create_ssl_context()
        return self._ssl

    def _proxy_for(self, url: httpx.URL) -> _Proxy:
        """``_environment_proxy`` of ``url``, looked up once per origin."""
        origin = (url.raw_scheme, url.raw_host, url.port)
        if origin not in self._proxies:
            self._proxies[origin] = _environment_proxy(url)
        return self._proxies[origin]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(
                f"the URL scheme must be http or https, not {request.url.scheme!r}",
                request=request,
            )
        if self._session is None:
            self._session = self._open()
        body = await request.aread()
        proxy, proxy_headers = self._proxy_for(request.url)
        headers = request.headers.multi_items()
        if proxy_headers and request.url.scheme == "http":
            # a plain request goes to the proxy as it is (no CONNECT): it carries the credentials
            headers += proxy_headers.items()
            proxy_headers = None
        with _as_httpx_errors(request):
            async with self._session.request(
                request.method,
                URL(str(request.url), encoded=True),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                ssl=self._ssl_for(request.url),
                proxy=proxy,
                proxy_headers=proxy_headers,
                timeout=_timeout(request),
            ) as response:
                content = await response.read()
                version = response.version or aiohttp.HttpVersion11
                return httpx.Response(
                    response.status,
                    headers=list(response.raw_headers),
                    stream=_Body(content),
                    extensions={
                        "http_version": f"HTTP/{version.major}.{version.minor}".encode(),
                        "reason_phrase": (response.reason or "").encode("latin-1"),
                    },
                )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
