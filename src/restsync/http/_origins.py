"""Where credentials may go: the origin of ``base_url`` and the origins ``client.auth_origins``
lists, never over plain http once a request started on https.

An origin is scheme, host and port (RFC 6454): ``https://api.example.com`` and
``https://api.example.com:8443`` or ``http://api.example.com`` are different origins. Next-page
links and redirects come from the API's answers, so an API (or whoever can change its answers)
could point them anywhere; credentials follow only to origins the config names. A request to
any other origin is sent without credentials: no auth flow runs for it, and headers or query
parameters holding a configured secret are removed (``without_secrets``), or it is refused
when ``client.foreign_origins`` is ``refuse``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from restsync.config import ClientConfig

from ._redact import redact_text

__all__ = ["CredentialScope", "Origin", "origin_of", "without_secrets"]

Origin = tuple[str, str, int]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: httpx.URL | str) -> Origin:
    """``url``'s (scheme, host, port), the port made explicit."""
    url = httpx.URL(url)
    scheme = url.scheme.lower()
    return scheme, url.host.lower(), url.port or _DEFAULT_PORTS.get(scheme, 0)


def show_origin(origin: Origin) -> str:
    scheme, host, port = origin
    default = _DEFAULT_PORTS.get(scheme)
    return f"{scheme}://{host}" + ("" if port == default else f":{port}")


@dataclass(frozen=True)
class CredentialScope:
    """The origins that may receive credentials, and what to do about the others."""

    origins: frozenset[Origin]
    refuse_foreign: bool = False

    @classmethod
    def of(cls, config: ClientConfig) -> CredentialScope:
        named = [config.base_url, *config.auth_origins]
        return cls(
            frozenset(origin_of(url) for url in named),
            refuse_foreign=config.foreign_origins == "refuse",
        )

    def allows(self, url: httpx.URL, *, downgraded: bool = False) -> bool:
        """Whether a request to ``url`` may carry credentials; ``downgraded`` when the
        redirects that led to it went from https to http on the way."""
        return not downgraded and origin_of(url) in self.origins

    def describe(self) -> str:
        return ", ".join(sorted(show_origin(origin) for origin in self.origins))


def without_secrets(request: httpx.Request, secrets: Iterable[str]) -> None:
    """Remove, in place, every header and query parameter of ``request`` whose value holds one
    of ``secrets`` (in any encoding), and any ``Authorization`` header."""
    secrets = frozenset(secrets)

    def holds_secret(value: str) -> bool:
        return redact_text(value, secrets) != value

    for name in {name.lower() for name in request.headers}:
        values = request.headers.get_list(name)
        if name in ("authorization", "proxy-authorization") or any(map(holds_secret, values)):
            del request.headers[name]
    params = request.url.params
    kept = [(name, value) for name, value in params.multi_items() if not holds_secret(value)]
    if len(kept) != len(params.multi_items()):
        request.url = request.url.copy_with(params=kept or None)
