"""Built-in connectors: data files in this folder, one per API, each a rest_api config plus
what the emulator and the docs need. Each file's comments say how it handles the quirks of
the integration document it came from.

To add a connector: drop ``<name>.yaml`` here with ``name``, ``description``, ``secrets``
(name -> what it is), ``config`` (the rest_api dict; secrets written as ``{secret: NAME}``)
and optionally ``emulator`` (``EmulatorOptions`` fields for the fake API).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

__all__ = ["Connector", "get", "names"]


@dataclass(frozen=True)
class Connector:
    name: str
    description: str
    config: dict[str, Any]
    secrets: dict[str, str] = field(default_factory=dict)
    emulator: dict[str, Any] = field(default_factory=dict)

    @property
    def resource_names(self) -> list[str]:
        return [r if isinstance(r, str) else r["name"] for r in self.config["resources"]]


def _files() -> dict[str, Any]:
    folder = resources.files(__name__)
    return {
        entry.name.removesuffix(".yaml"): entry
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    }


def names() -> list[str]:
    """Names of the built-in connectors, sorted."""
    return sorted(_files())


def get(name: str) -> Connector:
    """The built-in connector ``name``; ``KeyError`` when there is none."""
    entry = _files()[name]
    data = yaml.safe_load(entry.read_text(encoding="utf-8"))
    return Connector(
        name=data["name"],
        description=data["description"],
        config=data["config"],
        secrets=data.get("secrets") or {},
        emulator=data.get("emulator") or {},
    )
