"""Storage of items (core.items): insert-only, idempotent; an edit (same id, new content hash) updates the text.

Bulk writes go through Arrow tables, never row by row. Bodies are stored zstd-compressed (warehouse/bodies.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from records.items import Item
from warehouse import bodies
from warehouse.transaction import single_threaded

# an item's own fields (its story is written by the story step, after storing)
_TEXT_SCHEMA = pa.schema([
    ("item_id", pa.string()), ("source_id", pa.string()), ("guid", pa.string()), ("url", pa.string()),
    ("title", pa.string()), ("summary", pa.string()), ("body_z", pa.binary()),
    ("published_at", pa.timestamp("us", tz="UTC")), ("published_offset_min", pa.int32()),
    ("date_suspect", pa.bool_()), ("content_hash", pa.string()),
])


def items_table(items: Sequence[Item]) -> pa.Table:
    """Items in the warehouse's columnar form, in order, bodies compressed: built as each source arrives, so
    the store stage only filters and inserts."""
    columns = {name: [getattr(it, name) for it in items] for name in _TEXT_SCHEMA.names if name != "body_z"}
    columns["body_z"] = bodies.compressed_column([it.body for it in items])
    return pa.Table.from_pydict(columns, schema=_TEXT_SCHEMA)


# an Item's columns as stored: `item_from_row` makes the Item of a row selected with these
ITEM_COLUMNS = ("item_id, source_id, guid, url, title, summary, body, body_z, published_at, published_offset_min,"
                " date_suspect, content_hash")


def item_from_row(row: Sequence) -> Item:
    return Item(*row[:6], bodies.body_text(row[6], row[7]), *row[8:12])


@dataclass(frozen=True)
class StoreResult:
    new_ids: tuple[str, ...]
    edited_ids: tuple[str, ...]


def known_hashes(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, str]:
    """The stored content hash of each of these items that is stored already."""
    return dict(con.execute(
        "SELECT item_id, content_hash FROM core.items WHERE item_id IN (SELECT unnest(?))", [list(ids)]
    ).fetchall())


def store_items(con: duckdb.DuckDBPyConnection, items: Sequence[Item], *, now: datetime,
                known: Mapping[str, str] | None = None, table: pa.Table | None = None) -> StoreResult:
    """Insert new items; update the text of edited ones (same identity, new content hash). Idempotent; the cost
    follows the batch, not the number of items stored.

    `table`: items_table(items), row for row, when the caller built it already (the items' text may have been
    dropped then). `known`: the stored content hash of each stored item, when the caller looked them up with
    no write since (the run lock keeps other writers out)."""
    if not items:
        return StoreResult((), ())
    if table is None:
        table = items_table(items)
    elif table.num_rows != len(items):
        raise ValueError(f"{table.num_rows} table rows for {len(items)} items")
    last = {it.item_id: i for i, it in enumerate(items)}  # the last duplicate in a batch wins
    if known is None:
        known = known_hashes(con, list(last))
    fresh = [i for i in last.values() if items[i].item_id not in known]
    changed = [i for i in last.values()
               if items[i].item_id in known and known[items[i].item_id] != items[i].content_hash]
    inserts = _rows(table, fresh)
    updates = _rows(table, changed)
    new_ids: list[str] = []
    edited: list[str] = []
    with single_threaded(con):
        for start in range(0, len(fresh), STORE_CHUNK):  # bounded copies into DuckDB
            new_ids += _insert_chunk(con, inserts.slice(start, STORE_CHUNK), now)
        for start in range(0, len(changed), STORE_CHUNK):
            edited += _update_chunk(con, updates.slice(start, STORE_CHUNK), now)
    return StoreResult(tuple(new_ids), tuple(edited))


def _rows(table: pa.Table, indices: Sequence[int]) -> pa.Table:
    """These rows of the table; the table itself (no copy of its text) when that is all of it, in order."""
    if len(indices) == table.num_rows and all(i == k for k, i in enumerate(indices)):
        return table
    if not indices:  # take() of no rows still walks every chunk
        return table.slice(0, 0)
    return table.take(pa.array(indices, pa.int64()))


STORE_CHUNK = 1000


def _insert_chunk(con, table: pa.Table, now: datetime) -> list[str]:
    """A plain INSERT: the rows are known to be new (looked up under the run lock), and ON CONFLICT ...
    RETURNING costs twice the insert. A duplicate would still be refused by the key, with its transaction."""
    con.register("incoming_items", table)
    try:
        con.execute(
            """
            INSERT INTO core.items (item_id, source_id, guid, url, title, summary, body_z, published_at,
                                    published_offset_min, date_suspect, content_hash, first_seen_at, last_seen_at)
            SELECT item_id, source_id, guid, url, title, summary, body_z, published_at, published_offset_min,
                   date_suspect, content_hash, $now, $now
            FROM incoming_items
            """,
            {"now": now},
        )
    finally:
        con.unregister("incoming_items")
    return table.column("item_id").to_pylist()


def _update_chunk(con, table: pa.Table, now: datetime) -> list[str]:
    con.register("edited_items", table)
    try:
        return [r[0] for r in con.execute(
            """
            UPDATE core.items AS t SET title = n.title, summary = n.summary, body = NULL, body_z = n.body_z,
                   url = n.url,
                   content_hash = n.content_hash, last_seen_at = $now, change_seq = nextval('core.change_seq')
            FROM edited_items AS n
            WHERE t.item_id = n.item_id AND t.content_hash <> n.content_hash
            RETURNING t.item_id
            """,
            {"now": now},
        ).fetchall()]
    finally:
        con.unregister("edited_items")


def items_by_id(con: duckdb.DuckDBPyConnection, item_ids: Sequence[str]) -> list[Item]:
    """These stored items, in the order they were stored (first seen, then inserted: a batch's order)."""
    return [item_from_row(r) for r in con.execute(
        f"SELECT {ITEM_COLUMNS} FROM core.items WHERE item_id IN (SELECT unnest(?)) ORDER BY first_seen_at, rowid",
        [list(item_ids)],
    ).fetchall()]


def items_in_publication_order(con: duckdb.DuckDBPyConnection, item_ids: Sequence[str] | None) -> list[Item]:
    """Items in the order findings are applied (publication, then first seen); None means every item."""
    sql = f"SELECT {ITEM_COLUMNS} FROM core.items"
    params: list = []
    if item_ids is not None:
        if not item_ids:
            return []
        sql += " WHERE item_id IN (SELECT unnest(?))"
        params = [list(item_ids)]
    sql += " ORDER BY published_at NULLS LAST, first_seen_at, item_id"
    return [item_from_row(r) for r in con.execute(sql, params).fetchall()]


def publication_order(con: duckdb.DuckDBPyConnection, item_ids: Sequence[str]) -> list[tuple[str, datetime | None]]:
    """(item id, published_at) in the order findings are applied (as items_in_publication_order)."""
    if not item_ids:
        return []
    return con.execute(
        "SELECT item_id, published_at FROM core.items WHERE item_id IN (SELECT unnest(?))"
        " ORDER BY published_at NULLS LAST, first_seen_at, item_id",
        [list(item_ids)],
    ).fetchall()


def origins(con: duckdb.DuckDBPyConnection, item_ids: Sequence[str]) -> dict[str, tuple[str, str | None, str]]:
    """Where each item comes from: item id → (source id, url, story id; an item is its own story by default)."""
    if not item_ids:
        return {}
    return {r[0]: r[1:] for r in con.execute(
        "SELECT item_id, source_id, url, coalesce(story_id, item_id) FROM core.items"
        " WHERE item_id IN (SELECT unnest(?))", [list(item_ids)]).fetchall()}


def unextracted(con: duckdb.DuckDBPyConnection, exclude: Sequence[str], limit: int) -> list[str]:
    """Items stored but never resolved (a run stopped between the two commits), oldest first."""
    return [r[0] for r in con.execute(
        "SELECT item_id FROM core.items WHERE extracted_at IS NULL AND item_id NOT IN (SELECT unnest(?))"
        " ORDER BY first_seen_at, item_id LIMIT ?",
        [sorted(exclude), limit],
    ).fetchall()]


def first_seen(con: duckdb.DuckDBPyConnection) -> dict[str, datetime]:
    """When each item was first stored (reprocess dates its decisions with it)."""
    return dict(con.execute("SELECT item_id, first_seen_at FROM core.items").fetchall())


def record_extraction(con: duckdb.DuckDBPyConnection, rows: Sequence[tuple[str, bool, str]], *,
                      now: datetime) -> None:
    """Mark items read: (item id, relevant, why) each, extracted at `now`."""
    if not rows:
        return
    con.register("relevance_rows", pa.table({
        "item_id": [r[0] for r in rows], "relevant": [r[1] for r in rows], "reason": [r[2] for r in rows]}))
    try:
        con.execute("UPDATE core.items AS t SET relevant = n.relevant, relevance_reason = n.reason, extracted_at = ?,"
                    " change_seq = nextval('core.change_seq') FROM relevance_rows AS n WHERE t.item_id = n.item_id", [now])
    finally:
        con.unregister("relevance_rows")
