"""restsync.select: compiled selectors, auto-detection and shape descriptions."""

from __future__ import annotations

from typing import Any

import pytest

from restsync import ConfigError
from restsync.select import SelectorNotFound, compile_selector, describe, detect_selector

CRM_PAGE = {"list": [{"record": {"id": 1}}, {"record": {"id": 2}}], "page": 1}
SALES_CAMPAIGNS = {"data": {"campaigns": [{"id": 1}, {"id": 2}, {"id": 3}]}}
SALES_PROSPECTS = {"data": {"prospects": [{"id": 9}]}, "message": "ok", "status": "success"}

# (spec, document, expected records; None = the path is absent)
SELECT_CASES: list[tuple[str, Any, Any, list[Any] | None]] = [
    ("keys-sales-seed", ("data", "campaigns"), SALES_CAMPAIGNS, [{"id": 1}, {"id": 2}, {"id": 3}]),
    ("keys-list-form", ["data", "campaigns"], SALES_CAMPAIGNS, [{"id": 1}, {"id": 2}, {"id": 3}]),
    ("dotted", "data.campaigns", SALES_CAMPAIGNS, [{"id": 1}, {"id": 2}, {"id": 3}]),
    ("dotted-crm-seed", "list.*.record", CRM_PAGE, [{"id": 1}, {"id": 2}]),
    ("jsonpath-crm", "$.list[*].record", CRM_PAGE, [{"id": 1}, {"id": 2}]),
    ("jsonpath-dotted-star", "$.list.*.record", CRM_PAGE, [{"id": 1}, {"id": 2}]),
    ("jsonpath-plain", "$.data.campaigns", SALES_CAMPAIGNS, [{"id": 1}, {"id": 2}, {"id": 3}]),
    ("jsonpath-root", "$", [{"id": 1}], [{"id": 1}]),
    ("jsonpath-root-object", "$", {"id": 1}, [{"id": 1}]),
    ("object-is-one-record", "data", {"data": {"id": 1}}, [{"id": 1}]),
    ("null-is-empty-page", "data", {"data": None}, []),
    ("empty-list", "data.items", {"data": {"items": []}}, []),
    ("absent-key", "data.items", {"data": {"rows": []}}, None),
    ("absent-through-scalar", "data.items", {"data": "oops"}, None),
    ("absent-top", ("data", "campaigns"), {"campaigns": []}, None),
    ("wildcard-empty-list-is-empty-page", "list.*.record", {"list": []}, []),
    ("wildcard-absent-parent", "list.*.record", {"items": []}, None),
    ("wildcard-all-branches-missing", "list.*.record", {"list": [{"rec": 1}]}, None),
    (
        "wildcard-skips-missing-branch",
        "list.*.record",
        {"list": [{"record": {"id": 1}}, {}]},
        [{"id": 1}],
    ),
    (
        "wildcard-drops-nulls",
        "list.*.record",
        {"list": [{"record": None}, {"record": {"a": 1}}]},
        [{"a": 1}],
    ),
    (
        "wildcard-splices-lists",
        "groups.*.items",
        {"groups": [{"items": [{"a": 1}, {"a": 2}]}, {"items": [{"a": 3}]}]},
        [{"a": 1}, {"a": 2}, {"a": 3}],
    ),
    (
        "wildcard-over-object",
        "data.*",
        {"data": {"x": {"a": 1}, "y": {"a": 2}}},
        [{"a": 1}, {"a": 2}],
    ),
    ("trailing-wildcard", "data.*", {"data": [{"a": 1}, {"a": 2}]}, [{"a": 1}, {"a": 2}]),
    ("index-dotted", "pages.1.rows", {"pages": [{"rows": [1]}, {"rows": [{"a": 2}]}]}, [{"a": 2}]),
    ("index-jsonpath", "$.pages[0].rows", {"pages": [{"rows": [{"a": 1}]}]}, [{"a": 1}]),
    ("index-out-of-range", "pages.5.rows", {"pages": []}, None),
    ("digit-key-on-object", "by_id.7", {"by_id": {"7": {"a": 1}}}, [{"a": 1}]),
    ("key-with-dot", ("a.b", "c"), {"a.b": {"c": [{"x": 1}]}}, [{"x": 1}]),
    ("jsonpath-quoted-key", "$['a.b'].c", {"a.b": {"c": [{"x": 1}]}}, [{"x": 1}]),
    (
        "jsonpath-filter",
        "$.items[?(@.active == true)]",
        {"items": [{"id": 1, "active": True}, {"id": 2, "active": False}]},
        [{"id": 1, "active": True}],
    ),
    (
        "jsonpath-filter-no-match-is-empty",
        "$.items[?(@.active == true)]",
        {"items": [{"id": 2, "active": False}]},
        [],
    ),
    ("jsonpath-filter-absent", "$.items[?(@.active == true)]", {"rows": []}, None),
    ("jsonpath-descendants", "$..record", CRM_PAGE, [{"id": 1}, {"id": 2}]),
    ("scalar-is-one-value", "total", {"total": 5}, [5]),
]


@pytest.mark.parametrize(
    ("spec", "document", "expected"),
    [case[1:] for case in SELECT_CASES],
    ids=[case[0] for case in SELECT_CASES],
)
def test_select(spec: Any, document: Any, expected: list[Any] | None) -> None:
    selector = compile_selector(spec)
    assert selector is not None
    assert selector.select(document) == expected


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        (("data", "campaigns"), "data.campaigns"),
        ("list.*.record", "list.*.record"),
        ("$.list[*].record", "$.list[*].record"),
        ("  data.items ", "data.items"),
        (("a.b", "c"), "['a.b', 'c']"),
    ],
    ids=["keys", "dotted", "jsonpath", "stripped", "dotted-key"],
)
def test_path_is_what_the_user_wrote(spec: Any, path: str) -> None:
    selector = compile_selector(spec)
    assert selector is not None
    assert selector.path == path


@pytest.mark.parametrize(
    "spec", [None, "", "   ", (), []], ids=["none", "empty", "blank", "empty-tuple", "empty-list"]
)
def test_empty_spec_means_detect(spec: Any) -> None:
    assert compile_selector(spec) is None


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("$.data[", "JSONPath syntax error"),
        ("$.data[?(@.x ==]", "JSONPath syntax error"),
        ("data.", "may not start or end with '.'"),
        (".data", "may not start or end with '.'"),
        (("data", ""), "empty string"),
        (("data", 3.5), "must be a string"),
    ],
    ids=["unclosed-bracket", "bad-filter", "trailing-dot", "leading-dot", "empty-key", "float-key"],
)
def test_invalid_spec_is_config_error(spec: Any, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        compile_selector(spec)
    message = str(info.value)
    assert fragment in message
    assert repr(spec) in message


def test_selected_list_is_not_copied() -> None:
    # Millions of records: the common path hands back the decoded list itself.
    records = [{"id": i} for i in range(10)]
    selector = compile_selector(("data", "items"))
    assert selector is not None
    assert selector.select({"data": {"items": records}}) is records


# --- detection --------------------------------------------------------------------------------

DETECT_CASES: list[tuple[str, Any, str]] = [
    ("top-level-list", [{"id": 1}], "$"),
    ("top-level-empty-list", [], "$"),
    ("sales-prospects", SALES_PROSPECTS, "data.prospects"),
    (
        "sales-prospects-empty-page",
        {"data": {"prospects": []}, "message": "ok", "status": "success"},
        "data.prospects",
    ),
    ("sales-campaigns", SALES_CAMPAIGNS, "data.campaigns"),
    ("crm-envelope", CRM_PAGE, "list"),
    ("objects-beat-scalars", {"tags": ["a", "b", "c"], "users": [{"id": 1}]}, "users"),
    ("well-known-name-wins", {"data": [{"id": 1}], "included": [{"id": 2}, {"id": 3}]}, "data"),
    ("well-known-empty-beats-other-objects", {"data": [], "included": [{"id": 2}]}, "data"),
    ("objects-beat-empty", {"users": [{"id": 1}], "errors": []}, "users"),
    ("longest-list", {"users": [{"id": 1}, {"id": 2}], "groups": [{"id": 1}]}, "users"),
    ("three-levels-deep", {"a": {"b": {"c": [{"id": 1}]}}}, "a.b.c"),
    ("deeper-than-three-is-ignored", {"a": {"b": {"c": {"d": [{"id": 1}]}}}}, "$"),
    ("lists-inside-lists-ignored", {"rows": [{"children": [{"id": 1}]}], "meta": {}}, "rows"),
    ("single-object", {"id": 1, "name": "x"}, "$"),
    ("object-with-id-is-a-record", {"id": 7, "lines": [{"n": 1}], "tags": []}, "$"),
    ("only-scalar-lists", {"ids": [1, 2, 3]}, "ids"),
]


@pytest.mark.parametrize(
    ("document", "path"), [c[1:] for c in DETECT_CASES], ids=[c[0] for c in DETECT_CASES]
)
def test_detect(document: Any, path: str) -> None:
    assert detect_selector(document).path == path


def test_detected_selector_selects_the_records() -> None:
    selector = detect_selector(SALES_PROSPECTS)
    assert selector.select(SALES_PROSPECTS) == [{"id": 9}]
    assert selector.select({"data": {"prospects": []}}) == []
    assert detect_selector({"id": 1}).select({"id": 1}) == [{"id": 1}]


@pytest.mark.parametrize(
    ("document", "candidates"),
    [
        ({"users": [{"id": 1}], "groups": [{"id": 2}]}, ("users", "groups")),
        ({"data": [{"id": 1}], "items": [{"id": 2}]}, ("data", "items")),
        ({"a": {"x": []}, "b": {"y": []}}, ("a.x", "b.y")),
    ],
    ids=["two-equal-lists", "two-well-known", "two-empty"],
)
def test_detect_undecidable(document: Any, candidates: tuple[str, ...]) -> None:
    with pytest.raises(SelectorNotFound) as info:
        detect_selector(document)
    assert isinstance(info.value, ValueError)
    assert info.value.candidates == candidates
    for path in candidates:
        assert path in str(info.value)
    assert "data_selector" in str(info.value)


@pytest.mark.parametrize(
    "document", ["text", 42, True, None], ids=["string", "number", "bool", "null"]
)
def test_detect_scalar_document(document: Any) -> None:
    with pytest.raises(SelectorNotFound, match="not a list or an object"):
        detect_selector(document)


# --- describe ---------------------------------------------------------------------------------

DESCRIBE_CASES: list[tuple[str, Any, str]] = [
    (
        "envelope",
        {"data": {"items": [{"id": 1}] * 50}, "message": "ok"},
        "an object with keys data (object with keys items (list of 50 objects)), message (string)",
    ),
    ("list-of-objects", [{"id": 1, "name": "x"}] * 3, "a list of 3 objects with keys id, name"),
    ("empty-list", [], "an empty list"),
    ("empty-object", {}, "an empty object"),
    ("null", None, "null"),
    ("string", "secret-value", "a string"),
    (
        "scalars",
        {"n": 1, "f": 1.5, "b": False, "z": None, "s": "x"},
        "an object with keys n (number), f (number), b (boolean), z (null), s (string)",
    ),
    ("list-of-strings", ["a", "b"], "a list of 2 strings"),
    ("mixed-list", [1, "a"], "a list of 2 mixed values"),
    (
        "many-keys",
        {f"k{i}": i for i in range(10)},
        "an object with keys k0 (number), k1 (number), k2 (number), k3 (number), k4 (number), "
        "k5 (number), k6 (number), k7 (number), 2 more",
    ),
    (
        "deep",
        {"a": {"b": {"c": {"d": 1}}}},
        "an object with keys a (object with keys b (object with keys c (object with 1 key)))",
    ),
]


@pytest.mark.parametrize(
    ("document", "expected"), [c[1:] for c in DESCRIBE_CASES], ids=[c[0] for c in DESCRIBE_CASES]
)
def test_describe(document: Any, expected: str) -> None:
    assert describe(document) == expected


def test_describe_never_shows_values_and_respects_limit() -> None:
    document = {"user": {"email": "alice@example.com", "token": "s3cr3t"}, "rows": [{"x": 1}]}
    text = describe(document)
    assert "alice" not in text
    assert "s3cr3t" not in text
    short = describe({f"key_{i}": {"nested": [1, 2]} for i in range(50)}, limit=40)
    assert len(short) == 40
    assert short.endswith("...")
