"""Writes of the monitor cycle: source health, items (insert-only, idempotent), stories.

Every function takes an open read-write connection and runs inside the caller's transaction.
Bulk writes go through Arrow tables (INSERT … SELECT … ON CONFLICT), never row by row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import numpy as np
import pyarrow as pa

from tasks import stories
from tasks.config import SourceConfig
from tasks.models import Fetched, Item
from warehouse import bodies, db

# The Arrow tables built here are transient copies on their way into DuckDB. With the system allocator their
# memory goes back to the OS when they are dropped; mimalloc (pyarrow's default) keeps it: ~30 MB more peak RSS
# for a batch of 10,000 items (bench/memory_profile.py).
pa.set_memory_pool(pa.system_memory_pool())

BACKOFF_BASE_S = 60.0
BACKOFF_CAP_S = 6 * 3600.0


@dataclass(frozen=True)
class SourceState:
    source_id: str
    etag: str | None
    last_modified: str | None
    next_attempt_at: datetime | None
    error_streak: int
    gone: bool


def sync_sources(con: duckdb.DuckDBPyConnection, sources: Sequence[SourceConfig]) -> dict[str, SourceState]:
    """Make core.sources match the config (new sources added, kind/url/period updated; none deleted).
    Writes only what differs (a steady config costs one read), in one bulk upsert from an Arrow table."""
    known = {r[0]: r[1:] for r in con.execute(
        "SELECT source_id, kind, url, every_minutes, expect_items_hours FROM core.sources").fetchall()}
    latest = {s.id: s for s in sources}  # a repeated id: the last one wins
    latest = {sid: s for sid, s in latest.items()
              if known.get(sid) != (s.kind, s.url, s.every_minutes, s.expect_items_hours)}
    if latest:
        con.register("incoming_sources", pa.table({
            "source_id": list(latest), "kind": [s.kind for s in latest.values()],
            "url": [s.url for s in latest.values()],
            "every_minutes": pa.array([s.every_minutes for s in latest.values()], pa.int32()),
            "expect_items_hours": pa.array([s.expect_items_hours for s in latest.values()], pa.float64()),
        }))
        try:
            con.execute(
                """
                INSERT INTO core.sources (source_id, kind, url, every_minutes, expect_items_hours)
                SELECT source_id, kind, url, every_minutes, expect_items_hours FROM incoming_sources
                ON CONFLICT (source_id) DO UPDATE SET
                    kind = excluded.kind, every_minutes = excluded.every_minutes,
                    expect_items_hours = excluded.expect_items_hours,
                    -- a new URL is a new feed: forget validators of the old one
                    etag = CASE WHEN core.sources.url = excluded.url THEN core.sources.etag END,
                    last_modified = CASE WHEN core.sources.url = excluded.url THEN core.sources.last_modified END,
                    url = excluded.url
                """
            )
        finally:
            con.unregister("incoming_sources")
    rows = con.execute(
        "SELECT source_id, etag, last_modified, next_attempt_at, error_streak, gone FROM core.sources"
    ).fetchall()
    return {r[0]: SourceState(*r) for r in rows}


def is_due(state: SourceState | None, now: datetime) -> bool:
    return state is None or state.next_attempt_at is None or state.next_attempt_at <= now


def backoff_s(error_streak: int, retry_after_s: float | None) -> float:
    delay = min(BACKOFF_BASE_S * 2 ** max(error_streak - 1, 0), BACKOFF_CAP_S)
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, BACKOFF_CAP_S))
    return delay


@dataclass(frozen=True)
class HealthChange:
    """An operations alert to raise for a source, if any: 'source_down', 'source_recovered', 'source_gone'."""

    source_id: str
    kind: str
    text: str
    payload: dict


@dataclass(frozen=True)
class FetchOutcome:
    """One poll of one source: the response, how many new items it gave, and the fetch or parse error."""

    fetched: Fetched
    new_items: int = 0
    error: str | None = None
    error_detail: str | None = None


_STATE_COLUMNS = (
    "etag", "last_modified", "last_status", "last_bytes", "last_elapsed_s", "last_attempt_at", "last_success_at",
    "first_attempt_at", "last_error", "last_error_detail", "error_streak", "next_attempt_at", "gone",
    "down_alerted", "items_seen", "last_new_item_at", "silent_alerted",
)
_READ_COLUMNS = _STATE_COLUMNS + ("url", "every_minutes", "expect_items_hours")


def next_source_state(old: dict, outcome: FetchOutcome, now: datetime) -> tuple[dict, HealthChange | None]:
    """Pure: a source's health after one poll, and the operations alert it raises, if any.

    Success resets the streak (a 304 keeps the validators; a 200 replaces them, with none when the run deferred
    items). Failure grows the streak and backs off exponentially (capped, Retry-After honoured); failing for
    3x the source's period raises one 'source_down', a 410 one 'source_gone'; a recovery raises one
    'source_recovered'. A source that answers but publishes nothing for `expect_items_hours` raises one
    'source_silent'."""
    f, sid = outcome.fetched, outcome.fetched.source_id
    new = dict(old)
    new.update(last_status=f.status, last_bytes=f.bytes_read, last_elapsed_s=f.elapsed_s, last_attempt_at=now,
               first_attempt_at=old["first_attempt_at"] or now)
    first_attempt_at = new["first_attempt_at"]
    if outcome.error is None:
        if f.status == 304:
            new.update(etag=f.etag or old["etag"], last_modified=f.last_modified or old["last_modified"])
        else:
            new.update(etag=f.etag, last_modified=f.last_modified)
        new.update(last_success_at=now, last_error=None, last_error_detail=None, error_streak=0,
                   next_attempt_at=now, gone=False, down_alerted=False,
                   items_seen=old["items_seen"] + outcome.new_items)
        change = None
        if old["down_alerted"]:
            change = HealthChange(sid, "source_recovered",
                                  f"Source {sid} is back after {old['error_streak']} failed polls",
                                  {"source_id": sid, "url": old["url"], "error": None, "error_streak": 0})
        last_new_at = old["last_new_item_at"] or first_attempt_at
        if outcome.new_items:
            new.update(last_new_item_at=now, silent_alerted=False)
            if old["silent_alerted"]:
                change = change or HealthChange(sid, "source_recovered", f"Source {sid} is publishing again",
                                                {"source_id": sid, "url": old["url"], "error": None,
                                                 "error_streak": 0})
        elif (old["expect_items_hours"] and not old["silent_alerted"]
              and now - last_new_at > timedelta(hours=old["expect_items_hours"])):
            new.update(silent_alerted=True)
            change = change or HealthChange(
                sid, "source_silent",
                f"Source {sid} has published nothing new since {last_new_at:%Y-%m-%d %H:%M} UTC "
                f"(expected within {old['expect_items_hours']:g} h)",
                {"source_id": sid, "url": old["url"], "error": "silent", "error_streak": 0})
        return new, change

    streak = old["error_streak"] + 1
    now_gone = f.status == 410
    since = old["last_success_at"] or first_attempt_at
    expected = timedelta(minutes=max(old["every_minutes"], 10) * 3)
    payload = {"source_id": sid, "url": old["url"], "error": outcome.error, "error_streak": streak,
               "detail": outcome.error_detail}
    change = None
    if now_gone and not old["gone"]:
        change = HealthChange(sid, "source_gone", f"Source {sid} answered 410 Gone; it stays configured and is "
                              "retried rarely. Remove or fix its URL.", payload)
    elif not old["down_alerted"] and not now_gone and now - since >= expected:
        change = HealthChange(sid, "source_down", f"Source {sid} failing since {since:%Y-%m-%d %H:%M} UTC: "
                              f"{outcome.error}", payload)
    new.update(last_error=outcome.error, last_error_detail=outcome.error_detail, error_streak=streak,
               next_attempt_at=now + timedelta(seconds=backoff_s(streak, f.retry_after_s)),
               gone=old["gone"] or now_gone,
               down_alerted=old["down_alerted"] or (change is not None and change.kind == "source_down"))
    return new, change


def record_fetches(con: duckdb.DuckDBPyConnection, outcomes: Sequence[FetchOutcome], *,
                   now: datetime) -> list[HealthChange]:
    """Record every source's poll in three statements, however many sources: read their state, write the new
    state from an Arrow table, append the fetch log. Returns the operations alerts to raise."""
    if not outcomes:
        return []
    ids = [o.fetched.source_id for o in outcomes]
    cols = ", ".join(_READ_COLUMNS)
    olds = {r[0]: dict(zip(_READ_COLUMNS, r[1:], strict=True)) for r in con.execute(
        f"SELECT source_id, {cols} FROM core.sources WHERE source_id IN (SELECT unnest(?))", [ids]).fetchall()}
    states, changes = [], []
    for o in outcomes:
        new, change = next_source_state(olds[o.fetched.source_id], o, now)
        states.append((o.fetched.source_id, new))
        if change is not None:
            changes.append(change)
    table = pa.table({"source_id": [sid for sid, _ in states],
                      **{c: [st[c] for _, st in states] for c in _STATE_COLUMNS}})
    log = pa.table({
        "source_id": ids, "fetched_at": pa.array([now] * len(ids), pa.timestamp("us", tz="UTC")),
        "status": pa.array([o.fetched.status for o in outcomes], pa.int32()),
        "bytes": pa.array([o.fetched.bytes_read for o in outcomes], pa.int64()),
        "elapsed_s": pa.array([o.fetched.elapsed_s for o in outcomes], pa.float64()),
        "error": pa.array([o.error for o in outcomes], pa.string()),
        "new_items": pa.array([o.new_items for o in outcomes], pa.int32()),
    })
    con.register("new_source_state", table)
    con.register("new_fetch_log", log)
    try:
        sets = ", ".join(f"{c} = n.{c}" for c in _STATE_COLUMNS)
        con.execute(f"UPDATE core.sources AS t SET {sets} FROM new_source_state AS n WHERE t.source_id = n.source_id")
        con.execute("INSERT INTO core.fetch_log SELECT * FROM new_fetch_log")
    finally:
        con.unregister("new_source_state")
        con.unregister("new_fetch_log")
    return changes


def record_fetch(con: duckdb.DuckDBPyConnection, fetched: Fetched, *, now: datetime, new_items: int,
                 error: str | None, error_detail: str | None) -> HealthChange | None:
    """Record one poll outcome (see record_fetches)."""
    changes = record_fetches(con, [FetchOutcome(fetched, new_items, error, error_detail)], now=now)
    return changes[0] if changes else None


# an item's own fields (its story is written by the story step, after storing)
_TEXT_SCHEMA = pa.schema([
    ("item_id", pa.string()), ("source_id", pa.string()), ("guid", pa.string()), ("url", pa.string()),
    ("title", pa.string()), ("summary", pa.string()), ("body_z", pa.binary()),
    ("published_at", pa.timestamp("us", tz="UTC")), ("published_offset_min", pa.int32()),
    ("date_suspect", pa.bool_()), ("content_hash", pa.string()),
])


def items_table(items: Sequence[Item]) -> pa.Table:
    """Items in the warehouse's columnar form, in order, bodies compressed (warehouse/bodies.py): built by
    each poll thread as its source arrives, so the store stage only filters and inserts."""
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
    """Insert new items; update the text of edited ones (same identity, new content hash). Idempotent.

    One lookup says which items are new or edited; new ones are inserted (their story comes next: assign_stories)
    and only edited ones are updated, so the cost follows the batch, not the number of items stored.
    `table`: items_table(items), row for row, when the caller built it already; then only the items' ids,
    hashes and dates are read (their text may have been dropped: the table holds it).
    `known`: the stored content hash of each of these items that is stored, looked up with no write since
    (in this transaction, or during the poll: the run lock keeps other writers out)."""
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
    with db.single_threaded(con):
        for start in range(0, len(fresh), STORE_CHUNK):  # bounded copies into DuckDB
            new_ids += _insert_chunk(con, inserts.slice(start, STORE_CHUNK), now)
        for start in range(0, len(changed), STORE_CHUNK):
            edited += _update_chunk(con, updates.slice(start, STORE_CHUNK), now)
    return StoreResult(tuple(new_ids), tuple(edited))


def _rows(table: pa.Table, indices: Sequence[int]) -> pa.Table:
    """These rows of the table; the table itself (no copy of its text) when that is all of it, in order."""
    if len(indices) == table.num_rows and all(i == k for k, i in enumerate(indices)):
        return table
    if not indices:  # take() of no rows still walks every chunk: ~20 ms for the bench's 200 sources
        return table.slice(0, 0)
    return table.take(pa.array(indices, pa.int64()))


STORE_CHUNK = 1000


def _insert_chunk(con, table: pa.Table, now: datetime) -> list[str]:
    """A plain INSERT: the rows are new (the caller looked them up in this transaction, and the single writer
    holds the run lock), so no ON CONFLICT and no RETURNING, which cost twice the insert and a slower commit
    (10,000 bench items: insert 0.145 → 0.075 s, commit 0.16 → 0.10 s). A duplicate would still be refused
    by the key, and the transaction with it."""
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
                   content_hash = n.content_hash, last_seen_at = $now
            FROM edited_items AS n
            WHERE t.item_id = n.item_id AND t.content_hash <> n.content_hash
            RETURNING t.item_id
            """,
            {"now": now},
        ).fetchall()]
    finally:
        con.unregister("edited_items")


def assign_stories(con: duckdb.DuckDBPyConnection, items: Sequence[Item], *, now: datetime,
                   signatures: Mapping[str, np.ndarray] | None = None) -> dict[str, str]:
    """Give each new item a story: the story of its closest near-duplicate in the recent window, else its own.
    `signatures`: those computed already (by the parser workers); the others are computed from the text.
    See assign_story_ids."""
    if not items:
        return {}
    return assign_story_ids(con, [it.item_id for it in items], signature_matrix(items, signatures or {}), now=now)


def assign_story_ids(con: duckdb.DuckDBPyConnection, item_ids: Sequence[str], matrix: np.ndarray, *,
                     now: datetime) -> dict[str, str]:
    """Each item's story (item ids with their signatures, row for row), written to the story index (the
    items' signatures and LSH band rows) and to the stored items.

    Candidates come from LSH band collisions in core.story_bands (recent window only), confirmed by the
    estimated Jaccard similarity of the signatures. core.items.story_id is NULL for an item that is its own
    story (most items: the `items` view shows the item's id), so only the items that joined another story
    are updated."""
    if not item_ids:
        return {}
    if len(item_ids) != len(matrix):
        raise ValueError(f"{len(matrix)} signatures for {len(item_ids)} items")
    buckets = stories.band_keys_matrix(matrix)  # (items, bands), vectorised
    ids = pa.array(list(item_ids), pa.string())
    per_band = np.repeat(np.arange(len(item_ids), dtype=np.int32), stories.BANDS)  # band rows → item
    probe = _band_rows(ids, buckets)
    since = now - timedelta(days=stories.WINDOW_DAYS)
    con.register("probe_bands", probe)
    try:  # the join reads only numbers; the few rows it finds are then read whole (strings for 3.2M rows cost more)
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
    hits: list[tuple[str, str, str]] = []
    if collisions:
        found = dict((r[0], (r[1], r[2])) for r in con.execute(
            "SELECT rowid, item_id, coalesce(story_id, item_id) FROM core.story_bands WHERE rowid IN (SELECT unnest(?))",
            [sorted({rid for _, rid in collisions})],
        ).fetchall())
        hits = sorted({(new_id, *found[rid]) for new_id, rid in collisions if found[rid][0] != new_id})
    old_ids = sorted({old for _, old, _ in hits})
    old_sigs: dict[str, np.ndarray] = {}
    if old_ids:
        for iid, sig in con.execute(
            "SELECT item_id, signature FROM core.item_signatures WHERE item_id IN (SELECT unnest(?))", [old_ids]
        ).fetchall():
            old_sigs[iid] = signature_of(sig)
    assigned = _choose_stories(ids.to_pylist(), matrix, buckets, hits, old_sigs)
    story_ids = pa.array(list(assigned.values()), pa.string())

    con.register("new_sigs", pa.table({"item_id": ids, "signature": signature_blobs(matrix)}))
    own_story = np.fromiter((a == b for a, b in assigned.items()), dtype=bool, count=len(assigned))
    con.register("new_bands", pa.table({
        "band": probe.column("band"), "bucket": probe.column("bucket"), "item_id": probe.column("item_id"),
        # NULL for an item that is its own story (migration 004): most rows carry one string, not two
        "story_id": pa.DictionaryArray.from_arrays(per_band, story_ids, mask=own_story[per_band]),
    }))
    joined = ~own_story
    con.register("new_stories", pa.table({"item_id": ids.filter(pa.array(joined)),
                                          "story_id": story_ids.filter(pa.array(joined))}))
    try:
        with db.single_threaded(con):
            con.execute("INSERT INTO core.item_signatures SELECT item_id, signature FROM new_sigs"
                        " ON CONFLICT DO NOTHING")
            con.execute("INSERT INTO core.story_bands SELECT band, bucket, item_id, story_id, ? FROM new_bands", [now])
        if joined.any():
            con.execute("UPDATE core.items t SET story_id = n.story_id FROM new_stories n WHERE t.item_id = n.item_id")
    finally:
        for name in ("new_sigs", "new_bands", "new_stories"):
            con.unregister(name)
    return assigned


def _band_rows(ids: pa.Array, buckets: np.ndarray) -> pa.Table:
    """(item_id, band, bucket): the LSH band rows of these items (their buckets: band_keys_matrix, row for row)."""
    per_band = np.repeat(np.arange(len(ids), dtype=np.int32), stories.BANDS)
    return pa.table({
        "item_id": pa.DictionaryArray.from_arrays(per_band, ids),  # each id once, not once per band
        "band": pa.array(np.tile(np.arange(stories.BANDS, dtype=np.int16), len(ids))),
        "bucket": pa.array(buckets.ravel()),
    })


_SIGNATURE_BYTES = stories.NUM_PERM * 4


def signature_blobs(matrix: np.ndarray) -> pa.FixedSizeBinaryArray:
    """Signatures as stored (migration 006): each row's values (< 2^32) as little-endian uint32, one BLOB."""
    packed = np.ascontiguousarray(matrix, dtype="<u4")
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(_SIGNATURE_BYTES), len(packed),
                                                [None, pa.py_buffer(packed.tobytes())])


def signature_of(blob: bytes) -> np.ndarray:
    """A stored signature back as the uint64 values the rest of the code uses."""
    if len(blob) != _SIGNATURE_BYTES:
        raise ValueError(f"a stored signature is {len(blob)} bytes, not {_SIGNATURE_BYTES}")
    return np.frombuffer(blob, dtype="<u4").astype(np.uint64)


def _choose_stories(ids: Sequence[str], matrix: np.ndarray, buckets: np.ndarray,
                    hits: Sequence[tuple[str, str, str]], old_sigs: Mapping[str, np.ndarray]) -> dict[str, str]:
    """Each new item's story: that of its most similar near-duplicate (estimated Jaccard at least
    SAME_STORY_JACCARD), stored ones first, then earlier items of this batch (band by band); else its own.

    `hits` are (new id, stored id, stored story) band collisions with the stored window. Collisions inside the
    batch are found by sorting the (band, bucket) keys, not by a dictionary probe per item and band: most
    items collide with nothing, and only those that do are looked at one by one."""
    position = {iid: k for k, iid in enumerate(ids)}
    candidates: dict[int, list[tuple[float, str | int]]] = {}  # item → (similarity, story id | earlier item)
    for new_id, old_id, story_id in hits:
        if old_id in old_sigs:
            k = position[new_id]
            candidates.setdefault(k, []).append((stories.similarity(matrix[k], old_sigs[old_id]), story_id))
    for earlier, later, sim in _batch_collisions(matrix, buckets):
        candidates.setdefault(later, []).append((sim, earlier))
    assigned = list(ids)
    for k in sorted(candidates):  # in batch order: an earlier item's story is final when a later one needs it
        best_sim = 0.0
        for sim, story in candidates[k]:
            if sim >= stories.SAME_STORY_JACCARD and sim > best_sim:
                best_sim = sim
                assigned[k] = assigned[story] if isinstance(story, int) else story
    return dict(zip(ids, assigned, strict=True))


def _batch_collisions(matrix: np.ndarray, buckets: np.ndarray) -> list[tuple[int, int, float]]:
    """(earlier item, later item, similarity) for pairs of the batch that share an LSH bucket, ordered for
    each later item by the first band they share, then by the earlier item's position. Vectorised: the
    (band, bucket, item) keys are sorted, and equal neighbours are the collisions."""
    n, bands = buckets.shape
    # each band's items by bucket, then batch position (a stable sort per band: 32 small sorts, not one
    # three-key lexsort of n x 32 rows, which cost 4x more)
    by_band = np.argsort(buckets.T, axis=1, kind="stable")  # (bands, n)
    keys = np.take_along_axis(buckets.T, by_band, axis=1)
    shared = np.zeros((bands, n), dtype=bool)
    shared[:, :-1] = keys[:, 1:] == keys[:, :-1]  # a band's last row shares nothing with the next band's first
    same = shared.ravel()[:-1]  # same[i]: rows i and i + 1 (band-major) share a bucket
    band = np.repeat(np.arange(bands), n)
    item = by_band.ravel()
    if not same.any():
        return []
    edges = np.diff(np.concatenate(([0], same.astype(np.int8), [0])))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) + 1  # runs of rows [start, stop)
    pairs = [np.stack([item[starts], item[starts + 1], band[starts]])]  # the first two of each run
    lengths = stops - starts
    for length in np.unique(lengths[lengths > 2]).tolist():  # three or more items in a bucket (wire copies):
        runs = starts[lengths == length]  # every other pair of each run, runs of one length at a time
        first_of_pair, second_of_pair = np.triu_indices(length, 1)  # (0, 1) first: in already
        members = item[runs[:, None] + np.arange(length)]  # (runs, length), in batch order
        pairs.append(np.stack([members[:, first_of_pair[1:]].ravel(), members[:, second_of_pair[1:]].ravel(),
                               np.repeat(band[runs], len(first_of_pair) - 1)]))
    earlier, later, first = np.concatenate(pairs, axis=1)
    pair_key = earlier * n + later
    by_pair = np.lexsort((first, pair_key))  # each pair once, at the first band it shares
    keep = by_pair[np.concatenate(([True], pair_key[by_pair][1:] != pair_key[by_pair][:-1]))]
    earlier, later, first = earlier[keep], later[keep], first[keep]
    ranked = np.lexsort((earlier, first, later))
    earlier, later = earlier[ranked], later[ranked]
    sims = np.count_nonzero(matrix[earlier] == matrix[later], axis=1) / matrix.shape[1]
    return list(zip(earlier.tolist(), later.tolist(), sims.tolist(), strict=True))


def signature_matrix(items: Sequence[Item], known: Mapping[str, np.ndarray]) -> np.ndarray:
    """(items, NUM_PERM) signatures: the ones given, the others computed now (one batch)."""
    if not items:
        return np.empty((0, stories.NUM_PERM), dtype=np.uint64)
    todo = [i for i, it in enumerate(items) if it.item_id not in known]
    if not todo:
        return np.stack([known[it.item_id] for it in items])
    computed = stories.signatures([stories.story_text(items[i].title, items[i].body) for i in todo])
    if len(todo) == len(items):
        return computed
    matrix = np.empty((len(items), stories.NUM_PERM), dtype=np.uint64)
    for i, it in enumerate(items):
        if it.item_id in known:
            matrix[i] = known[it.item_id]
    matrix[todo] = computed
    return matrix


def items_by_id(con: duckdb.DuckDBPyConnection, item_ids: Sequence[str]) -> list[Item]:
    """These stored items, in the order they were stored (first seen, then inserted: a batch's order)."""
    return [item_from_row(r) for r in con.execute(
        f"SELECT {ITEM_COLUMNS} FROM core.items WHERE item_id IN (SELECT unnest(?)) ORDER BY first_seen_at, rowid",
        [list(item_ids)],
    ).fetchall()]


def unindexed_ids(con: duckdb.DuckDBPyConnection, exclude: Sequence[str], limit: int) -> list[str]:
    """Items a run stored but stopped before giving a story (no signature yet; not extracted either), oldest
    first: the next run gives them one."""
    return [r[0] for r in con.execute(
        "SELECT i.item_id FROM core.items i WHERE i.extracted_at IS NULL AND i.item_id NOT IN (SELECT unnest(?))"
        " AND NOT EXISTS (SELECT 1 FROM core.item_signatures s WHERE s.item_id = i.item_id)"
        " ORDER BY i.first_seen_at, i.rowid LIMIT ?",
        [list(exclude), limit],
    ).fetchall()]


def prune_story_bands(con: duckdb.DuckDBPyConnection, now: datetime) -> int:
    """Drop LSH band rows older than the near-duplicate window (a day of slack): no probe reads them, so the
    band table stays the size of the window, not of the history. Signatures stay (reprocess rebuilds
    bands from them and the items). Returns the rows dropped."""
    cutoff = now - timedelta(days=stories.WINDOW_DAYS + 1)
    return con.execute("DELETE FROM core.story_bands WHERE seen_at < ?", [cutoff]).fetchone()[0]


def rebuild_story_index(con: duckdb.DuckDBPyConnection, batch: int = 2_000) -> int:
    """Rebuild signatures, LSH bands and story ids from the stored items (after a change of the method), in
    the order items were first seen, each batch at its own time so the recent window means what it meant."""
    con.execute("DELETE FROM core.story_bands")
    con.execute("DELETE FROM core.item_signatures")
    con.execute("UPDATE core.items SET story_id = NULL")
    rows = con.execute(
        f"SELECT {ITEM_COLUMNS}, first_seen_at FROM core.items ORDER BY first_seen_at, item_id"
    ).fetchall()
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        assign_stories(con, [item_from_row(r) for r in chunk], now=chunk[-1][12])
    _set_story_method(con, stories.METHOD)
    return len(rows)


def story_method(con: duckdb.DuckDBPyConnection) -> int:
    """The method of the stored signatures (migration 007)."""
    return con.execute("SELECT max(method) FROM core.story_method").fetchall()[0][0]


def _set_story_method(con: duckdb.DuckDBPyConnection, method: int) -> None:
    con.execute("DELETE FROM core.story_method")
    con.execute("INSERT INTO core.story_method VALUES (?)", [method])


def ensure_story_method(con: duckdb.DuckDBPyConnection, batch: int = 5_000) -> int:
    """Re-sign the story index when it was made by another method than tasks.stories.METHOD: every stored
    signature is computed again from its item's text and every band row gets its new bucket; story ids and
    band times stay as they are (a copy published after the upgrade still finds the stories before it).
    Batch by batch, each in its own transaction; the method is recorded last, so an interrupted upgrade is
    simply done again. Returns the signatures re-signed (0 when the index is current)."""
    if story_method(con) == stories.METHOD:
        return 0
    ids = [r[0] for r in con.execute("SELECT item_id FROM core.item_signatures ORDER BY item_id").fetchall()]
    for start in range(0, len(ids), batch):
        with db.transaction(con):
            _resign(con, ids[start : start + batch])
    with db.transaction(con):
        _set_story_method(con, stories.METHOD)
    return len(ids)


def _resign(con: duckdb.DuckDBPyConnection, item_ids: Sequence[str]) -> None:
    items = items_by_id(con, item_ids)
    stored = {it.item_id for it in items}
    orphans = [iid for iid in item_ids if iid not in stored]  # a signature without its item: nothing to sign
    if orphans:
        con.execute("DELETE FROM core.item_signatures WHERE item_id IN (SELECT unnest(?))", [orphans])
        con.execute("DELETE FROM core.story_bands WHERE item_id IN (SELECT unnest(?))", [orphans])
    if not items:
        return
    matrix = signature_matrix(items, {})
    ids = pa.array([it.item_id for it in items], pa.string())
    con.register("resigned", pa.table({"item_id": ids, "signature": signature_blobs(matrix)}))
    con.register("rebanded", _band_rows(ids, stories.band_keys_matrix(matrix)))
    try:
        con.execute("UPDATE core.item_signatures t SET signature = r.signature FROM resigned r"
                    " WHERE t.item_id = r.item_id")
        # an item's band rows keep their story and time: only the buckets change
        con.execute("UPDATE core.story_bands t SET bucket = r.bucket FROM rebanded r"
                    " WHERE t.item_id = r.item_id AND t.band = r.band")
    finally:
        con.unregister("resigned")
        con.unregister("rebanded")


def alert_key(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:24]


def enqueue_alert(
    con: duckdb.DuckDBPyConnection,
    *,
    kind: str,
    event_kind: str,
    event_id: str,
    key_parts: Sequence[object],
    text: str,
    payload: dict,
    now: datetime,
    suppressed_reason: str | None = None,
) -> bool:
    """Write one alert decision to the outbox. Returns False when the same decision was already recorded."""
    alert_id = alert_key(kind, event_kind, event_id, *key_parts)
    state = "suppressed" if suppressed_reason else "pending"
    inserted = con.execute(
        """
        INSERT INTO core.alert_outbox (alert_id, kind, event_kind, event_id, created_at, state, suppressed_reason,
                                       text, payload)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (alert_id) DO NOTHING
        RETURNING alert_id
        """,
        [alert_id, kind, event_kind, event_id, now, state, suppressed_reason, text,
         json.dumps(payload, default=str)],
    ).fetchall()
    return bool(inserted)
