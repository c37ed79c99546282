"""How commands name a config (a built-in connector or a file), and configs read without real
secrets: to serve from the emulator or to check, every ``{secret: NAME}`` reference is answered
(with a made-up value, or a marker) and the names asked for are kept, to print them or to say
which are not set."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Annotated

import typer

from restsync import connectors
from restsync.config import SourceConfig, load_config

ConfigArg = Annotated[
    str, typer.Argument(help="A built-in connector name (see `restsync connectors`) or a file.")
]


class SecretAnswers(Mapping[str, str]):
    """Answers every ``{"secret": NAME}`` reference of a config with ``value(NAME)`` and
    remembers the names asked for (to report them, or to print made-up ones)."""

    def __init__(self, value: Callable[[str], str]) -> None:
        self._value = value
        self.asked: dict[str, str] = {}

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __getitem__(self, key: str) -> str:
        if key not in self.asked:
            self.asked[key] = self._value(key)
        return self.asked[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.asked)

    def __len__(self) -> int:
        return len(self.asked)


def _demo_value(name: str) -> str:
    return f"demo-{name}"


def demo_secrets(name: str) -> dict[str, str]:
    """Made-up secret values for running built-in connector ``name`` against its emulator."""
    return {key: _demo_value(key) for key in connectors.get(name).secrets}


def emulated_config(name: str) -> tuple[SourceConfig, dict[str, str]]:
    """The config to emulate and the made-up secrets it uses: every secret reference (of a
    built-in connector or a file) is answered with a demo value, never a real secret."""
    answers = SecretAnswers(_demo_value)
    return load_config(name, secrets=answers), dict(answers.asked)
