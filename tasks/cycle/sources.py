"""The source steps as a cycle runs them: match the config, poll, store (Prefect tasks).

A task per source up to TASK_PER_SOURCE_UP_TO sources (each its own run in the Prefect UI); beyond, the
sources share SHARED_POLL_TASKS tasks of THREADS_PER_TASK requests in flight each: a Prefect task costs ~30 ms
of server CPU, so 200 per-source tasks would cost more than polling 200 unchanged feeds."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from prefect import task
from prefect.cache_policies import NONE

from records.config import Config, SourceConfig
from records.sources import SourceState
from tasks.extract.pool import extract_pool
from tasks.sources.poll import Polled, poll
from tasks.sources.store import Stored, store_polled
from warehouse import connection
from warehouse import sources as source_store
from warehouse.transaction import transaction

TASK_PER_SOURCE_UP_TO = 8
SHARED_POLL_TASKS = 2
THREADS_PER_TASK = 4

Batch = list[tuple[SourceConfig, SourceState | None]]


def sync_sources(config: Config) -> dict[str, SourceState]:
    """Make the stored sources match the config; every source's state. (A plain call, not a task run: a
    quiet cycle's cost is mostly the Prefect task runs it makes.)"""
    with connection.writer(config.warehouse_path) as con, transaction(con):
        return source_store.sync_sources(con, [s for s in config.sources if s.enabled])


def poll_batches(config: Config, states: dict[str, SourceState], now: datetime) -> list[Batch]:
    """The sources due now (enabled, not backing off), in batches: one per task."""
    due = [s for s in config.sources if s.enabled and (s.id not in states or states[s.id].is_due(now))]
    count = len(due) if len(due) <= TASK_PER_SOURCE_UP_TO else SHARED_POLL_TASKS
    batches: list[Batch] = [[] for _ in range(count)]
    for i, source in enumerate(due):
        batches[i % len(batches)].append((source, states.get(source.id)))
    return batches


def batch_label(batch: Batch) -> str:
    return batch[0][0].id if len(batch) == 1 else f"{len(batch)}-sources"


@task(name="poll-sources", cache_policy=NONE, retries=0, task_run_name="poll-{label}")
def poll_sources(batch: Batch, config: Config, now: datetime, label: str) -> list[Polled]:
    """Fetch and parse these sources concurrently, and start extracting their new items (extract workers)."""

    def one(pair: tuple[SourceConfig, SourceState | None]) -> Polled:
        return poll(pair[0], pair[1], config, now,
                    on_new_items=lambda items: extract_pool().prefetch(items, config.extract))

    if len(batch) == 1:
        return [one(batch[0])]
    with ThreadPoolExecutor(max_workers=min(THREADS_PER_TASK, len(batch))) as threads:
        return list(threads.map(one, batch))


@task(name="store-items", cache_policy=NONE)
def store_items(config: Config, polled: list[Polled], now: datetime) -> Stored:
    return store_polled(config, polled, now)
