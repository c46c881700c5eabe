"""Fault injection for tests: TRADEWATCH_CRASH_AT=<point> stops a run right at that point. By default it raises
SystemExit (in-process tests); with TRADEWATCH_CRASH_HOW=kill the process sends itself SIGKILL there, a real
kill -9 (tests/faults/ runs `tradewatch run` in a subprocess so).

Points: after_store (the items committed), after_stories, after_commit (events and the alert outbox committed),
after_post (Slack accepted a message not yet marked delivered), after_delivery (before the snapshot is
published)."""

from __future__ import annotations

import os
import signal

CRASH_ENV = "TRADEWATCH_CRASH_AT"
HOW_ENV = "TRADEWATCH_CRASH_HOW"


def crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        kill_if_asked()
        raise SystemExit(f"crash injected at {name} ({CRASH_ENV})")


def kill_if_asked() -> None:
    """With TRADEWATCH_CRASH_HOW=kill: SIGKILL this process now (no cleanup of any kind runs)."""
    if os.environ.get(HOW_ENV) == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
