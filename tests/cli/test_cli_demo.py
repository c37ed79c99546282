"""``restsync demo``, run as the installed console script in an empty folder: both built-in
connectors land in ./restsync.duckdb with every record of their emulators, once."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from cli_support import Invoke, assert_quiet, console_script

from restsync import connectors
from restsync.emulator import EmulatorOptions
from support import query


def test_demo_fills_every_table_of_both_connectors(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()

    done = subprocess.run(
        [console_script(), "demo"],
        cwd=folder,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    db = folder / "restsync.duckdb"
    assert sorted(p.name for p in folder.iterdir()) == ["restsync.duckdb"]
    lines = done.stdout.splitlines()
    printed = {
        (cells[0], cells[1]): cells[2]
        for line in lines
        if line.startswith("│")
        for cells in [[cell.strip() for cell in line.strip("│").split("│")]]
    }
    for name in connectors.names():
        connector = connectors.get(name)
        options = EmulatorOptions(**connector.emulator)
        tables = query(
            db,
            "SELECT table_name FROM information_schema.tables "
            f"WHERE table_schema = '{name}' AND table_name NOT LIKE '_dlt%'",
        )
        assert sorted(t for (t,) in tables) == sorted(connector.resource_names)
        for resource in connector.resource_names:
            expected = options.count_for(resource)
            assert expected > 0
            counts = query(db, f"SELECT COUNT(*), COUNT(DISTINCT id) FROM {name}.{resource}")
            assert counts == [(expected, expected)], f"{name}.{resource}"
            assert printed.get((name, resource)) == f"{expected:,}", f"{name}.{resource}"
    assert lines[-1] == f"DuckDB file: {db.resolve()}"
    assert "\x1b[" not in done.stdout + done.stderr  # no colours or cursor moves when piped
    for name in connectors.names():
        assert f"syncing {name} from the emulator at http://127.0.0.1:" in done.stderr
    # the same decision for nine resources is one note naming them, not nine lines
    notes = [line for line in done.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) < len(connectors.get("crm").resource_names), done.stderr
    assert_quiet(done.stdout + done.stderr)


def test_demo_refuses_a_file_named_like_a_dataset(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("demo", "--duckdb-file", "crm.duckdb")

    assert result.exit_code == 2
    assert "dataset 'crm' has the name of the DuckDB file 'crm.duckdb'" in result.stderr
    assert not (tmp_path / "crm.duckdb").exists()
