"""Poll one source: a guarded conditional GET, then its body turned into items in a parser worker. Never
raises for anything the source does: errors are values, recorded on the source by the store step."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import urljoin

import numpy as np
import pyarrow as pa
import requests

from records.config import Config, FetchConfig, SourceConfig
from records.items import Fetched, Item, item_id
from records.sources import SourceState
from tasks import stop
from tasks.sources.http import FetchPolicy, fetch, make_session
from tasks.sources.kinds import read_body
from tasks.sources.parsing import parser_pool
from tasks.sources.text import is_absolute
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
    items = result.items
    earlier = earlier_ids(items, fetched.url)
    with connection.cursor(config.warehouse_path) as con:
        known = item_store.known_hashes(con, [it.item_id for it in items] + list(earlier.values())) if items else {}
    items = keep_earlier_identities(items, earlier, known, signatures)
    if on_new_items is not None:
        on_new_items([it for it in items if it.item_id not in known])
    table = item_store.items_table(items)
    if all(it.item_id in signatures for it in items):  # else the story step computes them, from the text
        items = tuple(replace(it, summary="", body="") for it in items)
    return Polled(source.id, replace(fetched, body=None), items=items, signatures=signatures, table=table,
                  known=known)


def earlier_ids(items: Sequence[Item], fetched_url: str) -> dict[str, str]:
    """Items are identified by their guid as the feed wrote it (records/items.py). Releases before made a
    relative guid absolute against the feed's URL first: for an item whose guid is a relative path (has a '/':
    the ids of Atom feeds and CMS permalinks that are relative are paths), the id such a release gave it, as
    read from where the feed is now. Other relative guids (no '/': 'src-0001') are left alone: RSS guids
    that are not permalinks were never resolved, and computing ids for them costs the changed poll."""
    return {it.item_id: item_id(it.source_id, "guid:" + urljoin(fetched_url, it.guid)) for it in items
            if it.guid and "/" in it.guid and not is_absolute(it.guid)}


def keep_earlier_identities(items: tuple[Item, ...], earlier: Mapping[str, str], known: dict[str, str],
                            signatures: dict[str, np.ndarray]) -> tuple[Item, ...]:
    """An item stored by a release before identity-as-written, and still in its feed, keeps the id it was
    stored under (instead of coming back as new once). Nothing in the warehouse is rewritten. (An item stored
    then whose feed has moved since is met once more under its new id.)"""
    if not earlier:
        return items
    kept = []
    for it in items:
        old = earlier.get(it.item_id)
        if old is not None and it.item_id not in known and old in known:
            if it.item_id in signatures:
                signatures[old] = signatures.pop(it.item_id)
            it = replace(it, item_id=old)
        kept.append(it)
    return tuple(kept)
