"""Every reach into dlt below its public surface, in one place.

restsync builds on dlt's public API (``dlt.pipeline``, ``dlt.resource``, ``dlt.source``,
``dlt.extract``). Where it needs more (dlt's rules for names and types, its exception types,
the load package being extracted) it imports them here, so that a dlt upgrade that moves them
breaks one module, and so that a reader sees at a glance what restsync relies on.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
from dlt.common.configuration import resolve_configuration
from dlt.common.configuration.container import Container
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.common.configuration.resolve import inject_section
from dlt.common.configuration.specs import ConfigSectionContext
from dlt.common.data_types.type_helpers import coerce_value, py_type_to_sc_type
from dlt.common.data_writers import BufferedDataWriter, DataWriter
from dlt.common.data_writers.writers import ParquetDataWriter
from dlt.common.destination import Destination, TLoaderFileFormat
from dlt.common.destination.capabilities import DestinationCapabilitiesContext
from dlt.common.destination.configuration import ParquetFormatConfiguration
from dlt.common.destination.exceptions import UnknownDestinationModule
from dlt.common.exceptions import DltException
from dlt.common.json import json as dlt_json
from dlt.common.libs.pyarrow import get_normalized_arrow_fields_mapping, normalize_py_arrow_item
from dlt.common.normalizers.json import helpers as _normaliser_helpers
from dlt.common.normalizers.json.relational import DataItemNormalizer as RelationalNormalizer
from dlt.common.normalizers.naming.snake_case import NamingConvention
from dlt.common.pipeline import PipelineContext
from dlt.common.schema import Schema
from dlt.common.schema.detections import is_iso_timestamp
from dlt.common.schema.exceptions import CannotCoerceColumnException
from dlt.common.schema.typing import (
    TColumnSchema,
    TDataType,
    TTableSchema,
    TTableSchemaColumns,
    TTypeDetections,
)
from dlt.common.schema.utils import (
    autodetect_sc_type,
    is_complete_column,
    new_table,
    normalize_table_identifiers,
)
from dlt.common.storages import PackageStorage
from dlt.common.storages.exceptions import CurrentLoadPackageStateNotAvailable
from dlt.common.storages.load_package import (
    LoadPackageStateInjectableContext,
    load_package_state,
)
from dlt.common.time import normalize_timezone
from dlt.common.typing import VARIANT_FIELD_FORMAT
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.extract import DltResource, DltSource
from dlt.extract.incremental.transform import JsonIncremental
from dlt.extract.items_transform import FilterItem, LimitItem, MapItem, YieldMapItem
from dlt.normalize.items_normalizers.jsonl import JsonLItemsNormalizer
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt.sources.helpers.rest_client.auth import (
    APIKeyAuth,
    AuthConfigBase,
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
from dlt.sources.rest_api.config_setup import AUTH_MAP, create_auth


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


class NormaliserRules:
    """dlt's relational normaliser's rules for one schema, each a call into dlt (cached as
    dlt caches them): how a key becomes a column or a nested table's name, where nesting
    stops, a nested row's id, which values nested rows inherit, and the names of its
    bookkeeping columns."""

    def __init__(self, schema: Schema) -> None:
        helpers = _normaliser_helpers
        naming = schema.naming
        self.normalize_key: Callable[[str], str] = lru_cache(maxsize=None)(
            partial(helpers.normalize_identifier, schema, naming)
        )
        self.normalize_table_key: Callable[[str], str] = lru_cache(maxsize=None)(
            partial(helpers.normalize_table_identifier, schema, naming)
        )
        self.shorten: Callable[..., str] = lru_cache(maxsize=None)(naming.shorten_fragments)
        self.is_kept_whole: Callable[[str, str, int], bool] = lru_cache(maxsize=None)(
            partial(helpers.is_nested_type, schema)
        )
        """Whether a dict or list in field ``field`` of ``table`` at nesting level ``level``
        (counted down) stays a value (json) instead of being flattened or nested."""
        self.is_nested: Callable[[str], bool] = partial(helpers.should_be_nested, schema)
        self.nested_row_id: Callable[[str, str, int], str] = helpers.get_nested_row_hash
        config = RelationalNormalizer.get_normalizer_config(schema)
        self._propagation = config.get("propagation") or {}
        names = SimpleNamespace(
            row_id="_dlt_id",
            load_id="_dlt_load_id",
            root_id=RelationalNormalizer.C_DLT_ROOT_ID,
            parent_id=RelationalNormalizer.C_DLT_PARENT_ID,
            list_idx=RelationalNormalizer.C_DLT_LIST_IDX,
            value=RelationalNormalizer.C_VALUE,
        )
        for field, name in vars(names).items():
            setattr(names, field, naming.normalize_identifier(name))
        self.names = names

    def propagation(self, table: str, *, is_root: bool) -> dict[str, str]:
        """The columns of ``table``'s rows that its nested rows inherit: {column: as}."""
        return dict(
            _normaliser_helpers.get_propagation_mapping(
                self._propagation,  # type: ignore[arg-type]
                table,
                is_root,
            )
        )


def new_column(schema: Schema, name: str, data_type: TDataType, *, variant: bool) -> TColumnSchema:
    """The column dlt's dict path adds to a table for a new field ``name`` of ``data_type``:
    nullable unless a ``not_null`` default hint names it, with every other default hint that
    names it (``row_key``, ``parent_key``, ``root_key``, ``unique`` ...). dlt keeps this rule in
    its JSON items normaliser, which needs nothing of itself for it but the schema."""
    normaliser = SimpleNamespace(schema=schema)
    column = JsonLItemsNormalizer._infer_column(
        normaliser,  # type: ignore[arg-type]
        name,
        None,
        data_type=data_type,
        is_variant=variant,
    )
    assert column is not None  # a data type is given
    return column


def add_resource_table(
    schema: Schema, table: TTableSchema, columns: Mapping[str, TColumnSchema]
) -> None:
    """Adds a resource's table to ``schema`` as dlt's dict path adds it when it extracts and
    normalises a page of the resource: ``table`` (the resource's hints, its declared columns)
    first, then those of the page's ``columns`` that are not yet complete in it, in the page's
    order, with their properties (``_dlt_id``'s ``unique`` and ``row_key``). dlt's Arrow
    extract would put an Arrow table's columns before the declared ones."""
    schema.update_table(normalize_table_identifiers(copy.deepcopy(table), schema.naming))
    name = schema.naming.normalize_tables_path(str(table["name"]))
    known = schema.tables[name]["columns"]
    new = {
        column: column_schema
        for column, column_schema in columns.items()
        if not is_complete_column(known.get(column, {}))
    }
    if new:
        schema.update_table({"name": name, "columns": new})


def schema_with_table(schema: Schema, table: TTableSchema) -> Schema:
    """A copy of ``schema`` with ``table`` (a resource's hints) added, its names normalised,
    as dlt's normalize step sees it: with its relational normaliser made after the table is in
    the schema. dlt's normaliser reads some of a table's settings (a merge table propagates
    its row ids as ``_dlt_root_id``) only when it is made, which in dlt's normalize step is
    when the schema is loaded from the package, the table already in it."""
    updated = schema.clone()
    updated.update_table(copy.deepcopy(table))
    updated.data_item_normalizer = type(updated.data_item_normalizer)(updated)
    return updated


def add_nested_table(
    schema: Schema, name: str, parent: str, columns: dict[str, TColumnSchema]
) -> None:
    """Adds ``name``, a nested table of ``parent`` (linked by ``_dlt_parent_id``, as dlt's
    normaliser links the tables it makes of lists), or new ``columns`` of it, to ``schema``."""
    schema.update_table(new_table(name, parent, columns=list(columns.values())))


@dataclass(frozen=True)
class WriterSettings:
    """How dlt's writers write the files of an extract: ``buffered``, ``BufferedDataWriter``'s
    keyword arguments; ``parquet``, the format of its parquet files."""

    buffered: Mapping[str, Any]
    parquet: ParquetFormatConfiguration


def writer_settings() -> WriterSettings:
    """The settings dlt's extract makes each of its writers with (its ``data_writer``
    configuration: ``buffer_max_items``, ``file_max_items``, ``file_max_bytes``..., and the
    destination's capabilities; and the parquet format: ``row_group_size``, ``version``...),
    for ``PackageJobWriter``, resolved as dlt's writers resolve them from the config sections
    in force: call it inside the extract, on its thread. dlt resolves them again for every
    writer it makes (a table's) and every parquet file it opens; made once, they serve every
    table of an extract, on any thread."""
    spec = BufferedDataWriter.BufferedDataWriterConfiguration()
    # as ``PackageJobWriter`` always asked for them: dlt's normalize step takes the files as
    # they are, and compressing them is time lost
    buffered = dict(resolve_configuration(spec, explicit_value={"disable_compression": True}))
    # an explicit value, as dlt's writer resolves it with its call's arguments: the format is
    # looked up field by field, not as one ``data_writer`` value
    parquet = resolve_configuration(ParquetFormatConfiguration(), explicit_value={})
    return WriterSettings(buffered=buffered, parquet=parquet)


class PackageJobWriter:
    """Writes Arrow tables of one table as job files into the load package dlt is extracting,
    as dlt's own writers write them (its buffered writer, file names, rotation, destination
    capabilities), for dlt's normalize step to take as they are: parquet, or csv
    (uncompressed) for a destination that loads csv. dlt's normalize step takes a parquet
    file as it is only where the destination loads parquet; elsewhere it rewrites it,
    gzipped at level 9 (on PostgreSQL, most of that step's time), while a file in the
    destination's own format it imports unread.

    dlt's extract writes a nested table's rows only through its normaliser: it attributes every
    table it writes to a resource, which a nested table must not have. These files sit in the
    package beside the extractor's, so the package's normalize and load steps treat them as
    any nested table's rows; they are not in the extract step's own row counts.

    ``staged``: the files go beside the package's jobs, not among them, for the extract to take
    in (``dlt.mark.with_file_import``, which counts their rows); ``close`` returns them.
    ``settings``: ``writer_settings()`` of the extract. Must be made inside a dlt extract."""

    def __init__(
        self,
        table: str,
        schema: Schema,
        settings: WriterSettings,
        file_format: TLoaderFileFormat = "parquet",
        *,
        staged: bool = False,
    ) -> None:
        context = Container()[LoadPackageStateInjectableContext]
        storage = context.storage
        file_name = PackageStorage.build_job_file_name(table, "%s")
        if staged:
            folder = storage.storage.make_full_path(
                os.path.join(storage.get_package_path(context.load_id), STAGED_FOLDER)
            )
            os.makedirs(folder, exist_ok=True)
            template = os.path.join(folder, file_name)
        else:
            template = storage.storage.make_full_path(
                storage.get_job_file_path(
                    context.load_id, PackageStorage.NEW_JOBS_FOLDER, file_name
                )
            )
        try:
            self._caps = Container()[DestinationCapabilitiesContext]
        except KeyError:
            self._caps = DestinationCapabilitiesContext.generic_capabilities()
        self._table = table
        self._schema = schema
        spec = DataWriter.writer_spec_from_file_format(file_format, "arrow")
        # every setting given: dlt asks no config provider for them again
        self._writer: BufferedDataWriter[Any] = BufferedDataWriter(
            spec, template, **settings.buffered
        )
        writer_cls = self._writer.writer_cls
        if issubclass(writer_cls, ParquetDataWriter):
            # dlt's parquet writer resolves its format for every file it opens, in the config
            # sections of the thread opening it (the writer thread has none of the extract's);
            # given the extract's, resolved, it takes them as they are
            self._writer.writer_cls = partial(  # type: ignore[assignment]
                writer_cls, _format=settings.parquet
            )

    def write(self, table: pa.Table, columns: TTableSchemaColumns | None = None) -> None:
        """Writes ``table`` with its columns ordered, completed and typed as ``columns`` say
        (by default the schema's columns of the table)."""
        if columns is None:
            columns = self._schema.get_table_columns(self._table)
        aligned = normalize_py_arrow_item(table, columns, self._schema.naming, self._caps)
        self._writer.write_data_item(aligned, columns)

    def close(self, *, failed: bool = False) -> list[tuple[str, int]]:
        """Ends the last file; returns the path and row count of every file written."""
        self._writer.close(skip_flush=failed)
        return [(m.file_path, m.items_count) for m in self._writer.closed_files]


#: the folder of a load package holding what ``PackageJobWriter(staged=True)`` writes (dlt
#: deletes it with the package)
STAGED_FOLDER = "restsync_staged"


def table_columns(schema: Schema, table: str, arrow: pa.Table) -> TTableSchemaColumns:
    """The columns of an Arrow ``table``'s fields, named as dlt's Arrow extract names them and
    as ``schema`` knows them (new ones by name only), in the table's order; fields of Arrow's
    null type, which dlt drops, left out."""
    known = schema.tables.get(table, {}).get("columns", {})
    names = get_normalized_arrow_fields_mapping(arrow.schema, schema.naming)
    return {
        names[field.name]: known.get(names[field.name]) or {"name": names[field.name]}
        for field in arrow.schema
        if not pa.types.is_null(field.type)
    }


def transforms_items(resource: DltResource) -> bool:
    """Whether anything but the resource's own function and a limit on its items
    (``add_limit``) works on what it yields: a map or filter added to it (``add_map``,
    ``add_filter``...), a validator."""
    return any(not isinstance(step, LimitItem) for step in resource._pipe.steps[1:])


def limits_items(resource: DltResource) -> bool:
    """Whether a limit on the resource's items (``add_limit``: a number of items, or a
    time) may stop its extract at any item it yields."""
    return any(isinstance(step, LimitItem) for step in resource._pipe.steps[1:])


def raising_table(exc: BaseException) -> str | None:
    """The table dlt was working on where ``exc`` was raised: that of the innermost frame on
    its traceback that is a dlt file writer's (its file name template,
    ``.../items__tags.<id>.%s.parquet``) or dlt code holding a ``table_name``; None when no
    such frame is there.

    A failed normalize step names the job (``table.file_id...``) it was on, which is not always
    the table that failed: normalizing a root table's file writes its nested tables too, and
    refuses a nested row while on the root's file; a batch a ``BufferedDataWriter`` refuses
    (Parquet and a non-nullable column holding nulls) raises when the step closes every writer
    at its end, after the last file it read, of whatever table that was (often
    ``_dlt_pipeline_state``)."""
    table = None
    trace = exc.__traceback__
    while trace is not None:
        frame = trace.tb_frame
        writer = frame.f_locals.get("self")
        if isinstance(writer, BufferedDataWriter) and writer.file_name_template:
            # dlt's file names are ``table.file_id.retry.format``; table names hold no dot
            table = Path(writer.file_name_template).name.split(".", 1)[0]
        elif str(frame.f_globals.get("__name__", "")).startswith("dlt."):
            name = frame.f_locals.get("table_name")
            if isinstance(name, str) and name:
                table = name
        trace = trace.tb_next
    return table


def rest_api_auth(auth: Any, *, section: str, name: str) -> AuthConfigBase:
    """dlt's ``rest_api`` auth object for ``auth`` (a type name, a dict or an auth object),
    what it leaves out read from dlt's config providers as dlt reads it while it builds source
    ``name`` of ``section`` (``SOURCES__<SECTION>__<NAME>__CREDENTIALS__<FIELD>``, then the
    shorter keys). An auth object is resolved in place, as dlt does: pass a copy. Raises
    ``ConfigFieldMissingException`` for what no provider holds."""
    proxy = Container()[PipelineContext]
    context = ConfigSectionContext(
        pipeline_name=proxy.pipeline().pipeline_name if proxy.is_active() else None,
        sections=("sources", section, name),
        source_state_key=name,
    )
    with inject_section(context):
        built = create_auth(auth)
    assert built is not None, "an auth was given"
    return built


def rest_api_auth_class(auth_type: str) -> type[AuthConfigBase] | None:
    """The class dlt's ``rest_api`` builds an auth of ``auth_type`` with, if it knows it."""
    return AUTH_MAP.get(auth_type)


__all__ = [
    "VARIANT_FIELD_FORMAT",
    "APIKeyAuth",
    "AuthConfigBase",
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
    "NormaliserRules",
    "OAuth2ClientCredentials",
    "PackageJobWriter",
    "PipelineStepFailed",
    "Schema",
    "TColumnSchema",
    "TDataType",
    "TLoaderFileFormat",
    "TTableSchema",
    "UnknownDestinationModule",
    "WriterSettings",
    "YieldMapItem",
    "add_nested_table",
    "add_resource_table",
    "autodetect_sc_type",
    "coerce_value",
    "dlt_json",
    "is_complete_column",
    "is_iso_timestamp",
    "limits_items",
    "load_package_state",
    "max_table_nesting",
    "new_column",
    "normalize_timezone",
    "py_type_to_sc_type",
    "raising_table",
    "rest_api_auth",
    "rest_api_auth_class",
    "root_row_id_type",
    "schema_with_table",
    "single_entity_path",
    "table_columns",
    "transforms_items",
    "type_detections",
    "writer_settings",
]
