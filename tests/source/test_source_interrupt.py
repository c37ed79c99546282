"""Ctrl-C is reported as an interrupt whatever dlt does with it.

dlt's account of a step Ctrl-C stopped can fail in turn: it reads the load package the step
was writing, half made, and raises that error (``FileNotFoundError ... schema.json``, seen in
about one run of two of ``tests/cli/test_cli_interrupt.py`` on a busy machine) with the
interrupt as its context. The race is made certain here by a normalize step that fails so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

import dlt
import httpx
import pytest

from restsync import sync
from restsync._exceptions import Interrupted
from support import items_config, pages_app, query


def _stopped_while_accounting(self: Any, *args: Any, **kwargs: Any) -> NoReturn:
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        raise FileNotFoundError(2, "No such file or directory", "1.0/schema.json") from None


def test_ctrl_c_hidden_behind_dlts_failing_account_is_an_interrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [{"id": i, "name": f"n{i}"} for i in range(1, 251)]
    transport = httpx.ASGITransport(app=pages_app(records))
    db = tmp_path / "out.duckdb"
    options: dict[str, Any] = {
        "duckdb_file": db,
        "transport": transport,
        "pipelines_dir": tmp_path / "pipelines",
    }
    with monkeypatch.context() as patched:
        patched.setattr(dlt.Pipeline, "normalize", _stopped_while_accounting)
        with pytest.raises(Interrupted) as caught:
            sync(items_config("stopped"), **options)
    assert str(caught.value).startswith("interrupted after fetching, before loading")
    assert caught.value.pending_load is not None
    assert not db.exists() or not query(
        db, "SELECT 1 FROM information_schema.tables WHERE table_name = 'items'"
    )

    result = sync(items_config("stopped"), **options)
    assert any(caught.value.pending_load in note for note in result.notes)
    assert query(db, "SELECT count(*), count(DISTINCT id) FROM stopped.items") == [(250, 250)]
