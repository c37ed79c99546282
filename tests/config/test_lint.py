"""lint: warnings for valid configs that probably do not do what the user meant."""

from __future__ import annotations

from typing import Any

import pytest
from config_samples import CRM_SEED, SALES_SEED, config, seed

from restsync.config import lint, validate

CRM_NAMES = (
    "'accounts', 'contacts', 'opportunities', 'documents', 'campaigns', 'cases', "
    "'activities', 'opportunity_histories' and 'opportunity_lines'"
)

LINT_CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "crm-seed",
        seed(CRM_SEED),
        [
            "resources 'documents' and 'opportunity_lines' both read /opportunity_lines: "
            "both tables will hold the same rows",
            f"resources {CRM_NAMES}: the first page number is not given; restsync will detect "
            "it from the API (set base_page to skip the check)",
        ],
    ),
    ("sales-seed", seed(SALES_SEED), []),
    (
        "merge-without-primary-key",
        config({"name": "a", "write_disposition": "merge"}),
        [
            "resource 'a' has write_disposition 'merge' but no primary_key: rows of every run "
            "will be appended, never updated; set primary_key"
        ],
    ),
    (
        "merge-with-column-primary-key",
        config(
            {
                "name": "a",
                "write_disposition": "merge",
                "columns": {"id": {"primary_key": True}},
            }
        ),
        [],
    ),
    (
        "client-page-number-without-base",
        config("a", client={"paginator": "page_number"}),
        [
            "resource 'a': the first page number is not given; restsync will detect it from "
            "the API (set base_page to skip the check)"
        ],
    ),
    (
        "page-number-with-page",
        config("a", client={"paginator": {"type": "page_number", "page": 1}}),
        [],
    ),
    (
        "same-path-different-params",
        config(
            {"name": "open", "endpoint": {"path": "/t", "params": {"state": "open"}}},
            {"name": "closed", "endpoint": {"path": "t", "params": {"state": "closed"}}},
        ),
        [],
    ),
    (
        "three-resources-same-path",
        config(
            {"name": "a", "endpoint": "/t"},
            {"name": "b", "endpoint": "t"},
            {"name": "c", "endpoint": "/t/"},
        ),
        ["resources 'a', 'b' and 'c' all read /t: these tables will hold the same rows"],
    ),
    (
        "incremental-param-with-a-convert-function",
        config(
            {
                "name": "a",
                "endpoint": {
                    "path": "/t",
                    "params": {
                        "since": {"type": "incremental", "cursor_path": "u", "convert": str}
                    },
                },
            }
        ),
        [],
    ),
    (
        "unselected-duplicate-is-fine",
        config({"name": "a", "endpoint": "/t"}, {"name": "b", "endpoint": "/t", "selected": False}),
        [],
    ),
]


@pytest.mark.parametrize(
    ("raw", "expected"), [case[1:] for case in LINT_CASES], ids=[case[0] for case in LINT_CASES]
)
def test_lint(raw: dict[str, Any], expected: list[str]) -> None:
    assert lint(validate(raw)) == expected
