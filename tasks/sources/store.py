"""Store what the poll gave: every source's items and outcome, in bulk and in one transaction (all or nothing).
Bounded work: at most `fetch.max_items_per_source` new or edited items of one source per run, newest first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import duckdb
import numpy as np
import pyarrow as pa

from records.config import Config
from tasks import stop
from tasks.faults import crash_point
from tasks.sources.health import FetchOutcome, record_outcomes
from tasks.sources.poll import Polled
from warehouse import connection, outbox, space
from warehouse import items as item_store
from warehouse.transaction import transaction


@dataclass(frozen=True)
class SourceOutcome:
    """How one source's poll went, as recorded."""

    source_id: str
    status: int | None  # HTTP status (304: unchanged); None when no response
    error: str | None = None
    error_detail: str | None = None
    deferred: int = 0  # new or edited items left for later runs (bounded work)


@dataclass(frozen=True)
class Stored:
    """What the store step wrote: the new and the edited items (to extract), the MinHash signatures the
    parser workers computed (the story step takes the new items' from it), and each source's outcome."""

    new_ids: tuple[str, ...] = ()
    edited_ids: tuple[str, ...] = ()
    signatures: Mapping[str, np.ndarray] = field(default_factory=dict)
    sources: tuple[SourceOutcome, ...] = ()

    @property
    def anything(self) -> bool:
        return bool(self.new_ids or self.edited_ids)


def bound_work(con: duckdb.DuckDBPyConnection, polled: Polled, limit: int, now: datetime) -> Polled:
    """At most `limit` new or edited items of one source, the newest first. The rest wait: the source's
    validators are not kept, so the next run re-reads the feed and takes the next batch."""
    if len(polled.items) <= limit:
        return polled
    known = polled.known
    if known is None:
        known = item_store.known_hashes(con, [it.item_id for it in polled.items])
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


def store_polled(config: Config, polled: Sequence[Polled], now: datetime) -> Stored:
    """Store every source's items and record every source's outcome (and the operations alerts it raises).
    Refused before anything is written when the disk has no room for the batch (WarehouseError)."""
    stop.check("before storing")  # a safe point: nothing of this cycle is written yet
    incoming = sum(p.table.nbytes if p.table is not None else sum(len(it.body) for it in p.items) for p in polled)
    count = sum(len(p.items) for p in polled)
    space.require(config.warehouse_path, space.for_storing(incoming), f"storing {count} items")
    with connection.writer(config.warehouse_path) as con, transaction(con):
        polled = [bound_work(con, p, config.fetch.max_items_per_source, now) for p in polled]
        items = [it for p in polled for it in p.items]
        signatures: dict[str, np.ndarray] = {}
        for p in polled:
            signatures.update(p.signatures)
        tables = [p.table if p.table is not None else item_store.items_table(p.items) for p in polled if p.items]
        known = None
        if all(p.known is not None for p in polled if p.items):  # looked up as each source was parsed
            known = {iid: h for p in polled if p.known for iid, h in p.known.items()}
        result = item_store.store_items(con, items, now=now, table=pa.concat_tables(tables) if tables else None,
                                        known=known)
        source_of = {it.item_id: it.source_id for it in items}
        new_per_source: dict[str, int] = {}
        for iid in result.new_ids:
            new_per_source[source_of[iid]] = new_per_source.get(source_of[iid], 0) + 1
        outcomes = [FetchOutcome(p.fetched, new_per_source.get(p.source_id, 0), p.error, p.error_detail)
                    for p in polled]
        for change in record_outcomes(con, outcomes, now=now):
            outbox.enqueue_alert(con, kind=change.kind, event_kind="source", event_id=change.source_id,
                                 key_parts=(now.isoformat(),), text=change.text, payload=change.payload, now=now)
    crash_point("after_store")
    return Stored(result.new_ids, result.edited_ids, signatures,
                  tuple(SourceOutcome(p.source_id, p.fetched.status, p.error, p.error_detail, p.truncated)
                        for p in polled))
