"""One measured client run: restsync or dlt loading from an emulator into a fresh DuckDB file,
or the pure-parse baseline.

A run is described by a picklable ``RunSpec`` and executed either in this process or in a fresh
interpreter (``execute_isolated``), which is the only way to read a client's own peak resident
memory (``VmHWM``) and keeps one run's garbage from slowing the next. Timing starts after
the imports and covers what a user waits for: building the source and pipeline, extracting,
normalising and loading. Every run then counts the rows of each expected table in the DuckDB
file: a run that loaded anything but the expected row counts is reported as failed.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import traceback
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Tool = Literal["restsync", "dlt", "parse"]
DATASET = "bench"
# not "bench.duckdb": a catalog named like the dataset confuses DuckDB's binder
DB_FILE = "data.duckdb"


@dataclass(frozen=True)
class RunSpec:
    """What to run. ``config`` is restsync's config (raw dict; ``secrets`` answer its
    ``{secret: NAME}`` references; ``url`` replaces its base URL) or dlt's own rest_api dict
    (base URL and credentials inline). ``expected`` is the row count per table.
    For ``parse``: ``pages`` is the list of page URLs to fetch (untimed) and ``headers``,
    ``selector`` say how to authenticate and where the records are. ``sync_options`` go to
    ``restsync.sync`` as they are (e.g. ``duckdb_memory_limit``)."""

    tool: Tool
    workdir: str
    config: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    url: str = ""
    expected: Mapping[str, int] = field(default_factory=dict)
    pages: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    selector: tuple[str, ...] = ()
    sync_options: Mapping[str, Any] = field(default_factory=dict)  # restsync.sync() keywords


@dataclass
class RunResult:
    """What one run measured. ``extract_s`` is the time from the start until the last page
    reached the pipeline (restsync only: from its progress events); ``rows`` the rows found per
    table; ``rss_mb`` the process's peak resident memory (isolated runs only) and
    ``import_rss_mb`` the peak right after the imports, before the run; ``detail`` holds
    tool-specific numbers (the parse baseline's JSON-only time)."""

    ok: bool
    wall_s: float = 0.0
    extract_s: float | None = None
    records: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    rss_mb: float | None = None
    import_rss_mb: float | None = None
    pid: int = 0
    detail: dict[str, float] = field(default_factory=dict)


def _peak_rss_mb() -> float:
    """This process's peak resident memory in MB. ``VmHWM`` belongs to the process's own
    address space; ``ru_maxrss`` would also count the parent's memory at ``fork`` time, which
    Linux carries across ``exec``."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def count_rows(db_file: Path, tables: Mapping[str, int]) -> dict[str, int]:
    """Rows per table of the benchmark dataset (-1 for a table that does not exist)."""
    import duckdb

    counts: dict[str, int] = {}
    if not db_file.exists():
        return dict.fromkeys(tables, -1)
    with duckdb.connect(str(db_file), read_only=True) as connection:
        present = {
            name
            for (name,) in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
                [DATASET],
            ).fetchall()
        }
        for table in tables:
            if table not in present:
                counts[table] = -1
                continue
            row = connection.execute(f'SELECT COUNT(*) FROM {DATASET}."{table}"').fetchone()
            counts[table] = int(row[0]) if row else 0
    return counts


def _verify(result: RunResult, spec: RunSpec, db_file: Path) -> None:
    result.rows = count_rows(db_file, spec.expected)
    wrong = {t: (result.rows[t], n) for t, n in spec.expected.items() if result.rows[t] != n}
    if wrong:
        shown = ", ".join(f"{t}: {got} rows, expected {want}" for t, (got, want) in wrong.items())
        result.ok = False
        result.error = f"wrong row counts: {shown}"


def _run_restsync(spec: RunSpec, result: RunResult) -> None:
    import restsync

    workdir = Path(spec.workdir)
    db_file = workdir / DB_FILE
    last_page = [0.0]

    def on_event(event: restsync.ProgressEvent) -> None:
        if event.kind in ("page", "done"):
            last_page[0] = time.perf_counter()

    start = time.perf_counter()
    try:
        restsync.sync(
            dict(spec.config),
            secrets=dict(spec.secrets),
            base_url=spec.url,
            duckdb_file=db_file,
            pipelines_dir=workdir / "pipelines",
            dataset=DATASET,
            pipeline_name="bench_restsync",
            on_event=on_event,
            **spec.sync_options,
        )
    except Exception as exc:
        result.ok = False
        result.error = f"{type(exc).__name__}: {exc}"[:1000]
    result.wall_s = time.perf_counter() - start
    if last_page[0]:
        result.extract_s = last_page[0] - start
    if result.ok:
        _verify(result, spec, db_file)


def _run_dlt(spec: RunSpec, result: RunResult) -> None:
    import dlt
    from dlt.sources.rest_api import rest_api_source

    workdir = Path(spec.workdir)
    db_file = workdir / DB_FILE
    start = time.perf_counter()
    try:
        source = rest_api_source(dict(spec.config))  # type: ignore[arg-type]
        pipeline = dlt.pipeline(
            pipeline_name="bench_dlt",
            destination=dlt.destinations.duckdb(str(db_file)),
            dataset_name=DATASET,
            pipelines_dir=str(workdir / "pipelines"),
        )
        pipeline.run(source)
    except Exception as exc:
        result.ok = False
        result.error = f"{type(exc).__name__}: {exc}"[:1000]
    result.wall_s = time.perf_counter() - start
    if result.ok:
        _verify(result, spec, db_file)


def _run_parse(spec: RunSpec, result: RunResult) -> None:
    """orjson + selector + Arrow table per page, on page bodies fetched beforehand (untimed):
    the cost of the data path alone, with no HTTP and no loading."""
    import httpx
    import orjson
    import pyarrow as pa

    with httpx.Client(headers=dict(spec.headers), timeout=60) as client:
        bodies = []
        for url in spec.pages:
            response = client.get(url)
            response.raise_for_status()
            bodies.append(response.content)

    def records_of(body: bytes) -> Any:
        node: Any = orjson.loads(body)
        for key in spec.selector:
            node = node[key]
        return node

    def table_of(body: bytes) -> pa.Table:  # as restsync converts a page it does not decode
        return pa.Table.from_struct_array(pa.array(records_of(body)))

    table_of(bodies[0])  # pyarrow's first call pays for its set-up
    start = time.perf_counter()
    records = sum(len(records_of(body)) for body in bodies)
    result.detail["json_only_s"] = time.perf_counter() - start
    start = time.perf_counter()
    for body in bodies:
        table_of(body)
    result.wall_s = time.perf_counter() - start
    result.records = records


_RUNNERS = {"restsync": _run_restsync, "dlt": _run_dlt, "parse": _run_parse}


def execute(spec: RunSpec) -> RunResult:
    """Run ``spec`` in this process."""
    Path(spec.workdir).mkdir(parents=True, exist_ok=True)
    result = RunResult(ok=True, records=sum(spec.expected.values()), pid=os.getpid())
    try:
        _RUNNERS[spec.tool](spec, result)
    except Exception as exc:  # the harness's own failure: report it as this run's error
        result.ok = False
        result.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"[:2000]
    return result


def child_main() -> None:
    """The child's side of ``execute_isolated``: a RunSpec as JSON on stdin, the RunResult as
    JSON on stdout (which nothing else may write to)."""
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    raw = json.loads(sys.stdin.read())
    spec = RunSpec(**{**raw, "pages": tuple(raw["pages"]), "selector": tuple(raw["selector"])})
    # the imports the run's tool needs, before the baseline memory reading (only its own:
    # restsync never loads dlt's rest_api, and dlt's runs must not get restsync's allocator)
    import dlt  # noqa: F401
    import duckdb  # noqa: F401

    if spec.tool == "restsync":
        import restsync

        restsync.tune_process()  # the process runs restsync alone, as the command line does
    elif spec.tool == "dlt":
        from dlt.sources import rest_api  # noqa: F401
    import_rss = _peak_rss_mb()
    result = execute(spec)
    result.import_rss_mb = import_rss
    result.rss_mb = _peak_rss_mb()
    out.write(json.dumps(asdict(result)))
    out.close()


def execute_isolated(spec: RunSpec, *, timeout: float) -> RunResult:
    """Run ``spec`` in a fresh interpreter (``python -m bench._child client``) and return what it
    measured; a run that outlives ``timeout`` seconds is killed and reported as failed."""
    from ._server import child_environment

    process = subprocess.Popen(
        [sys.executable, "-m", "bench._child", "client"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_environment(),
    )
    try:
        output, _ = process.communicate(json.dumps(asdict(spec)), timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return RunResult(ok=False, error=f"timed out after {timeout:.0f} s", pid=process.pid)
    if process.returncode != 0 or not output:
        return RunResult(
            ok=False,
            error=f"client process failed (exit code {process.returncode}); see its stderr",
            pid=process.pid,
        )
    return RunResult(**json.loads(output))
