"""The package re-exports exactly what ``__all__`` lists."""

from __future__ import annotations

import restsync.config


def test_all_is_in_sync_with_public_names() -> None:
    public = {name for name in vars(restsync.config) if not name.startswith("_")}
    modules = {name for name in public if name in {"annotations"}}
    assert set(restsync.config.__all__) == public - modules
    for name in ("normalize", "validate", "load_config", "lint", "SourceConfig"):
        assert name in restsync.config.__all__
