"""The monitor flow: a task per source (fetch + parse; sources share tasks beyond eight), then store, extract,
resolve, deliver, publish."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ssl
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import certifi
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.context import AsyncClientContext, SyncClientContext
from prefect.settings import PREFECT_API_SSL_CERT_FILE, PREFECT_API_TLS_INSECURE_SKIP_VERIFY, PREFECT_API_URL
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from flows import cycle
from tasks.config import Config, SourceConfig, load_config
from tasks.malloc_settings import tune_malloc
from warehouse import db, store

tune_malloc()  # at import: before the cycle's threads exist (see tasks/malloc_settings.py)


def parse_as_of(as_of: str | datetime | None) -> datetime:
    """The instant that counts as 'now' (replays, backfills). Naive times are UTC."""
    if as_of is None:
        return datetime.now(UTC)
    value = as_of if isinstance(as_of, datetime) else datetime.fromisoformat(as_of.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


TASK_PER_SOURCE_UP_TO = 8  # a task per source up to this many sources; beyond, sources share tasks (see below)
SHARED_POLL_TASKS = 2  # ... this many tasks,
THREADS_PER_TASK = 4  # ... each with this many requests in flight


@task(name="poll-sources", cache_policy=NONE, retries=0, task_run_name="poll-{label}")
def poll_sources(sources: list[tuple[SourceConfig, store.SourceState | None]], config: Config, now: datetime,
                 label: str, extractions: cycle.Extractions) -> list[cycle.Polled]:
    """Fetch and parse these sources concurrently (threads for the HTTP, the parser pool for parsing), and
    start extracting their new items in the extract workers."""
    if len(sources) == 1:
        return [cycle.poll(sources[0][0], sources[0][1], config, now, extractions)]
    with ThreadPoolExecutor(max_workers=min(THREADS_PER_TASK, len(sources))) as pool:
        return list(pool.map(lambda pair: cycle.poll(pair[0], pair[1], config, now, extractions), sources))


def poll_batches(due: list, states: dict) -> list[list]:
    """One batch per source while there are at most TASK_PER_SOURCE_UP_TO sources (each its own task in the
    Prefect UI); beyond that, SHARED_POLL_TASKS batches. A Prefect task costs ~30 ms of server CPU, so 200
    per-source tasks would cost more than polling 200 unchanged feeds itself."""
    count = len(due) if len(due) <= TASK_PER_SOURCE_UP_TO else SHARED_POLL_TASKS
    batches = [[] for _ in range(count)]
    for i, source in enumerate(due):
        batches[i % len(batches)].append((source, states.get(source.id)))
    return batches


@task(name="store-items", cache_policy=NONE)
def store_items(config: Config, polled: list[cycle.Polled], now: datetime,
                summary: cycle.CycleSummary) -> cycle.Stored:
    return cycle.store_polled(config, polled, now, summary)


@task(name="stories-extract-resolve", cache_policy=NONE)
def extract_and_resolve(config: Config, stored: cycle.Stored, now: datetime, alerts: bool,
                        summary: cycle.CycleSummary, extractions: cycle.Extractions) -> None:
    new_ids, edited_ids = stored.new_ids, stored.edited_ids
    cycle.compact(config, now, stored, checkpoint=bool(new_ids or edited_ids))
    findings, published = cycle.extract_new(config, new_ids, edited_ids, extractions)
    summary.relevant_items = sum(f.relevant for f in findings)
    summary.events = cycle.resolve_all(config, published, findings, now, cycle.alert_policy(config, alerts))


@task(name="deliver-alerts", cache_policy=NONE, retries=2, retry_delay_seconds=5)
def deliver_alerts(config: Config, now: datetime):
    return cycle.deliver(config, now)


@task(name="publish-snapshot", cache_policy=NONE)
def publish_snapshot(config: Config) -> str:
    return str(cycle.publish(config))


def run_monitor(config: Config, now: datetime, alerts: bool = True, *,
                keep_parsers: bool = False) -> cycle.CycleSummary:
    """The cycle, top to bottom. Must run inside a flow (it submits tasks). The parser workers are stopped
    once every source is parsed (their memory is not needed through storing and resolving) unless
    keep_parsers: a replay keeps them for its next tick."""
    summary = cycle.CycleSummary(as_of=now)
    with db.run_lock(config.warehouse_path):
        with db.hold(config.warehouse_path) as held:  # one open instance for the cycle: cheap stage connections
            states = cycle.prepare(config)
            due = [s for s in config.sources if s.enabled and store.is_due(states.get(s.id), now)]
            summary.sources_skipped = sum(1 for s in config.sources if s.enabled) - len(due)
            batches = poll_batches(due, states)
            extractions = cycle.Extractions(held)  # new items are extracted while others are fetched and stored
            # quote(): Prefect walks every task argument (to find futures in it) unless quoted; the config and the
            # batches hold hundreds of objects, the polled items tens of thousands, and none holds a future
            futures = [poll_sources.submit(quote(b), quote(config), now,
                                           label=b[0][0].id if len(b) == 1 else f"{len(b)}-sources",
                                           extractions=quote(extractions))
                       for b in batches]
            polled = [p for f in futures for p in f.result()]
            if not keep_parsers:
                cycle.close_parser_pool(wait=False)
            stored = store_items(quote(config), quote(polled), now, quote(summary))
            del futures, polled  # the parsed items are in the warehouse now: do not hold them through extraction
            if stored.new_ids or stored.edited_ids or cycle.unextracted(config, exclude=set()):
                # else nothing to extract or resolve (a quiet cycle: every source unchanged): no task run
                extract_and_resolve(quote(config), quote(stored), now, alerts, quote(summary), quote(extractions))
            if alerts:
                summary.delivery = deliver_alerts(quote(config), now)
        publish_snapshot(quote(config))  # after the last connection closed: the file is checkpointed
    return summary


@functools.cache
def _api_tls_context(cafile: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=cafile)


def _tls_settings() -> dict | None:
    """httpx settings with the process's TLS context for the API (None: let Prefect build its own)."""
    if PREFECT_API_TLS_INSECURE_SKIP_VERIFY.value():
        return None
    return {"verify": _api_tls_context(PREFECT_API_SSL_CERT_FILE.value() or certifi.where())}


def _default_client_context(kind: type[SyncClientContext] | type[AsyncClientContext]):
    """A client context of this kind whose client is the default one (what get_client() without settings
    returns, inside it), on the process's TLS context; the one already entered, if any."""
    settings = _tls_settings()
    if kind.get() is not None or settings is None:
        return kind.get_or_create()
    context = kind(httpx_settings=settings)
    # get_client() without settings (what task runs and the flow engine call) reuses a context's client only
    # when the context was made without settings; this one's client is that default client
    context._httpx_settings = None
    return context


def api_client_context() -> contextlib.AbstractContextManager:
    """One Prefect API client for all of a run's task runs, as a sync flow has (else each task run makes its
    own). Its TLS context is built once per process, as Prefect would build it (same CA file; verification
    kept): loading the CA bundle cost ~20 ms of every run, a twentieth of an unchanged cycle."""
    return _default_client_context(SyncClientContext)


def async_api_client_context() -> contextlib.AbstractAsyncContextManager:
    """The async client the flow engine uses, on the same TLS context (inside the running event loop)."""
    return _default_client_context(AsyncClientContext)


def _monitor(config_path: str, as_of: str | None, alerts: bool) -> dict:
    config = load_config(config_path)
    with api_client_context():
        summary = run_monitor(config, parse_as_of(as_of), alerts)
    logger = get_run_logger()
    for line in summary.lines():
        logger.info(line)
    return {"lines": summary.lines(), "new_items": summary.new_items,
            "failed": sorted(summary.sources_failed)}


@flow(name="monitor", task_runner=ThreadPoolTaskRunner(max_workers=8), log_prints=True)
async def monitor_flow(config_path: str, as_of: str | None = None, alerts: bool = True) -> dict:
    """One monitor cycle over every configured source.

    Async only so that the run ends when its work does: at the end of a sync flow run Prefect joins the run's
    heartbeat thread, which sleeps in 1 s steps, so every sync run lasts a whole number of seconds (an empty
    one ~1.1 s, against ~0.1 s async); the async engine leaves that thread to stop by itself. Heartbeats are
    sent either way. The cycle itself is synchronous code and runs in a thread (with the run's context).
    From synchronous code call `run_monitor_flow`."""
    return await asyncio.to_thread(_monitor, config_path, as_of, alerts)


def run_monitor_flow(config_path: str, as_of: str | None = None, alerts: bool = True) -> dict:
    """One monitor flow run from synchronous code (the CLI, the benchmark): its result dict.

    With an API server (PREFECT_API_URL), the run's sync and async API clients are made here, on the
    process's TLS context, and the flow engine uses them: it would build two clients of its own per run
    (one to read the default result storage, one for the run), each loading the CA bundle (~30 ms a run
    together, measured with py-spy over unchanged cycles). Without one, Prefect starts its ephemeral API
    in its own way, as before."""
    if not PREFECT_API_URL.value():
        return asyncio.run(monitor_flow(config_path=config_path, as_of=as_of, alerts=alerts))

    async def run() -> dict:
        async with async_api_client_context():
            return await monitor_flow(config_path=config_path, as_of=as_of, alerts=alerts)

    with api_client_context():
        return asyncio.run(run())


@flow(name="monitor-replay", task_runner=ThreadPoolTaskRunner(max_workers=8), validate_parameters=False)
def replay_flow(config_path: str, ticks: list[str], alerts: bool = True, on_tick=None) -> list[cycle.CycleSummary]:
    """Many cycles inside one flow run and one process (replays, backfills, the demo)."""
    config = load_config(config_path)
    out = []
    for tick in ticks:
        now = parse_as_of(tick)
        if on_tick is not None:
            on_tick(now)
        out.append(run_monitor(config, now, alerts, keep_parsers=True))
    return out
