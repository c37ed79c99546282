"""A response body -> the page's records: parsed with orjson and selected.

Whatever is not what the config promised (not JSON, no record list where the selector points,
a record that is not an object) becomes a ``ResponseError`` that names the resource, the URL
(redacted) and what the body held. It is raised while extracting, so nothing of the run is
loaded: dlt would load a non-object as a row of its own (``value``), or a list as nested rows
without a root row, and a first sync that appends would keep the pages before it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import orjson

from restsync._exceptions import ResponseError
from restsync.http import redact_text, redact_url
from restsync.paginate import Page, PageRequest
from restsync.select import SelectorNotFound, describe
from restsync.select import detect_selector as detect

from ._integers import has_long_digit_run, may_hold_wide_integers, settle_wide_integers
from ._pages import FetchedPage, identify, serialized
from ._resource import ResourceRun

#: a run of digits too long for 64 bits (inside a string too: then the body is read slower, as
#: well)
_LONG_DIGITS = re.compile(rb"[0-9]{20}")


def _loads(content: bytes, *, long_digits: bool) -> Any:
    """The JSON document of a body. orjson turns an integer beyond 64 bits into a float without
    a word (99999999999999999999999 -> 1e+23); a body that may hold one (it has
    ``long_digits``, runs of 19 or more) is read by the json module, which keeps it exact, so
    that no value is silently changed."""
    if long_digits and _LONG_DIGITS.search(content):
        return json.loads(content)
    return orjson.loads(content)


def parse_page(
    resource: ResourceRun,
    request: PageRequest,
    response: httpx.Response,
    extra: Mapping[str, Any],
    *,
    secrets: list[str],
    note: Callable[[ResourceRun, str], None],
) -> FetchedPage:
    """Body -> records, or a ``ResponseError`` that says what the response held instead. A
    resource without a selector gets the one detected on its first page (``note`` tells)."""
    url = redact_url(response.request.url, secrets)
    long_digits = has_long_digit_run(response.content)
    try:
        document = _loads(response.content, long_digits=long_digits)
    except json.JSONDecodeError:  # orjson's error is one too
        content_type = response.headers.get("content-type", "no content-type")
        excerpt = redact_text(response.text[:120].replace("\n", " "), secrets)
        raise ResponseError(
            f"the response is not JSON ({content_type}), it starts with {excerpt!r}",
            resource=resource.name,
            url=url,
            status=response.status_code,
            hint="check that base_url and the endpoint path point at the JSON API",
        ) from None
    selector = resource.selector
    if selector is None:
        try:
            selector = detect(document)
        except SelectorNotFound as exc:
            raise ResponseError(
                f"no data_selector is configured and {exc}",
                resource=resource.name,
                url=url,
                hint="set endpoint.data_selector to the path of the record list",
            ) from None
        resource.selector = selector
        note(resource, f"no data_selector configured; records found at '{selector.path}'")
    records = selector.select(document)
    if records is None and request.index > 0:
        # as dlt reads it: no records. A last page such as {"next": null} then ends the
        # sequence with the rows before it (the paginator decides that it ended); only the
        # first page proves the selector wrong
        records = []
    if records is None:
        raise ResponseError(
            f"data_selector '{selector.path}' is absent from the response, which holds "
            f"{describe(document)}",
            resource=resource.name,
            url=url,
            status=response.status_code,
            hint="the API may have changed its response; fix endpoint.data_selector",
        )
    _check_objects(resource, records, url, secrets)
    wide = long_digits and may_hold_wide_integers(response.content)
    if wide and resource.steps is None:
        settle_wide_integers(records, resource, url)
    if extra:
        records = [{**record, **extra} for record in records]
    page = Page(
        request=request,
        document=document,
        headers=response.headers,
        url=str(response.request.url),
        record_count=len(records),
        status=response.status_code,
        # a live paginator reads the response itself; for the rest the body is not kept
        content=response.content if resource.keeps_records else b"",
        records=tuple(records) if resource.keeps_records else (),
    )
    identity = identify(records)
    # the paginator counts (and the loop guard compares) the records the API sent; the
    # processing steps decide what is handed on
    if resource.steps is not None:
        records = resource.steps(records)
        if wide:
            # a step may have converted or dropped the field
            settle_wide_integers(records, resource, url)
    return FetchedPage(page, records, identity)


def _check_objects(resource: ResourceRun, records: list[Any], url: str, secrets: list[str]) -> None:
    """Raises ``ResponseError`` naming the first record of the page that is not an object."""
    for position, record in enumerate(records):
        if type(record) is dict:
            continue
        excerpt = redact_text(serialized(record).decode()[:60], secrets)
        raise ResponseError(
            f"record {position} of the page (counting from 0) is {describe(record)}, not an "
            f"object: {excerpt}; nothing of '{resource.name}' is loaded",
            resource=resource.name,
            url=url,
            hint="the API sent data restsync cannot load as rows; check endpoint.data_selector "
            "or ask the API's owner",
        )
