"""Fixtures for the restsync.http tests; the fakes themselves live in http_fakes.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from http_fakes import ClientFactory, FakeAPI

from restsync.config import ClientConfig
from restsync.http import HttpClient, HttpEvent


@pytest.fixture
def api() -> FakeAPI:
    return FakeAPI()


@pytest.fixture
def events() -> list[HttpEvent]:
    return []


@pytest.fixture
def make_client(api: FakeAPI, events: list[HttpEvent]) -> ClientFactory:
    """``make_client(**config)`` -> an HttpClient over ASGITransport(api), with fast retries
    unless the test says otherwise; events go to the ``events`` fixture."""

    def factory(
        *,
        max_in_flight: int | None = None,
        on_event: Callable[[HttpEvent], None] | None = None,
        **config: Any,
    ) -> HttpClient:
        config.setdefault("base_url", "http://api.test/v1/")
        retry = {"initial_backoff": 0.01, "max_backoff": 5.0, **config.pop("retry", {})}
        return HttpClient(
            ClientConfig.model_validate({**config, "retry": retry}),
            transport=httpx.ASGITransport(app=api.app),
            on_event=on_event or events.append,
            max_in_flight=max_in_flight,
        )

    return factory
