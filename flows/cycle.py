"""One monitor cycle, top to bottom, as plain functions the Prefect flow calls as tasks.

fetch (guarded conditional GET) → parse → store items (dedupe: item, story) → extract → resolve events
→ outbox → deliver → publish a read-only snapshot. Errors are values recorded per source.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import requests

from tasks.adapters import read_body
from tasks.config import Config, SourceConfig
from tasks.extract import ExtractConfig, extract
from tasks.extract_pool import ExtractPool
from tasks.fetch import FetchPolicy, fetch, make_session
from tasks.models import Fetched, Findings, Item
from tasks.parse_pool import ParserPool
from tasks.stories import NUM_PERM
from warehouse import db, events, store


@dataclass(frozen=True)
class Polled:
    """What one source gave this cycle."""

    source_id: str
    fetched: Fetched
    # the items; their summary and body are dropped ("") once `table` holds them and `signatures` has every
    # item's signature (nothing after the poll reads them: 46 MB of the bench's 10,000 items)
    items: tuple[Item, ...] = ()
    error: str | None = None  # fetch or parse error key
    error_detail: str | None = None
    truncated: int = 0  # items left for the next run (bounded work per run)
    signatures: Mapping[str, np.ndarray] = field(default_factory=dict)  # item id → MinHash, from the parser
    table: pa.Table | None = None  # the items in the warehouse's columnar form (store.items_table), in order
    known: Mapping[str, str] | None = None  # stored content hash of each item stored already (None: not looked up)


@dataclass
class CycleSummary:
    as_of: datetime
    sources_polled: int = 0
    sources_ok: int = 0
    sources_not_modified: int = 0
    sources_failed: dict[str, str] = field(default_factory=dict)
    sources_skipped: int = 0  # backing off
    items_deferred: int = 0  # over the per-source bound: stored by later runs
    new_items: int = 0
    edited_items: int = 0
    relevant_items: int = 0
    events: events.EventCounts = field(default_factory=events.EventCounts)
    delivery: object | None = None

    def lines(self) -> list[str]:
        e = self.events
        out = [
            f"cycle as of {self.as_of.isoformat()}",
            f"  sources: {self.sources_ok} ok ({self.sources_not_modified} unchanged), "
            f"{len(self.sources_failed)} failed, {self.sources_skipped} backing off",
            f"  items: {self.new_items} new, {self.edited_items} edited, {self.relevant_items} relevant"
            + (f", {self.items_deferred} deferred to the next run" if self.items_deferred else ""),
            f"  events: {e.new_meetings} new meetings, {e.meeting_updates} meeting updates, "
            f"{e.new_deadlines} new deadlines, {e.deadline_changes} deadline changes",
            f"  alerts: {e.alerts_pending} queued, {e.alerts_suppressed} recorded without sending",
        ]
        for sid, err in sorted(self.sources_failed.items()):
            out.append(f"  ! {sid}: {err if len(err) <= 160 else err[:159] + '…'}")
        d = self.delivery
        if d is not None:
            where = "console (no SLACK_BOT_TOKEN)" if d.console else "Slack"
            line = f"  delivery to {where}: {d.delivered} delivered, {d.failed} failed, {d.pending_left} waiting"
            out.append(line + "".join(f"; {ch}: {err}" for ch, err in sorted(d.errors.items())))
        return out


_log = logging.getLogger(__name__)

# --- shared clients, one per process -------------------------------------------------------------

_local = threading.local()
_pool: ParserPool | None = None
_pool_lock = threading.Lock()


def session() -> requests.Session:
    if getattr(_local, "session", None) is None:
        _local.session = make_session()
    return _local.session


def parser_pool(timeout_s: float, memory_mb: int) -> ParserPool:
    global _pool
    with _pool_lock:
        if _pool is None:
            # one worker per core, one fewer started: the pipeline process and the extract workers need CPU
            # while it polls, and a second worker parsed no faster on two cores; its ~47 MB were the peak's
            # (one more starts for a feed that stalls the others: ParserPool)
            cores = os.cpu_count() or 1
            _pool = ParserPool(cores, start=max(1, cores - 1), timeout_s=timeout_s, memory_mb=memory_mb)
            _pool.__enter__()
            atexit.register(close_parser_pool)
    extract_pool()  # started early too, while this process is still small
    return _pool


def close_parser_pool(wait: bool = True) -> None:
    """Stop the parser workers (wait=False: without waiting for them to exit; see ParserPool.close)."""
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.close(wait=wait)
            _pool = None


def fetch_policy(config: Config) -> FetchPolicy:
    f = config.fetch
    return FetchPolicy(allow_hosts=f.allow_hosts, connect_timeout_s=f.connect_timeout_s,
                       read_timeout_s=f.read_timeout_s, total_deadline_s=f.total_deadline_s, max_bytes=f.max_bytes)


# --- the stages --------------------------------------------------------------------------------


def prepare(config: Config) -> dict[str, store.SourceState]:
    with db.writer(config.warehouse_path) as con, db.transaction(con):
        return store.sync_sources(con, [s for s in config.sources if s.enabled])


def poll(source: SourceConfig, state: store.SourceState | None, config: Config, now: datetime,
         extractions: Extractions | None = None) -> Polled:
    """Fetch and parse one source; with `extractions`, start extracting its new items right away. Never raises
    for anything the source does."""
    fetched = fetch(source.id, source.url, etag=state.etag if state else None,
                    last_modified=state.last_modified if state else None,
                    session=session(), policy=fetch_policy(config))
    if fetched.error:
        return Polled(source.id, fetched, error=fetched.error, error_detail=fetched.error_detail)
    if not fetched.modified:
        return Polled(source.id, fetched)
    pool = parser_pool(config.fetch.parse_timeout_s, config.fetch.parse_memory_mb)
    signatures: dict[str, np.ndarray] = {}

    def parse_feed(body: bytes, **kwargs) -> object:  # the pool's parse, keeping the signatures it computed
        result, raw = pool.parse_signed(body, **kwargs)
        if raw is not None:
            rows = np.frombuffer(raw, dtype=np.uint32).reshape(-1, NUM_PERM).astype(np.uint64)
            signatures.update(zip((it.item_id for it in result.items), rows, strict=True))
        return result

    result = read_body(source.kind, fetched.body or b"", source_id=source.id, now=now,
                       content_type=fetched.content_type, base_url=fetched.url, parse_feed=parse_feed)
    if result.error:
        return Polled(source.id, fetched, error=result.error, error_detail=result.error_detail)
    known = extractions.start(config, result.items) if extractions is not None else None
    table = store.items_table(result.items)
    items = result.items
    if all(it.item_id in signatures for it in items):  # else the store stage computes them, from the text
        items = tuple(replace(it, summary="", body="") for it in items)
    # the raw body is not needed past parsing: do not keep every feed in memory for the rest of the cycle
    return Polled(source.id, replace(fetched, body=None), items=items, signatures=signatures, table=table,
                  known=known)


class Extractions:
    """Extraction of new items, started in the extract workers as each source is parsed: the workers run
    while other sources are still being fetched and while the items are stored. Edited items are not
    started here: they are extracted after storing, from the stored row (whose publication date is kept)."""

    def __init__(self, held: duckdb.DuckDBPyConnection | None = None) -> None:
        self._held = held  # the connection run_monitor holds: a cursor of it skips connect's schema check
        self._futures: list[Future] = []
        self._lock = threading.Lock()

    def start(self, config: Config, items: Sequence[Item]) -> dict[str, str]:
        """Start extracting the items not stored yet. Returns the stored content hash of each item that is
        (the store stage uses it: no second lookup; nothing else writes in between, under the run lock)."""
        if not items:
            return {}
        ids = [it.item_id for it in items]
        if self._held is not None:
            cursor = self._held.cursor()
            try:
                known = store.known_hashes(cursor, ids)
            finally:
                cursor.close()
        else:
            with db.writer(config.warehouse_path) as con:
                known = store.known_hashes(con, ids)
        new = [it for it in items if it.item_id not in known]
        if new:
            future = extract_pool().submit(new, config.extract or None)
            with self._lock:
                self._futures.append(future)
        return known

    def results(self) -> dict[str, Findings]:
        """Findings by item id, once every started extraction is done. A chunk whose worker failed is
        simply absent: the caller extracts what is missing in-process (and sees the error there, if any)."""
        with self._lock:
            futures, self._futures = self._futures, []
        out: dict[str, Findings] = {}
        for future in futures:
            try:
                out.update((f.item_id, f) for f in future.result())
            except Exception as exc:  # noqa: BLE001 - retried in-process by the caller
                _log.warning("an extract worker failed (%s: %s); its items are extracted in-process",
                             type(exc).__name__, exc)
        return out


def bound_work(con, polled: Polled, limit: int, now: datetime) -> Polled:
    """Bounded work per run: at most `limit` new or edited items of one source are stored this run (the
    newest first). The rest wait: the source's validators are not kept, so the next run re-reads the feed
    and takes the next batch."""
    if len(polled.items) <= limit:
        return polled
    known = polled.known
    if known is None:
        known = store.known_hashes(con, [it.item_id for it in polled.items])
    pending = [i for i, it in enumerate(polled.items) if known.get(it.item_id) != it.content_hash]
    truncated = max(len(pending) - limit, 0)
    fetched = polled.fetched
    if truncated:
        pending.sort(key=lambda i: polled.items[i].published_at or now, reverse=True)
        pending = pending[:limit]
        fetched = replace(fetched, etag=None, last_modified=None)
    table = polled.table.take(pa.array(pending, pa.int64())) if polled.table is not None else None
    return replace(polled, fetched=fetched, items=tuple(polled.items[i] for i in pending), table=table,
                   truncated=truncated)


@dataclass(frozen=True)
class Stored:
    """What the store stage wrote: the new and the edited items (to extract), and the MinHash signatures the
    parser workers computed (item id → signature; the story step takes the new items' from it)."""

    new_ids: tuple[str, ...]
    edited_ids: tuple[str, ...]
    signatures: Mapping[str, np.ndarray] = field(default_factory=dict)


def store_polled(config: Config, polled: Sequence[Polled], now: datetime, summary: CycleSummary) -> Stored:
    """Store every source's items and record every source's outcome, in bulk and in one transaction (all or
    nothing). The new items get their story in the next step (`compact`), while the extract workers run."""
    with db.writer(config.warehouse_path) as con, db.transaction(con):
        polled = [bound_work(con, p, config.fetch.max_items_per_source, now) for p in polled]
        items = [it for p in polled for it in p.items]
        signatures: dict[str, np.ndarray] = {}
        for p in polled:
            signatures.update(p.signatures)
        tables = [p.table if p.table is not None else store.items_table(p.items) for p in polled if p.items]
        table = pa.concat_tables(tables) if tables else None
        known = None
        if all(p.known is not None for p in polled if p.items):  # looked up as each source was parsed
            known = {iid: h for p in polled if p.known for iid, h in p.known.items()}
        result = store.store_items(con, items, now=now, table=table, known=known)
        source_of = {it.item_id: it.source_id for it in items}
        new_per_source: dict[str, int] = {}
        for iid in result.new_ids:
            new_per_source[source_of[iid]] = new_per_source.get(source_of[iid], 0) + 1
        outcomes = [store.FetchOutcome(p.fetched, new_per_source.get(p.source_id, 0), p.error, p.error_detail)
                    for p in polled]
        for change in store.record_fetches(con, outcomes, now=now):
            store.enqueue_alert(con, kind=change.kind, event_kind="source", event_id=change.source_id,
                                key_parts=(now.isoformat(),), text=change.text, payload=change.payload, now=now)
    crash_point("after_store")
    for p in polled:
        summary.sources_polled += 1
        summary.items_deferred += p.truncated
        if p.error:
            summary.sources_failed[p.source_id] = p.error + (f" ({p.error_detail})" if p.error_detail else "")
        else:
            summary.sources_ok += 1
            summary.sources_not_modified += p.fetched.status == 304
    summary.new_items += len(result.new_ids)
    summary.edited_items += len(result.edited_ids)
    return Stored(result.new_ids, result.edited_ids, signatures)


def publication_order(config: Config, item_ids: Sequence[str]) -> list[tuple[str, datetime | None]]:
    """(item id, published_at) in the order findings are applied: publication order, as load_items."""
    if not item_ids:
        return []
    with db.writer(config.warehouse_path) as con:
        return con.execute(
            "SELECT item_id, published_at FROM core.items WHERE item_id IN (SELECT unnest(?))"
            " ORDER BY published_at NULLS LAST, first_seen_at, item_id",
            [list(item_ids)],
        ).fetchall()


def load_items(config: Config, item_ids: Sequence[str] | None) -> list[Item]:
    """Items to (re)extract, in publication order. None means every stored item (reprocess)."""
    with db.writer(config.warehouse_path) as con:
        sql = f"SELECT {store.ITEM_COLUMNS} FROM core.items"
        params: list = []
        if item_ids is not None:
            if not item_ids:
                return []
            sql += " WHERE item_id IN (SELECT unnest(?))"
            params = [list(item_ids)]
        sql += " ORDER BY published_at NULLS LAST, first_seen_at, item_id"
        rows = con.execute(sql, params).fetchall()
    return [store.item_from_row(r) for r in rows]


PARALLEL_EXTRACT_MIN = 400  # below this, extraction in-process is cheaper than shipping items to workers
_extract_pool: ExtractPool | None = None


def extract_pool() -> ExtractPool:
    """Light worker processes for large extraction batches (backfills, reprocess, a burst of new items), one
    per core, kept for the life of the process."""
    global _extract_pool
    with _pool_lock:
        if _extract_pool is None:
            _extract_pool = ExtractPool().start() if (os.cpu_count() or 1) > 1 else ExtractPool()
            atexit.register(_extract_pool.close)
        return _extract_pool


def extract_all(items: Sequence[Item], extract_config: dict, on_item=None) -> list[Findings]:
    """Findings for each item, in order. Pure; large batches are spread over every core."""
    workers = os.cpu_count() or 1
    if len(items) < PARALLEL_EXTRACT_MIN or workers < 2:
        cfg = ExtractConfig.from_dict(extract_config) if extract_config else None
        out = []
        for it in items:
            out.append(extract(it, cfg))
            if on_item is not None:
                on_item()
        return out
    size = max(50, len(items) // (workers * 4))
    chunks = [list(items[i : i + size]) for i in range(0, len(items), size)]
    out = []
    for result in extract_pool().map(chunks, extract_config or None):
        out.extend(result)
        if on_item is not None:
            for _ in result:
                on_item()
    return out


def compact(config: Config, now: datetime, stored: Stored | None = None, *, checkpoint: bool = True) -> None:
    """The story step, then the checkpoint, while the extract workers are busy (extraction does not need
    stories; resolution, after it, reads them).

    Stories: band rows past the near-duplicate window are dropped; items an earlier run stored but stopped
    before giving a story get one (oldest first), then the new items of this run, in one transaction (their
    signatures, LSH band rows, and the story id of the ~10% that joined another item's story). Then the
    CHECKPOINT folds what was written into the database file: otherwise DuckDB does it in the resolve stage's
    commit (its log is past the threshold by then), when nothing else runs. Without `checkpoint` (nothing
    was stored but fetch records) the run's last close folds the little there is."""
    new_ids = list(stored.new_ids) if stored is not None else []
    with db.writer(config.warehouse_path) as con:
        with db.transaction(con):
            store.prune_story_bands(con, now)
            unindexed = store.unindexed_ids(con, exclude=new_ids, limit=LEFTOVERS_PER_RUN)
            if unindexed:
                store.assign_stories(con, store.items_by_id(con, unindexed), now=now)
            if new_ids:
                signed = stored.signatures
                if all(iid in signed for iid in new_ids):
                    store.assign_story_ids(con, new_ids, np.stack([signed[iid] for iid in new_ids]), now=now)
                else:  # items of sources read without the parser workers (USTR pages, the Federal Register API):
                    # their signatures come from the stored text (batch order kept)
                    stored_items = {it.item_id: it for it in store.items_by_id(con, new_ids)}
                    store.assign_stories(con, [stored_items[iid] for iid in new_ids], now=now, signatures=signed)
        if checkpoint:
            con.execute("CHECKPOINT")


LEFTOVERS_PER_RUN = 5_000


def unextracted(config: Config, exclude: set[str]) -> list[str]:
    """Items an earlier run stored but never resolved (it stopped between the two commits): picked up by the
    next run, a bounded number at a time, so nothing stored is left unread."""
    with db.writer(config.warehouse_path) as con:
        rows = con.execute(
            "SELECT item_id FROM core.items WHERE extracted_at IS NULL AND item_id NOT IN (SELECT unnest(?))"
            " ORDER BY first_seen_at, item_id LIMIT ?",
            [sorted(exclude), LEFTOVERS_PER_RUN],
        ).fetchall()
    return [r[0] for r in rows]


def extract_new(config: Config, new_ids: Sequence[str], edited_ids: Sequence[str],
                extractions: Extractions | None) -> tuple[list[Findings], dict[str, datetime | None]]:
    """Findings of the cycle's new and edited items in publication order, and their publication times. New
    items were mostly extracted while they were being stored; the rest is loaded and extracted here."""
    # what does not need the findings first, while the extract workers finish
    leftovers = unextracted(config, exclude=set(new_ids) | set(edited_ids))
    ids = list(new_ids) + list(edited_ids) + leftovers
    order = publication_order(config, ids)
    done = extractions.results() if extractions is not None else {}
    missing = [iid for iid in new_ids if iid not in done] + list(edited_ids) + leftovers
    if missing:
        items = load_items(config, missing)
        done.update((f.item_id, f) for f in extract_all(items, config.extract))
    return [done[iid] for iid, _ in order], dict(order)


def resolve_all(config: Config, published: Mapping[str, datetime | None] | Sequence[Item],
                findings: Sequence[Findings], now: datetime, policy: events.AlertPolicy, *,
                reset: bool = False) -> events.EventCounts:
    """Apply findings in order, in ONE transaction with the outbox writes. `published`: each item's
    publication time (a mapping, or the items themselves).

    With reset (reprocess), events are rebuilt from scratch and each item counts as seen when it was first
    stored, so first_seen_at and the deadline history keep their real times."""
    if not findings and not reset:  # decisions come only from findings (nothing changes with time alone)
        return events.EventCounts()
    if not isinstance(published, Mapping):
        published = {it.item_id: it.published_at for it in published}
    with db.writer(config.warehouse_path) as con, db.transaction(con):
        seen = {}
        if reset:
            seen = dict(con.execute("SELECT item_id, first_seen_at FROM core.items").fetchall())
            events.reset_events(con)
            store.rebuild_story_index(con)
        resolver = events.Resolver(con, now=now, policy=policy)
        for f in findings:
            resolver.apply(f, published_at=published.get(f.item_id), seen_at=seen.get(f.item_id))
        counts = resolver.flush()
    crash_point("after_commit")
    return counts


def crash_point(name: str) -> None:
    """Fault injection for tests: TRADEWATCH_CRASH_AT=<name> kills the run right here."""
    if os.environ.get("TRADEWATCH_CRASH_AT") == name:
        raise SystemExit(f"crash injected at {name} (TRADEWATCH_CRASH_AT)")


def alert_policy(config: Config, alerts: bool) -> events.AlertPolicy:
    return events.AlertPolicy(enabled=alerts, max_item_age=timedelta(hours=config.alerts.max_item_age_hours))


def deliver(config: Config, now: datetime):
    from tasks.slack_delivery import deliver_pending

    return deliver_pending(config.warehouse_path, slack=config.slack, now=now,
                           max_new_per_channel=config.alerts.max_per_run)


def publish(config: Config) -> Path:
    return db.publish_snapshot(config.warehouse_path)
