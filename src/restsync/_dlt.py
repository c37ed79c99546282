"""Every reach into dlt below its public surface, in one place.

restsync builds on dlt's public API (``dlt.pipeline``, ``dlt.resource``, ``dlt.source``,
``dlt.extract``). Where it needs more (dlt's rules for names and types, its exception types,
the load package being extracted) it imports them here, so that a dlt upgrade that moves them
breaks one module, and so that a reader sees at a glance what restsync relies on.
"""

from __future__ import annotations

from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.common.destination import Destination, TLoaderFileFormat
from dlt.common.destination.exceptions import UnknownDestinationModule
from dlt.common.exceptions import DltException
from dlt.common.normalizers.naming.snake_case import NamingConvention
from dlt.common.schema.detections import is_iso_timestamp
from dlt.common.storages.exceptions import CurrentLoadPackageStateNotAvailable
from dlt.common.storages.load_package import load_package_state
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

__all__ = [
    "APIKeyAuth",
    "BasePaginator",
    "BearerTokenAuth",
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
    "TLoaderFileFormat",
    "UnknownDestinationModule",
    "YieldMapItem",
    "is_iso_timestamp",
    "load_package_state",
    "single_entity_path",
]
