"""Keeping secrets out of everything restsync prints: URLs, error messages, body excerpts.

``secret_values`` collects every secret string a config holds (``SecretStr`` fields, values of
sensitive-looking headers and params, the password in a ``base_url``); ``redact_url`` and
``redact_text`` replace them, and the values of sensitive query parameters, with ``***``.
Every URL that reaches an ``APIError`` goes through ``redact_url`` first, and ``redacted_logs``
masks them in what the HTTP libraries underneath log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, SecretStr

from restsync.config import ClientConfig, SourceConfig

__all__ = [
    "MASK",
    "is_sensitive_name",
    "redact_text",
    "redact_url",
    "redacted_logs",
    "secret_values",
]

MASK = "***"

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
    client = config.client if isinstance(config, SourceConfig) else config
    password = urlsplit(client.base_url).password
    if password:
        found.append(password)
        found.append(unquote_plus(password))
    return sorted({value for value in found if value}, key=lambda s: (-len(s), s))


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every occurrence of each secret (raw or percent-encoded) replaced."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        for form in (secret, quote(secret, safe=""), quote_plus(secret), quote(secret)):
            if form in text:
                text = text.replace(form, MASK)
    return text


def _mask_pair(pair: str) -> str:
    name, sep, _ = pair.partition("=")
    if sep and is_sensitive_name(unquote_plus(name)):
        return f"{name}={MASK}"
    return pair


def redact_url(url: str | httpx.URL, secrets: Iterable[str] = ()) -> str:
    """``url`` fit to print: the userinfo password, the values of sensitive query parameters
    and every occurrence of the given secrets become ``***``."""
    text = str(url)
    try:
        parts = urlsplit(text)
    except ValueError:
        return redact_text(text, secrets)
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
