"""A failed dlt step as one line with the real cause first: what the database said, which table,
and what to do; never dlt's traceback text or its advice for library code.

dlt wraps a failure of the destination several times (the step, the job, the client, the
database driver), and its outer messages carry tracebacks (a job's failure is a string written
by a worker thread) or boilerplate ("check your credentials / internet connection" for a
DuckDB file locked by another process). The innermost exception says what went wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dlt

from restsync._dlt import PipelineStepFailed, raising_table
from restsync._exceptions import Interrupted, LoadError

#: attributes where dlt keeps the exception it wrapped without chaining it
_WRAPPED = ("client_exception", "inner_exc", "dbapi_exception")

#: how an iterator or a generator ends: the context, never the cause, of what its code raises
#: as it ends (a writer flushing when a generator is exhausted)
_ENDINGS = (StopIteration, StopAsyncIteration, GeneratorExit)

#: what to do, for causes a user can act on without reading dlt's documentation
_ADVICE = {
    "Could not set lock on file": "another process has the DuckDB file open: close it, or "
    "load into another file",
}


def causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it wraps, outermost first, through causes, contexts and
    dlt's attributes."""
    seen = {id(exc)}
    current = exc
    while True:
        yield current
        inner = current.__cause__ or current.__context__
        if current.__cause__ is None and isinstance(inner, _ENDINGS):
            # raised while a generator ended, not because of it
            inner = None
        for name in _WRAPPED:
            candidate = getattr(current, name, None)
            if inner is None and isinstance(candidate, BaseException):
                inner = candidate
        if inner is None or id(inner) in seen:
            return
        seen.add(id(inner))
        current = inner


def root_cause(exc: BaseException) -> BaseException:
    """The innermost exception ``exc`` wraps."""
    *_, innermost = causes(exc)
    return innermost


def one_line(exc: BaseException) -> str:
    """``exc``'s message on one line (its first paragraph, whitespace collapsed)."""
    text = str(exc).strip().split("\n\n", 1)[0]
    return " ".join(text.split()) or type(exc).__name__


def failed_table(exc: PipelineStepFailed) -> str | None:
    """The table whose rows a failed step could not write or load: a failed load names the
    job that failed (dlt names jobs ``table.file_id...``); a failed normalize step names the
    job it was on, which may be another table's (see ``raising_table``), so the table comes
    from the cause (dlt's schema errors carry it), else from where dlt raised it."""
    chain = list(causes(exc))
    if exc.step != "load":
        for cause in reversed(chain):
            table = getattr(cause, "table_name", None)
            if isinstance(table, str) and table:
                return table
        table = raising_table(chain[-1])
        if table is not None:
            return table
    job_id = getattr(exc.exception, "job_id", None)
    return job_id.split(".", 1)[0] if isinstance(job_id, str) and job_id else None


def failed_step(exc: PipelineStepFailed, destination: str, *, retried: str | None = None) -> str:
    """One line for a dlt step that failed: the database's words first, then where."""
    cause = one_line(root_cause(exc))
    table = failed_table(exc)
    where = [f"dlt's {exc.step} step", f"destination {destination}"]
    if table:
        where.insert(1, f"table {table!r}")
    if retried is not None:
        where.append(f"retrying the load {retried} an earlier run left pending")
    line = f"{cause} ({', '.join(where)})"
    advice = next((tip for key, tip in _ADVICE.items() if key in cause), None)
    return f"{line}; {advice}" if advice else line


def working_folder_error(exc: OSError) -> LoadError:
    """dlt could not write its working files (the pipelines folder): where, and how to move it."""
    where = Path(exc.filename).parent if exc.filename else "dlt's pipelines folder"
    return LoadError(
        f"cannot write dlt's working files in {where}: {exc.strerror or one_line(exc)}; make it "
        "writable, or point DLT_DATA_DIR (or the pipelines_dir of sync) at a writable folder"
    )


def _committed_tables(pipeline: dlt.Pipeline, load_id: str) -> list[str]:
    """The data tables into which load ``load_id`` already committed rows: a finished job
    commits its file into the table when the table is appended or replaced; a merged table
    changes only with its final (SQL) job, the others fill the staging table."""
    info = pipeline.get_load_package_info(load_id)
    schema = pipeline.default_schema
    tables: set[str] = set()
    for job in info.jobs.get("completed_jobs", []):
        table = job.job_file_info.table_name
        if table.startswith("_dlt") or table not in schema.tables:
            continue
        merged = schema.tables[table].get("write_disposition") == "merge"
        if not merged or job.job_file_info.file_format == "sql":
            tables.add(table)
    return sorted(tables)


def interrupted(pipeline: dlt.Pipeline | None) -> Interrupted:
    """What Ctrl-C left behind, read from the pipeline's packages: nothing pending means it
    came while fetching (dlt keeps nothing of an unfinished extract); an extracted package,
    after fetching; a normalized one, while loading, some of whose jobs may have committed."""
    if pipeline is None or not pipeline.has_pending_data:
        return Interrupted(
            "interrupted while fetching: nothing of this run was loaded, the destination is as "
            "it was"
        )
    normalized = sorted(pipeline.list_normalized_load_packages())
    if not normalized:
        load_id = min(pipeline.list_extracted_load_packages())
        return Interrupted(
            "interrupted after fetching, before loading: nothing of this run was loaded; what "
            "was fetched is kept",
            pending_load=load_id,
        )
    load_id = normalized[0]
    committed = _committed_tables(pipeline, load_id)
    done = f"rows of {', '.join(committed)} are committed, " if committed else "nothing is "
    return Interrupted(
        f"interrupted while loading: {done}{'the rest is not' if committed else 'committed yet'}",
        pending_load=load_id,
    )
