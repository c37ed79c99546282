"""Response actions (dlt's ``response_actions``): what an endpoint does with a response before
restsync judges its status.

Each action is checked against every answer, retried attempts included, in config order, as
dlt runs them as requests hooks: a dict matches by ``status_code`` and/or a ``content``
substring of the body; ``"ignore"`` ends the request sequence with nothing from this response
(``ResponseIgnored``); callables get a ``requests.Response`` (see ``restsync._requests``) and
may change it in place. What is left is judged as any response: 2xx is a page, the rest is
retried or fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from restsync._requests import httpx_response, requests_response
from restsync.config import ResponseAction, ResponseActionConfig

__all__ = ["ResponseIgnored", "response_reactor"]

Reactor = Callable[[httpx.Response], httpx.Response]


class ResponseIgnored(Exception):
    """A response action said to ignore the response: its request sequence ends, and the
    response yields no records (dlt's ``IgnoreResponseException``)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"response with HTTP {status} ignored by a response action")
        self.status = status


def response_reactor(actions: tuple[ResponseActionConfig, ...]) -> Reactor | None:
    """The function that applies ``actions`` to a response, or ``None`` when there are none."""
    if not actions:
        return None
    calls_code = any(
        not isinstance(action, ResponseAction) or action.action != "ignore" for action in actions
    )

    def react(response: httpx.Response) -> httpx.Response:
        if not calls_code:
            # matching alone needs no requests view of the response
            for action in actions:
                assert isinstance(action, ResponseAction)
                if _matches(action, response.status_code, response.text):
                    raise ResponseIgnored(response.status_code)
            return response
        view = requests_response(
            status=response.status_code,
            headers=response.headers,
            content=response.content,
            url=str(response.url),
            method=response.request.method,
        )
        for action in actions:
            for hook in _hooks(action, view):
                hook(view)
        return httpx_response(view, response)

    return react


def _hooks(action: ResponseActionConfig, view: Any) -> list[Callable[..., Any]]:
    """The callables ``action`` runs on ``view``; raises ``ResponseIgnored`` for a matching
    ``ignore``. A callable beside a condition runs only when the condition matches."""
    if not isinstance(action, ResponseAction):
        return [action]
    unconditional = action.status_code is None and action.content is None
    if not unconditional and not _matches(action, view.status_code, view.text):
        return []
    if action.action == "ignore":
        raise ResponseIgnored(view.status_code)
    return list(action.action) if isinstance(action.action, tuple) else [action.action]


def _matches(action: ResponseAction, status: int, text: str) -> bool:
    if action.status_code is not None and status != action.status_code:
        return False
    return action.content is None or action.content in text
