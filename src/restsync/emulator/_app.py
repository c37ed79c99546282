"""The emulator itself: an ASGI app (starlette) that answers like the API a config describes.

Every request goes through the same gate, in this order, so a test can predict which knob
answered: latency -> route (404) -> auth (401) -> rate limit (429) -> ``fail_first`` ->
random faults -> broken modes -> the page. 401 and 404 come before faults because they are
properties of the request, not weather.

Responses are built as bytes: records are serialised once per slice with orjson (and cached),
then spliced into the small envelope, which is serialised per request because it carries the
page's cursor, total or next link.
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
import json
import random
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute

from restsync._exceptions import ConfigError
from restsync.config import ApiKeyAuth, HeaderLinkPaginator, OAuth2ClientCredentials, SourceConfig

from ._bits import stable_hash
from ._extras import (
    TokenServer,
    form_mismatch,
    missing_cookie,
    missing_parent,
    parsed_form,
    parsed_json,
)
from ._options import EmulatorOptions, EmulatorStats
from ._pagination import POSITION_PARAM, Page, PageError, encode_position, plan_page, synced_window
from ._paths import PathSyntaxError, get, put
from ._ratelimit import RateLimiter
from ._routes import Route, auth_hint, build_routes, challenge, normalise_path

_MARK = "\x00restsync-records\x00"
_MARK_BYTES = orjson.dumps(_MARK)
_INT = re.compile(r"-?\d+")
_JSON = "application/json"

_HTML = (
    b"<!DOCTYPE html>\n<html><head><title>Scheduled maintenance</title></head>"
    b"<body><h1>We'll be right back</h1><p>The service is down for maintenance.</p>"
    b"</body></html>\n"
)
_NOT_JSON = b"status=ok;records=<<binary data follows>>\x7f\x01{{not json"


class _SliceCache:
    """Serialised record slices, least recently used out first, bounded by total bytes."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0
        self.items: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        value = self.items.get(key)
        if value is not None:
            self.items.move_to_end(key)
        return value

    def put(self, key: tuple[Any, ...], value: bytes) -> None:
        if len(value) > self.budget:
            return
        self.items[key] = value
        self.used += len(value)
        while self.used > self.budget:
            _, dropped = self.items.popitem(last=False)
            self.used -= len(dropped)


@dataclass
class _State:
    """Everything derived from (config, options); swapped as one object when options change,
    so a request never sees half of an old and half of a new configuration."""

    options: EmulatorOptions
    static: dict[str, Route]
    templated: list[Route]
    by_name: dict[str, Route]
    broken: dict[str, str]
    counts: dict[str, int]
    limiter: RateLimiter | None
    fault_rng: random.Random
    jitter_rng: random.Random
    cache: _SliceCache
    tokens: TokenServer
    attempts: dict[str, int] = field(default_factory=dict)


class Emulator:
    """A fake of the API ``config`` describes, with generated data and the misbehaviour
    ``options`` asks for. ``app`` is the ASGI app (use it in-process with
    ``httpx.ASGITransport`` or serve it with ``serve()``); ``stats`` counts what happened;
    ``records(name)`` is what a correct full sync of a resource must produce.

    ``options`` may be replaced while serving (for instance a new ``generation`` between two
    syncs); that resets ``fail_first`` counters, the fault RNG and the cache, not ``stats``.
    """

    def __init__(self, config: SourceConfig, options: EmulatorOptions | None = None) -> None:
        self.config = config
        self.stats = EmulatorStats()
        self._state = self._build_state(options or EmulatorOptions())
        self.app = Starlette(
            routes=[StarletteRoute("/{path:path}", self._endpoint, methods=["GET", "POST"])]
        )

    @property
    def options(self) -> EmulatorOptions:
        return self._state.options

    @options.setter
    def options(self, options: EmulatorOptions) -> None:
        self._state = self._build_state(options)

    # --- setup ----------------------------------------------------------------------------

    def _build_state(self, options: EmulatorOptions) -> _State:
        names = [r.name for r in self.config.resources]
        mappings: list[tuple[str, Iterable[str]]] = [
            ("broken", options.broken),
            ("envelopes", options.envelopes),
        ]
        if isinstance(options.records, Mapping):
            mappings.append(("records", options.records))
        for option, keys in mappings:
            for key in keys:
                if key not in names:
                    raise ConfigError(_unknown_resource(key, names), location=f"emulator.{option}")
        routes = build_routes(self.config, options)
        by_name = {name: route for route in routes for name in route.names}
        for route in routes:
            _check_no_cycle(route, by_name)
        counts: dict[str, int] = {}
        for route in routes:
            given = [
                options.records[n]
                for n in route.names
                if isinstance(options.records, Mapping) and n in options.records
            ]
            counts[route.path] = given[0] if given else options.count_for(route.resource.name)
        broken: dict[str, str] = {}
        for route in routes:
            mode = next((options.broken[n] for n in route.names if n in options.broken), None)
            if mode is not None:
                broken[route.path] = mode
        return _State(
            options=options,
            static={r.path: r for r in routes if r.pattern is None},
            templated=[r for r in routes if r.pattern is not None],
            by_name=by_name,
            broken=broken,
            counts=counts,
            limiter=RateLimiter(
                options.rate_limit,
                window=options.rate_window,
                period=options.rate_period,
                headers=options.rate_headers,
            )
            if options.rate_limit
            else None,
            fault_rng=random.Random(options.seed),
            jitter_rng=random.Random(f"jitter:{options.seed}"),
            cache=_SliceCache(options.cache_bytes),
            tokens=TokenServer(self.config, options.token_lifetime),
        )

    # --- data -----------------------------------------------------------------------------

    def records(self, resource: str) -> list[dict[str, Any]]:
        """The records a correct full sync of ``resource`` produces, in API order, as the API
        sends them (before a client adds parent fields). A child resource gets its records
        for every parent record of the parent's full sync."""
        state = self._state
        route = state.by_name.get(resource)
        if route is None:
            names = [r.name for r in self.config.resources]
            raise ConfigError(_unknown_resource(resource, names), location="records")
        # through JSON and back: exactly what a client decodes, and no nested objects shared
        # between records (generated records share the parts that do not depend on the key)
        result: list[dict[str, Any]] = json.loads(_dumps(self._synced(state, route)))
        return result

    def _synced(self, state: _State, route: Route) -> list[dict[str, Any]]:
        synced = self._synced_all(state, route)
        cursor = route.cursor
        if cursor is None or (cursor.initial_value is None and cursor.end_value is None):
            return synced
        # a first sync asks from the initial value up to the end value
        return cursor.select(synced, cursor.initial_value, cursor.end_value)

    def _synced_all(self, state: _State, route: Route) -> list[dict[str, Any]]:
        params = route.resource.endpoint.params
        if not route.parents:
            total = self._total(state, route)
            start, stop = synced_window(route.paginator, params, total, state.options)
            return self._make_range(state, route, start, stop)
        parent_route = state.by_name[route.parents[0].resource]
        out: list[dict[str, Any]] = []
        every = state.options.missing_children_every
        for parent in self._synced(state, parent_route):
            values = [get(parent, ref.field) for ref in route.parents]
            if any(v is None for v in values):
                continue  # nothing to fill the request with: a client skips such parents
            if missing_parent(str(values[0]), every):
                continue  # answered 404: a client that ignores it gets nothing here
            children = self._children(state, route, tuple(str(v) for v in values))
            start, stop = synced_window(route.paginator, params, len(children), state.options)
            out.extend(children[start:stop])
        return out

    def _all(self, state: _State, route: Route, parents: tuple[str, ...]) -> list[dict[str, Any]]:
        """Every record of a route (of one parent's values for a child), for a filter."""
        if parents:
            return self._children(state, route, parents)
        return self._make_range(state, route, 0, self._total(state, route))

    def _total(self, state: _State, route: Route) -> int:
        count = state.counts[route.path]
        generation = state.options.generation
        return count + generation * max(1, count // 50) if count and generation else count

    def _make_range(
        self, state: _State, route: Route, start: int, stop: int
    ) -> list[dict[str, Any]]:
        """Top-level records at positions ``start:stop`` (keys ``start+1..stop``)."""
        keys = range(start + 1, stop + 1)
        return route.factory.make_many(keys, [self._version(state, route, k) for k in keys])

    def _version(self, state: _State, route: Route, key: int) -> int:
        # records that existed at generation 0 and whose key is a multiple of 10 were edited;
        # a child's records all exist as long as their parent does
        edited = key % 10 == 0 and (bool(route.parents) or key <= state.counts[route.path])
        return state.options.generation if edited else 0

    def _children(
        self, state: _State, route: Route, values: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        """0-3 records per parent value; keys derive from the parent's so they never clash."""
        joined = "\x1f".join(values)
        count = stable_hash("children", state.options.seed, route.path, joined) % 4
        if len(values) == 1 and _INT.fullmatch(values[0]):
            base = int(values[0])
        else:
            base = stable_hash("parent", joined) >> 12
        keys = range(base * 4, base * 4 + count)
        out = route.factory.make_many(keys, [self._version(state, route, k) for k in keys])
        for record in out:
            for ref, value in zip(route.parents, values, strict=True):
                name = f"{ref.resource}_{ref.field[-1]}"
                record.setdefault(name, int(value) if _INT.fullmatch(value) else value)
        return out

    # --- serving --------------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> Response:
        stats = self.stats
        state = self._state
        path: str = request.scope["path"]
        stats.requests += 1
        stats.requests_by_path[path] = stats.requests_by_path.get(path, 0) + 1
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            options = state.options
            delay = options.latency
            if options.latency_jitter:
                delay += options.latency_jitter * state.jitter_rng.random()
            if delay > 0:
                await asyncio.sleep(delay)
            response = self._respond(state, request, path, await request.body())
            response.headers.update(getattr(request.state, "rate_headers", {}))
        finally:
            stats.in_flight -= 1
        status = response.status_code
        stats.responses_by_status[status] = stats.responses_by_status.get(status, 0) + 1
        if status == 429:
            stats.throttled += 1
        return response

    def _respond(self, state: _State, request: Request, path: str, body: bytes) -> Response:
        options = state.options
        key = normalise_path(path)
        if request.method == "POST" and state.tokens.serves(key):
            return state.tokens.issue(key, parsed_form(body))
        route = state.static.get(key)
        captured: dict[str, str] = {}
        if route is None:
            for candidate in state.templated:
                found = candidate.match(key)
                if found is not None:
                    route, captured = candidate, found
                    break
        if route is None:
            known = ", ".join(sorted(state.static)[:10])
            return _error(404, "not_found", f"no endpoint at {path}; this API serves {known}")

        broken = state.broken.get(route.path)
        refusal = self._refusal(state, route, request, body)
        if refusal is not None:
            return refusal
        if broken == "401":
            return _error(
                401,
                "unauthorized",
                f"missing or invalid credentials: {auth_hint(route.auth)}",
                challenge(route.auth),
            )
        if state.limiter is not None:
            allowed, headers = state.limiter.take()
            request.state.rate_headers = headers  # every answer from here on carries them
            if not allowed:
                return _error(429, "rate_limited", "too many requests", headers)
        if options.fail_first:
            attempt_key = f"{path}?{request.scope['query_string'].decode('latin-1')}"
            attempt = state.attempts.get(attempt_key, 0)
            state.attempts[attempt_key] = attempt + 1
            if attempt < options.fail_first:
                return self._fault(options, options.fail_status)
        if options.fault_rate and state.fault_rng.random() < options.fault_rate:
            return self._fault(options, state.fault_rng.choice(options.fault_statuses))
        if broken == "html":
            return Response(_HTML, 200, media_type="text/html")
        if broken == "not_json":
            return Response(_NOT_JSON, 200, media_type="text/plain")

        query = request.query_params
        values: list[str] = []
        for ref in route.parents:
            value = captured.get(ref.param) if ref.in_path else query.get(ref.param)
            if value is None:
                return _error(400, "bad_request", f"query parameter '{ref.param}' is required")
            values.append(value)
        if values and missing_parent(values[0], options.missing_children_every):
            return _error(404, "not_found", f"no such parent: {values[0]}")
        parent_values = tuple(values)
        matching = self._matching(state, route, query, parent_values)
        total = self._count(state, route, parent_values, matching)
        try:
            page = plan_page(
                route.paginator, query, total, options, route.fields, parsed_json(body)
            )
        except PageError as exc:
            return _error(400, "bad_request", str(exc))
        if broken == "clamped" and 0 < total <= page.start:
            # pages past the end answered with the last page, as some APIs clamp the number
            last = (total - 1) // options.page_size * options.page_size
            page = dataclasses.replace(page, start=last, stop=total)
        records = self._slice(state, route, parent_values, page.start, page.stop, matching)
        if broken == "non_object" and 0 < page.start < page.stop:
            records = records[:-1] + b',"oops",null]'  # every page after the first
        body, headers = self._body(route, page, records, request, renamed=broken == "renamed_key")
        return Response(body, 200, headers, media_type=_JSON)

    def _refusal(
        self, state: _State, route: Route, request: Request, body: bytes
    ) -> Response | None:
        """401 for credentials the route does not accept (its auth, an OAuth2 token, the
        session cookies of the config), 400 for a body that is not the endpoint's ``data``."""
        refused = route.auth_check is not None and not route.auth_check(request)
        if isinstance(route.auth, OAuth2ClientCredentials):
            refused = not state.tokens.accepts(request)
        if refused:
            return _error(
                401,
                "unauthorized",
                f"missing or invalid credentials: {auth_hint(route.auth)}",
                challenge(route.auth),
            )
        cookie = missing_cookie(self.config, request)
        if cookie is not None:
            return _error(401, "unauthorized", f"the session cookie '{cookie}' is missing")
        kind = request.headers.get("content-type", "")
        wrong_body = form_mismatch(route.resource.endpoint.data, body, kind)
        return None if wrong_body is None else _error(400, "bad_request", wrong_body)

    def _fault(self, options: EmulatorOptions, status: int) -> Response:
        self.stats.faults += 1
        headers = {}
        if status in (429, 503) and options.retry_after is not None:
            headers["Retry-After"] = _seconds(options.retry_after)
        return _error(
            status, "injected_fault", "the emulator failed this request on purpose", headers
        )

    def _count(
        self,
        state: _State,
        route: Route,
        parents: tuple[str, ...],
        matching: list[dict[str, Any]] | None,
    ) -> int:
        """How many records a request pages through."""
        if matching is not None:
            return len(matching)
        if parents:
            return len(self._children(state, route, parents))
        return self._total(state, route)

    def _matching(
        self, state: _State, route: Route, query: Mapping[str, str], parents: tuple[str, ...]
    ) -> list[dict[str, Any]] | None:
        """The records a request's ``since`` / ``until`` leave; None when it sends neither."""
        bounds = route.cursor.from_query(query) if route.cursor is not None else None
        if route.cursor is None or bounds is None:
            return None
        return route.cursor.select(self._all(state, route, parents), *bounds)

    def _slice(
        self,
        state: _State,
        route: Route,
        parents: tuple[str, ...],
        start: int,
        stop: int,
        matching: list[dict[str, Any]] | None = None,
    ) -> bytes:
        if start >= stop:
            return b"[]"
        if matching is not None:
            wrap = route.placement.wrap
            return orjson.dumps([wrap(record) for record in matching[start:stop]])
        cache_key = (route.path, parents, start, stop)
        cached = state.cache.get(cache_key)
        if cached is not None:
            return cached
        wrap = route.placement.wrap
        if parents:
            chosen = self._children(state, route, parents)[start:stop]
        else:
            chosen = self._make_range(state, route, start, stop)
        data = _dumps([wrap(record) for record in chosen])
        state.cache.put(cache_key, data)
        return data

    def _body(
        self, route: Route, page: Page, records: bytes, request: Request, *, renamed: bool
    ) -> tuple[bytes, dict[str, str]]:
        placement = route.placement.renamed() if renamed else route.placement
        values = list(page.values)
        headers: dict[str, str] = dict(page.headers)
        if route.fields.next_url is not None or isinstance(route.paginator, HeaderLinkPaginator):
            url = None
            if page.next_position is not None:
                url = _next_url(request, route, page.next_position)
            if route.fields.next_url is not None:
                values.append((route.fields.next_url, url))
            elif url is not None and isinstance(route.paginator, HeaderLinkPaginator):
                headers["Link"] = f'<{url}>; rel="{route.paginator.links_next_key}"'
        if not placement.list_keys:
            return records, headers
        envelope: dict[str, Any] = {}
        put(envelope, placement.list_keys, _MARK)
        for keys, value in values:
            try:
                put(envelope, keys, value)
            except PathSyntaxError:
                if not renamed:
                    raise  # validated at start-up; only a renamed list key may collide
        if route.status_fields:
            envelope.setdefault("status", "success")
            envelope.setdefault("message", "OK")
        head, _, tail = orjson.dumps(envelope).partition(_MARK_BYTES)
        return b"".join((head, records, tail)), headers


def _next_url(request: Request, route: Route, position: int) -> str:
    # the client's own auth re-adds a query API key; a secret never travels in a link
    skip = {POSITION_PARAM}
    if isinstance(route.auth, ApiKeyAuth) and route.auth.location == "query":
        skip.add(route.auth.name)
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in skip]
    items.append((POSITION_PARAM, encode_position(position)))
    return str(request.url.replace(query=urlencode(items)))


def _dumps(value: Any) -> bytes:
    """JSON bytes: orjson, or the standard library for integers beyond 64 bits (which orjson
    refuses and ``huge_integers`` records carry)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _error(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    body = orjson.dumps({"error": code, "message": message, "status": status})
    return Response(body, status, dict(headers or {}), media_type=_JSON)


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}".rstrip("0").rstrip(".")


def _unknown_resource(name: str, names: list[str]) -> str:
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"no resource named '{name}'{hint} (resources: {', '.join(names)})"


def _check_no_cycle(route: Route, by_name: Mapping[str, Route]) -> None:
    seen = {route.path}
    current = route
    while current.parents:
        current = by_name[current.parents[0].resource]
        if current.path in seen:
            raise ConfigError(
                f"resource '{route.resource.name}' is its own ancestor through resolve params",
                location=f"resources[{route.index}].endpoint.params",
            )
        seen.add(current.path)
