"""Whether a URL can be requested, and how to quote a long one in a message.

URLs reach restsync's HTTP client from places config validation never sees: next-page links
and redirects an API answers with, what a live paginator's ``update_request`` leaves, an
endpoint path filled from a parent record. httpx and aiohttp refuse an unusable one with
errors that name neither the URL nor where it came from (``invalid literal for int() with
base 10: 'abc'``), or try to reach it (a link to ``mailto:`` merged into ``base_url``); so
such URLs are judged here first, and the caller says which resource and page gave them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

import httpx

__all__ = ["MAX_SHOWN", "mask_url_credentials", "resolve_link", "shorten", "url_problem"]

#: characters of a URL or value quoted in a message (an API may send kilobytes)
MAX_SHOWN = 200

_SCHEMES = ("http", "https")
#: a link that starts with a scheme is taken as it is (as dlt's paginators take it)
_HAS_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def url_problem(url: str) -> str | None:
    """Why the absolute ``url`` cannot be requested, or ``None`` when it can. The reason
    never quotes the URL's userinfo."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # "Invalid IPv6 URL"
        return f"it does not parse as a URL ({exc})"
    if not parts.scheme:
        return "it is not an absolute URL"
    if parts.scheme.lower() not in _SCHEMES:
        return f"its scheme is '{parts.scheme}', and only http and https can be requested"
    if not parts.hostname:
        return "it names no host"
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        port = parts.netloc.rpartition("@")[2].rpartition(":")[2]
        return f"its port '{port}' is not a number from 0 to 65535"
    try:
        httpx.URL(url)
    except httpx.InvalidURL as exc:  # a component too long, a control character
        return str(exc)
    return None


def resolve_link(base: str, link: str) -> str:
    """``link`` as a next-page URL, read as dlt reads it: a link with a scheme as it is, any
    other relative to ``base`` (the URL of the page that held it). A link too malformed to
    join is returned as it is, for ``url_problem`` to say why."""
    if _HAS_SCHEME.match(link):
        return link
    try:
        return urljoin(base, link)
    except ValueError:
        return link


def shorten(text: str, limit: int = MAX_SHOWN) -> str:
    """``text`` cut to about ``limit`` characters, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


#: the password of a URL's userinfo (``scheme://user:password@``), also in a URL too
#: malformed to parse (``https:/user:password@host``, ``http://user:password@[::1``)
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*:/*[^\s/@:'\"]*:)([^\s/@'\"]+)(?=@)")
#: a query parameter of a URL
_QUERY_PAIR = re.compile(r"([?&;]([^=&#\s'\"]+)=)([^&#\s'\"]*)")


def mask_url_credentials(text: str, sensitive: Callable[[str], bool]) -> str:
    """``text`` with the credentials written into the URLs it quotes masked as ``***``: a
    userinfo password, and the value of every query parameter whose name ``sensitive``
    judges a credential's. Works on text that does not parse as a URL."""
    text = _URL_PASSWORD.sub(r"\1***", text)
    return _QUERY_PAIR.sub(
        lambda pair: f"{pair[1]}***" if sensitive(pair[2]) and pair[3] else pair[0], text
    )
