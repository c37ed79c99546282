"""How a restsync resource becomes a Dagster asset: dagster-dlt's translator, with restsync's
keys and dependencies.

dagster-dlt names an asset ``dlt_<source>_<resource>`` and makes it depend on an asset named
``<source>_<resource>`` that nobody defines (the API's side of the data). restsync knows more:
a child resource (endpoint params of type ``resolve``) reads its parent's records, so its
asset depends on the parent's asset, and a top-level resource depends on nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dagster import AssetKey, AssetSpec
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData

from restsync.config import SourceConfig


@dataclass
class RestSyncTranslator(DagsterDltTranslator):
    """Asset key ``[*key_prefix, resource]`` per resource; a child depends on its parent."""

    parents: Mapping[str, str | None] = field(default_factory=dict)
    key_prefix: Sequence[str] = ()

    @classmethod
    def for_config(cls, config: SourceConfig, key_prefix: Sequence[str]) -> RestSyncTranslator:
        return cls(
            parents={resource.name: resource.parent for resource in config.resources},
            key_prefix=tuple(key_prefix),
        )

    def key(self, resource: str) -> AssetKey:
        return AssetKey([*self.key_prefix, resource])

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        name = data.resource.name
        parent = self.parents.get(name)
        return (
            super()
            .get_asset_spec(data)
            .replace_attributes(
                key=self.key(name),
                deps=[self.key(parent)] if parent is not None else [],
            )
        )
