"""``restsync connectors`` and ``restsync check``, every command's ``--help``, and the README
documenting every command."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from cli_support import Invoke, assert_quiet, console_script

from restsync import connectors
from restsync.cli import app, execute
from support import REPO

COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_the_app_registers_the_documented_commands() -> None:
    assert COMMANDS == ["check", "connectors", "demo", "emulate", "run"]


def test_connectors_lists_each_connector_with_resources_and_secrets(invoke: Invoke) -> None:
    result = invoke("connectors")

    assert result.exit_code == 0, result.output
    assert connectors.names() == ["crm", "sales_engagement"]
    lines = result.stdout.splitlines()
    for name in connectors.names():
        connector = connectors.get(name)
        assert any(line.startswith(f"{name}: {connector.description}") for line in lines)
        # the whole list on one line, no name cut short: piped output is read by scripts
        assert f"resources: {', '.join(connector.resource_names)}" in result.stdout
        for key, what in connector.secrets.items():
            assert f"secret {key} ({key.upper()}): {what}" in result.stdout


def test_check_crm_shows_resources_and_warns_about_the_shared_path(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ACCESS_TOKEN", raising=False)
    result = invoke("check", "crm")

    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    assert list(rows) == connectors.get("crm").resource_names
    assert "/opportunity_lines" in rows["documents"]
    assert "/opportunityhistories" in rows["opportunity_histories"]
    assert "list.*.record" in rows["accounts"]
    assert "page_number" in rows["accounts"]
    warning = next(line for line in result.stdout.splitlines() if "both read" in line)
    assert warning.startswith("warning: resources 'documents' and 'opportunity_lines'")
    assert warning.endswith("both read /opportunity_lines: both tables will hold the same rows")
    # no secret is needed to check a config; the missing one is named with the fix
    assert (
        "warning: secret 'access_token' is not set; `restsync run` needs it: "
        "export ACCESS_TOKEN=..." in result.stdout
    )
    assert re.search(r"^config is valid \(\d+ warnings\)$", result.stdout, re.M)


def test_check_does_not_warn_about_a_secret_that_is_set_nor_show_it(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_KEY", "value-that-must-not-show")
    result = invoke("check", "sales_engagement")

    assert result.exit_code == 0, result.output
    assert "campaigns" in result.stdout
    assert "prospects" in result.stdout
    assert "secret" not in result.stdout
    assert "value-that-must-not-show" not in result.output
    assert result.stdout.splitlines()[-1] == "config is valid"


BAD_CONFIGS = [
    (
        "bad.yaml",
        "client:\n  base_url: http://x\nresources:\n  - name: a\n    endpoint:\n"
        "      path: /a\n      paginator: {type: page_numbr}\n",
        [
            "error: resources[0].endpoint.paginator.type: unknown paginator type 'page_numbr' "
            "(did you mean 'page_number'?)",
            "(in bad.yaml)",
        ],
    ),
    (
        "bad.yaml",
        "client:\n  base_url: http://x\nresources:\n  - name: [a\n",
        ["error: bad.yaml:5: invalid YAML"],
    ),
    (
        "bad.json",
        '{"client": {"base_url": "http://x"}, "resources": [{"name": "a", "endpoint": 7}]}',
        ["error: resources[0].endpoint", "(in bad.json)"],
    ),
    (
        "bad.yaml",
        "- just\n- a list\n",
        ["error: bad.yaml: a config file must hold a mapping with 'client' and 'resources'"],
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "expected"), BAD_CONFIGS, ids=["typo", "yaml", "json", "not-a-mapping"]
)
def test_check_of_a_broken_config_exits_2_with_the_location(
    invoke: Invoke, tmp_path: Path, name: str, text: str, expected: list[str]
) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    result = invoke("check", name)

    assert result.exit_code == 2
    assert result.stdout == ""
    for part in expected:
        assert part in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output


MISSING = [
    ("missing.yaml", "error: missing.yaml: config file not found"),
    # square brackets in user text must not be read as rich markup and vanish
    ("conf[dev]/missing.yaml", "error: conf[dev]/missing.yaml: config file not found"),
    ("crn", "error: 'crn' is neither a config file nor a built-in connector"),
]


@pytest.mark.parametrize(
    ("config", "expected"), MISSING, ids=["file", "brackets-in-path", "unknown-connector"]
)
@pytest.mark.parametrize("command", ["check", "run", "emulate"])
def test_a_config_that_does_not_exist_exits_2(
    invoke: Invoke, command: str, config: str, expected: str
) -> None:
    result = invoke(command, config)

    assert result.exit_code == 2
    assert result.stderr.startswith(expected), result.stderr
    assert "Traceback" not in result.output


def test_emulate_on_a_port_in_use_says_so(invoke: Invoke) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = invoke("emulate", "crm", "--port", str(port))

    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "port 0 for any free one" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["", *COMMANDS], ids=["restsync", *COMMANDS])
def test_every_command_has_help(invoke: Invoke, command: str) -> None:
    result = invoke(*([command] if command else []), "--help")

    assert result.exit_code == 0
    assert f"Usage: restsync {command}".rstrip() in result.stdout
    if not command:
        for name in COMMANDS:
            assert re.search(rf"│ {name}\s+\S", result.stdout), name


def test_no_arguments_shows_help(invoke: Invoke) -> None:
    result = invoke()

    assert "Usage: restsync" in result.output
    assert "connectors" in result.output


def test_readme_documents_every_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")

    undocumented = [name for name in COMMANDS if f"restsync {name}" not in readme]
    assert not undocumented, f"README.md does not mention: {undocumented}"


@pytest.mark.parametrize(
    ("before", "after"),
    [(None, "false"), ("true", "true"), ("false", "false")],
    ids=["unset-turned-off", "user-turned-on", "user-turned-off"],
)
def test_the_command_turns_dlt_telemetry_off_unless_the_user_set_it(
    before: str | None,
    after: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if before is None:
        monkeypatch.delenv("RUNTIME__DLTHUB_TELEMETRY", raising=False)
    else:
        monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", before)
    monkeypatch.setattr(sys, "argv", ["restsync", "connectors"])

    assert execute() == 0
    assert "crm" in capsys.readouterr().out
    assert os.environ.get("RUNTIME__DLTHUB_TELEMETRY") == after


@pytest.mark.parametrize(
    ("args", "status", "stream", "text"),
    [
        (["connectors"], 0, "stdout", "sales_engagement"),
        (["run", "missing.yaml"], 2, "stderr", "error: missing.yaml: config file not found"),
        (["no-such-command"], 2, "stderr", "No such command"),
    ],
    ids=["ok", "config-error", "usage-error"],
)
def test_the_console_script_exits_with_the_status_and_all_the_output(
    args: list[str], status: int, stream: str, text: str, tmp_path: Path
) -> None:
    """``main`` ends the process without the interpreter's teardown: the status and the
    output must still arrive whole, and nothing may follow them."""
    done = subprocess.run(
        [console_script(), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == status
    assert text in getattr(done, stream)
    assert_quiet(done.stdout + done.stderr)


PASSWORD = "pw-4711-hunter2"
CREDENTIALS_IN_URLS = [
    (
        "check",
        {"base_url": f"https:/user:{PASSWORD}@api.example.com/"},
        [],
        "error: client.base_url: base_url must start with http:// or https://, got "
        "'https:/user:***@api.example.com/'",
    ),
    (
        "check",
        {
            "base_url": "https://api.example.com/",
            "auth_origins": [f"https://user:{PASSWORD}@uploads.example.com/files"],
        },
        [],
        "error: client.auth_origins: an auth origin is scheme://host[:port], e.g. "
        "https://uploads.example.com, got 'https://user:***@uploads.example.com/files'",
    ),
    (
        "check",
        {"base_url": f"htps://api.example.com/v1?api_key={PASSWORD}&page=1"},
        [],
        "error: client.base_url: base_url must start with http:// or https://, got "
        "'htps://api.example.com/v1?api_key=***&page=1'",
    ),
    (
        "run",
        {"base_url": "https://api.example.com/"},
        ["--base-url", f"https://user:{PASSWORD}@api.example.com:badport/"],
        "error: client.base_url: base_url 'https://api.example.com:badport/' cannot be "
        "requested: its port 'badport' is not a number from 0 to 65535",
    ),
    (
        "run",
        {"base_url": "https://api.example.com/"},
        ["--base-url", f"https:/user:{PASSWORD}@api.example.com:badport/"],
        "error: client.base_url: base_url must start with http:// or https://, got "
        "'https:/user:***@api.example.com:badport/'",
    ),
]


@pytest.mark.parametrize(
    ("command", "client", "options", "expected"),
    CREDENTIALS_IN_URLS,
    ids=["one_slash", "auth_origin", "query_token", "bad_port_option", "one_slash_option"],
)
def test_a_config_error_never_quotes_a_password_in_a_url(
    invoke: Invoke,
    tmp_path: Path,
    command: str,
    client: dict[str, object],
    options: list[str],
    expected: str,
) -> None:
    config = {"client": client, "resources": [{"name": "items", "endpoint": "items"}]}
    (tmp_path / "api.json").write_text(json.dumps(config), encoding="utf-8")

    result = invoke(command, "api.json", *options)

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(expected), result.stderr
    assert PASSWORD not in result.output
