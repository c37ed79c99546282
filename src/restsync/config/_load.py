"""``load_config``: the one entry point from whatever a user hands us to a ``SourceConfig``.

Accepted sources, tried in this order: a ``SourceConfig`` (returned as is), a mapping (a config
dict), a path to a ``.yaml``/``.yml``/``.json``/``.toml`` file holding the rest_api dict at top
level, or the name of a built-in connector from ``restsync.connectors``.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path as FilePath
from typing import Any

import yaml
from pydantic import ValidationError

from restsync._exceptions import ConfigError

from ._models import SourceConfig
from ._normalize import Normalized
from ._paths import suggest
from ._validate import config_error, validate

ConfigSource = SourceConfig | Mapping[str, Any] | str | os.PathLike[str]

FILE_SUFFIXES = (".yaml", ".yml", ".json", ".toml")


def load_config(
    source: ConfigSource,
    *,
    secrets: Mapping[str, str] | None = None,
    base_url: str | None = None,
    dlt_resources: bool = False,
    section: str | None = None,
    name: str | None = None,
) -> SourceConfig:
    """Turn ``source`` into a validated ``SourceConfig`` or raise one ConfigError.

    ``secrets`` answers ``{"secret": NAME}`` references before ``dlt.secrets`` is asked;
    ``base_url`` replaces ``client.base_url`` (to point a config at a test server);
    ``dlt_resources``: a config dict's ``resources`` may list dlt resources beside its own, as
    ``rest_api_source`` takes them: its resources may name them as parents
    (``SourceConfig.passed_resources``), and locations count them;
    ``section`` and ``name`` are the dlt source's, where dlt's config providers are asked
    for the credentials an auth leaves out (dlt's ``rest_api`` defaults when None)."""
    if isinstance(source, SourceConfig):
        return source if base_url is None else _with_base_url(source, base_url)
    if isinstance(source, Mapping):
        return validate(
            _override_base_url(source, base_url),
            secrets=secrets,
            dlt_resources=dlt_resources,
            section=section,
            name=name,
        )
    if not isinstance(source, str | os.PathLike):
        raise ConfigError(
            "a config must be a dict, a SourceConfig, a config file path or a built-in "
            f"connector name, got {type(source).__name__}"
        )
    text = os.fspath(source)
    if isinstance(source, os.PathLike) or _looks_like_a_path(text):
        return _load_file(FilePath(text), secrets=secrets, base_url=base_url)
    names = _connector_names()
    if text not in names and FilePath(text).is_file():
        return _load_file(FilePath(text), secrets=secrets, base_url=base_url)
    return _load_connector(text, names, secrets=secrets, base_url=base_url)


def _looks_like_a_path(text: str) -> bool:
    return text.lower().endswith(FILE_SUFFIXES) or "/" in text or os.sep in text


# --- files ------------------------------------------------------------------------------------


def _load_file(
    path: FilePath, *, secrets: Mapping[str, str] | None, base_url: str | None
) -> SourceConfig:
    suffix = path.suffix.lower()
    parser = _PARSERS.get(suffix)
    if parser is None:
        raise ConfigError(
            f"unsupported config file type {suffix or '(none)'!r}: use {', '.join(FILE_SUFFIXES)}",
            location=str(path),
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("config file not found", location=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file: {exc}", location=str(path)) from exc
    raw = parser(text, path)
    if not isinstance(raw, Mapping):
        raise ConfigError(
            "a config file must hold a mapping with 'client' and 'resources' at top level, "
            f"got {type(raw).__name__}",
            location=str(path),
        )
    try:
        return validate(_override_base_url(raw, base_url), secrets=secrets)
    except ConfigError as exc:
        raise ConfigError(f"{exc.detail} (in {path})", location=exc.location) from None


def _parse_yaml(text: str, path: FilePath) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigError(f"invalid YAML: {problem}", location=where) from None


def _parse_json(text: str, path: FilePath) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"invalid JSON: {exc.msg}", location=f"{path}:{exc.lineno}") from None


def _parse_toml(text: str, path: FilePath) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's TOMLDecodeError has no line attribute: the line is in the text.
        message = str(exc)
        found = re.search(r"\(at line (\d+), column \d+\)", message)
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        where = f"{path}:{found.group(1)}" if found else str(path)
        raise ConfigError(f"invalid TOML: {reason}", location=where) from None


_PARSERS: dict[str, Callable[[str, FilePath], Any]] = {
    ".yaml": _parse_yaml,
    ".yml": _parse_yaml,
    ".json": _parse_json,
    ".toml": _parse_toml,
}


# --- built-in connectors ----------------------------------------------------------------------


def _load_connector(
    name: str, names: list[str], *, secrets: Mapping[str, str] | None, base_url: str | None
) -> SourceConfig:
    if name not in names:
        available = ", ".join(names) if names else "none installed"
        raise ConfigError(
            f"{name!r} is neither a config file nor a built-in connector{suggest(name, names)}; "
            f"connectors: {available}"
        )
    connectors = importlib.import_module("restsync.connectors")
    raw = dict(connectors.get(name).config)
    raw.setdefault("name", name)
    try:
        return validate(_override_base_url(raw, base_url), secrets=secrets)
    except ConfigError as exc:
        raise ConfigError(
            f"{exc.detail} (in built-in connector {name!r})", location=exc.location
        ) from None


def _connector_names() -> list[str]:
    # Imported here, not at the top: connectors is data on top of config, not below it.
    try:
        connectors = importlib.import_module("restsync.connectors")
    except ModuleNotFoundError as exc:
        if exc.name != "restsync.connectors":
            raise
        return []
    names = getattr(connectors, "names", None)
    return list(names()) if callable(names) else []


# --- base_url override ------------------------------------------------------------------------


def _override_base_url(raw: Mapping[str, Any], base_url: str | None) -> Mapping[str, Any]:
    if base_url is None:
        return raw
    client = raw.get("client")
    if client is not None and not isinstance(client, Mapping):
        return raw  # validation reports the bad client
    return {**raw, "client": {**(client or {}), "base_url": base_url}}


def _with_base_url(config: SourceConfig, base_url: str) -> SourceConfig:
    data = config.model_dump(by_alias=True, exclude_unset=True)
    data["client"]["base_url"] = base_url
    try:
        rebuilt = SourceConfig.model_validate(data)
    except ValidationError as exc:
        raise config_error(exc, Normalized(data=data, secret_values=set(config.secrets))) from None
    return rebuilt.with_secrets(config.secrets)
