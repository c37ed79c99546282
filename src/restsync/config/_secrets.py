"""Secret references: ``{"secret": "access_token"}`` anywhere in a config is replaced by the
secret's value. The value comes from the ``secrets`` mapping the caller passes, else from dlt's
own lookup (``dlt.secrets``: environment variable ``ACCESS_TOKEN``, ``.dlt/secrets.toml``,
any other provider the user configured for dlt), so restsync and dlt read credentials the same
way. Secret values never appear in a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from restsync._exceptions import ConfigError

from ._paths import Path, format_location


def is_secret_reference(value: Mapping[Any, Any]) -> bool:
    """A dict with exactly one key, ``secret``: the dialect's way to name a secret."""
    return len(value) == 1 and "secret" in value


def resolve_secret(name: object, path: Path, secrets: Mapping[str, str] | None) -> Any:
    """The value of secret ``name``, referenced at ``path``; ConfigError if it is not set."""
    location = format_location(path)
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(
            'a secret reference needs a name, e.g. {"secret": "access_token"}', location=location
        )
    if secrets is not None and name in secrets:
        return secrets[name]

    import dlt

    from restsync._dlt import DltException

    try:
        value = dlt.secrets[name]
    except KeyError:
        env_name = name.upper().replace(".", "__")
        raise ConfigError(
            f"secret {name!r} is not set: export {env_name}=... "
            f'or add {name} = "..." to .dlt/secrets.toml',
            location=location,
        ) from None
    except DltException as exc:
        # dlt's own text may quote the provider's content, so only its kind is shown.
        raise ConfigError(
            f"secret {name!r} could not be read ({type(exc).__name__}): "
            "check .dlt/secrets.toml and the environment",
            location=location,
        ) from None
    if isinstance(value, bool | int | float):
        return str(value)
    return value
