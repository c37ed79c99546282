"""Rate-limit headers in every dialect: what the budget is, and when it is used up."""

from __future__ import annotations

import time

import httpx
import pytest

from restsync.http import RateBudget, rate_budget, rate_limit_reset


def _response(headers: dict[str, str]) -> httpx.Response:
    return httpx.Response(200, headers=headers)


NOW = "{now+30}"

CASES: list[tuple[str, dict[str, str], RateBudget | None]] = [
    ("none", {}, None),
    (
        "github-epoch",
        {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4999", "X-RateLimit-Reset": NOW},
        RateBudget(limit=5000, remaining=4999, reset=30),
    ),
    (
        "seconds",
        {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "7", "X-RateLimit-Reset": "12"},
        RateBudget(limit=100, remaining=7, reset=12),
    ),
    (
        "ietf-draft-7",
        {"RateLimit": "limit=100, remaining=50, reset=5", "RateLimit-Policy": "100;w=60"},
        RateBudget(limit=100, remaining=50, reset=5, window=60),
    ),
    (
        "ietf-draft-8",
        {"RateLimit": '"default";r=50;t=5', "RateLimit-Policy": '"default";q=100;w=60'},
        RateBudget(limit=100, remaining=50, reset=5, window=60),
    ),
    (
        "ietf-separate-with-policies",
        {
            "RateLimit-Limit": "10, 10;w=1, 1000;w=3600",
            "RateLimit-Remaining": "9",
            "RateLimit-Reset": "1",
        },
        RateBudget(limit=10, remaining=9, reset=1, window=3600),
    ),
    (
        "garbage",
        {"X-RateLimit-Limit": "lots", "X-RateLimit-Remaining": "nan", "X-RateLimit-Reset": "-1"},
        None,
    ),
]


@pytest.mark.parametrize(("headers", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rate_budget_reads_every_dialect(
    headers: dict[str, str], expected: RateBudget | None
) -> None:
    values = {k: v.replace(NOW, str(int(time.time()) + 30)) for k, v in headers.items()}
    budget = rate_budget(_response(values))
    if expected is None:
        assert budget is None
        return
    assert budget is not None
    assert (budget.limit, budget.remaining, budget.window) == (
        expected.limit,
        expected.remaining,
        expected.window,
    )
    assert budget.reset == pytest.approx(expected.reset, abs=1.01)


def test_the_most_restrictive_policy_is_kept() -> None:
    # 1000 per hour is fewer per second than 10 per second
    budget = rate_budget(_response({"RateLimit-Limit": "10, 10;w=1, 1000;w=3600"}))
    assert budget == RateBudget(limit=10, window=3600)


def test_an_ietf_budget_used_up_gives_the_reset() -> None:
    response = _response({"RateLimit": "limit=100, remaining=0, reset=7"})
    assert rate_limit_reset(response) == 7
