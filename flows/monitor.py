"""The monitor flow: one cycle over every configured source, top to bottom.

fetch (guarded conditional GET) → parse → store items → stories → extract → resolve events → outbox →
deliver → publish a read-only snapshot. Errors are values recorded per source: one broken feed never fails
a run. The stages are tasks (tasks/); the plumbing they share is the runtime (flows/runtime/cycle.py).
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

from prefect import flow, get_run_logger
from prefect.settings import PREFECT_API_URL
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote as q

from flows.instants import parse_as_of
from flows.progress import stage
from flows.runtime import api
from flows.runtime.cycle import cycle, locked
from flows.runtime.signals import stopping_on_signals
from flows.schedules import cycle_line, served
from flows.summary import CycleSummary
from records.config import Config, load_config
from tasks.cycle.alerts import deliver_alerts
from tasks.cycle.events import resolve_events
from tasks.cycle.extract import Extracted, extract_items, has_unread
from tasks.cycle.publish import calendar_due, publish_calendar_and_report, publish_snapshot, read_calendar
from tasks.cycle.sources import batch_label, poll_batches, poll_sources, store_items, sync_sources
from tasks.cycle.stories import assign_stories
from tasks.events.apply import EventCounts


def run_cycle(config: Config, now: datetime, alerts: bool = True, *, keep_parsers: bool = False,
              publish: bool = True) -> CycleSummary:
    """One cycle (inside a flow run: it submits tasks). Arguments are quoted with q(): Prefect would walk
    them all (tens of thousands of items) looking for futures, and none holds one. `publish=False`: the
    snapshot, the calendar and the report are left for a later cycle of the same run to publish."""
    with locked(config):
        with cycle(config, keep_parsers=keep_parsers) as run:
            stage(f"polling {sum(s.enabled for s in config.sources)} sources")
            states = sync_sources(config)
            polls = [poll_sources.submit(q(batch), q(config), now, label=batch_label(batch))
                     for batch in poll_batches(config, states, now)]
            polled = [p for poll in polls for p in poll.result()]
            run.parsed()
            stage(f"storing what {len(polled)} sources gave")
            stored = store_items(q(config), q(polled), now)
            del polls, polled  # the items are in the warehouse now: not held through extraction
            extracted, events = Extracted(), EventCounts()
            resolved = stored.anything or has_unread(config)  # else a quiet cycle: nothing to read
            if resolved:
                assign_stories(q(config), q(stored), now)
                stage("extracting meetings and deadlines")
                extracted = extract_items(q(config), q(stored))
                stage("resolving events")
                events = resolve_events(q(config), q(extracted), now, alerts)
            stage("delivering alerts and publishing")
            delivery = deliver_alerts(q(config), now) if alerts else None
            due = publish and calendar_due(config, now, resolved)
            timeline = read_calendar(q(config), now) if due else None
        if publish:  # the calendar and the report are built while the snapshot is copied
            published = publish_calendar_and_report.submit(q(config), q(timeline)) if timeline else None
            publish_snapshot(q(config))
            if published is not None:
                published.result()
    return CycleSummary.of(now, enabled=sum(s.enabled for s in config.sources), stored=stored,
                           extracted=extracted, events=events, delivery=delivery)


def _monitor(config_path: str, as_of: str | None, alerts: bool) -> dict:
    config = load_config(config_path)
    with api.sync_client():
        summary = run_cycle(config, parse_as_of(as_of), alerts)
    for line in summary.lines():
        get_run_logger().info(line)
    if served():  # a run `tradewatch serve` started: one line on its console
        sys.stdout.write(cycle_line(summary.lines(), datetime.now(UTC)) + "\n")  # not print: log_prints logs it
        sys.stdout.flush()
    return {"lines": summary.lines(), "new_items": summary.new_items, "failed": sorted(summary.sources_failed)}


@flow(name="monitor", task_runner=ThreadPoolTaskRunner(max_workers=8), log_prints=True)
async def monitor_flow(config_path: str, as_of: str | None = None, alerts: bool = True) -> dict:
    """One monitor cycle over every configured source.

    Async only so that the run ends when its work does (at the end of a sync flow run Prefect joins the run's
    heartbeat thread, which sleeps in 1 s steps). The cycle itself is synchronous code in a thread; SIGTERM or
    SIGINT stops it at its next safe point (flows/runtime/signals.py)."""
    with stopping_on_signals():
        return await asyncio.to_thread(_monitor, config_path, as_of, alerts)


def run_monitor_flow(config_path: str, as_of: str | None = None, alerts: bool = True) -> dict:
    """One monitor flow run from synchronous code (the CLI, the benchmark): its result dict. With an API
    server (PREFECT_API_URL) the run's API clients are made here, on the process's TLS context."""
    if not PREFECT_API_URL.value():
        return asyncio.run(monitor_flow(config_path=config_path, as_of=as_of, alerts=alerts))

    async def run() -> dict:
        async with api.async_client():
            return await monitor_flow(config_path=config_path, as_of=as_of, alerts=alerts)

    with api.sync_client():
        return asyncio.run(run())


@flow(name="monitor-replay", task_runner=ThreadPoolTaskRunner(max_workers=8), validate_parameters=False)
def replay_flow(config_path: str, ticks: list[str], alerts: bool = True, on_tick=None) -> list[CycleSummary]:
    """Many cycles inside one flow run and one process (replays, backfills, the demo). Readers see the replay
    when it is done: the last cycle publishes what all of them stored (a replay stopped half way publishes
    nothing; the next run does)."""
    config = load_config(config_path)
    out = []
    with stopping_on_signals():
        for n, tick in enumerate(ticks, start=1):
            now = parse_as_of(tick)
            if on_tick is not None:
                on_tick(now)
            out.append(run_cycle(config, now, alerts, keep_parsers=True, publish=n == len(ticks)))
    return out
