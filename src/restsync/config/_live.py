"""Live Python objects in a config: what a dlt user may hand over besides plain values.

dlt's ``rest_api_source`` accepts callables (processing steps, response actions), paginator
instances and a ``requests.Session``. Normalisation asks ``live_value`` what a non-plain value
at a given place becomes; each becomes plain data or a small marker once, here, so the models
stay data and every other part of restsync reads them one way:

* a callable in ``processing_steps[i].<step>``, in ``response_actions[i]`` or in
  its ``action`` (one or a list) stays the callable;
* an auth object at ``auth`` (dlt's or requests') becomes its config dict (``auth_dict``);
* a fresh instance of one of dlt's numeric or link paginators becomes that paginator's dict
  (``paginator_dict``); any other paginator instance (a user's ``BasePaginator`` subclass
  included) becomes ``{"type": "custom", "instance": obj}``, run through its own methods
  (``CustomPaginator``);
* ``client.session`` becomes the plain parts restsync can honour (see ``session_parts``), or a
  ConfigError saying why it cannot; an OAuth2 auth's ``session`` is not needed (None).

Anything else is refused by the caller with a message saying what to write instead. To accept
another live object: recognise it here by its place and type and say what it becomes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from requests.auth import HTTPBasicAuth as RequestsBasicAuth

from restsync._dlt import (
    APIKeyAuth,
    BasePaginator,
    BearerTokenAuth,
    DltHeaderLinkPaginator,
    DltHttpBasicAuth,
    DltJSONLinkPaginator,
    DltOffsetPaginator,
    DltPageNumberPaginator,
    DltSinglePagePaginator,
    OAuth2ClientCredentials,
)
from restsync._exceptions import ConfigError

from ._paths import Path, format_location

_NOT_LIVE = object()


def live_value(value: Any, path: Path) -> Any:
    """What the live object ``value`` found at ``path`` becomes, or ``NOT_LIVE`` when this
    place takes no live object (the caller then refuses it)."""
    if isinstance(value, BasePaginator) and path and path[-1] == "paginator":
        return paginator_dict(value)
    if isinstance(value, requests.auth.AuthBase) and path and path[-1] == "auth":
        return auth_dict(value)
    if path[-2:] == ("auth", "session") and is_session(value):
        # the session dlt's OAuth2 auth posts its token request with: restsync's own client
        # fetches the token (with client.retry), so it has nothing to take from it
        return None
    if callable(value) and not isinstance(value, type) and _takes_callable(path):
        return value
    return _NOT_LIVE


NOT_LIVE = _NOT_LIVE


def _takes_callable(path: Path) -> bool:
    """Places dlt calls: ``...processing_steps[i].<step>``, ``...response_actions[i]``,
    ``...response_actions[i].action`` and ``...response_actions[i].action[k]``, and a
    resource's ``table_name`` (dlt's hint, called with each record)."""
    if path[-1:] == ("table_name",) and (
        path[:-1] == ("resource_defaults",) or (len(path) == 3 and path[0] == "resources")
    ):
        return True
    for cut in range(len(path) - 1):
        if path[cut] == "processing_steps":
            rest = path[cut + 1 :]
            # any key: a misspelt one is then reported as unknown, with the key it resembles
            return len(rest) == 2 and isinstance(rest[0], int)
        if path[cut] == "response_actions":
            rest = path[cut + 1 :]
            return isinstance(rest[0], int) and (
                len(rest) == 1
                or (len(rest) == 2 and rest[1] == "action")
                or (len(rest) == 3 and rest[1] == "action" and isinstance(rest[2], int))
            )
    return False


def paginator_dict(paginator: Any) -> dict[str, Any]:
    """A paginator object as the config dict it stands for. A fresh instance of one of dlt's
    own classes (exactly those: a subclass may change how it pages) whose values restsync's
    paginator of that type reads the same way becomes that paginator, so its pages are
    fetched concurrently; anything else becomes ``{"type": "custom", "instance": obj}`` and
    runs through its own methods, one page after another."""
    kind = type(paginator)
    fresh = getattr(paginator, "_has_next_page", False) and getattr(
        paginator, "current_value", None
    ) == getattr(paginator, "initial_value", None)
    if not fresh or getattr(paginator, "param_body_path", None) is not None:
        return {"type": "custom", "instance": paginator}
    if kind is DltSinglePagePaginator:
        return {"type": "single_page"}
    if kind is DltJSONLinkPaginator:
        return {"type": "json_link", "next_url_path": str(paginator.next_url_path)}
    if kind is DltHeaderLinkPaginator:
        return {"type": "header_link", "links_next_key": paginator.links_next_key}
    stops = {
        "total_path": _path_text(paginator, "total_path"),
        "has_more_path": _path_text(paginator, "has_more_path"),
        "stop_after_empty_page": getattr(paginator, "stop_after_empty_page", True),
    }
    if kind is DltPageNumberPaginator:
        return {
            "type": "page_number",
            "page_param": paginator.param_name,
            "base_page": paginator.base_index,
            "page": paginator.initial_value,
            "maximum_page": paginator.maximum_value,
            **stops,
        }
    if kind is DltOffsetPaginator and paginator.limit_body_path is None:
        return {
            "type": "offset",
            "limit": paginator.limit,
            "offset": paginator.initial_value,
            "offset_param": paginator.param_name,
            "limit_param": paginator.limit_param,
            "maximum_offset": paginator.maximum_value,
            **stops,
        }
    return {"type": "custom", "instance": paginator}


def _path_text(paginator: Any, name: str) -> str | None:
    value = getattr(paginator, name, None)
    return None if value is None else str(value)


def auth_dict(auth: Any) -> dict[str, Any]:
    """An auth object as the config dict it stands for: dlt's own classes (exactly those, not
    a subclass that may change what they send) become their ``type``; any other requests
    auth, a user's ``AuthConfigBase`` subclass included, becomes ``{"type": "custom",
    "instance": obj}`` and is run through its own ``__call__`` on each request."""
    kind = type(auth)
    if kind is BearerTokenAuth:
        return {"type": "bearer", "token": auth.token}
    if kind is APIKeyAuth:
        return {
            "type": "api_key",
            "name": auth.name,
            "api_key": auth.api_key,
            "location": auth.location,
        }
    if kind is DltHttpBasicAuth or kind is RequestsBasicAuth:
        return {"type": "http_basic", "username": auth.username, "password": auth.password}
    if kind is OAuth2ClientCredentials:
        # dlt always gives it a session (its default one) to post the token request with;
        # restsync fetches the token with its own client (one token shared by all requests)
        fields = (
            "access_token_url",
            "client_id",
            "client_secret",
            "access_token_request_data",
            "default_token_expiration",
            "access_token",
        )
        values = {name: getattr(auth, name) for name in fields}
        return {"type": "oauth2_client_credentials", **{k: v for k, v in values.items() if v}}
    return {"type": "custom", "instance": auth}


def is_session(value: Any) -> bool:
    return isinstance(value, requests.Session)


def session_parts(session: requests.Session, path: Path) -> dict[str, Any]:
    """The parts of a ``requests.Session`` restsync honours, as plain config values:

    * ``headers``: the headers the user added (requests' defaults such as its User-Agent are
      left out); the config's own ``client.headers`` win over them, as dlt's do;
    * ``cookies``: ``[domain, name, value]`` triples; those meant for ``base_url``'s host are
      sent as one ``Cookie`` header (see ``cookie_header``);
    * ``auth``: a (user, password) pair or ``HTTPBasicAuth`` becomes ``http_basic``; any other
      auth object is handed on as ``client.auth`` would be; the config's ``client.auth`` wins.

    What restsync's own client cannot take from a session is refused, each with the fix:
    ``proxies`` (restsync reads them from the environment), ``verify`` other than true and
    ``cert`` (restsync trusts the system's CAs or ``SSL_CERT_FILE``), ``params`` (put them in
    the endpoints' params) and response ``hooks`` (use ``response_actions``)."""
    where = format_location(path)
    if session.proxies:
        raise ConfigError(
            "restsync takes proxies from the environment, not from a session: set HTTPS_PROXY "
            "(and NO_PROXY) instead of session.proxies",
            location=f"{where}.proxies",
        )
    if session.verify is not True:
        fix = (
            f"set SSL_CERT_FILE={session.verify}"
            if isinstance(session.verify, str)
            else "point SSL_CERT_FILE at the CA certificate that signs the API's certificate"
        )
        raise ConfigError(
            f"restsync always verifies TLS certificates against the system's CAs: {fix} and "
            "drop session.verify",
            location=f"{where}.verify",
        )
    if session.cert is not None:
        raise ConfigError(
            "restsync does not send TLS client certificates; remove session.cert",
            location=f"{where}.cert",
        )
    if session.params:
        raise ConfigError(
            "a session's default query params are not used: move them into each endpoint's "
            "params (or resource_defaults.endpoint.params)",
            location=f"{where}.params",
        )
    if any(session.hooks.get("response", [])):
        raise ConfigError(
            "a session's response hooks do not run in restsync: write them as the endpoints' "
            "response_actions (callables that get each response)",
            location=f"{where}.hooks",
        )
    defaults = requests.utils.default_headers()
    headers = {
        str(name): str(value)
        for name, value in session.headers.items()
        if defaults.get(name) != value
    }
    cookies = [[cookie.domain or "", cookie.name, cookie.value] for cookie in session.cookies]
    parts: dict[str, Any] = {"headers": headers, "cookies": cookies}
    auth = _session_auth(session.auth)
    if auth is not None:
        parts["auth"] = auth
    return parts


def _session_auth(auth: Any) -> Any:
    if auth is None:
        return None
    if isinstance(auth, tuple) and len(auth) == 2:
        username, password = auth
        return {"type": "http_basic", "username": username, "password": password}
    if isinstance(auth, RequestsBasicAuth):
        return {"type": "http_basic", "username": auth.username, "password": auth.password}
    return auth


def cookie_header(cookies: list[list[str]], base_url: Any) -> str | None:
    """The ``Cookie`` header for the session cookies meant for ``base_url``'s host (a cookie
    without a domain goes to every host, as requests sends it), or ``None``."""
    host = (urlsplit(base_url).hostname or "") if isinstance(base_url, str) else ""
    pairs = [f"{name}={value}" for domain, name, value in cookies if _domain_matches(host, domain)]
    return "; ".join(pairs) or None


def _domain_matches(host: str, domain: str) -> bool:
    domain = domain.lstrip(".").lower()
    host = host.lower()
    return not domain or host == domain or host.endswith("." + domain)
