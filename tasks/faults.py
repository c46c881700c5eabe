"""Fault injection for tests: TRADEWATCH_CRASH_AT=<point> stops a run right at that point, as a kill would."""

from __future__ import annotations

import os

CRASH_ENV = "TRADEWATCH_CRASH_AT"


def crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        raise SystemExit(f"crash injected at {name} ({CRASH_ENV})")
