"""Poll one source: a guarded conditional GET, then its body turned into items in a parser worker. Never
raises for anything the source does: errors are values, recorded on the source by the store step."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np
import pyarrow as pa
import requests

from records.config import Config, FetchConfig, SourceConfig
from records.items import Fetched, Item
from records.sources import SourceState
from tasks import stop
from tasks.sources.http import FetchPolicy, fetch, make_session
from tasks.sources.kinds import read_body
from tasks.sources.parsing import parser_pool
from warehouse import connection
from warehouse import items as item_store


@dataclass(frozen=True)
class Polled:
    """What one source gave this cycle."""

    source_id: str
    fetched: Fetched  # without its body (not needed past parsing)
    # the items; their summary and body are dropped ("") once `table` holds them and `signatures` has every
    # item's signature (nothing after the poll reads them)
    items: tuple[Item, ...] = ()
    error: str | None = None  # fetch or parse error key
    error_detail: str | None = None
    truncated: int = 0  # items left for the next run (bounded work per run)
    signatures: Mapping[str, np.ndarray] = field(default_factory=dict)  # item id → MinHash, from the parser
    table: pa.Table | None = None  # the items in the warehouse's columnar form (items_table), in order
    known: Mapping[str, str] | None = None  # stored content hash of each item stored already (None: not looked up)


def fetch_policy(fetch: FetchConfig) -> FetchPolicy:
    return FetchPolicy(allow_hosts=fetch.allow_hosts, connect_timeout_s=fetch.connect_timeout_s,
                       read_timeout_s=fetch.read_timeout_s, total_deadline_s=fetch.total_deadline_s,
                       max_bytes=fetch.max_bytes)


_local = threading.local()


def session() -> requests.Session:
    """This thread's HTTP session (keep-alive connections are reused cycle after cycle)."""
    if getattr(_local, "session", None) is None:
        _local.session = make_session()
    return _local.session


NewItems = Callable[[Sequence[Item]], None]


def poll(source: SourceConfig, state: SourceState | None, config: Config, now: datetime, *,
         on_new_items: NewItems | None = None) -> Polled:
    """Fetch and parse one source. `on_new_items` gets the items not stored yet, text included, as soon as
    they are known (the cycle starts extracting them while other sources are polled). A stop requested before
    the fetch starts raises Stopped (tasks/stop.py); fetches in flight are cut by it."""
    stop.check(f"before fetching {source.id}")
    fetched = fetch(source.id, source.url, etag=state.etag if state else None,
                    last_modified=state.last_modified if state else None,
                    session=session(), policy=fetch_policy(config.fetch))
    if fetched.error:
        return Polled(source.id, fetched, error=fetched.error, error_detail=fetched.error_detail)
    if not fetched.modified:
        return Polled(source.id, fetched)
    pool = parser_pool(config.fetch.parse_timeout_s, config.fetch.parse_memory_mb)
    signatures: dict[str, np.ndarray] = {}

    def parse_feed(body: bytes, **options):  # the pool's parse, keeping the signatures it computed
        result, rows = pool.parse_signed(body, **options)
        if rows is not None:
            signatures.update(zip((it.item_id for it in result.items), rows, strict=True))
        return result

    result = read_body(source.kind, fetched.body or b"", source_id=source.id, now=now,
                       content_type=fetched.content_type, base_url=fetched.url, parse_feed=parse_feed)
    if result.error:
        return Polled(source.id, replace(fetched, body=None), error=result.error, error_detail=result.error_detail)
    with connection.cursor(config.warehouse_path) as con:
        known = item_store.known_hashes(con, [it.item_id for it in result.items]) if result.items else {}
    if on_new_items is not None:
        on_new_items([it for it in result.items if it.item_id not in known])
    table = item_store.items_table(result.items)
    items = result.items
    if all(it.item_id in signatures for it in items):  # else the story step computes them, from the text
        items = tuple(replace(it, summary="", body="") for it in items)
    return Polled(source.id, replace(fetched, body=None), items=items, signatures=signatures, table=table,
                  known=known)
