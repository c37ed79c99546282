"""A live paginator object (dlt's ``BasePaginator`` contract) run as a restsync paginator.

A user's subclass of dlt's ``BasePaginator`` decides the next request by mutating a
``requests.Request`` (``init_request``, ``update_request``) after reading a
``requests.Response`` and the page's records (``update_state``), and says when to stop through
``has_next_page``. ``LivePaginator`` drives it exactly in dlt's order, on real requests objects
(``restsync._requests``), and describes each request it leaves as a whole ``PageRequest``.
Its next request depends on the last response and on whatever the object keeps, so its pages
are fetched one after another; each request sequence gets its own copy of the object, as dlt
copies the client's paginator for every ``paginate`` call.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from restsync._requests import requests_response, wire_request
from restsync._urls import url_problem

from ._base import Page, PageRequest, Paginator, UnusableLink


@dataclass(frozen=True)
class FirstRequest:
    """The first request of a sequence as the endpoint describes it: what a live paginator's
    ``init_request`` gets to change."""

    method: str
    url: str
    params: Mapping[str, Any] = field(default_factory=dict)
    json: Any = None
    data: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


class LivePaginator(Paginator):
    """Runs ``instance`` (an object with dlt's paginator methods) for one request sequence."""

    name = "custom"
    wants_records = True

    def __init__(self, instance: Any, first: FirstRequest) -> None:
        try:
            self._paginator = copy.deepcopy(instance)
        except Exception:  # an object that cannot be copied (a lock, a client) is used as is
            self._paginator = instance
        self._request = requests.Request(
            method=first.method,
            url=first.url,
            headers=dict(first.headers),
            params=dict(first.params),
            json=copy.deepcopy(first.json),
            data=copy.deepcopy(first.data),
        )

    def first(self) -> PageRequest:
        self._paginator.init_request(self._request)
        return self._describe(0)

    def next(self, page: Page) -> PageRequest | None:
        response = requests_response(
            status=page.status,
            headers=page.headers,
            content=page.content,
            url=page.url,
            method=self._request.method or "GET",
        )
        self._paginator.update_state(response, list(page.records))
        self._paginator.update_request(self._request)
        if not self._paginator.has_next_page:
            return None
        try:
            request = self._describe(page.request.index + 1)
        except Exception as exc:  # requests cannot prepare what the paginator left
            problem = url_problem(str(self._request.url)) or (
                f"requests cannot prepare the request ({type(exc).__name__})"
            )
            raise self._unusable(self._request.url, problem, page) from exc
        invalid = url_problem(str(request.url))
        if invalid is not None:
            raise self._unusable(request.url, invalid, page)
        return request

    def _unusable(self, url: object, problem: str, page: Page) -> UnusableLink:
        name = type(self._paginator).__name__
        return UnusableLink(
            url,
            page,
            source=f"paginator {name}'s update_request",
            problem=problem,
            hint=f"check the URL {name}.update_request sets from the response (request.url)",
        )

    def _describe(self, index: int) -> PageRequest:
        wire = wire_request(self._request)
        return PageRequest(
            index=index,
            url=wire.url,
            method=wire.method,
            headers=wire.headers,
            content=wire.content,
        )
