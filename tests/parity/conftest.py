"""The blog API, served once per module over loopback for the side-by-side tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from parity.blog_api import app
from support import serve_url


@pytest.fixture(scope="module")
def blog_url() -> Iterator[str]:
    with serve_url(app()) as url:
        yield url
