"""The emulator's knobs (``EmulatorOptions``) and what it counted (``EmulatorStats``).

Options are a frozen dataclass so a test states its whole fake API in one expression; the
``Emulator`` validates them against the config (resource names in the per-resource mappings)
because only it knows the config. ``options_for`` is the one place that builds them for a
config by name: a built-in connector's own emulator settings, with a caller's on top.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from restsync import connectors
from restsync._exceptions import ConfigError

from ._ratelimit import RATE_HEADERS, RATE_WINDOWS, RateHeaders, RateWindow

BrokenMode = Literal["html", "not_json", "renamed_key", "401", "non_object", "clamped"]
BROKEN_MODES: tuple[str, ...] = (
    "html",
    "not_json",
    "renamed_key",
    "401",
    "non_object",
    "clamped",
)
PageBeforeFirst = Literal["alias", "empty", "error"]
RecordShape = Literal["flat", "realistic"]
RECORD_SHAPES: tuple[str, ...] = ("flat", "realistic")


@dataclass(frozen=True)
class EmulatorOptions:
    """How the fake API behaves. Every random choice comes from ``seed``, so a sequential
    client sees the same faults and data on every run.

    ``records`` is the record count per resource (an int for all, or a mapping by resource
    name; names missing from the mapping get 250). A child resource (one with a ``resolve``
    param) ignores it: it has 0-3 records per parent value.

    ``generation`` > 0 simulates the API some time later: every record whose primary key is a
    multiple of 10 gets a new name-like value and a later ``updated_at``, and
    ``generation * max(1, records // 50)`` new records follow the old ones.

    Retry-After values: faults send ``retry_after`` as given (``"0"``, ``"2"``, or a fraction
    such as ``"0.5"``); the rate limiter sends whole seconds, at least 1, as RFC 9110 asks.

    ``rate_limit`` (requests per second) is a token bucket, or with ``rate_window`` ``fixed``
    or ``sliding`` a window of ``rate_period`` seconds announced in ``rate_headers`` on every
    answer (see ``_ratelimit``); a window needs a ``rate_limit``.

    ``broken`` misbehaves per resource name: ``html`` / ``not_json`` bodies, ``renamed_key``
    (the record list under another key), ``401``, ``non_object`` (every page after the first
    ends with ``"oops", null``), ``clamped`` (pages past the end repeat the last page).

    ``shape`` is what the records look like: ``flat`` (the default) gives each record exactly
    the fields its column hints describe; ``realistic`` adds what real APIs send beyond them:
    lists of scalars and of objects, nested objects, mixed-type custom fields, late fields,
    mostly-null fields, unicode keys and keys that collide after dlt's name normalisation
    (the list is in ``restsync.emulator._realistic``). ``huge_integers`` makes a few realistic
    records carry an integer beyond 64 bits (which dlt 1.31 itself cannot extract).

    ``cache_bytes`` bounds a cache of serialised record slices, so a page asked for again
    (a retry, a second sync) costs no generation; 0 turns it off.
    """

    records: int | Mapping[str, int] = 250
    page_size: int = 50
    latency: float = 0.0
    latency_jitter: float = 0.0
    fault_rate: float = 0.0
    fault_statuses: tuple[int, ...] = (429, 500, 502, 503, 504)
    fail_first: int = 0
    fail_status: int = 503
    retry_after: float | None = 0.0
    rate_limit: float | None = None
    rate_window: RateWindow = "bucket"
    rate_period: float = 1.0
    rate_headers: RateHeaders = "epoch"
    generation: int = 0
    seed: int = 0
    first_page: int = 1
    page_before_first: PageBeforeFirst = "empty"
    include_total: bool = False
    broken: Mapping[str, BrokenMode] = field(default_factory=dict)
    envelopes: Mapping[str, str] = field(default_factory=dict)
    cache_bytes: int = 32 * 1024 * 1024
    #: seconds an OAuth2 token the emulator hands out stays valid (its ``expires_in``)
    token_lifetime: float = 3600.0
    #: a child resource has no records for every n-th integer parent id and answers 404
    missing_children_every: int = 0
    shape: RecordShape = "flat"
    huge_integers: bool = False

    def __post_init__(self) -> None:
        counts = self.records.values() if isinstance(self.records, Mapping) else [self.records]
        if any(not isinstance(n, int) or n < 0 for n in counts):
            _bad("records", self.records, "a record count >= 0, or a mapping name -> count")
        checks: list[tuple[str, object, bool, str]] = [
            ("page_size", self.page_size, self.page_size >= 1, "an integer >= 1"),
            ("latency", self.latency, self.latency >= 0, "seconds >= 0"),
            ("latency_jitter", self.latency_jitter, self.latency_jitter >= 0, "seconds >= 0"),
            ("fault_rate", self.fault_rate, 0.0 <= self.fault_rate <= 1.0, "between 0 and 1"),
            ("fail_first", self.fail_first, self.fail_first >= 0, "an integer >= 0"),
            ("fail_status", self.fail_status, 400 <= self.fail_status <= 599, "400-599"),
            ("generation", self.generation, self.generation >= 0, "an integer >= 0"),
            ("first_page", self.first_page, self.first_page >= 0, "an integer >= 0"),
            ("cache_bytes", self.cache_bytes, self.cache_bytes >= 0, "bytes >= 0"),
            ("token_lifetime", self.token_lifetime, self.token_lifetime >= 0, "seconds >= 0"),
            (
                "missing_children_every",
                self.missing_children_every,
                self.missing_children_every >= 0,
                "an integer >= 0 (0: every parent has children)",
            ),
            (
                "fault_statuses",
                self.fault_statuses,
                bool(self.fault_statuses) and all(400 <= s <= 599 for s in self.fault_statuses),
                "a non-empty tuple of HTTP error codes 400-599",
            ),
            (
                "retry_after",
                self.retry_after,
                self.retry_after is None or self.retry_after >= 0,
                "seconds >= 0, or None for no header",
            ),
            (
                "rate_limit",
                self.rate_limit,
                self.rate_limit is None or (self.rate_limit > 0 and math.isfinite(self.rate_limit)),
                "requests per second > 0, or None for no limit",
            ),
            (
                "shape",
                self.shape,
                self.shape in RECORD_SHAPES,
                f"one of {', '.join(repr(s) for s in RECORD_SHAPES)}",
            ),
            (
                "rate_window",
                self.rate_window,
                self.rate_window in RATE_WINDOWS,
                f"one of {', '.join(map(repr, RATE_WINDOWS))}",
            ),
            (
                "rate_period",
                self.rate_period,
                self.rate_period > 0 and math.isfinite(self.rate_period),
                "seconds > 0",
            ),
            (
                "rate_headers",
                self.rate_headers,
                self.rate_headers in RATE_HEADERS,
                f"one of {', '.join(map(repr, RATE_HEADERS))}",
            ),
            (
                "page_before_first",
                self.page_before_first,
                self.page_before_first in ("alias", "empty", "error"),
                "one of 'alias', 'empty', 'error'",
            ),
        ]
        for name, value, ok, allowed in checks:
            if not ok:
                _bad(name, value, allowed)
        if self.rate_window != "bucket" and self.rate_limit is None:
            raise ConfigError(
                f"a {self.rate_window} window needs rate_limit (requests per second)",
                location="emulator.rate_window",
            )
        for name, mode in self.broken.items():
            if mode not in BROKEN_MODES:
                raise ConfigError(
                    f"unknown broken mode {mode!r}; allowed: {', '.join(BROKEN_MODES)}",
                    location=f"emulator.broken.{name}",
                )

    def count_for(self, resource: str) -> int:
        """The generation-0 record count of a top-level resource."""
        if isinstance(self.records, Mapping):
            return self.records.get(resource, 250)
        return self.records


def options_for(name: str, **overrides: Any) -> EmulatorOptions:
    """The options to emulate the config ``name`` with: the built-in connector's ``emulator``
    settings (none for any other name, such as a file's), with ``overrides`` on top (those
    that are None are left out: a command-line option not given)."""
    settings = dict(connectors.get(name).emulator) if name in connectors.names() else {}
    settings.update({key: value for key, value in overrides.items() if value is not None})
    return EmulatorOptions(**settings)


def _bad(name: str, value: object, allowed: str) -> None:
    raise ConfigError(f"got {value!r}, expected {allowed}", location=f"emulator.{name}")


@dataclass
class EmulatorStats:
    """What the emulator saw since it started (or since ``reset()``). ``throttled`` counts
    every 429 sent, whether from the rate limiter or an injected fault; ``faults`` counts
    injected failures (``fault_rate`` and ``fail_first``); ``max_in_flight`` is the most
    requests being handled at the same moment, latency included."""

    requests: int = 0
    responses_by_status: dict[int, int] = field(default_factory=dict)
    throttled: int = 0
    faults: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    requests_by_path: dict[str, int] = field(default_factory=dict)

    def reset(self) -> None:
        """Start counting from zero (requests still in flight stay counted as in flight)."""
        self.requests = 0
        self.responses_by_status = {}
        self.throttled = 0
        self.faults = 0
        self.max_in_flight = self.in_flight
        self.requests_by_path = {}
