"""Where tests find the repository, the fixtures and the shared dev corpus."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
# the dev corpus lives beside the repository (../shared), or wherever TRADEWATCH_CORPUS says
DEV_CORPUS = Path(os.environ.get("TRADEWATCH_CORPUS") or ROOT.parent / "shared" / "corpus" / "dev")
