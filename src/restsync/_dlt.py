"""Every reach into dlt below its public surface, in one place.

restsync builds on dlt's public API (``dlt.pipeline``, ``dlt.resource``, ``dlt.source``,
``dlt.extract``). Where it needs more (dlt's rules for names and types, its exception types,
the load package being extracted) it imports them here, so that a dlt upgrade that moves them
breaks one module, and so that a reader sees at a glance what restsync relies on.
"""

from __future__ import annotations

from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.common.data_types.type_helpers import coerce_value, py_type_to_sc_type
from dlt.common.destination import Destination, TLoaderFileFormat
from dlt.common.destination.exceptions import UnknownDestinationModule
from dlt.common.exceptions import DltException
from dlt.common.json import json as dlt_json
from dlt.common.normalizers.json import helpers as _normaliser_helpers
from dlt.common.normalizers.naming.snake_case import NamingConvention
from dlt.common.schema import Schema
from dlt.common.schema.detections import is_iso_timestamp
from dlt.common.schema.exceptions import CannotCoerceColumnException
from dlt.common.schema.typing import TColumnSchema, TDataType, TTableSchema, TTypeDetections
from dlt.common.schema.utils import autodetect_sc_type, is_complete_column
from dlt.common.storages.exceptions import CurrentLoadPackageStateNotAvailable
from dlt.common.storages.load_package import load_package_state
from dlt.common.time import normalize_timezone
from dlt.common.typing import VARIANT_FIELD_FORMAT
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.extract import DltResource, DltSource
from dlt.extract.incremental.transform import JsonIncremental
from dlt.extract.items_transform import FilterItem, MapItem, YieldMapItem
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt.sources.helpers.rest_client.auth import (
    APIKeyAuth,
    BearerTokenAuth,
    OAuth2ClientCredentials,
)
from dlt.sources.helpers.rest_client.auth import HttpBasicAuth as DltHttpBasicAuth
from dlt.sources.helpers.rest_client.detector import single_entity_path
from dlt.sources.helpers.rest_client.paginators import BasePaginator
from dlt.sources.helpers.rest_client.paginators import HeaderLinkPaginator as DltHeaderLinkPaginator
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator as DltJSONLinkPaginator
from dlt.sources.helpers.rest_client.paginators import OffsetPaginator as DltOffsetPaginator
from dlt.sources.helpers.rest_client.paginators import (
    PageNumberPaginator as DltPageNumberPaginator,
)
from dlt.sources.helpers.rest_client.paginators import (
    SinglePagePaginator as DltSinglePagePaginator,
)


def type_detections(schema: Schema) -> list[TTypeDetections]:
    """The type detections (``iso_timestamp`` ...) the schema applies to a new column's first
    value, as its normaliser reads them."""
    return list(schema._type_detections or ())


def max_table_nesting(schema: Schema, table: str) -> int:
    """How many levels of nested objects dlt's normaliser flattens in ``table``: the table's
    own limit, else the schema's (``max_table_nesting`` of a resource or source)."""
    default = schema.data_item_normalizer.max_nesting  # type: ignore[attr-defined]
    level = _normaliser_helpers.get_table_nesting_level(schema, table, default)
    return int(default if level is None else level)


def root_row_id_type(schema: Schema, table: str) -> str:
    """How dlt's normaliser makes ``table``'s row ids: ``random``, or a hash of the key or
    row for some merge strategies."""
    return str(_normaliser_helpers.get_root_row_id_type(schema, table))


__all__ = [
    "VARIANT_FIELD_FORMAT",
    "APIKeyAuth",
    "BasePaginator",
    "BearerTokenAuth",
    "CannotCoerceColumnException",
    "ConfigFieldMissingException",
    "CurrentLoadPackageStateNotAvailable",
    "DatabaseUndefinedRelation",
    "Destination",
    "DltException",
    "DltHeaderLinkPaginator",
    "DltHttpBasicAuth",
    "DltJSONLinkPaginator",
    "DltOffsetPaginator",
    "DltPageNumberPaginator",
    "DltResource",
    "DltSinglePagePaginator",
    "DltSource",
    "DuckDbCredentials",
    "FilterItem",
    "JsonIncremental",
    "MapItem",
    "NamingConvention",
    "OAuth2ClientCredentials",
    "PipelineStepFailed",
    "Schema",
    "TColumnSchema",
    "TDataType",
    "TLoaderFileFormat",
    "TTableSchema",
    "UnknownDestinationModule",
    "YieldMapItem",
    "autodetect_sc_type",
    "coerce_value",
    "dlt_json",
    "is_complete_column",
    "is_iso_timestamp",
    "load_package_state",
    "max_table_nesting",
    "normalize_timezone",
    "py_type_to_sc_type",
    "root_row_id_type",
    "single_entity_path",
    "type_detections",
]
