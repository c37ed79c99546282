"""load_config: every kind of source, file formats, and the errors that name the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dlt
import pytest
import yaml
from config_samples import SALES_SEED, config, seed

from restsync import ConfigError
from restsync.config import SourceConfig, load_config, validate

TOKEN_REF = {"secret": "sales_key"}


def _sales_with_secret_ref() -> dict[str, Any]:
    raw = seed(SALES_SEED)
    raw["client"]["auth"]["api_key"] = dict(TOKEN_REF)
    return raw


def _toml(raw: dict[str, Any]) -> str:
    """The sales seed written by hand as TOML (tomllib cannot write); ``raw`` is its dict."""
    assert raw["client"]["auth"]["api_key"] == TOKEN_REF
    return """
[client]
base_url = "https://api.example.com/api/v1/"

[client.auth]
type = "api_key"
name = "X-API-KEY"
api_key = { secret = "sales_key" }
location = "header"

[resource_defaults]
primary_key = "id"
write_disposition = "merge"

[[resources]]
name = "campaigns"

[resources.endpoint]
path = "/campaigns"
data_selector = ["data", "campaigns"]
paginator = { type = "single_page" }

[[resources]]
name = "prospects"

[resources.endpoint]
path = "/prospects"
data_selector = []
paginator = { type = "page_number", page_param = "page", start_from_page = 1 }
"""


WRITERS = [
    ("yaml", "sales.yaml", yaml.safe_dump),
    ("yml", "sales.yml", yaml.safe_dump),
    ("json", "sales.json", lambda raw: json.dumps(raw, indent=2)),
    ("toml", "sales.toml", _toml),
]


@pytest.mark.parametrize(
    ("filename", "write"), [case[1:] for case in WRITERS], ids=[case[0] for case in WRITERS]
)
def test_each_file_format_loads_the_same_config(tmp_path: Path, filename: str, write: Any) -> None:
    raw = _sales_with_secret_ref()
    path = tmp_path / filename
    path.write_text(write(raw), encoding="utf-8")
    secrets = {"sales_key": "k-123"}
    expected = validate(raw, secrets=secrets)
    assert load_config(path, secrets=secrets) == expected
    assert load_config(str(path), secrets=secrets) == expected


BROKEN_FILES = [
    ("yaml", "bad.yaml", "client:\n  base_url: x\n  auth: [\n", ":4", "invalid YAML"),
    ("json", "bad.json", '{\n  "client": {\n    "base_url": "x",\n  }\n}\n', ":4", "invalid JSON"),
    ("toml", "bad.toml", '[client]\nbase_url = "x"\nauth = \n', ":3", "invalid TOML"),
]


@pytest.mark.parametrize(
    ("filename", "text", "line", "prefix"),
    [case[1:] for case in BROKEN_FILES],
    ids=[case[0] for case in BROKEN_FILES],
)
def test_unparseable_file_names_file_and_line(
    tmp_path: Path, filename: str, text: str, line: str, prefix: str
) -> None:
    path = tmp_path / filename
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.location == f"{path}{line}"
    assert caught.value.detail.startswith(prefix)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(str(path))
    assert str(caught.value) == f"{path}: config file not found"


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "config.ini"
    path.write_text("[client]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert (
        caught.value.detail == "unsupported config file type '.ini': use .yaml, .yml, .json, .toml"
    )


def test_file_must_hold_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.location == str(path)
    assert caught.value.detail == (
        "a config file must hold a mapping with 'client' and 'resources' at top level, got list"
    )


def test_invalid_config_in_file_names_place_and_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config({"name": "a", "endpoint": {"method": "PUT"}})))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.location == "resources[0].endpoint.method"
    assert caught.value.detail == f"'PUT' is not allowed; allowed: 'GET', 'POST' (in {path})"


def test_mapping_is_validated_and_base_url_overridden() -> None:
    raw = seed(SALES_SEED)
    loaded = load_config(raw, base_url="http://127.0.0.1:8123/api/v1/")
    assert loaded.client.base_url == "http://127.0.0.1:8123/api/v1/"
    assert raw == SALES_SEED


def test_source_config_is_returned_as_is() -> None:
    validated = validate(seed(SALES_SEED))
    assert load_config(validated) is validated


def test_source_config_with_base_url_keeps_everything_else() -> None:
    validated = validate(seed(SALES_SEED))
    moved = load_config(validated, base_url="http://127.0.0.1:9/")
    assert moved.client.base_url == "http://127.0.0.1:9/"
    assert moved.model_copy(update={"client": validated.client}) == validated
    assert moved.client.auth == validated.client.auth


def test_bad_base_url_override_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(validate(seed(SALES_SEED)), base_url="127.0.0.1:9")
    assert caught.value.location == "client.base_url"


def test_builtin_connector_by_name() -> None:
    loaded = load_config("crm", secrets={"access_token": "t"}, base_url="http://127.0.0.1:1")
    assert isinstance(loaded, SourceConfig)
    assert loaded.name == "crm"
    assert loaded.client.base_url == "http://127.0.0.1:1"
    assert "opportunity_lines" in [resource.name for resource in loaded.resources]


def test_unknown_connector_suggests_a_name() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("crn")
    assert caught.value.detail.startswith(
        "'crn' is neither a config file nor a built-in connector (did you mean 'crm'?); "
        "connectors: "
    )
    assert "sales_engagement" in caught.value.detail


def test_other_objects_are_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(42)  # type: ignore[arg-type]
    assert caught.value.detail == (
        "a config must be a dict, a SourceConfig, a config file path or a built-in connector "
        "name, got int"
    )


def test_a_dlt_resource_is_refused_where_a_config_dict_alone_is_run() -> None:
    """``sync``, the CLI and dagster run a ``SourceConfig`` alone: a dlt resource listed in a
    config dict would be dropped from the run, so it is refused where the user wrote it."""

    @dlt.resource(name="sections")
    def sections() -> Any:
        yield {"slug": "news"}

    raw = config("posts", sections(), {"name": "users", "endpoint": {"method": "PUT"}})
    with pytest.raises(ConfigError) as caught:
        load_config(raw)
    assert caught.value.location == "resources[1]"
    assert "a dlt resource is taken by rest_api_source only" in caught.value.detail
    with pytest.raises(ConfigError) as caught:
        load_config({**raw, "resources": ["posts", "tags", raw["resources"][2]]})
    assert caught.value.location == "resources[2].endpoint.method"
