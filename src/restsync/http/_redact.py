"""Keeping secrets out of everything restsync prints: URLs, error messages, body excerpts.

``secret_values`` collects every secret string a config holds (``SecretStr`` fields, values the
config resolved from secret references, values of sensitive-looking headers and params, the
password in a ``base_url``, the encoded ``user:password`` of basic auth); ``redact_url`` and
``redact_text`` replace them, and the values of sensitive query parameters, with ``***``,
in every encoding an API may echo them in: raw, percent-encoded (either case, ``+`` for
spaces), JSON-escaped, HTML-escaped. Every URL that reaches an ``APIError`` goes through
``redact_url`` first; ``redact_error`` masks an error and its whole chain of causes before
it leaves the engine (dlt stores the chain's text in its trace file), and ``redacted_logs``
masks what the HTTP libraries underneath log.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, SecretStr

from restsync._exceptions import RestSyncError
from restsync._urls import mask_url_credentials
from restsync.config import ClientConfig, HttpBasicAuth, SourceConfig

__all__ = [
    "MASK",
    "RedactedError",
    "is_sensitive_name",
    "redact_error",
    "redact_text",
    "redact_url",
    "redacted_logs",
    "secret_values",
]

MASK = "***"

#: shorter values are not credentials, and masking them would garble every message
MIN_SECRET_CHARS = 3

_SENSITIVE_NAMES = frozenset(
    {
        "api_key",
        "apikey",
        "key",
        "token",
        "access_token",
        "secret",
        "password",
        "signature",
        "sig",
        "auth",
        "client_secret",
        "authorization",
        "proxy_authorization",
        "cookie",
        "passwd",
    }
)
_SENSITIVE_SUFFIXES = ("_key", "_token", "_secret", "_password", "_signature", "_apikey")


def is_sensitive_name(name: str) -> bool:
    """Whether a query parameter or header called ``name`` probably carries a credential
    (``api_key``, ``X-API-Key``, ``access_token``, ``client_secret``, ...; case-insensitive)."""
    normal = name.strip().lower().replace("-", "_")
    return normal in _SENSITIVE_NAMES or normal.endswith(_SENSITIVE_SUFFIXES)


def _collect(value: Any, found: list[str]) -> None:
    if isinstance(value, SecretStr):
        found.append(value.get_secret_value())
    elif isinstance(value, HttpBasicAuth):
        # what the Authorization header carries, which an API may echo back
        password = value.password.get_secret_value()
        found.append(password)
        found.append(base64.b64encode(f"{value.username}:{password}".encode()).decode())
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _collect(getattr(value, name), found)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and isinstance(key, str) and is_sensitive_name(key):
                found.append(item)
                # "Bearer abc" / "Token abc": the credential alone may show up elsewhere.
                scheme, _, credential = item.partition(" ")
                if credential and scheme.isalpha():
                    found.append(credential)
            else:
                _collect(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect(item, found)


def secret_values(config: ClientConfig | SourceConfig) -> list[str]:
    """Every secret string in ``config``, longest first, without duplicates or empties."""
    found: list[str] = []
    _collect(config, found)
    if isinstance(config, SourceConfig):
        found.extend(config.secrets)
    client = config.client if isinstance(config, SourceConfig) else config
    password = urlsplit(client.base_url).password
    if password:
        found.append(password)
        found.append(unquote_plus(password))
    return sorted({value for value in found if value}, key=lambda s: (-len(s), s))


def _encodings(secret: str) -> set[str]:
    """The forms ``secret`` may take in a URL, a JSON or HTML body, or a mix of these."""
    forms = {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        quote_plus(secret, safe="/"),
        html.escape(secret),
    }
    for form in list(forms):
        escaped = json.dumps(form)[1:-1]
        forms |= {escaped, escaped.replace("/", "\\/"), json.dumps(form, ensure_ascii=False)[1:-1]}
    return forms


def _form_pattern(form: str) -> str:
    # a percent escape (%2f) and a JSON escape (\u00e9) match in either case of their hex digits
    pieces = re.split(r"(%[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4})", form)
    out = []
    for index, piece in enumerate(pieces):
        if index % 2:
            prefix, digits = (piece[:1], piece[1:]) if piece[0] == "%" else (piece[:2], piece[2:])
            out.append(re.escape(prefix))
            out.extend(f"[{d.upper()}{d.lower()}]" if d.isalpha() else d for d in digits)
        else:
            out.append(re.escape(piece))
    return "".join(out)


@functools.lru_cache(maxsize=64)
def _secrets_pattern(secrets: frozenset[str]) -> re.Pattern[str] | None:
    forms: set[str] = set()
    for secret in secrets:
        if len(secret) >= MIN_SECRET_CHARS:
            forms |= _encodings(secret)
    if not forms:
        return None
    # longest first: a secret that contains another is masked whole
    return re.compile("|".join(_form_pattern(f) for f in sorted(forms, key=len, reverse=True)))


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every occurrence of each secret, in each of its encodings (raw,
    percent-encoded in either case or with ``+`` for spaces, JSON- or HTML-escaped), masked."""
    pattern = _secrets_pattern(frozenset(secrets))
    return text if pattern is None else pattern.sub(MASK, text)


class RedactedError(Exception):
    """Stands in an error's chain of causes for an exception whose text held a secret: its
    type name and masked text, with the original's traceback."""


def _redact_in_place(exc: RestSyncError, secrets: Iterable[str]) -> None:
    exc.args = tuple(redact_text(a, secrets) if isinstance(a, str) else a for a in exc.args)
    for name, value in vars(exc).items():
        if isinstance(value, str):
            setattr(exc, name, redact_text(value, secrets))


def _stand_in(exc: BaseException, secrets: Iterable[str]) -> BaseException:
    """``exc`` itself when its text holds no secret, else a ``RedactedError`` for it."""
    if isinstance(exc, RestSyncError):
        _redact_in_place(exc, secrets)
        return exc
    try:
        text = str(exc)
    except Exception:  # an exception whose __str__ fails is shown by its type alone
        text = ""
    masked = redact_text(text, secrets)
    if masked == text:
        return exc
    stand_in = RedactedError(f"{type(exc).__module__}.{type(exc).__qualname__}: {masked}")
    stand_in.__traceback__ = exc.__traceback__
    stand_in.__cause__ = exc.__cause__
    stand_in.__context__ = exc.__context__
    stand_in.__suppress_context__ = exc.__suppress_context__
    return stand_in


def redact_error(exc: BaseException, secrets: Iterable[str]) -> BaseException:
    """Mask ``secrets`` in ``exc`` and along its chain of causes and contexts (what Python's
    traceback and dlt's trace file show): restsync's errors are masked in place, any other
    exception whose text holds a secret is replaced in the chain by a ``RedactedError``.
    Returns ``exc`` (a ``RedactedError`` for it if it is not restsync's and held a secret)."""
    secrets = frozenset(secrets)
    head = _stand_in(exc, secrets)
    current, seen = head, {id(head)}
    while True:
        for link in ("__cause__", "__context__"):
            nxt = getattr(current, link)
            if nxt is not None and id(nxt) not in seen:
                replaced = _stand_in(nxt, secrets)
                setattr(current, link, replaced)
        nxt = current.__cause__ or current.__context__
        if nxt is None or id(nxt) in seen:
            return head
        seen.add(id(nxt))
        current = nxt


def _mask_pair(pair: str) -> str:
    name, sep, _ = pair.partition("=")
    if sep and is_sensitive_name(unquote_plus(name)):
        return f"{name}={MASK}"
    return pair


def redact_url(url: str | httpx.URL, secrets: Iterable[str] = ()) -> str:
    """``url`` fit to print: the userinfo password, the values of sensitive query parameters
    and every occurrence of the given secrets become ``***``, also in a URL that does not
    parse."""
    text = str(url)
    try:
        parts = urlsplit(text)
    except ValueError:  # too malformed to parse ("http://user:pw@[::1"): masked as text
        return redact_text(mask_url_credentials(text, is_sensitive_name), secrets)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, has_password, _ = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{hostport}" if has_password else netloc
    query = "&".join(_mask_pair(pair) for pair in parts.query.split("&")) if parts.query else ""
    text = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    return redact_text(text, secrets)


class _RedactSecrets(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message, self._secrets)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


#: the libraries underneath that log request URLs (httpx at INFO, query-parameter keys included)
_HTTP_LOGGERS = ("httpx", "httpcore")


@contextmanager
def redacted_logs(secrets: list[str]) -> Iterator[None]:
    """Inside the block, ``secrets`` are masked in the log records of the HTTP libraries."""
    redact = _RedactSecrets(secrets)
    for name in _HTTP_LOGGERS:
        logging.getLogger(name).addFilter(redact)
    try:
        yield
    finally:
        for name in _HTTP_LOGGERS:
            logging.getLogger(name).removeFilter(redact)
