"""The two schedules (the same in prefect.yaml: tests/flows/test_serve.py checks) and what `serve` says about
them: when each runs next, and one line per monitor cycle it runs."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from cronsim import CronSim

MONITOR_CRON, MONITOR_TZ = "*/10 * * * *", "UTC"  # every 10 minutes
DIGEST_CRON, DIGEST_TZ = "0 8 * * *", "Asia/Seoul"  # daily at 08:00 Seoul time
SERVED_ENV = "TRADEWATCH_SERVED"  # set by `serve` for the runs it starts: each monitor run prints its line


def next_run(cron: str, tz: str, after: datetime) -> datetime:
    """The first time after `after` that the schedule fires (in UTC)."""
    local = after.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    return next(iter(CronSim(cron, local))).replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def next_runs_line(after: datetime) -> str:
    monitor = next_run(MONITOR_CRON, MONITOR_TZ, after)
    digest = next_run(DIGEST_CRON, DIGEST_TZ, after)
    return f"next monitor run {monitor:%H:%M} UTC, next digest {digest:%Y-%m-%d %H:%M} UTC (08:00 {DIGEST_TZ})"


def served() -> bool:
    return os.environ.get(SERVED_ENV) == "1"


def cycle_line(lines: list[str], finished: datetime) -> str:
    """One line for a cycle `serve` ran: its summary (CycleSummary.lines, folded) and when the next one is."""
    body = "; ".join(line.strip() for line in lines[1:] if not line.strip().startswith("!"))
    failed = [line.strip()[2:].split(":", 1)[0] for line in lines if line.strip().startswith("! ")]
    failing = f"; failing: {', '.join(failed)}" if failed else ""
    return (f"{finished:%Y-%m-%d %H:%M} UTC cycle done: {body}{failing}; "
            f"next run {next_run(MONITOR_CRON, MONITOR_TZ, finished):%H:%M} UTC")
