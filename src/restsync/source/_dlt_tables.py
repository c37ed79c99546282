"""Which table dlt was working on where an exception was raised: the one reach into dlt below
its public surface that reading a failure needs (meant to join ``restsync._dlt``).

A failed normalize step names the job (``table.file_id...``) it was on, which is not always the
table that failed. Normalizing a root table's file writes its nested tables too, and refuses a
nested row while on the root's file. Each table's rows go through a ``BufferedDataWriter``,
which flushes them in batches; a batch it refuses (Parquet and a non-nullable column holding
nulls) raises when the step closes every writer at its end, after the last file it read, of
whatever table that was (often ``_dlt_pipeline_state``). The traceback knows better: the
writer's file name template (``.../items__tags.<id>.%s.parquet``) and the ``table_name`` of the
dlt code that raised name the table whose rows were refused.
"""

from __future__ import annotations

from pathlib import Path

from dlt.common.data_writers import BufferedDataWriter


def raising_table(exc: BaseException) -> str | None:
    """The table of the innermost frame on ``exc``'s traceback that is a dlt file writer's or
    dlt code holding a ``table_name``; ``None`` when no such frame is there."""
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
