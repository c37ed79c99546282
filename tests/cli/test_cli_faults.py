"""The fault-injection matrix: every fault README's "When things go wrong" table lists, served
by the emulator over loopback (or set up around it) and met by ``restsync run``, one named
row each, so a regression shows as the name of the fault that is handled wrong.

Each row states what the user sees (the exit code and a fragment of the one error line) and
what the database holds afterwards: nothing of the run, or every record the API has."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from cli_support import Invoke, assert_quiet, locker

from engine.sync_harness import api_ids, config, landed_ids, resource, tables
from restsync import load_config
from restsync.emulator import EmulatorOptions, serve

PAGE_NUMBER_1 = {"type": "page_number", "base_page": 1}


@dataclass(frozen=True)
class Fault:
    """One row: how the fault is made, and what ``restsync run`` must do about it."""

    name: str
    exit_code: int
    says: str  # in the error line (or, for a run that succeeds, in its warnings)
    lands: Literal["nothing", "everything"]
    emulator: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    locked: bool = False  # another process holds the DuckDB file open
    pipelines_in_a_file: bool = False  # DLT_DATA_DIR under a file: nothing can be written


FAULTS = [
    Fault("non_object_record", 3, "record 20 of the page (counting from 0) is a string", "nothing",
          emulator={"broken": {"items": "non_object"}}),
    Fault("pages_clamped_past_the_end", 0, "the sequence ends at page 3", "everything",
          emulator={"broken": {"items": "clamped"}}),
    Fault("page_parameter_ignored", 3, "seems to ignore the pagination parameter", "nothing",
          emulator={"broken": {"items": "clamped"}, "records": 20}),
    Fault("html_instead_of_json", 3, "the response is not JSON (text/html", "nothing",
          emulator={"broken": {"items": "html"}}),
    Fault("records_moved", 3, "data_selector 'data' is absent from the response", "nothing",
          emulator={"broken": {"items": "renamed_key"}}),
    Fault("credentials_refused", 3, "(HTTP 401)", "nothing",
          emulator={"broken": {"items": "401"}}),
    Fault("server_errors_then_recovery", 0, "", "everything",
          emulator={"fail_first": 2, "fail_status": 503}),
    Fault("server_errors_beyond_retries", 3, "(HTTP 503)", "nothing",
          emulator={"fail_first": 10, "fail_status": 503}),
    Fault("rate_limited", 0, "", "everything", emulator={"rate_limit": 20.0}),
    Fault("not_null_refused", 4, "Column 'nickname' is declared non-nullable but contains nulls",
          "nothing",
          columns={"nickname": {"data_type": "text", "nullable": False}},
          env={"RESTSYNC_ARROW": "0"}),
    # as in dlt, a value that is not of its column's hinted type goes to a variant column
    Fault("value_not_of_the_hinted_type", 0, "", "everything",
          columns={"name": {"data_type": "decimal"}}),
    Fault("duckdb_file_locked", 4, "another process has the DuckDB file open", "nothing",
          locked=True),
    Fault("pipelines_folder_unwritable", 4, "cannot write dlt's working files", "nothing",
          pipelines_in_a_file=True),
]  # fmt: skip


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
def test_fault(
    fault: Fault, invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = config(resource("items", paginator=PAGE_NUMBER_1, write_disposition="merge"))
    used = config(
        resource("items", paginator=PAGE_NUMBER_1, write_disposition="merge", columns=fault.columns)
        if fault.columns
        else resource("items", paginator=PAGE_NUMBER_1, write_disposition="merge"),
        retry={"max_retries": 3},
    )
    path = tmp_path / "items.yaml"
    path.write_text(yaml.safe_dump(used), encoding="utf-8")
    db = tmp_path / "out.duckdb"
    for name, value in fault.env.items():
        monkeypatch.setenv(name, value)
    if fault.pipelines_in_a_file:
        (tmp_path / "file").write_text("", encoding="utf-8")
        monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "file" / "dlt"))
    options = EmulatorOptions(**{"records": 60, "page_size": 20, **fault.emulator})

    with serve(load_config(served), options) as api, locker(db) as held:
        if fault.locked:
            held.hold()
        result = invoke("run", str(path), "--base-url", api.url, "--duckdb-file", str(db))
        held.release()

    assert result.exit_code == fault.exit_code, result.output
    assert fault.says in (result.stderr if fault.exit_code else result.output), result.output
    assert_quiet(result.output)
    if fault.exit_code:
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1, result.stderr
    if fault.lands == "everything":
        assert landed_ids(db, "items") == api_ids(api.emulator, "items")
    else:
        assert "items" not in tables(db) or landed_ids(db, "items") == []
