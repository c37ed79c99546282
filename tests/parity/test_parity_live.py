"""Side by side with live Python objects in the config, as dlt users write them: dlt's auth
classes and a user's own ``AuthConfigBase`` subclass; both tools land the same tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dlt.common.configuration import configspec
from dlt.extract.exceptions import ResourceExtractionError
from dlt.sources.helpers.rest_client.auth import (
    APIKeyAuth,
    AuthConfigBase,
    BearerTokenAuth,
    HttpBasicAuth,
)

from parity.blog_api import API_KEY, BASIC, POSTS, TOKEN
from parity.harness import load_both
from restsync import FatalAPIError, rest_api_source


@configspec
class SignedAuth(AuthConfigBase):
    """A user's auth class: adds its own header, as requests calls it."""

    def __call__(self, request: Any) -> Any:
        request.headers["X-Blog-Key"] = API_KEY
        return request


AUTHS = [
    pytest.param(BearerTokenAuth(token=TOKEN), id="bearer"),
    pytest.param(APIKeyAuth(name="key", api_key=API_KEY, location="query"), id="api_key_query"),
    pytest.param(HttpBasicAuth(*BASIC), id="http_basic"),
    pytest.param(SignedAuth(), id="user_subclass"),
]


def _config(url: str, auth: Any) -> dict[str, Any]:
    return {
        "client": {"base_url": f"{url}/", "auth": auth},
        "resources": [{"name": "posts", "endpoint": {"path": "private/posts"}}],
    }


@pytest.mark.parametrize("auth", AUTHS)
def test_auth_objects_load_what_dlt_loads(auth: Any, blog_url: str, tmp_path: Path) -> None:
    tables = load_both(_config(blog_url, auth), tmp_path)

    assert len(tables["posts"].rows) == POSTS


def test_a_user_auth_object_that_signs_wrongly_is_refused(blog_url: str) -> None:
    @configspec
    class WrongAuth(AuthConfigBase):
        def __call__(self, request: Any) -> Any:
            request.headers["X-Blog-Key"] = "wrong"
            return request

    source = rest_api_source(_config(blog_url, WrongAuth()))
    # dlt wraps what the resource raised when it is iterated on its own
    with pytest.raises(ResourceExtractionError) as caught:
        list(source.resources["posts"])
    assert isinstance(caught.value.__cause__, FatalAPIError)
    assert caught.value.__cause__.status == 401
