"""The errors ``HttpClient`` gives up with: each names the resource, the redacted URL, the
answer (status and a masked excerpt of the body) and what to do."""

from __future__ import annotations

import re

import httpx

from restsync._exceptions import FatalAPIError, RetriableAPIError
from restsync._urls import shorten

from ._redact import redact_text, redact_url
from ._retry import transport_error_kind

__all__ = [
    "UnusableRedirect",
    "bad_redirect",
    "exhausted",
    "fatal",
    "refused_origin",
    "unbuildable",
    "unreachable",
    "unsendable",
    "wait_too_long",
]

_EXCERPT = 200


def _excerpt(response: httpx.Response, secrets: list[str]) -> str:
    text = response.content[: _EXCERPT * 4].decode("utf-8", errors="replace")
    text = redact_text(re.sub(r"\s+", " ", text).strip(), secrets)
    if len(text) > _EXCERPT:
        text = text[: _EXCERPT - 3] + "..."
    return text or "(empty body)"


def _answer(response: httpx.Response) -> str:
    return f"{response.status_code} {response.reason_phrase}".strip()


def unsendable(exc: Exception, resource: str, url: str, secrets: list[str]) -> FatalAPIError:
    detail = redact_text(str(exc), secrets)
    hint = "check client.base_url and the endpoint path"
    if "proxy" in detail:
        hint = "point HTTP(S)_PROXY/ALL_PROXY at an http proxy, or list the host in NO_PROXY"
    return FatalAPIError(
        f"the request could not be sent: {detail} ({type(exc).__name__})",
        resource=resource,
        url=url,
        hint=hint,
    )


def unbuildable(exc: Exception, resource: str, url: str, secrets: list[str]) -> FatalAPIError:
    """The error for a request that cannot even be built: a URL httpx refuses (filled from a
    parent record, say), a header value HTTP cannot carry."""
    detail = shorten(redact_text(str(exc), secrets))
    return FatalAPIError(
        f"the request could not be built: {detail}",
        resource=resource,
        url=url,
        hint="check client.base_url, the endpoint's path, params and headers, and the parent "
        "fields that fill their {placeholders}",
    )


class UnusableRedirect(Exception):
    """An answer redirects to something that cannot be requested: ``location`` as the API
    sent it (unredacted), ``problem`` why, ``status`` the redirect's."""

    def __init__(self, location: str, problem: str, status: int) -> None:
        super().__init__(problem)
        self.location = location
        self.problem = problem
        self.status = status


def bad_redirect(
    redirect: UnusableRedirect, resource: str, url: str, secrets: list[str]
) -> FatalAPIError:
    """The error for a redirect to something that cannot be requested."""
    shown = shorten(redact_url(redirect.location, secrets))
    return FatalAPIError(
        f"the API redirected (HTTP {redirect.status}) to {shown!r}, which cannot be "
        f"requested: {redirect.problem}",
        resource=resource,
        url=url,
        hint="the API sent a broken Location header; check the endpoint's path against the "
        "API's documentation, or ask the API's owner",
    )


def exhausted(
    response: httpx.Response, retries: int, resource: str, url: str, secrets: list[str]
) -> RetriableAPIError:
    return RetriableAPIError(
        f"gave up after {retries} retries: last answer {_answer(response)}, "
        f"body: {_excerpt(response, secrets)}",
        resource=resource,
        url=url,
        status=response.status_code,
        hint="the API is overloaded or down; try again later, or raise "
        "client.retry.max_retries / lower client.limits",
    )


def wait_too_long(
    response: httpx.Response, asked: float, max_backoff: float, resource: str, url: str
) -> RetriableAPIError:
    return RetriableAPIError(
        f"the API asked to wait {asked:.0f} s before retrying, longer than "
        f"client.retry.max_backoff ({max_backoff:g} s); last answer {_answer(response)}",
        resource=resource,
        url=url,
        status=response.status_code,
        hint="run again later, or raise client.retry.max_backoff to wait it out; "
        "lowering client.limits.requests_per_second avoids hitting the limit",
    )


def unreachable(
    exc: Exception, retries: int, resource: str, url: str, secrets: list[str]
) -> RetriableAPIError:
    detail = redact_text(str(exc), secrets)
    hint = (
        "check that the API host is reachable from here (base_url, DNS, firewall, proxy); "
        "for timeouts raise client.timeout"
    )
    if "certificate verify failed" in detail.lower():
        hint = (
            "the server's TLS certificate is not trusted here: if a private CA or an "
            "inspecting proxy signs it, point SSL_CERT_FILE at that CA's certificate"
        )
    return RetriableAPIError(
        f"gave up after {retries} retries: last error: {transport_error_kind(exc)}"
        + (f": {detail}" if detail else ""),
        resource=resource,
        url=url,
        hint=hint,
    )


def fatal(
    response: httpx.Response,
    resource: str,
    url: str,
    secrets: list[str],
    *,
    auth_hint: str,
    withheld_from: str | None = None,
) -> FatalAPIError:
    """The error for an answer that retrying cannot fix. ``auth_hint`` is what to check about
    the credentials on a 401/403; ``withheld_from`` names the allowed origins when the request
    went without credentials because its origin is not one of them."""
    status = response.status_code
    body = _excerpt(response, secrets)
    if status in (401, 403):
        if withheld_from is not None:
            return FatalAPIError(
                f"the API wants credentials: {_answer(response)}, body: {body}; restsync sent "
                f"none, since this URL is outside the origins credentials go to "
                f"({withheld_from})",
                resource=resource,
                url=url,
                status=status,
                hint="if the API's credentials belong there, add its origin to client.auth_origins",
            )
        verb = "rejected the credentials" if status == 401 else "refused access"
        return FatalAPIError(
            f"the API {verb}: {_answer(response)}, body: {body}",
            resource=resource,
            url=url,
            status=status,
            hint=auth_hint,
        )
    if status == 404:
        return FatalAPIError(
            f"not found: {_answer(response)}, body: {body}",
            resource=resource,
            url=url,
            status=status,
            hint="check client.base_url and the endpoint path (and any {placeholders} in "
            "it) against the API's documentation",
        )
    if 400 <= status < 500:
        hint = "check the endpoint's params, json body and headers against the API docs"
    else:
        hint = "the API failed; add this status to client.retry.statuses if it is temporary"
    return FatalAPIError(
        f"the API rejected the request: {_answer(response)}, body: {body}",
        resource=resource,
        url=url,
        status=status,
        hint=hint,
    )


def refused_origin(origin: str, allowed: str, resource: str, url: str) -> FatalAPIError:
    """The error for a next-page link or redirect to an origin credentials do not go to, when
    ``client.foreign_origins`` is ``refuse``."""
    return FatalAPIError(
        f"the API points at {origin}, outside the origins credentials go to ({allowed}), "
        "and client.foreign_origins is 'refuse'",
        resource=resource,
        url=url,
        hint="add the origin to client.auth_origins to send credentials there, or set "
        "client.foreign_origins: without_auth to follow it without them",
    )
