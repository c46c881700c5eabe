"""Keep the stored story index made by this release's MinHash method (minhash.METHOD).

A signature made by one method never matches one made by another, so when the method changes every stored
signature is computed again from its item's text and every band row gets its new bucket; story ids and band
times stay (a copy published after the upgrade still finds the stories before it). Batch by batch, each in its
own transaction; the method is recorded last, so an interrupted upgrade is simply done again.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from tasks.stories import minhash
from tasks.stories.assign import signature_matrix
from warehouse import items as item_store
from warehouse import stories as story_store
from warehouse.transaction import transaction


def ensure_current(con: duckdb.DuckDBPyConnection, batch: int = 5_000) -> int:
    """Re-sign the story index if another method made it. Returns the signatures re-signed (0: current)."""
    if story_store.method(con) == minhash.METHOD:
        return 0
    ids = story_store.signed_ids(con)
    for start in range(0, len(ids), batch):
        with transaction(con):
            _resign(con, ids[start : start + batch])
    with transaction(con):
        story_store.set_method(con, minhash.METHOD)
    return len(ids)


def _resign(con: duckdb.DuckDBPyConnection, item_ids: list[str]) -> None:
    items = item_store.items_by_id(con, item_ids)
    stored = {it.item_id for it in items}
    orphans = [iid for iid in item_ids if iid not in stored]  # a signature without its item: nothing to sign
    if orphans:
        story_store.forget(con, orphans)
    if not items:
        return
    matrix = signature_matrix(items, {})
    ids = pa.array([it.item_id for it in items], pa.string())
    story_store.replace_signatures(con, ids, matrix, story_store.band_rows(ids, minhash.band_keys_matrix(matrix)))
