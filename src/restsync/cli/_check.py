"""``restsync check``: validate a config and show what it would sync, without any request."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from restsync.config import lint, load_config

from ._configs import ConfigArg, SecretAnswers
from ._errors import errors
from ._output import console, say, warn


def _secret_is_set(name: str) -> bool:
    import dlt

    from restsync._dlt import DltException

    try:
        dlt.secrets[name]
    except (KeyError, DltException):
        return False
    return True


def check(config: ConfigArg) -> None:
    """Validate a config and show what it would sync, without any request.

    Secrets need not be set; the ones that are not are listed as warnings.
    """
    with errors():
        answers = SecretAnswers(lambda name: "<not checked>")
        source = load_config(config, secrets=answers)
        table = Table(
            title=escape(f"{source.name}: {source.client.base_url}"), title_justify="left"
        )
        for column in ("resource", "path", "paginator", "selector", "write", "primary key"):
            table.add_column(column)
        for resource in source.resources:
            paginator = resource.endpoint.paginator or source.client.paginator
            selector = resource.endpoint.data_selector
            table.add_row(
                *(
                    escape(cell)
                    for cell in (
                        resource.name,
                        resource.endpoint.path,
                        paginator.type if paginator else "auto",
                        ".".join(selector) if isinstance(selector, tuple) else (selector or "auto"),
                        str(resource.write_disposition),
                        str(resource.primary_key or "-"),
                    )
                )
            )
        console().print(table)
        warnings = lint(source)
        for name in answers:
            if not _secret_is_set(name):
                env_name = name.upper().replace(".", "__")
                warnings.append(
                    f"secret {name!r} is not set; `restsync run` needs it: export "
                    f'{env_name}=... or add {name} = "..." to .dlt/secrets.toml'
                )
        for warning in warnings:
            warn(warning, stderr=False)
        count = f" ({len(warnings)} warning{'s' if len(warnings) != 1 else ''})" if warnings else ""
        say(f"config is valid{count}")
