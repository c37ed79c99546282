"""Every package re-exports exactly what its ``__all__`` lists, and nothing public is missing."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

PACKAGES = [
    "restsync",
    "restsync.config",
    "restsync.http",
    "restsync.paginate",
    "restsync.select",
    "restsync.engine",
    "restsync.source",
    "restsync.emulator",
    "restsync.cli",
    "restsync.dagster",
]


@pytest.mark.parametrize("name", PACKAGES, ids=PACKAGES)
def test_all_lists_exactly_the_public_names(name: str) -> None:
    package = importlib.import_module(name)
    public = {
        attr
        for attr, value in vars(package).items()
        if not attr.startswith("_") and not isinstance(value, ModuleType) and attr != "annotations"
    }
    assert set(package.__all__) == public
    missing = [attr for attr in package.__all__ if not hasattr(package, attr)]
    assert not missing
