"""A failed dlt step as one line with the real cause first: what the database said, which table,
and what to do; never dlt's traceback text or its advice for library code.

dlt wraps a failure of the destination several times (the step, the job, the client, the
database driver), and its outer messages carry tracebacks (a job's failure is a string written
by a worker thread) or boilerplate ("check your credentials / internet connection" for a
DuckDB file locked by another process). The innermost exception says what went wrong.
"""

from __future__ import annotations

from pathlib import Path

from restsync._dlt import PipelineStepFailed
from restsync._exceptions import LoadError

#: attributes where dlt keeps the exception it wrapped without chaining it
_WRAPPED = ("client_exception", "inner_exc", "dbapi_exception")

#: what to do, for causes a user can act on without reading dlt's documentation
_ADVICE = {
    "Could not set lock on file": "another process has the DuckDB file open: close it, or "
    "load into another file",
}


def root_cause(exc: BaseException) -> BaseException:
    """The innermost exception ``exc`` wraps, through causes, contexts and dlt's attributes."""
    seen = {id(exc)}
    current = exc
    while True:
        inner = current.__cause__ or current.__context__
        for name in _WRAPPED:
            candidate = getattr(current, name, None)
            if inner is None and isinstance(candidate, BaseException):
                inner = candidate
        if inner is None or id(inner) in seen:
            return current
        seen.add(id(inner))
        current = inner


def one_line(exc: BaseException) -> str:
    """``exc``'s message on one line (its first paragraph, whitespace collapsed)."""
    text = str(exc).strip().split("\n\n", 1)[0]
    return " ".join(text.split()) or type(exc).__name__


def _table(exc: PipelineStepFailed) -> str | None:
    """The table whose load job failed, when a job failed (dlt names jobs ``table.hash...``)."""
    job_id = getattr(exc.exception, "job_id", None)
    return job_id.split(".", 1)[0] if isinstance(job_id, str) else None


def failed_step(exc: PipelineStepFailed, destination: str, *, retried: str | None = None) -> str:
    """One line for a dlt step that failed: the database's words first, then where."""
    cause = one_line(root_cause(exc))
    table = _table(exc)
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
