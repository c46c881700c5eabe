"""Warehouse figures, measured directly on the warehouse functions (no Prefect, no HTTP).

- dedupe at scale: the near-duplicate check (`assign.assign_stories`) per new item, with N items already
  stored, all inside the recent window (the worst case: the window prunes nothing). Most of the N are
  synthetic rows written in bulk by SQL (random signatures and bands); some are real items of the corpus, so
  the new items (later items of the same corpus, with wire copies of earlier ones) find real near-duplicates.
- ad hoc SQL: a group-by over N items on the published snapshot, as `tradewatch sql` runs it (open the
  snapshot read-only, query, close), median of several runs.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from records.items import Item
from tasks.stories import assign, minhash
from warehouse import connection, snapshot
from warehouse import items as item_store
from warehouse.transaction import transaction

_SYNTHETIC_ITEMS = """
INSERT INTO core.items (item_id, source_id, guid, url, title, summary, body, published_at, published_offset_min,
                        date_suspect, content_hash, first_seen_at, last_seen_at, relevant, relevance_reason,
                        story_id, extracted_at)
SELECT 'syn' || i, 'source-' || (i % 200), 'guid-' || i, 'https://news.example.com/' || i,
       'Synthetic headline number ' || i, 'A short summary of item ' || i,
       repeat('Body text of a synthetic item. ', 6), $now - to_seconds(i % $spread),
       0, false, md5(i::VARCHAR), $now - to_seconds(i % $spread), $now - to_seconds(i % $spread),
       i % 10 = 0, 'synthetic', 'syn' || i, $now - to_seconds(i % $spread)
FROM range($start, $stop) t(i)
"""
_SYNTHETIC_SIGNATURES = """
INSERT INTO core.item_signatures
SELECT 'syn' || i, from_hex(repeat(md5('sig' || i), 32))  -- 512 bytes, as store.signature_blobs
FROM range($start, $stop) t(i)
"""
_SYNTHETIC_BANDS = """
INSERT INTO core.story_bands
SELECT b, (hash(i, b, 'band') >> 1)::BIGINT, 'syn' || i, NULL, $now - to_seconds(i % $spread)
FROM range($start, $stop) t(i), range(32) s(b)
"""


def fill_synthetic(con, start: int, stop: int, *, now: datetime, spread_s: int) -> None:
    params = {"start": start, "stop": stop, "now": now, "spread": spread_s}
    for sql in (_SYNTHETIC_ITEMS, _SYNTHETIC_SIGNATURES, _SYNTHETIC_BANDS):
        con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})


def _store_batches(con, items: Sequence[Item], now: datetime, batch: int) -> tuple[float, float, int]:
    """Store items per source-sized batch as the cycle does; returns (seconds in assign_stories, seconds
    computing signatures inside it, items that joined an existing story)."""
    spent = sig_spent = 0.0
    joined = 0
    for i in range(0, len(items), batch):
        chunk = list(items[i : i + batch])
        with transaction(con):
            t = time.perf_counter()
            item_store.store_items(con, chunk, now=now)  # as the cycle does: the items, then their stories
            assigned = assign.assign_stories(con, chunk, now=now)
            spent += time.perf_counter() - t
        joined += sum(1 for iid, sid in assigned.items() if iid != sid)
        t = time.perf_counter()
        # the signature share, measured apart (the same work assign_stories does first, one batch per call)
        minhash.signatures([minhash.story_text(it.title, it.body) for it in chunk])
        sig_spent += time.perf_counter() - t
    return spent, sig_spent, joined


def dedupe_cost(
    path: Path, stored: int, seed: Sequence[Item], new: Sequence[Item], *, now: datetime, batch: int = 50
) -> dict:
    """Per-new-item cost of the near-duplicate check with `stored` items already in the warehouse."""
    path.unlink(missing_ok=True)
    window_s = int(timedelta(days=minhash.WINDOW_DAYS - 1).total_seconds())
    with connection.writer(path) as con:
        _store_batches(con, seed, now - timedelta(hours=1), batch)
        synthetic = max(stored - len(seed), 0)
        step = 50_000
        for start in range(0, synthetic, step):
            with transaction(con):
                fill_synthetic(
                    con, start, min(start + step, synthetic), now=now - timedelta(hours=2), spread_s=window_s
                )
        con.execute("CHECKPOINT")
        total = con.execute("SELECT count(*) FROM core.items").fetchone()[0]
        bands = con.execute("SELECT count(*) FROM core.story_bands").fetchone()[0]
        spent, sig_spent, joined = _store_batches(con, new, now, batch)
    n = len(new)
    return {
        "stored": total,
        "band_rows": bands,
        "new_items": n,
        "per_item_s": spent / n,
        "signature_per_item_s": sig_spent / n,
        "db_per_item_s": max(spent - sig_spent, 0.0) / n,
        "joined_story": joined,
    }


GROUP_BY = """
SELECT source_id, count(*) AS items, count(*) FILTER (WHERE relevant) AS relevant, max(published_at) AS latest
FROM items GROUP BY source_id ORDER BY items DESC
"""
# a heavier one, reported beside it: per day (TIMESTAMPTZ → ICU calendar) and distinct stories (1M strings)
GROUP_BY_HEAVY = """
SELECT source_id, date_trunc('day', published_at) AS day, count(*) AS items,
       count(*) FILTER (WHERE relevant) AS relevant, count(DISTINCT story_id) AS stories
FROM items GROUP BY ALL ORDER BY items DESC LIMIT 20
"""


def adhoc_sql(path: Path, rows: int, *, now: datetime, repeats: int = 5) -> dict:
    """Median seconds of (open the snapshot read-only, run GROUP_BY, close) over `rows` items."""
    path.unlink(missing_ok=True)
    with connection.writer(path) as con:
        step = 250_000
        for start in range(0, rows, step):
            with transaction(con):
                con.execute(
                    _SYNTHETIC_ITEMS,
                    {"start": start, "stop": min(start + step, rows), "now": now, "spread": 90 * 86400},
                )
        count = con.execute("SELECT count(*) FROM core.items").fetchone()[0]
    snapshot.publish_snapshot(path)

    def timed(sql: str) -> tuple[list[float], int]:
        times = []
        for _ in range(repeats + 1):
            t = time.perf_counter()
            con = snapshot.open_snapshot(path)
            try:
                _names, result = snapshot.query_with_timeout(con, sql, 30)
            finally:
                con.close()
            times.append(time.perf_counter() - t)
        return times, len(result)

    times, n = timed(GROUP_BY)
    heavy, _ = timed(GROUP_BY_HEAVY)
    return {
        "rows": count,
        "seconds": statistics.median(times[1:]),
        "first_s": times[0],
        "result_rows": n,
        "heavy_seconds": statistics.median(heavy[1:]),
        "snapshot_bytes": snapshot.snapshot_path(path).stat().st_size,
    }
