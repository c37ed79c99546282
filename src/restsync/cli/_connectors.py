"""``restsync connectors``: the built-in connectors, their resources and the secrets they need."""

from __future__ import annotations

from rich.markup import escape

from restsync import connectors

from ._output import console


def list_connectors() -> None:
    """List the built-in connectors, their resources and the secrets they need."""
    out = console()
    for name in connectors.names():
        connector = connectors.get(name)
        out.print(f"[bold]{escape(name)}[/]: {escape(connector.description)}", soft_wrap=True)
        out.print(f"  resources: {escape(', '.join(connector.resource_names))}", soft_wrap=True)
        for key, what in connector.secrets.items():
            env_name = key.upper()
            out.print(
                f"  secret {escape(key)} ({escape(env_name)}): {escape(what)}", soft_wrap=True
            )
