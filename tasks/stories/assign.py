"""Stories: each new item joins the story of its closest near-duplicate of the recent window (wire copies
across outlets), else it is a story of its own. Candidates come from LSH band collisions, confirmed by the
estimated Jaccard similarity of the MinHash signatures (tasks/stories/minhash.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import duckdb
import numpy as np
import pyarrow as pa

from records.items import Item
from tasks.stories import minhash
from warehouse import items as item_store
from warehouse import stories as story_store


def assign_stories(con: duckdb.DuckDBPyConnection, items: Sequence[Item], *, now: datetime,
                   signatures: Mapping[str, np.ndarray] | None = None) -> dict[str, str]:
    """Give each new item its story and write it to the story index. `signatures`: those computed already
    (by the parser workers); the others are computed from the text. Returns item id → story id."""
    if not items:
        return {}
    return assign_story_ids(con, [it.item_id for it in items], signature_matrix(items, signatures or {}), now=now)


def assign_story_ids(con: duckdb.DuckDBPyConnection, item_ids: Sequence[str], matrix: np.ndarray, *,
                     now: datetime) -> dict[str, str]:
    """Each item's story (item ids with their signatures, row for row), written to the story index."""
    if not item_ids:
        return {}
    if len(item_ids) != len(matrix):
        raise ValueError(f"{len(matrix)} signatures for {len(item_ids)} items")
    buckets = minhash.band_keys_matrix(matrix)  # (items, bands), vectorised
    ids = pa.array(list(item_ids), pa.string())
    probe = story_store.band_rows(ids, buckets)
    hits = story_store.band_hits(con, probe, since=now - timedelta(days=minhash.WINDOW_DAYS))
    old_sigs = story_store.signatures_of(con, sorted({old for _, old, _ in hits}), minhash.NUM_PERM)
    assigned = _choose_stories(ids.to_pylist(), matrix, buckets, hits, old_sigs)
    story_store.write_stories(con, ids, matrix, probe, list(assigned.values()), now=now)
    return assigned


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
            candidates.setdefault(k, []).append((minhash.similarity(matrix[k], old_sigs[old_id]), story_id))
    for earlier, later, sim in _batch_collisions(matrix, buckets):
        candidates.setdefault(later, []).append((sim, earlier))
    assigned = list(ids)
    for k in sorted(candidates):  # in batch order: an earlier item's story is final when a later one needs it
        best_sim = 0.0
        for sim, story in candidates[k]:
            if sim >= minhash.SAME_STORY_JACCARD and sim > best_sim:
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
        return np.empty((0, minhash.NUM_PERM), dtype=np.uint64)
    todo = [i for i, it in enumerate(items) if it.item_id not in known]
    if not todo:
        return np.stack([known[it.item_id] for it in items])
    computed = minhash.signatures([minhash.story_text(items[i].title, items[i].body) for i in todo])
    if len(todo) == len(items):
        return computed
    matrix = np.empty((len(items), minhash.NUM_PERM), dtype=np.uint64)
    for i, it in enumerate(items):
        if it.item_id in known:
            matrix[i] = known[it.item_id]
    matrix[todo] = computed
    return matrix


def rebuild(con: duckdb.DuckDBPyConnection, batch: int = 2_000) -> int:
    """Rebuild the story index from every stored item (reprocess), in the order items were first seen, each
    batch at its own time so the recent window means what it meant. Returns the items indexed."""
    story_store.clear(con)
    rows = con.execute("SELECT item_id, first_seen_at FROM core.items ORDER BY first_seen_at, item_id").fetchall()
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        items = {it.item_id: it for it in item_store.items_by_id(con, [r[0] for r in chunk])}
        assign_stories(con, [items[r[0]] for r in chunk], now=chunk[-1][1])
    story_store.set_method(con, minhash.METHOD)
    return len(rows)


LEFTOVERS_PER_RUN = 5_000


def prune_window(con: duckdb.DuckDBPyConnection, now: datetime) -> int:
    """Drop band rows older than the near-duplicate window (and a day of slack). Returns the rows dropped."""
    return story_store.prune_bands(con, now - timedelta(days=minhash.WINDOW_DAYS + 1))


def index_new_items(con: duckdb.DuckDBPyConnection, new_ids: Sequence[str], signatures: Mapping[str, np.ndarray],
                    *, now: datetime) -> None:
    """The story step of a cycle: band rows past the window dropped, items an earlier run stored but stopped
    before giving a story get one (oldest first), then this run's new items, in their stored order."""
    prune_window(con, now)
    unindexed = story_store.unindexed_ids(con, exclude=list(new_ids), limit=LEFTOVERS_PER_RUN)
    if unindexed:
        assign_stories(con, item_store.items_by_id(con, unindexed), now=now)
    if not new_ids:
        return
    if all(iid in signatures for iid in new_ids):
        assign_story_ids(con, list(new_ids), np.stack([signatures[iid] for iid in new_ids]), now=now)
    else:  # items of sources read without the parser workers (USTR pages, the Federal Register API): their
        # signatures come from the stored text (batch order kept)
        stored = {it.item_id: it for it in item_store.items_by_id(con, new_ids)}
        assign_stories(con, [stored[iid] for iid in new_ids], now=now, signatures=signatures)
