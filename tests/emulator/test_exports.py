"""The package re-exports exactly what ``__all__`` lists."""

from __future__ import annotations

import restsync.emulator


def test_all_is_in_sync_with_public_names() -> None:
    public = {name for name in vars(restsync.emulator) if not name.startswith("_")}
    assert set(restsync.emulator.__all__) == public - {"annotations"}
    for name in ("Emulator", "EmulatorOptions", "EmulatorStats", "RunningEmulator", "serve"):
        assert name in restsync.emulator.__all__
