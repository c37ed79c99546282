"""Side by side over loopback: a resource's ``nested_hints`` type its nested tables as dlt types
them. dlt's ``rest_api_source`` runs them only with every column hint naming its column
(``{"value": {"name": "value", "data_type": "text"}}``): without the ``name`` it fails with
``KeyError: 'name'``, with the list form of ``columns`` with an ``AttributeError``, and its
config validation refuses what ``make_nested_hints(columns=...)`` makes. restsync reads every
one of these forms as ``make_nested_hints`` means it, and loads what dlt loads from the named
form: the same tables, columns, types and rows, on the Arrow path and on the dict path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dlt.extract import make_nested_hints
from starlette.applications import Starlette

from parity.harness import Parity
from support import pages_app, serve_url

#: tags mixing strings and numbers (hinted text: the numbers land as text); lines whose qty
#: comes as a string (hinted bigint: it lands as a number)
RECORDS = [
    {"id": i, "tags": [f"t{i}", i], "lines": [{"sku": i, "qty": str(i * 2)}]} for i in range(1, 8)
]

NAMED = {
    "tags": {"columns": {"value": {"name": "value", "data_type": "text"}}},
    "lines": {
        "columns": {"qty": {"name": "qty", "data_type": "bigint"}},
        "write_disposition": "append",
    },
}
FORMS: dict[str, Any] = {
    "named": NAMED,
    "keyed_without_name": {
        "tags": {"columns": {"value": {"data_type": "text"}}},
        "lines": {"columns": {"qty": {"data_type": "bigint"}}, "write_disposition": "append"},
    },
    "list_of_columns": {
        "tags": {"columns": [{"name": "value", "data_type": "text"}]},
        "lines": {
            "columns": [{"name": "qty", "data_type": "bigint"}],
            "write_disposition": "append",
        },
    },
    "make_nested_hints": {
        "tags": make_nested_hints(columns={"value": {"data_type": "text"}}),
        "lines": make_nested_hints(
            columns={"qty": {"data_type": "bigint"}}, write_disposition="append"
        ),
    },
}


def items_config(url: str, nested_hints: Any) -> dict[str, Any]:
    return {
        "client": {"base_url": f"{url}/"},
        "resources": [
            {
                "name": "items",
                "primary_key": "id",
                "nested_hints": nested_hints,
                "endpoint": {
                    "path": "items",
                    "data_selector": "items",
                    "paginator": {"type": "page_number", "base_page": 1, "total_path": None},
                },
            }
        ],
    }


def api() -> Starlette:
    return pages_app(RECORDS)


@pytest.mark.parametrize("arrow", ["1", "0"], ids=["arrow_path", "dict_path"])
@pytest.mark.parametrize("form", list(FORMS))
def test_nested_hints_in_every_form_land_as_dlt_lands_the_named_form(
    form: str, arrow: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESTSYNC_ARROW", arrow)
    parity = Parity(tmp_path)
    with serve_url(api()) as url:
        parity.pipelines["dlt"].run(parity.source("dlt", items_config(url, NAMED)))
        parity.pipelines["restsync"].run(parity.source("restsync", items_config(url, FORMS[form])))

    tables = parity.assert_same()
    assert tables["items__tags"].columns["value"] == "VARCHAR"
    assert tables["items__lines"].columns["qty"] == "BIGINT"
    tags = tables["items__tags"]
    value = sorted(tags.columns).index("value")
    assert sorted(row[value] for row in tags.rows) == sorted(
        [f"t{i}" for i in range(1, 8)] + [str(i) for i in range(1, 8)]
    )
    lines = tables["items__lines"]
    qty = sorted(lines.columns).index("qty")
    assert sorted(row[qty] for row in lines.rows) == [i * 2 for i in range(1, 8)]
