"""Auth credentials dlt reads from its config providers.

dlt's ``rest_api`` builds every auth with its ``create_auth`` and resolves what the config
leaves out from dlt's config providers (environment variables, ``.dlt/secrets.toml``), under
the source's section: ``"auth": "api_key"`` runs when ``SOURCES__REST_API__<NAME>__CREDENTIALS
__API_KEY`` (or a shorter key dlt tries) is set, and so do ``{"type": "api_key"}`` and
``APIKeyAuth()``. restsync asks dlt to build such an auth, one that is missing a field dlt's
auth class requires, before the config is normalised: it then reads as the auth object dlt
built. An auth that is complete stays as written.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from restsync._dlt import (
    AuthConfigBase,
    ConfigFieldMissingException,
    DltException,
    rest_api_auth,
    rest_api_auth_class,
)
from restsync._exceptions import ConfigError

from ._paths import Path, format_location

#: dlt's section of a ``rest_api`` source and its default name
DEFAULT_SECTION = DEFAULT_NAME = "rest_api"

AUTH_EXAMPLES = {
    "bearer": '{"type": "bearer", "token": {"secret": "access_token"}}',
    "api_key": (
        '{"type": "api_key", "name": "X-API-KEY", "api_key": {"secret": "api_key"}, '
        '"location": "header"}'
    ),
    "http_basic": '{"type": "http_basic", "username": "...", "password": {"secret": "password"}}',
}


def needs_credentials(auth_type: str, elsewhere: str = "") -> str:
    """What to write for an auth given as its type name alone, with its credentials left
    out; ``elsewhere`` says where else dlt would read them."""
    example = AUTH_EXAMPLES.get(auth_type)
    written = f"write {example}" if example else "write its fields"
    return f"auth {auth_type!r} needs its credentials: {written}" + (
        f", or {elsewhere}" if elsewhere else ""
    )


def with_dlt_credentials(
    raw: Mapping[str, Any], *, section: str | None = None, name: str | None = None
) -> Mapping[str, Any]:
    """``raw`` with each auth that misses a field built by dlt, as dlt builds it for source
    ``name`` in ``section`` (dlt's defaults when None); the caller's dicts are not changed.
    Raises ConfigError at the auth when dlt's config providers do not hold what is missing."""
    where = (section or DEFAULT_SECTION, name or _name(raw))
    config = dict(raw)
    client = config.get("client")
    if isinstance(client, Mapping) and "auth" in client:
        config["client"] = _with_auth(client, ("client",), where)
    defaults = config.get("resource_defaults")
    if isinstance(defaults, Mapping):
        config["resource_defaults"] = _with_endpoint_auth(defaults, ("resource_defaults",), where)
    resources = config.get("resources")
    if isinstance(resources, list):
        config["resources"] = [
            _with_endpoint_auth(resource, ("resources", index), where)
            if isinstance(resource, Mapping)
            else resource
            for index, resource in enumerate(resources)
        ]
    return config


def _name(raw: Mapping[str, Any]) -> str:
    name = raw.get("name")
    return name if isinstance(name, str) and name else DEFAULT_NAME


def _with_endpoint_auth(
    resource: Mapping[str, Any], path: Path, where: tuple[str, str]
) -> Mapping[str, Any]:
    endpoint = resource.get("endpoint")
    if not isinstance(endpoint, Mapping) or "auth" not in endpoint:
        return resource
    return {**resource, "endpoint": _with_auth(endpoint, (*path, "endpoint"), where)}


def _with_auth(holder: Mapping[str, Any], path: Path, where: tuple[str, str]) -> Mapping[str, Any]:
    auth = holder["auth"]
    if not _misses_a_field(auth):
        return holder
    location = (*path, "auth")
    section, name = where
    # dlt resolves an auth object in place: the caller's stays as it was
    given = copy.copy(auth) if isinstance(auth, AuthConfigBase) else auth
    try:
        built = rest_api_auth(given, section=section, name=name)
    except ConfigFieldMissingException as exc:
        raise _missing(auth, location, exc) from None
    except DltException as exc:
        # dlt's own text may quote the provider's content, so only its kind is shown
        raise ConfigError(
            f"dlt could not build this auth from its config ({type(exc).__name__})",
            location=format_location(location),
        ) from None
    return {**holder, "auth": built}


def _misses_a_field(auth: Any) -> bool:
    """Whether dlt would read part of ``auth`` from its config providers: a type name, or a
    dict or auth object of dlt's without a field its class requires."""
    if isinstance(auth, str):
        return rest_api_auth_class(auth) is not None
    if isinstance(auth, AuthConfigBase):
        return not auth.is_resolved() and auth.is_partial()
    if not isinstance(auth, Mapping):
        return False
    kind = auth.get("type", "bearer")  # dlt's default
    auth_class = rest_api_auth_class(kind) if isinstance(kind, str) else None
    if auth_class is None:
        return False
    fields = {key: value for key, value in auth.items() if key != "type"}
    try:
        return auth_class.from_init_value(fields).is_partial()
    except (DltException, TypeError, ValueError):
        return False  # restsync's validation says what is wrong with it


def _missing(auth: Any, location: Path, exc: ConfigFieldMissingException) -> ConfigError:
    field = exc.fields[0]
    traces = exc.traces.get(field) or []
    # a trace of a nested config holds traces of its own, not a key; with a pipeline active
    # dlt first tries keys under the pipeline's name, the source's own come next
    keys = [
        key
        for trace in traces
        if isinstance(key := getattr(trace, "key", None), str) and key.startswith("SOURCES__")
    ]
    where = f"export {keys[0]}=... or add it to .dlt/secrets.toml" if keys else ""
    if isinstance(auth, str):
        return ConfigError(needs_credentials(auth, where), location=format_location(location))
    return ConfigError(
        "required, but not given" + (f": {where}" if where else ""),
        location=format_location((*location, field)),
    )
