"""Processing steps: dlt's ``processing_steps`` (filter, map, yield_map) applied to each page's
records inside the engine, so that a child resource reads its parent's processed records as
under dlt, and pages stay concurrent."""

from __future__ import annotations

from ._steps import Steps, compile_steps

__all__ = ["Steps", "compile_steps"]
