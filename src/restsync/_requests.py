"""requests-shaped views of restsync's httpx requests and responses, for user code written
against dlt's requests-based client.

dlt hands response actions a ``requests.Response`` (they may read ``.json()``, ``.text``,
``.status_code`` and change ``._content``, ``.encoding``, ``.status_code``, ``.headers``) and
drives paginators with a ``requests.Request`` they mutate and a ``requests.Response`` they read.
Real requests objects are built here, so such code behaves as under dlt, and what it changed is
read back into the values restsync sends or parses. Nothing here touches the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import requests
from requests.structures import CaseInsensitiveDict

__all__ = ["WireRequest", "httpx_response", "requests_response", "wire_request"]


def requests_response(
    *,
    status: int,
    headers: Mapping[str, str],
    content: bytes,
    url: str,
    method: str = "GET",
) -> requests.Response:
    """A ``requests.Response`` holding what an httpx response (or a page) held."""
    response = requests.Response()
    response.status_code = status
    response.headers = CaseInsensitiveDict(dict(headers.items()))
    response._content = content
    response.url = url
    response.reason = httpx.codes.get_reason_phrase(status)
    response.encoding = requests.utils.get_encoding_from_headers(response.headers)
    response.request = requests.Request(method, url).prepare()
    return response


def httpx_response(view: requests.Response, original: httpx.Response) -> httpx.Response:
    """``original`` as user code left its ``requests.Response`` view: status, headers and
    body read back (a body decoded with an encoding the code set is re-encoded as UTF-8, the
    encoding restsync parses JSON in)."""
    content = view.content or b""
    encoding = (view.encoding or "").lower().replace("_", "-")
    if encoding and encoding not in ("utf-8", "utf8", "ascii", "us-ascii"):
        content = view.text.encode("utf-8")
    headers = {
        name: value
        for name, value in view.headers.items()
        if name.lower() not in ("content-length", "content-encoding", "transfer-encoding")
    }
    return httpx.Response(
        view.status_code,
        headers=headers,
        content=content,
        request=original.request,
    )


@dataclass(frozen=True)
class WireRequest:
    """A ``requests.Request`` as it would go on the wire: requests' own encoding of its params
    (into ``url``), its JSON or form body (``content``, typed by ``headers``)."""

    method: str
    url: str
    headers: Mapping[str, str]
    content: bytes | None


def wire_request(request: requests.Request) -> WireRequest:
    """What requests would send for ``request`` (without auth, cookies or hooks)."""
    bare = requests.Request(
        method=request.method,
        url=request.url,
        headers=dict(request.headers or {}),
        params=request.params,
        json=request.json,
        data=request.data,
    )
    prepared = bare.prepare()
    body: Any = prepared.body
    content = body.encode("utf-8") if isinstance(body, str) else body
    headers = {
        str(name): str(value)
        for name, value in prepared.headers.items()
        if name.lower() != "content-length"
    }
    return WireRequest(str(prepared.method), str(prepared.url), headers, content)
