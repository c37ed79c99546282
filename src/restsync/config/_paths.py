"""Locations in a config, in the user's terms: ``resources[1].endpoint.paginator.limit``.

A location is kept as a tuple of keys and list indices (``Path``) while code works on it and is
turned into text only when it reaches a message. ``did_you_mean`` lives here too because every
"unknown name" message in the config package pairs a location with a suggestion.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

Path = tuple[str | int, ...]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LOCATION = re.compile(r"(?:[A-Za-z_]\w*|\[\d+\])(?:\.[A-Za-z_]\w*|\[\d+\])*")

# Values under these keys are credentials: they are masked wherever a value is shown.
_SECRET_KEY_PARTS = ("token", "secret", "password", "api_key", "apikey", "authorization")


def format_location(path: Path) -> str:
    """``("resources", 1, "endpoint")`` -> ``resources[1].endpoint``; odd keys are quoted."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text


def parse_location(text: str) -> Path | None:
    """The inverse of ``format_location`` for plain locations; ``None`` if ``text`` is not one."""
    if not _LOCATION.fullmatch(text):
        return None
    path: list[str | int] = []
    for name, index in re.findall(r"([A-Za-z_]\w*)|\[(\d+)\]", text):
        path.append(int(index) if index else name)
    return tuple(path)


def is_secret_key(key: str | int) -> bool:
    """Whether a value stored under ``key`` must never be shown (an ``..._url`` such as
    ``access_token_url`` names where a credential is fetched, not the credential)."""
    if not isinstance(key, str) or key.lower().endswith("_url"):
        return False
    return any(part in key.lower() for part in _SECRET_KEY_PARTS)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The choice closest to a misspelt ``word`` (case-insensitive), or ``None``."""
    by_lower = {choice.lower(): choice for choice in choices}
    matches = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[matches[0]] if matches else None


def suggest(word: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for a close match, else an empty string."""
    match = did_you_mean(word, choices)
    return f" (did you mean {match!r}?)" if match is not None and match != word else ""
