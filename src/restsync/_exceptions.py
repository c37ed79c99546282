"""The one exception tree of restsync. Families are named for what the caller does next.

    RestSyncError                 root: catch this to catch everything restsync raises
    ├── ConfigError               fix your config: location, bad value, what is allowed
    ├── APIError                  the API answered badly (.resource, .url redacted, .status)
    │   ├── RetriableAPIError     429 / 5xx / transport error that outlived its retries
    │   └── FatalAPIError         401, 403, 404, other 4xx: retrying will not help
    │       └── ResponseError     2xx whose body is not what the config says (not JSON,
    │                             selector path absent, pagination loop)
    └── LoadError                 the destination refused the data (wraps dlt's failures)

Ctrl-C is not an error: ``sync`` turns it into ``Interrupted``, a ``KeyboardInterrupt`` whose
message says what was and was not committed.

Dependency exceptions (httpx, pydantic, dlt) are wrapped at the boundary with
``raise ... from exc`` so callers only ever handle this tree. The CLI is the only place that
turns them into a message and an exit code.
"""

from __future__ import annotations


class RestSyncError(Exception):
    """Root of every error restsync raises on purpose."""


class ConfigError(RestSyncError):
    """The configuration is invalid. ``location`` is a dotted path such as
    ``resources[1].endpoint.paginator.limit``; the message says the bad value, what is
    allowed and, for misspellings, what was probably meant."""

    def __init__(self, message: str, *, location: str = "") -> None:
        self.location = location
        self.detail = message
        super().__init__(f"{location}: {message}" if location else message)


class APIError(RestSyncError):
    """An API request failed. ``url`` never holds a secret: it is redacted before it gets here."""

    def __init__(
        self,
        message: str,
        *,
        resource: str,
        url: str,
        status: int | None = None,
        hint: str = "",
    ) -> None:
        self.resource = resource
        self.url = url
        self.status = status
        self.hint = hint
        status_part = f" (HTTP {status})" if status is not None else ""
        text = f"resource '{resource}': {message}{status_part}\n  url: {url}"
        if hint:
            text += f"\n  what to do: {hint}"
        super().__init__(text)


class RetriableAPIError(APIError):
    """A temporary failure (429, 5xx, connection trouble) that did not clear within the
    configured retries. Running again later, or lowering the request rate, may succeed."""


class FatalAPIError(APIError):
    """A failure that retrying cannot fix: bad credentials, missing endpoint, bad request."""


class ResponseError(FatalAPIError):
    """The API answered 2xx but with a body that does not match the config: not JSON, the
    data selector's path is absent, or pagination would repeat itself forever."""


class _MayLeaveLoadPending(BaseException):
    """What ``LoadError`` and ``Interrupted`` share: ``detail`` is what went wrong and
    ``pending_load`` the id of the load package dlt kept, if any; the message is ``detail``
    followed, when a load is pending, by ``_PENDING`` (which says what the next sync does
    with it)."""

    _PENDING = ""  # formatted with the load's id as ``load``

    def __init__(self, message: str, *, pending_load: str | None = None) -> None:
        self.detail = message
        self.pending_load = pending_load
        if pending_load is not None:
            message += self._PENDING.format(load=pending_load)
        super().__init__(message)


class LoadError(_MayLeaveLoadPending, RestSyncError):
    """The destination did not accept the data, or dlt could not stage it. ``pending_load`` is
    the id of the load package dlt keeps when the load itself failed: the next sync retries it
    before fetching anything, or drops it when asked (``sync(pending="drop")``)."""

    _PENDING = (
        "; the failed load {load} stays pending: the next sync retries it first, "
        'sync(pending="drop") discards it'
    )


class Interrupted(_MayLeaveLoadPending, KeyboardInterrupt):
    """Ctrl-C (SIGINT) stopped a sync. The message says in which phase, and what was and was
    not committed; still a ``KeyboardInterrupt``, so code that stops on Ctrl-C still does.
    ``pending_load`` is the load dlt keeps to finish (as with ``LoadError``)."""

    _PENDING = (
        '; load {load} stays pending: the next sync loads it first, sync(pending="drop") '
        "discards it"
    )
