"""The harness lives in the repository's top-level ``bench`` package, outside ``src``: put the
repository root on ``sys.path`` so the tests import it however pytest was started."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
