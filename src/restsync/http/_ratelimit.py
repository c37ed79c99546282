"""Rate-limit headers: what an answer says about the API's request budget.

Read in every dialect seen in the wild, first match wins:

* IETF draft, one header: ``RateLimit: limit=100, remaining=50, reset=5`` (drafts 6-7) or
  ``RateLimit: "default";r=50;t=5`` (draft 8 on), with ``RateLimit-Policy: 100;w=60`` or
  ``"default";q=100;w=60`` giving the window;
* IETF drafts 1-5: ``RateLimit-Limit`` / ``RateLimit-Remaining`` / ``RateLimit-Reset``;
* GitHub and most others: ``X-RateLimit-Limit`` / ``X-RateLimit-Remaining`` /
  ``X-RateLimit-Reset``, the reset in seconds or as a Unix time (seconds or milliseconds).

A limit may carry its own policy (``RateLimit-Limit: 10, 10;w=1, 1000;w=3600``); with several
policies the one allowing the fewest requests per second is kept. Values that are not finite
numbers >= 0 count as absent.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import httpx

__all__ = ["RateBudget", "rate_budget", "rate_limit_reset"]

# Above this a reset value is a Unix time, not a number of seconds (GitHub sends epochs).
_EPOCH_THRESHOLD = 1_000_000_000
_EPOCH_MS_THRESHOLD = 1_000_000_000_000


@dataclass(frozen=True)
class RateBudget:
    """An answer's word on the budget: ``limit`` requests per window, ``remaining`` in the
    current one, ``reset`` seconds until it refills, ``window`` its length in seconds when a
    policy says it. Any of them may be unknown."""

    limit: float | None = None
    remaining: float | None = None
    reset: float | None = None
    window: float | None = None


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip().strip('"'))
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _seconds_from_now(value: float | None) -> float | None:
    if value is None:
        return None
    if value >= _EPOCH_MS_THRESHOLD:
        value /= 1000.0
    if value >= _EPOCH_THRESHOLD:
        value -= time.time()
    return max(value, 0.0)


def _members(value: str) -> list[tuple[str, dict[str, str]]]:
    """A structured-field list: each member's bare item and its ``;key=value`` parameters
    (a member that is itself ``key=value`` gives an empty item and that one parameter)."""
    out: list[tuple[str, dict[str, str]]] = []
    for member in value.split(","):
        item, *params = member.split(";")
        found = dict(p.strip().partition("=")[::2] for p in params if "=" in p)
        if "=" in item:
            key, _, raw = item.strip().partition("=")
            found[key.strip()] = raw
            item = ""
        out.append((item.strip(), {k.strip().lower(): v.strip() for k, v in found.items()}))
    return out


def _policy(value: str | None) -> tuple[float, float] | None:
    """The most restrictive ``(quota, window)`` of a policy list such as ``10;w=1,
    1000;w=3600`` or ``"default";q=100;w=60``."""
    if value is None:
        return None
    best: tuple[float, float] | None = None
    for item, params in _members(value):
        quota = _number(params.get("q", item))
        window = _number(params.get("w"))
        if quota is None or not window:
            continue
        if best is None or quota / window < best[0] / best[1]:
            best = (quota, window)
    return best


def rate_budget(response: httpx.Response) -> RateBudget | None:
    """What ``response``'s rate-limit headers say, or None when it has none."""
    headers = response.headers
    policy = _policy(headers.get("RateLimit-Policy") or headers.get("X-RateLimit-Policy"))
    combined = headers.get("RateLimit")
    if combined is not None:
        members = _members(combined)
        fields = {k: v for _, params in members for k, v in params.items()}
        if any(item for item, _ in members):  # draft 8 on: the first policy's item
            fields = members[0][1]
        limit = _number(fields.get("limit"))
        remaining = _number(fields.get("remaining", fields.get("r")))
        reset = _number(fields.get("reset", fields.get("t")))
    else:
        limit_header = headers.get("RateLimit-Limit") or headers.get("X-RateLimit-Limit")
        limit = _number(limit_header.split(",")[0]) if limit_header else None
        policy = policy or _policy(limit_header)
        remaining = _number(
            headers.get("RateLimit-Remaining") or headers.get("X-RateLimit-Remaining")
        )
        reset = _number(headers.get("RateLimit-Reset") or headers.get("X-RateLimit-Reset"))
    if policy is not None and limit is None:
        limit = policy[0]
    budget = RateBudget(
        limit=limit,
        remaining=remaining,
        reset=_seconds_from_now(reset),
        window=policy[1] if policy is not None else None,
    )
    return None if budget == RateBudget() else budget


def rate_limit_reset(response: httpx.Response) -> float | None:
    """Seconds until the rate-limit budget refills when the response says it is used up
    (remaining 0 and a reset given), else None."""
    budget = rate_budget(response)
    if budget is None or budget.remaining is None or budget.remaining > 0:
        return None
    return budget.reset
