"""The retry policy: which outcomes are retried, how long to wait, what the server asked for.

The wait before retry ``n`` (1-based) is ``initial_backoff * backoff_factor ** (n - 1)``
capped at ``max_backoff``, plus up to 10 % jitter so that many waiting requests do not come
back in lock step. A server's own word (``Retry-After``, or an exhausted rate-limit budget with
its reset time) replaces the computed wait.
"""

from __future__ import annotations

import math
import random
import time
from email.utils import parsedate_to_datetime

import httpx

from restsync.config import RetryConfig

__all__ = [
    "RETRIABLE_TRANSPORT_ERRORS",
    "DeadlineExceeded",
    "backoff",
    "retry_after",
    "transport_error_kind",
]


class DeadlineExceeded(httpx.TimeoutException):
    """The request as a whole (connecting, sending, waiting, reading the body) outlasted
    ``client.timeout``: httpx's timeouts bound each wait, so a body trickling in a byte at a
    time would otherwise never time out."""


# Connection trouble that a later attempt can cure. Not here on purpose: UnsupportedProtocol
# and LocalProtocolError (our request is wrong, a retry sends the same thing).
RETRIABLE_TRANSPORT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.ProxyError,
)


def backoff(retry: RetryConfig, attempt: int) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based) when the server said nothing."""
    base = min(retry.initial_backoff * retry.backoff_factor ** (attempt - 1), retry.max_backoff)
    return min(base + random.uniform(0.0, base * 0.1), retry.max_backoff)


def _seconds(text: str) -> float | None:
    """``text`` as a finite number >= 0, or None (nan, inf, negative, garbage): a server that
    sends such a value has not said how long to wait."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def retry_after(response: httpx.Response) -> float | None:
    """The ``Retry-After`` header in seconds from now (delta seconds or HTTP-date), or None
    when it is absent or not a usable wait (``nan``, ``inf``, negative, garbage)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


_TRANSPORT_KINDS: tuple[tuple[type[Exception], str], ...] = (
    (DeadlineExceeded, "request deadline exceeded"),
    (httpx.ConnectTimeout, "connect timeout"),
    (httpx.ReadTimeout, "read timeout"),
    (httpx.WriteTimeout, "write timeout"),
    (httpx.PoolTimeout, "connection pool timeout"),
    (httpx.ConnectError, "connection failed"),
    (httpx.ReadError, "connection broken while reading"),
    (httpx.WriteError, "connection broken while writing"),
    (httpx.RemoteProtocolError, "server closed the connection or broke the HTTP protocol"),
    (httpx.ProxyError, "proxy error"),
)


def transport_error_kind(exc: Exception) -> str:
    """A short human name for an httpx transport error."""
    for cls, kind in _TRANSPORT_KINDS:
        if isinstance(exc, cls):
            return f"{kind} ({type(exc).__name__})"
    return type(exc).__name__
