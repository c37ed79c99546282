"""Dialect normalisation: the one place where the many ways users write a config become the
canonical shape of ``SourceConfig``.

Accepted input is dlt's ``rest_api_source`` dict plus the seeds' looser dialect:

* a resource may be a string (``"campaigns"``), an endpoint may be a string (its path), a
  resource without an endpoint reads the path named like the resource;
* ``resource_defaults`` is merged into every resource as dlt does it: resource values win, the
  ``endpoint`` dicts are merged key by key, and so are ``endpoint.params`` and ``endpoint.json``;
* a paginator may be a string (``"single_page"``); ``start_from_page`` means ``base_page``;
  dlt's ``json_response`` paginator is ``json_link``;
* auth without ``type`` is typed by its fields (``token`` -> bearer); api_key ``location:
  "param"`` means ``"query"``;
* ``data_selector`` lists become tuples; an empty selector means auto-detect (None), ``"$"``
  the whole body (as in dlt);
* a path whose last segment is a placeholder is one entity (dlt's guess): whole body, one page;
* fixed path parameters are formatted into the path and resolve params become
  ``{resources.<parent>.<field>}`` placeholders (see ``_placeholders.bind_path``);
* ``{"secret": "NAME"}`` anywhere is replaced by the secret's value (see ``_secrets``);
* dlt resources listed in ``resources`` beside the config's own, where the caller takes them
  (``rest_api_source`` does), leave the list and are named in ``passed_resources``; every
  location still counts them, as the list the user wrote does.

Live Python objects dlt accepts (callables in ``processing_steps`` and ``response_actions``,
paginator instances, ``client.session``) become plain data or markers in ``_live``; other live
objects are refused here with a ConfigError that says what to write instead. An incremental
(at ``endpoint.incremental`` or a ``type: incremental`` parameter) is copied as given, since
its values may be datetimes and functions (``convert``), and a live ``dlt.sources.incremental``
as a parameter's value becomes its dict form.
The caller's dict is never modified: everything is rebuilt from plain copies.

To support another dialect spelling, rewrite it in the matching ``_normalize_*`` function and
record the rename in ``origins`` so errors still point at what the user wrote.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from restsync._dlt import DltResource, single_entity_path
from restsync._exceptions import ConfigError

from ._credentials import AUTH_EXAMPLES, needs_credentials
from ._incremental import from_live
from ._live import NOT_LIVE, cookie_header, is_session, live_value, session_parts
from ._models import AUTH_TYPES
from ._paths import Path, format_location, is_secret_key, suggest
from ._placeholders import BindError, bind_path
from ._secrets import is_secret_reference, resolve_secret

TOP_LEVEL_KEYS = ("name", "client", "resources", "resource_defaults")
#: keys of the seeds' dialect that normalisation renames, by the model they end up in: a
#: misspelling of one is suggested like any key of the model
DIALECT_KEYS: dict[str, tuple[str, ...]] = {"PageNumberPaginator": ("start_from_page",)}

_PAGINATOR_ALIASES = {"json_response": "json_link"}
_API_KEY_LOCATIONS = {"param": "query"}
_AUTO_SELECTORS = ("",)
WHOLE_BODY = "$"

_PAGINATOR_EXAMPLE = '{"type": "page_number", "page_param": "page"}'


@dataclass
class Normalized:
    """A normalised config plus what ``validate`` needs to speak in the user's terms.

    ``positions`` holds, for each resource in ``data["resources"]``, its index in the list the
    user wrote, where dlt resources stood too (none: the same index); ``origins`` maps a path
    in the user's indices to where the user wrote that value when the two differ (a key
    renamed by the dialect, a value merged in from ``resource_defaults``); ``secret_values``
    holds every credential so messages can be scrubbed of them."""

    data: dict[str, Any]
    origins: dict[Path, Path] = field(default_factory=dict)
    secret_values: set[str] = field(default_factory=set)
    positions: list[int] = field(default_factory=list)

    def user_path(self, path: Path) -> Path:
        """Where the value at normalised ``path`` was written in the user's config."""
        index = path[1] if len(path) > 1 and path[0] == "resources" else None
        if isinstance(index, int) and index < len(self.positions):
            path = ("resources", self.positions[index], *path[2:])
        return _traced(path, self.origins)


def _traced(path: Path, origins: dict[Path, Path]) -> Path:
    for _ in range(8):  # renames chain at most a few levels deep (defaults -> dialect)
        for cut in range(len(path), 0, -1):
            origin = origins.get(path[:cut])
            if origin is not None:
                path = origin + path[cut:]
                break
        else:
            return path
    return path


def normalize(
    raw: Mapping[str, Any], *, secrets: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Rewrite a user's config dict into the canonical shape of ``SourceConfig``.

    ``raw`` is not modified. Secrets are resolved from ``secrets`` first, then ``dlt.secrets``.
    Raises ConfigError for what cannot be rewritten; everything else is left to validation."""
    return normalize_tracked(raw, secrets=secrets).data


def normalize_tracked(
    raw: Mapping[str, Any],
    *,
    secrets: Mapping[str, str] | None = None,
    dlt_resources: bool = False,
) -> Normalized:
    """``normalize``, also returning where each value came from and which values are secret.
    With ``dlt_resources`` the dlt resources listed in ``resources`` are taken out and named
    in ``passed_resources``; without, they are refused as any other resource that is not one."""
    if not isinstance(raw, Mapping):
        raise ConfigError(
            f"a config must be a mapping with 'client' and 'resources', got {_kind(raw)}"
        )
    result = Normalized(data={})
    result.data = _plain_copy(raw, (), secrets, result.secret_values)
    data = result.data
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise ConfigError(
                f"unknown top-level key {key!r}{suggest(str(key), TOP_LEVEL_KEYS)}; "
                f"allowed: {', '.join(TOP_LEVEL_KEYS)}",
                location=format_location((key,)),
            )

    client = data.get("client")
    if isinstance(client, dict):
        _normalize_client(client, ("client",), result.origins, result.secret_values)

    defaults = data.get("resource_defaults")
    if defaults is not None and not isinstance(defaults, dict):
        raise ConfigError(
            f"resource_defaults must be a mapping, got {_kind(defaults)}",
            location="resource_defaults",
        )
    if defaults:
        _normalize_resource_body(defaults, ("resource_defaults",), result.origins)

    resources = data.get("resources")
    if isinstance(resources, list):
        passed = {
            index: resource.name
            for index, resource in enumerate(resources)
            if dlt_resources and isinstance(resource, DltResource)
        }
        if passed:
            data["passed_resources"] = list(passed.values())
        result.positions = [index for index in range(len(resources)) if index not in passed]
        data["resources"] = [
            _normalize_resource(resources[index], index, defaults or {}, result.origins)
            for index in result.positions
        ]
    if defaults:
        # kept to be validated on its own: dlt refuses a bad default even where overridden
        data["resource_defaults"] = _copy(defaults)
    _collect_literal_secrets(data, result.secret_values)
    return result


_PLAIN = (dict, list, tuple, str, int, float, bool, type(None), SecretStr)


# --- copying: plain values only, secrets resolved, unsupported features refused ---------------


def _plain_copy(value: Any, path: Path, secrets: Mapping[str, str] | None, found: set[str]) -> Any:
    if _is_incremental_path(path):
        live = None if isinstance(value, dict) else from_live(value)  # dlt's is a Mapping too
        if live is not None:
            if path[-1] == "incremental":
                # dlt's rest_api types endpoint.incremental as a dict and refuses the object
                raise ConfigError(
                    "a live dlt.sources.incremental is accepted as a query parameter's value, "
                    "not here: write the dict form, e.g. "
                    '{"cursor_path": "updated_at", "start_param": "since", "initial_value": ...}',
                    location=format_location(path),
                )
            live["type"] = "incremental"  # the parameter the incremental is bound to
            return _incremental_copy(live, path)
        if isinstance(value, Mapping) and (
            path[-1] == "incremental" or value.get("type") == "incremental"
        ):
            return _incremental_copy(value, path)
    if isinstance(value, DltResource) and len(path) == 2 and path[0] == "resources":
        return value  # the caller's own: taken out or refused with the resources
    if not isinstance(value, _PLAIN):
        # before the mapping branch: dlt's auth objects are mappings of their fields too
        live = live_value(value, path)
        if live is not NOT_LIVE:
            return live
    if isinstance(value, Mapping):
        if is_secret_reference(value):
            resolved = resolve_secret(value["secret"], path, secrets)
            if isinstance(resolved, str):
                found.add(resolved)
                return resolved
            return _plain_copy(resolved, path, None, found)
        return {key: _plain_copy(item, (*path, key), secrets, found) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [
            _plain_copy(item, (*path, index), secrets, found) for index, item in enumerate(value)
        ]
    if isinstance(value, SecretStr):
        secret = value.get_secret_value()
        found.add(secret)
        return secret
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if path == ("client", "session") and is_session(value):
        return _plain_copy(session_parts(value, path), path, secrets, found)
    raise ConfigError(_live_object_message(value, path), location=format_location(path))


def _is_incremental_path(path: Path) -> bool:
    """``endpoint.incremental`` or ``endpoint.params.<name>`` of a resource (or of
    ``resource_defaults``): where an incremental may stand."""
    if len(path) >= 2 and path[-2:] == ("endpoint", "incremental"):
        return _is_resource_path(path[:-2])
    return len(path) >= 3 and path[-3:-1] == ("endpoint", "params") and _is_resource_path(path[:-3])


def _incremental_copy(value: Mapping[Any, Any], path: Path) -> dict[Any, Any]:
    """An incremental's keys as given (values may be datetimes or functions); dlt's
    deprecated ``transform`` is ``convert``."""
    copied = dict(value)
    if "transform" in copied:
        warnings.warn(
            f"{format_location(path)}: the key `transform` is deprecated in the incremental "
            "configuration, use `convert`",
            DeprecationWarning,
            stacklevel=2,
        )
        copied["convert"] = copied.pop("transform")
    return copied


def _is_resource_path(path: Path) -> bool:
    return path == ("resource_defaults",) or (
        len(path) == 2 and path[0] == "resources" and isinstance(path[1], int)
    )


def _live_object_message(value: Any, path: Path) -> str:
    if callable(value) and not isinstance(value, type):
        kind = "a Python function"
    else:
        kind = f"a live {type(value).__name__} object"
    last = path[-1] if path else ""
    if last == "paginator":
        fix = f"write the dict form, e.g. {_PAGINATOR_EXAMPLE}"
    elif last == "auth":
        fix = f"write the dict form, e.g. {AUTH_EXAMPLES['bearer']}"
    elif last == "session":
        fix = "remove it: restsync builds its own HTTP client (see client.headers, client.retry)"
    else:
        fix = "write a plain value: a string, number, boolean, list or mapping"
    return f"{kind} cannot be part of a config: {fix}"


def _collect_literal_secrets(value: Any, found: set[str], *, under_secret: bool = False) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _collect_literal_secrets(item, found, under_secret=under_secret or is_secret_key(key))
    elif isinstance(value, list):
        for item in value:
            _collect_literal_secrets(item, found, under_secret=under_secret)
    elif under_secret and isinstance(value, str):
        found.add(value)


# --- dialect ----------------------------------------------------------------------------------


def _normalize_client(
    client: dict[str, Any], path: Path, origins: dict[Path, Path], secret_values: set[str]
) -> None:
    session = client.pop("session", None)
    if isinstance(session, dict):
        _merge_session(client, session, path, origins, secret_values)
    if "auth" in client:
        client["auth"] = _normalize_auth(client["auth"], (*path, "auth"), origins)
    if "paginator" in client:
        client["paginator"] = _normalize_paginator(
            client["paginator"], (*path, "paginator"), origins
        )


def _merge_session(
    client: dict[str, Any],
    session: dict[str, Any],
    path: Path,
    origins: dict[Path, Path],
    secret_values: set[str],
) -> None:
    """A ``client.session``'s parts (see ``_live.session_parts``) under the client's own:
    the config's headers and auth win, as requests lets a request's own win over its session's."""
    headers = dict(session.get("headers") or {})
    cookie = cookie_header(session.get("cookies") or [], client.get("base_url"))
    if cookie is not None and not any(name.lower() == "cookie" for name in headers):
        headers["Cookie"] = cookie
        # a session cookie is as good as a password: keep its values out of every message
        secret_values.update(value for _, _, value in session["cookies"] if value)
    own = client.get("headers")
    if headers and (own is None or isinstance(own, dict)):
        for name in headers:
            origins[(*path, "headers", name)] = (*path, "session", "headers")
        client["headers"] = {**headers, **(own or {})}
    if session.get("auth") is not None and client.get("auth") is None:
        client["auth"] = session["auth"]
        origins[(*path, "auth")] = (*path, "session", "auth")


def _normalize_resource(
    resource: Any, index: int, defaults: dict[str, Any], origins: dict[Path, Path]
) -> Any:
    path: Path = ("resources", index)
    if isinstance(resource, str):
        origins[(*path, "name")] = path
        origins[(*path, "endpoint")] = path
        resource = {"name": resource, "endpoint": {"path": resource}}
    elif isinstance(resource, dict):
        _normalize_resource_body(resource, path, origins)
    else:
        # only rest_api_source puts a dlt resource into the dlt source it builds
        elsewhere = " (a dlt resource is taken by rest_api_source only)"
        raise ConfigError(
            "a resource must be a mapping such as "
            '{"name": "campaigns", "endpoint": {"path": "/campaigns"}} or a name string, '
            f"got {_kind(resource)}" + (elsewhere if isinstance(resource, DltResource) else ""),
            location=format_location(path),
        )
    merged = _merge_defaults(resource, defaults, path, origins)
    endpoint = merged.setdefault("endpoint", {})
    if (
        isinstance(endpoint, dict)
        and "path" not in endpoint
        and isinstance(merged.get("name"), str)
    ):
        endpoint["path"] = merged["name"]
        origins[(*path, "endpoint", "path")] = (*path, "name")
    if isinstance(endpoint, dict):
        _single_entity(endpoint)
        try:
            bind_path(endpoint)
        except BindError as exc:
            where = _traced((*path, "endpoint", *exc.where), origins)
            raise ConfigError(str(exc), location=format_location(where)) from None
    return merged


def _single_entity(endpoint: dict[str, Any]) -> None:
    """dlt's guess, made as dlt makes it (before path parameters are bound): a path whose last
    segment is a placeholder (``posts/{resources.posts.id}``) returns one entity, so an unset
    selector takes the whole body and an unset paginator is ``single_page``."""
    path = endpoint.get("path")
    if not isinstance(path, str) or not single_entity_path(path):
        return
    if endpoint.get("data_selector") is None:
        endpoint["data_selector"] = WHOLE_BODY
    if endpoint.get("paginator") is None:
        endpoint["paginator"] = {"type": "single_page"}


def _columns_by_name(hints: dict[str, Any], path: Path, origins: dict[Path, Path]) -> None:
    """dlt's list form of ``columns`` (one schema dict per column, named by its "name") as
    the mapping by name."""
    columns = hints.get("columns")
    if isinstance(columns, list) and all(
        isinstance(column, dict) and isinstance(column.get("name"), str) for column in columns
    ):
        hints["columns"] = {
            column["name"]: {k: v for k, v in column.items() if k != "name"} for column in columns
        }
        for index, column in enumerate(columns):
            origins[(*path, "columns", column["name"])] = (*path, "columns", index)


def _normalize_resource_body(
    resource: dict[str, Any], path: Path, origins: dict[Path, Path]
) -> None:
    """Dialect rewrites inside one resource (or ``resource_defaults``), before merging."""
    _columns_by_name(resource, path, origins)
    nested = resource.get("nested_hints")
    if isinstance(nested, dict):
        for table, hints in nested.items():
            if isinstance(hints, dict):
                _columns_by_name(hints, (*path, "nested_hints", table), origins)
    if "endpoint" in resource:
        resource["endpoint"] = _normalize_endpoint(
            resource["endpoint"], (*path, "endpoint"), origins
        )


def _normalize_endpoint(endpoint: Any, path: Path, origins: dict[Path, Path]) -> Any:
    if isinstance(endpoint, str):
        origins[(*path, "path")] = path
        return {"path": endpoint}
    if not isinstance(endpoint, dict):
        return endpoint
    if "paginator" in endpoint:
        endpoint["paginator"] = _normalize_paginator(
            endpoint["paginator"], (*path, "paginator"), origins
        )
    if "auth" in endpoint:
        endpoint["auth"] = _normalize_auth(endpoint["auth"], (*path, "auth"), origins)
    if "data_selector" in endpoint:
        endpoint["data_selector"] = _normalize_selector(endpoint["data_selector"])
    return endpoint


def _normalize_selector(selector: Any) -> Any:
    if selector is None or (isinstance(selector, str) and selector.strip() in _AUTO_SELECTORS):
        return None
    if isinstance(selector, list):
        if not selector:
            return None
        # Non-string keys stay a list so validation reports the exact element.
        return tuple(selector) if all(isinstance(key, str) for key in selector) else selector
    return selector


def _normalize_paginator(paginator: Any, path: Path, origins: dict[Path, Path]) -> Any:
    if isinstance(paginator, str):
        origins[(*path, "type")] = path
        paginator = {"type": paginator}
    if not isinstance(paginator, dict):
        return paginator
    kind = paginator.get("type")
    if isinstance(kind, str) and kind in _PAGINATOR_ALIASES:
        paginator["type"] = _PAGINATOR_ALIASES[kind]
    if "start_from_page" in paginator:
        if "base_page" in paginator:
            raise ConfigError(
                "give either start_from_page or base_page, not both: both mean the number of "
                "the first page",
                location=format_location((*path, "start_from_page")),
            )
        paginator["base_page"] = paginator.pop("start_from_page")
        origins[(*path, "base_page")] = (*path, "start_from_page")
    return paginator


def _normalize_auth(auth: Any, path: Path, origins: dict[Path, Path]) -> Any:
    if isinstance(auth, str):
        raise ConfigError(_auth_string_message(auth), location=format_location(path))
    if not isinstance(auth, dict):
        return auth
    if "type" not in auth:
        inferred = _infer_auth_type(auth)
        if inferred is not None:
            auth["type"] = inferred
            origins[(*path, "type")] = path
    if auth.get("type") == "api_key":
        location = auth.get("location")
        if isinstance(location, str) and location in _API_KEY_LOCATIONS:
            auth["location"] = _API_KEY_LOCATIONS[location]
    return auth


def _infer_auth_type(auth: dict[str, Any]) -> str | None:
    if "token" in auth:
        return "bearer"
    if "api_key" in auth:
        return "api_key"
    if "username" in auth or "password" in auth:
        return "http_basic"
    if "access_token_url" in auth:  # dlt's OAuth2ClientCredentials, as an object or its fields
        return "oauth2_client_credentials"
    return None


def _auth_string_message(auth: str) -> str:
    if auth in AUTH_EXAMPLES:
        return needs_credentials(auth)
    allowed = f"allowed types: {', '.join(AUTH_TYPES)}"
    # The string may be a credential pasted in the wrong place: only echo it if it is a name.
    hint = suggest(auth, AUTH_TYPES)
    if hint:
        return f"unknown auth type {auth!r}{hint}; {allowed}"
    example = AUTH_EXAMPLES["bearer"]
    return f"auth must be a mapping with a type and its credentials, e.g. {example}; {allowed}"


# --- resource_defaults ------------------------------------------------------------------------


def _merge_defaults(
    resource: dict[str, Any], defaults: dict[str, Any], path: Path, origins: dict[Path, Path]
) -> dict[str, Any]:
    """dlt's merge: resource keys win; ``endpoint`` is merged key by key, and inside it the
    ``params`` and ``json`` dicts too. Defaults are copied so resources never share a dict."""
    if not defaults:
        return resource
    merged = dict(resource)
    for key, value in defaults.items():
        if key not in merged:
            merged[key] = _copy(value)
            origins[(*path, key)] = ("resource_defaults", key)
    own_columns, default_columns = resource.get("columns"), defaults.get("columns")
    if isinstance(own_columns, dict) and isinstance(default_columns, dict):
        # dlt merges column hints: a resource's hint for a column adds to the default's
        merged["columns"] = {
            **_copy(default_columns),
            **{
                name: {**default_columns.get(name, {}), **hint}
                if isinstance(hint, dict) and isinstance(default_columns.get(name), dict)
                else hint
                for name, hint in own_columns.items()
            },
        }
    default_endpoint = defaults.get("endpoint")
    endpoint = resource.get("endpoint")
    if isinstance(default_endpoint, dict) and isinstance(endpoint, dict):
        merged["endpoint"] = _merge_level(
            endpoint,
            default_endpoint,
            path=(*path, "endpoint"),
            default_path=("resource_defaults", "endpoint"),
            origins=origins,
            nested=("params", "json"),
        )
    return merged


def _merge_level(
    own: dict[str, Any],
    defaults: dict[str, Any],
    *,
    path: Path,
    default_path: Path,
    origins: dict[Path, Path],
    nested: tuple[str, ...] = (),
) -> dict[str, Any]:
    merged = dict(own)
    for key, value in defaults.items():
        if key not in merged:
            merged[key] = _copy(value)
            origins[(*path, key)] = (*default_path, key)
        elif key in nested and isinstance(value, dict) and isinstance(merged[key], dict):
            merged[key] = _merge_level(
                merged[key],
                value,
                path=(*path, key),
                default_path=(*default_path, key),
                origins=origins,
            )
    return merged


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def _kind(value: Any) -> str:
    return type(value).__name__
