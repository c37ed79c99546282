"""Small builders for emulator tests: configs in the canonical shape and an in-process client.

The tests walk pages with hand-written loops on purpose: they must not use restsync's own
paginators, or a shared mistake would pass unnoticed.
"""

from __future__ import annotations

from typing import Any

import httpx

from restsync.config import SourceConfig
from restsync.emulator import Emulator

BASE_URL = "https://api.example.com/api/v1/"
SECRET = "s3cret-Key-91"


def resource(
    name: str,
    path: str | None = None,
    *,
    columns: dict[str, Any] | None = None,
    primary_key: str | list[str] | None = None,
    **endpoint: Any,
) -> dict[str, Any]:
    """A resource dict; other keyword arguments go into its endpoint
    (``data_selector``, ``paginator``, ``params``, ``auth``)."""
    result: dict[str, Any] = {
        "name": name,
        "endpoint": {"path": f"/{name}" if path is None else path, **endpoint},
    }
    if columns is not None:
        result["columns"] = columns
    if primary_key is not None:
        result["primary_key"] = primary_key
    return result


def source(*resources: dict[str, Any], **client: Any) -> SourceConfig:
    """A validated config with ``BASE_URL`` (overridable) and the given resources."""
    return SourceConfig.model_validate(
        {"client": {"base_url": BASE_URL, **client}, "resources": list(resources)}
    )


def client(emulator: Emulator, **kwargs: Any) -> httpx.AsyncClient:
    """An httpx client talking to the emulator in-process."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app), base_url="http://emulator.test", **kwargs
    )


def ids(records: list[dict[str, Any]], key: str = "id") -> list[Any]:
    return [r[key] for r in records]
