"""HTTP: everything between the engine and the network.

``HttpClient`` sends requests with auth, retries, backoff, rate limits, global and per-host
concurrency caps and per-host pauses; ``build_auth`` turns auth configs into ``httpx.Auth``;
``redact_url``/``secret_values`` keep secrets out of every message; ``AdaptiveWindow`` is the
AIMD window the engine uses for pages in flight per resource.
"""

from __future__ import annotations

from ._actions import ResponseIgnored, response_reactor
from ._auth import (
    ApiKeyFlow,
    BasicFlow,
    BearerFlow,
    OAuth2ClientCredentialsFlow,
    build_auth,
    describe_auth,
)
from ._client import HttpClient, HttpEvent, HttpStats, RequestSpec
from ._ratelimit import RateBudget, rate_budget, rate_limit_reset
from ._redact import (
    MASK,
    RedactedError,
    is_sensitive_name,
    redact_error,
    redact_text,
    redact_url,
    redacted_logs,
    secret_values,
)
from ._retry import backoff, retry_after
from ._window import AdaptiveWindow

__all__ = [
    "MASK",
    "AdaptiveWindow",
    "ApiKeyFlow",
    "BasicFlow",
    "BearerFlow",
    "HttpClient",
    "HttpEvent",
    "HttpStats",
    "OAuth2ClientCredentialsFlow",
    "RateBudget",
    "RedactedError",
    "RequestSpec",
    "ResponseIgnored",
    "backoff",
    "build_auth",
    "describe_auth",
    "is_sensitive_name",
    "rate_budget",
    "rate_limit_reset",
    "redact_error",
    "redact_text",
    "redact_url",
    "redacted_logs",
    "response_reactor",
    "retry_after",
    "secret_values",
]
