"""The parent links between resources, checked as dlt checks them when a source is built:
every parent a placeholder names exists (a config resource or a dlt resource the caller listed
beside them), no resource depends on itself through its parents
(a cycle would leave every resource in it waiting for records that never come), and
``include_from_parent`` is set only on a resource that has a parent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ._paths import Path, format_location, suggest
from ._placeholders import reference, sites

if TYPE_CHECKING:
    from ._models import ResourceConfig


def check_parents(resources: Sequence[ResourceConfig], passed: Sequence[str] = ()) -> None:
    """Raise ``ValueError("resources[i]...: <what>")`` for the first broken parent link;
    ``passed`` names the dlt resources listed beside the config's (parents without parents)."""
    names = [resource.name for resource in resources]
    known = [*names, *passed]
    parents: dict[str, str] = {}
    for index, resource in enumerate(resources):
        where, parent = _parent_site(resource)
        if parent is None:
            if resource.include_from_parent:
                raise ValueError(
                    f"resources[{index}].include_from_parent: resource '{resource.name}' has no "
                    "parent (no {resources.<parent>.<field>} placeholder) to include fields from"
                )
            continue
        location = format_location(("resources", index, "endpoint", *where))
        if parent not in known:
            raise ValueError(
                f"{location}: no resource named '{parent}'{suggest(parent, known)}; "
                f"known resources: {', '.join(known)}"
            )
        parents[resource.name] = parent
    for index, name in enumerate(names):
        chain = [name]
        while chain[-1] in parents:
            chain.append(parents[chain[-1]])
            if chain[-1] == name:
                loop = " -> ".join(f"'{step}'" for step in chain)
                raise ValueError(
                    f"resources[{index}].endpoint: the parents form a cycle ({loop}): no "
                    "resource in it could ever start; one of them must read the API on its own"
                )
            if len(chain) > len(names):
                break  # a cycle further up, reported for a resource inside it


def _parent_site(resource: ResourceConfig) -> tuple[Path, str | None]:
    """Where the resource's first parent reference is written, and the parent's name."""
    for where, item in sites(resource.endpoint.templates()):
        ref = reference(item.name)
        if ref is not None:
            return where, ref.resource
    return (), None
