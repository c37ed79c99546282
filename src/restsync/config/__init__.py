"""Config: the canonical model, dialect normalisation, secrets, file loading and lint.

``load_config`` is the one entry point that turns anything a user may hand us (a dict in dlt's
or the seeds' dialect, a YAML/TOML/JSON file, a built-in connector name) into a validated
``SourceConfig`` or raises one ``ConfigError``.
"""

from __future__ import annotations

from ._incremental import INCREMENTAL_VALUES, IncrementalConfig, IncrementalParam, IncrementalSpec
from ._lint import lint
from ._load import load_config
from ._models import (
    AUTH_TYPES,
    PAGINATOR_TYPES,
    ApiKeyAuth,
    AuthConfig,
    AutoPaginator,
    BearerAuth,
    ClientConfig,
    ColumnHint,
    CursorPaginator,
    CustomAuth,
    CustomPaginator,
    EndpointConfig,
    HeaderCursorPaginator,
    HeaderLinkPaginator,
    HttpBasicAuth,
    JsonLinkPaginator,
    LimitsConfig,
    OAuth2ClientCredentials,
    OffsetPaginator,
    PageNumberPaginator,
    PaginatorConfig,
    ProcessingStep,
    ResourceConfig,
    ResponseAction,
    ResponseActionConfig,
    RetryConfig,
    SinglePagePaginator,
    SourceConfig,
)
from ._normalize import normalize
from ._placeholders import Reference, render
from ._validate import validate

__all__ = [
    "AUTH_TYPES",
    "INCREMENTAL_VALUES",
    "PAGINATOR_TYPES",
    "ApiKeyAuth",
    "AuthConfig",
    "AutoPaginator",
    "BearerAuth",
    "ClientConfig",
    "ColumnHint",
    "CursorPaginator",
    "CustomAuth",
    "CustomPaginator",
    "EndpointConfig",
    "HeaderCursorPaginator",
    "HeaderLinkPaginator",
    "HttpBasicAuth",
    "IncrementalConfig",
    "IncrementalParam",
    "IncrementalSpec",
    "JsonLinkPaginator",
    "LimitsConfig",
    "OAuth2ClientCredentials",
    "OffsetPaginator",
    "PageNumberPaginator",
    "PaginatorConfig",
    "ProcessingStep",
    "Reference",
    "ResourceConfig",
    "ResponseAction",
    "ResponseActionConfig",
    "RetryConfig",
    "SinglePagePaginator",
    "SourceConfig",
    "lint",
    "load_config",
    "normalize",
    "render",
    "validate",
]
