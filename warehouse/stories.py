"""Storage of the story index: each item's MinHash signature (core.item_signatures), its LSH band rows within
the near-duplicate window (core.story_bands), the story id of items that joined another item's story
(core.items.story_id, NULL for an item that is its own story) and the method that made the signatures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb
import numpy as np
import pyarrow as pa

from warehouse.transaction import single_threaded


def signature_blobs(matrix: np.ndarray) -> pa.FixedSizeBinaryArray:
    """Signatures as stored (migration 006): each row's values (< 2^32) as little-endian uint32, one BLOB."""
    packed = np.ascontiguousarray(matrix, dtype="<u4")
    width = packed.shape[1] * 4 if packed.ndim == 2 else 0
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(packed), [None, pa.py_buffer(packed.tobytes())])


def signature_of(blob: bytes, values: int) -> np.ndarray:
    """A stored signature back as uint64 values (what the MinHash code computes with)."""
    if len(blob) != values * 4:
        raise ValueError(f"a stored signature is {len(blob)} bytes, not {values * 4}")
    return np.frombuffer(blob, dtype="<u4").astype(np.uint64)


def band_rows(ids: pa.Array, buckets: np.ndarray) -> pa.Table:
    """(item_id, band, bucket) rows of these items: `buckets` is (items, bands), row for row with `ids`."""
    bands = buckets.shape[1]
    per_band = np.repeat(np.arange(len(ids), dtype=np.int32), bands)
    return pa.table({
        "item_id": pa.DictionaryArray.from_arrays(per_band, ids),  # each id once, not once per band
        "band": pa.array(np.tile(np.arange(bands, dtype=np.int16), len(ids))),
        "bucket": pa.array(buckets.ravel()),
    })


def band_hits(con: duckdb.DuckDBPyConnection, probe: pa.Table, since: datetime) -> list[tuple[str, str, str]]:
    """(probing item, stored item, its story) for every stored band row seen since `since` that shares a band
    and bucket with a row of `probe` (band_rows of the new items), the item itself excluded."""
    con.register("probe_bands", probe)
    try:  # the join reads only numbers; the few rows it finds are then read whole
        collisions = con.execute(
            """
            SELECT DISTINCT p.item_id, s.rowid
            FROM probe_bands p JOIN core.story_bands s ON s.band = p.band AND s.bucket = p.bucket
            WHERE s.seen_at >= ?
            """,
            [since],
        ).fetchall()
    finally:
        con.unregister("probe_bands")
    if not collisions:
        return []
    found = dict((r[0], (r[1], r[2])) for r in con.execute(
        "SELECT rowid, item_id, coalesce(story_id, item_id) FROM core.story_bands WHERE rowid IN (SELECT unnest(?))",
        [sorted({rid for _, rid in collisions})],
    ).fetchall())
    return sorted({(new_id, *found[rid]) for new_id, rid in collisions if found[rid][0] != new_id})


def signatures_of(con: duckdb.DuckDBPyConnection, item_ids: Sequence[str], values: int) -> dict[str, np.ndarray]:
    if not item_ids:
        return {}
    return {iid: signature_of(sig, values) for iid, sig in con.execute(
        "SELECT item_id, signature FROM core.item_signatures WHERE item_id IN (SELECT unnest(?))", [list(item_ids)]
    ).fetchall()}


def write_stories(con: duckdb.DuckDBPyConnection, ids: pa.Array, matrix: np.ndarray, probe: pa.Table,
                  story_ids: Sequence[str], *, now: datetime) -> None:
    """Write new items' signatures, band rows (probe, from band_rows) and, for those that joined another
    item's story, their story id."""
    stories = pa.array(list(story_ids), pa.string())
    own_story = np.fromiter((a == b for a, b in zip(ids.to_pylist(), story_ids, strict=True)), dtype=bool,
                            count=len(ids))
    per_band = probe.column("item_id").combine_chunks().indices.to_numpy()
    con.register("new_sigs", pa.table({"item_id": ids, "signature": signature_blobs(matrix)}))
    con.register("new_bands", pa.table({
        "band": probe.column("band"), "bucket": probe.column("bucket"), "item_id": probe.column("item_id"),
        # NULL for an item that is its own story (migration 004): most rows carry one string, not two
        "story_id": pa.DictionaryArray.from_arrays(per_band, stories, mask=own_story[per_band]),
    }))
    joined = ~own_story
    con.register("new_stories", pa.table({"item_id": ids.filter(pa.array(joined)),
                                          "story_id": stories.filter(pa.array(joined))}))
    try:
        with single_threaded(con):
            con.execute("INSERT INTO core.item_signatures SELECT item_id, signature FROM new_sigs"
                        " ON CONFLICT DO NOTHING")
            con.execute("INSERT INTO core.story_bands SELECT band, bucket, item_id, story_id, ? FROM new_bands", [now])
        if joined.any():
            con.execute("UPDATE core.items t SET story_id = n.story_id, change_seq = nextval('core.change_seq')"
                        " FROM new_stories n WHERE t.item_id = n.item_id")
    finally:
        for name in ("new_sigs", "new_bands", "new_stories"):
            con.unregister(name)


def prune_bands(con: duckdb.DuckDBPyConnection, before: datetime) -> int:
    """Drop band rows older than `before` (no probe reads them): the band table stays the size of the window.
    Signatures stay. Returns the rows dropped."""
    return con.execute("DELETE FROM core.story_bands WHERE seen_at < ?", [before]).fetchone()[0]


def unindexed_ids(con: duckdb.DuckDBPyConnection, exclude: Sequence[str], limit: int) -> list[str]:
    """Items a run stored but stopped before giving a story (no signature yet, not extracted), oldest first."""
    return [r[0] for r in con.execute(
        "SELECT i.item_id FROM core.items i WHERE i.extracted_at IS NULL AND i.item_id NOT IN (SELECT unnest(?))"
        " AND NOT EXISTS (SELECT 1 FROM core.item_signatures s WHERE s.item_id = i.item_id)"
        " ORDER BY i.first_seen_at, i.rowid LIMIT ?",
        [list(exclude), limit],
    ).fetchall()]


def clear(con: duckdb.DuckDBPyConnection) -> None:
    """Forget every signature, band row and story (before rebuilding the index from the items)."""
    con.execute("DELETE FROM core.story_bands")
    con.execute("DELETE FROM core.item_signatures")
    con.execute("UPDATE core.items SET story_id = NULL, change_seq = nextval('core.change_seq')"
                " WHERE story_id IS NOT NULL")


def signed_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT item_id FROM core.item_signatures ORDER BY item_id").fetchall()]


def forget(con: duckdb.DuckDBPyConnection, item_ids: Sequence[str]) -> None:
    """Drop the signatures and band rows of these items (signatures whose item is gone)."""
    con.execute("DELETE FROM core.item_signatures WHERE item_id IN (SELECT unnest(?))", [list(item_ids)])
    con.execute("DELETE FROM core.story_bands WHERE item_id IN (SELECT unnest(?))", [list(item_ids)])


def replace_signatures(con: duckdb.DuckDBPyConnection, ids: pa.Array, matrix: np.ndarray, rows: pa.Table) -> None:
    """New signatures for stored items, and their band rows' new buckets (stories and band times kept)."""
    con.register("resigned", pa.table({"item_id": ids, "signature": signature_blobs(matrix)}))
    con.register("rebanded", rows)
    try:
        con.execute("UPDATE core.item_signatures t SET signature = r.signature FROM resigned r"
                    " WHERE t.item_id = r.item_id")
        con.execute("UPDATE core.story_bands t SET bucket = r.bucket FROM rebanded r"
                    " WHERE t.item_id = r.item_id AND t.band = r.band")
    finally:
        con.unregister("resigned")
        con.unregister("rebanded")


def method(con: duckdb.DuckDBPyConnection) -> int:
    """The method of the stored signatures (migration 007)."""
    return con.execute("SELECT max(method) FROM core.story_method").fetchall()[0][0]


def set_method(con: duckdb.DuckDBPyConnection, value: int) -> None:
    con.execute("DELETE FROM core.story_method")
    con.execute("INSERT INTO core.story_method VALUES (?)", [value])
