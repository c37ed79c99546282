"""Entry point of the harness's child processes: ``python -m bench._child server|client``.

Kept apart from the package's ``__init__`` (which imports the modules holding the children's
code) so that running a child never executes a module a second time as ``__main__``."""

from __future__ import annotations

import sys

from ._client import child_main as client_main
from ._server import child_main as server_main


def main(argv: list[str]) -> int:
    roles = {"server": server_main, "client": client_main}
    if len(argv) != 1 or argv[0] not in roles:
        print("usage: python -m bench._child server|client", file=sys.stderr)
        return 2
    roles[argv[0]]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
