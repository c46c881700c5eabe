"""The warehouse: migrations, views, idempotent stores, the read-only snapshot."""

from __future__ import annotations

import re
import subprocess
import sys
import zlib
from datetime import UTC, datetime, timedelta

import duckdb
import numpy as np
import pytest

from records.items import Item
from tasks.sources import health
from tasks.stories import assign, minhash, resign
from tests.support.paths import FIXTURES
from tests.support.sources import record_fetch
from warehouse import connection, schema, snapshot
from warehouse import items as item_store
from warehouse import sources as source_store
from warehouse import stories as story_store
from warehouse.errors import WarehouseError
from warehouse.transaction import transaction

NOW = datetime(2025, 4, 25, 0, 0, tzinfo=UTC)
VIEWS = {"items", "meetings", "deadlines", "deadline_changes", "mentions", "sources", "alerts"}


def stored_bodies(con) -> list[str]:
    """Every stored item's body, read back as the pipeline reads it (compressed or from before 005)."""
    return [item_store.item_from_row(r).body
            for r in con.execute(f"SELECT {item_store.ITEM_COLUMNS} FROM core.items ORDER BY item_id").fetchall()]


def make_item(n: int, source: str = "s1", body: str | None = None, content: str = "v1") -> Item:
    return Item(item_id=f"id-{source}-{n}", source_id=source, guid=f"g{n}", url=f"https://x.org/{n}",
                title=f"Title {n}", summary="", body=body or f"Body number {n} " * 20,
                published_at=NOW - timedelta(hours=n), published_offset_min=540, content_hash=f"{content}-{n}")


def test_migrations_are_recorded_and_views_exist(tmp_path):
    con = connection.connect(tmp_path / "w.duckdb")
    versions = con.execute("SELECT version, name FROM core.schema_migrations ORDER BY version").fetchall()
    assert [v for v, _ in versions] == list(range(1, len(schema.migrations()) + 1))
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert VIEWS <= views
    # documented columns, in the documented order
    cols = [r[0] for r in con.execute("DESCRIBE meetings").fetchall()]
    assert cols[:10] == ["meeting_id", "parties", "meeting_date", "date_precision", "location", "format", "status",
                         "officials", "first_seen_at", "sources"]
    cols = [r[0] for r in con.execute("DESCRIBE alerts").fetchall()]
    assert cols[:7] == ["alert_id", "kind", "event_id", "created_at", "delivered_at", "channel", "text"]
    assert schema.migrate(con) == []  # a second migrate applies nothing
    con.close()


def test_storing_the_same_items_twice_stores_nothing_twice(tmp_path):
    con = connection.connect(tmp_path / "w.duckdb")
    batch = [make_item(n) for n in range(50)] + [make_item(n, source="s2") for n in range(10)]
    with transaction(con):
        first = item_store.store_items(con, batch, now=NOW)
    with transaction(con):
        second = item_store.store_items(con, batch, now=NOW + timedelta(minutes=10))
    assert len(first.new_ids) == 60 and second.new_ids == () and second.edited_ids == ()
    total, distinct = con.execute("SELECT count(*), count(DISTINCT item_id) FROM items").fetchone()
    assert total == distinct == 60


def test_an_edit_updates_the_text_and_is_not_a_new_item(tmp_path):
    con = connection.connect(tmp_path / "w.duckdb")
    with transaction(con):
        item_store.store_items(con, [make_item(1)], now=NOW)
    edited = make_item(1, body="Corrected body " * 20, content="v2")
    with transaction(con):
        result = item_store.store_items(con, [edited], now=NOW)
    assert result.new_ids == () and result.edited_ids == ("id-s1-1",)
    assert stored_bodies(con) == [edited.body] and edited.body.startswith("Corrected")


def test_duplicates_in_one_batch_last_one_wins(tmp_path):
    con = connection.connect(tmp_path / "w.duckdb")
    with transaction(con):
        result = item_store.store_items(con, [make_item(1), make_item(1, body="Second copy " * 10, content="v2")],
                                   now=NOW)
    assert result.new_ids == ("id-s1-1",)
    assert stored_bodies(con)[0].startswith("Second copy")


def test_wire_copies_share_a_story_and_other_news_does_not(tmp_path):
    con = connection.connect(tmp_path / "w.duckdb")
    wire = ("SEOUL -- South Korea and the United States agreed on Thursday to craft a package deal on tariffs "
            "before a pause on reciprocal duties ends in July, the finance minister told reporters after two "
            "plus two talks at the Treasury Department in Washington with his American counterparts. ")
    a = make_item(1, source="yonhap", body=wire * 2)
    b = make_item(2, source="herald", body=wire.replace("told reporters", "said") * 2)
    c = make_item(3, source="times", body="Samsung Electronics reported a rise in quarterly profit " * 6)
    with transaction(con):
        item_store.store_items(con, [a], now=NOW)
        assign.assign_stories(con, [a], now=NOW)
    with transaction(con):  # a later run: found through the persistent band index, not the batch
        item_store.store_items(con, [b, c], now=NOW)
        stories = assign.assign_stories(con, [b, c], now=NOW)
    assert stories[b.item_id] == a.item_id
    assert stories[c.item_id] == c.item_id
    assert con.execute("SELECT story_id FROM items WHERE item_id = ?", [b.item_id]).fetchone()[0] == a.item_id
    band_stories = dict(con.execute("SELECT DISTINCT item_id, story_id FROM core.story_bands").fetchall())
    assert band_stories == {a.item_id: None, b.item_id: a.item_id, c.item_id: None}  # NULL: its own story


def test_source_failures_back_off_and_recovery_resets(tmp_path):
    from records.config import SourceConfig
    from records.items import Fetched

    con = connection.connect(tmp_path / "w.duckdb")
    source_store.sync_sources(con, [SourceConfig(id="feed1", kind="feed", url="https://x.org/rss", every_minutes=10)])
    failing = Fetched("feed1", "https://x.org/rss", 503, None, None, None, error="http_503", retry_after_s=120)
    changes = []
    for minutes in (0, 10, 20, 30, 40):
        changes.append(record_fetch(con, failing, now=NOW + timedelta(minutes=minutes), new_items=0,
                                          error="http_503", error_detail=None))
    streak, next_at = con.execute("SELECT error_streak, next_attempt_at FROM sources").fetchone()
    assert streak == 5
    assert next_at - (NOW + timedelta(minutes=40)) == timedelta(seconds=health.backoff_s(5, 120))
    kinds = [c.kind for c in changes if c]
    assert kinds == ["source_down"]  # exactly one ops alert while it stays down
    ok = Fetched("feed1", "https://x.org/rss", 200, b"<rss/>", '"e1"', None)
    back = record_fetch(con, ok, now=NOW + timedelta(minutes=50), new_items=3, error=None, error_detail=None)
    assert back is not None and back.kind == "source_recovered"
    assert con.execute("SELECT error_streak, last_error FROM sources").fetchone() == (0, None)


def test_snapshot_is_read_only_and_cannot_touch_files(tmp_path):
    path = tmp_path / "w.duckdb"
    with connection.writer(path):
        pass
    snapshot.publish_snapshot(path)
    con = snapshot.open_snapshot(path)
    assert snapshot.query_with_timeout(con, "SELECT count(*) FROM items", 5)[1] == [(0,)]
    for sql in ("SELECT * FROM read_csv('/etc/passwd')", f"COPY (SELECT 1) TO '{tmp_path}/leak.csv'",
                "CREATE TABLE x (a INT)", "SET enable_external_access = true", f"ATTACH '{tmp_path}/other.duckdb'"):
        with pytest.raises(duckdb.Error):
            con.execute(sql)
    assert not (tmp_path / "leak.csv").exists()


def test_a_reader_holding_the_snapshot_does_not_block_a_run(tmp_path):
    path = tmp_path / "w.duckdb"
    with connection.writer(path) as con, transaction(con):
        item_store.store_items(con, [make_item(1)], now=NOW)
    snapshot.publish_snapshot(path)
    reader = snapshot.open_snapshot(path)  # held open across the next write and publish
    with connection.writer(path) as con, transaction(con):
        item_store.store_items(con, [make_item(2)], now=NOW)
    (tmp_path / "w.snapshot.duckdb.left-by-a-dead-run.retired").write_bytes(b"x")
    snapshot.publish_snapshot(path)  # the other file
    with connection.writer(path) as con, transaction(con):
        item_store.store_items(con, [make_item(3)], now=NOW)
    snapshot.publish_snapshot(path)  # the reader's file's turn: it is set aside, a copy of the other one updated
    snapshot.finish_retiring()  # the set-aside name is unlinked in the background; the reader keeps its inode
    assert sorted(p.name for p in tmp_path.iterdir() if "snapshot" in p.name) == [
        "w.snapshot.duckdb", "w.snapshot.duckdb.a", "w.snapshot.duckdb.b"]
    assert reader.execute("SELECT count(*) FROM items").fetchone() == (1,)  # its own consistent copy
    fresh = subprocess.run(  # a new reader (a new process, like `tradewatch sql`) sees the new snapshot
        [sys.executable, "-c", "from warehouse import snapshot; "
         f"print(snapshot.open_snapshot({str(path)!r}).execute('SELECT count(*) FROM items').fetchone()[0])"],
        capture_output=True, text=True, check=True)
    assert fresh.stdout.strip() == "3"


def test_the_snapshot_has_every_commit_whether_or_not_a_write_ahead_log_was_left(tmp_path):
    """A clean close checkpoints (the file alone is copied); a writer that died left a WAL (replayed first)."""
    path = tmp_path / "w.duckdb"
    with connection.writer(path) as con, transaction(con):
        item_store.store_items(con, [make_item(1)], now=NOW)
    assert not (tmp_path / "w.duckdb.wal").exists()
    snapshot.publish_snapshot(path)
    assert snapshot.open_snapshot(path).execute("SELECT count(*) FROM items").fetchone() == (1,)
    con = duckdb.connect(str(path))
    con.execute("PRAGMA disable_checkpoint_on_shutdown")  # as if the process died after its commit
    with transaction(con):
        item_store.store_items(con, [make_item(2)], now=NOW)
    con.close()
    assert (tmp_path / "w.duckdb.wal").exists()
    snapshot.publish_snapshot(path)
    assert snapshot.open_snapshot(path).execute("SELECT count(*) FROM items").fetchone() == (2,)


def test_a_second_writer_gets_a_clear_error(tmp_path):
    path = tmp_path / "w.duckdb"
    with connection.writer(path):
        pass
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb,time; c=duckdb.connect({str(path)!r}); print('held', flush=True); "
         "time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseError, match="in use by another process"):
            connection.connect(path)
    finally:
        holder.kill()
        holder.wait()


def test_a_corrupt_warehouse_is_reported_and_left_untouched(tmp_path):
    path = tmp_path / "w.duckdb"
    garbage = b"this is not a duckdb file\x00" * 400
    path.write_bytes(garbage)
    with pytest.raises(WarehouseError, match="not a readable DuckDB file|w.duckdb"):
        connection.connect(path)
    assert path.read_bytes() == garbage


def test_a_source_that_answers_but_stops_publishing_raises_one_silence_alert(tmp_path):
    from records.config import SourceConfig
    from records.items import Fetched

    con = connection.connect(tmp_path / "w.duckdb")
    source_store.sync_sources(con, [SourceConfig(id="wire", kind="feed", url="https://x.org/rss", expect_items_hours=6)])
    unchanged = Fetched("wire", "https://x.org/rss", 304, None, '"e1"', None)
    fresh = Fetched("wire", "https://x.org/rss", 200, b"<rss/>", '"e2"', None)
    kinds = []
    kinds.append(record_fetch(con, fresh, now=NOW, new_items=5, error=None, error_detail=None))
    for hours in (1, 3, 7, 8, 12):  # nothing new after the first poll
        kinds.append(record_fetch(con, unchanged, now=NOW + timedelta(hours=hours), new_items=0, error=None,
                                        error_detail=None))
    kinds.append(record_fetch(con, fresh, now=NOW + timedelta(hours=13), new_items=2, error=None,
                                    error_detail=None))
    assert [c.kind for c in kinds if c] == ["source_silent", "source_recovered"]


def warehouse_at(path, version: int) -> duckdb.DuckDBPyConnection:
    """A warehouse as a release with migrations 1..version left it, views included (they depend on the
    tables), for a later migration to run on. Releases before 008 had the views kept in the fixtures."""
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA core")
    con.execute("CREATE TABLE core.schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
    for number, name, sql in schema.migrations()[:version]:
        con.execute(sql)
        con.execute("INSERT INTO core.schema_migrations (version, name) VALUES (?, ?)", [number, name])
    con.execute(schema.views_sql() if version >= 8 else (FIXTURES / "views_before_008.sql").read_text())
    return con


def test_a_warehouse_from_before_004_keeps_its_band_stories(tmp_path):
    """Migration 004 on band rows written by an older release: own stories become NULL, joined ones stay."""
    path = tmp_path / "w.duckdb"
    con = warehouse_at(path, 3)
    con.execute("INSERT INTO core.story_bands VALUES (0, 1, 'a', 'a', now()), (0, 1, 'b', 'a', now())")
    con.close()
    con = connection.connect(path)
    assert con.execute("SELECT item_id, story_id FROM core.story_bands ORDER BY item_id").fetchall() == [
        ("a", None), ("b", "a")]


def test_a_warehouse_from_before_005_keeps_its_items_and_new_bodies_are_stored_compressed(tmp_path):
    """Migration 005 rebuilds core.items (a column's compression is set only at CREATE): on a warehouse with
    items and the views on top of them, every row and column survives and the key still holds; an old row
    keeps its text in `body`, new and edited ones are stored as zstd frames in `body_z` (body NULL), stored
    as they are at checkpoint; the pipeline reads both back as text."""
    path = tmp_path / "w.duckdb"
    con = warehouse_at(path, 4)
    con.execute("INSERT INTO core.items (item_id, source_id, title, summary, body, content_hash, first_seen_at,"
                " last_seen_at, relevant, story_id) VALUES ('id-s1-1', 's', 'T', 'S', 'old body', 'h', ?, ?,"
                " true, 'id-s1-1')", [NOW, NOW])
    before = con.execute("SELECT * FROM core.items").fetchall()
    con.close()

    con = connection.connect(path)
    assert con.execute("SELECT * EXCLUDE (body_z, change_seq) FROM core.items").fetchall() == before
    assert con.execute("SELECT item_id, relevant FROM items").fetchall() == [("id-s1-1", True)]
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO core.items (item_id, source_id, title, summary, body, content_hash,"
                    " first_seen_at, last_seen_at) VALUES ('id-s1-1', 's', 'T', 'S', 'b', 'h', now(), now())")
    new = [make_item(n, body="tariff talks resumed in Geneva " * 40 + str(n)) for n in range(2, 200)]
    with transaction(con):
        item_store.store_items(con, new, now=NOW)
    assert stored_bodies(con) == ["old body"] + [it.body for it in sorted(new, key=lambda it: it.item_id)]
    edited = make_item(1, body="Corrected body " * 20, content="v2")  # the old row, edited: now compressed
    with transaction(con):
        item_store.store_items(con, [edited], now=NOW)
    assert con.execute("SELECT count(*) FROM core.items WHERE body IS NULL AND body_z IS NOT NULL").fetchone()[0] == 199
    assert stored_bodies(con)[0] == edited.body
    con.execute("CHECKPOINT")
    kinds = {r[0] for r in con.execute(
        "SELECT DISTINCT compression FROM pragma_storage_info('core.items') WHERE column_name = 'body_z'"
        " AND segment_type = 'BLOB'").fetchall()}
    assert kinds == {"Uncompressed"}


def method_1_signature(text: str) -> np.ndarray:
    """A signature as releases before migration 007 made it (stories METHOD 1: words hashed with CRC-32)."""

    words = re.findall(rb"[a-z0-9]+", text.lower().encode("utf-8", "replace"))
    w = np.fromiter(map(zlib.crc32, words), dtype=np.uint64, count=len(words))
    if len(w) < 3:
        w = np.concatenate([w, np.full(3 - len(w), 1 << 32, dtype=np.uint64)])
    k1, k2, k3 = minhash.SHINGLE_MULTIPLIERS
    x = w[:-2] * k1 + w[1:-1] * k2 + w[2:] * k3
    return minhash.min_hashes([(minhash.mix64(x) >> np.uint64(32)).astype(np.uint32)])[0].astype(np.uint64)


def test_signatures_stored_as_lists_before_006_are_packed_value_for_value(tmp_path):
    """Migration 006 packs each stored UBIGINT[] signature into a 512-byte BLOB, value for value (edge values
    included)."""

    edge = [0, 1, 255, 256, 65535, 65536, 16909060, (1 << 32) - 1] + [7] * (minhash.NUM_PERM - 8)
    other = list(range(minhash.NUM_PERM))
    con = warehouse_at(tmp_path / "w.duckdb", 5)
    con.execute("INSERT INTO core.item_signatures VALUES ('edge', ?), ('other', ?)", [edge, other])
    version, name, sql = schema.migrations()[5]
    assert (version, name) == (6, "006_signatures_blob.sql")
    con.execute(sql)
    stored = dict(con.execute("SELECT item_id, signature FROM core.item_signatures").fetchall())
    assert story_store.signature_of(stored["edge"], minhash.NUM_PERM).tolist() == edge
    assert story_store.signature_of(stored["other"], minhash.NUM_PERM).tolist() == other


def test_a_story_index_of_an_older_method_is_re_signed_and_its_stories_still_find_their_copies(tmp_path):
    """A warehouse from before 006 and 007: its signatures (lists, made with CRC-32 word hashes) are packed
    (006), then re-signed from the items' text with this release's method (007, resign.ensure_current):
    signatures and band buckets as this release makes them, story ids and band times as they were. A copy
    published after the upgrade joins the story it belongs to; a signature without its item is dropped."""

    wire = ("TOKYO -- Japan and the United States agreed to hold another round of tariff talks in Washington "
            "next week. ") * 4
    original, joined = make_item(1, source="kyodo", body=wire), make_item(2, source="jiji", body=wire + "More.")
    path = tmp_path / "w.duckdb"
    con = warehouse_at(path, 5)
    seen = NOW - timedelta(days=2)
    for item, story in ((original, None), (joined, original.item_id)):
        con.execute("INSERT INTO core.items (item_id, source_id, title, summary, body, content_hash, first_seen_at,"
                    " last_seen_at, story_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [item.item_id, item.source_id, item.title, item.summary, item.body, item.content_hash, seen,
                     seen, story])
        old = method_1_signature(minhash.story_text(item.title, item.body))
        con.execute("INSERT INTO core.item_signatures VALUES (?, ?)", [item.item_id, old.tolist()])
        con.execute("INSERT INTO core.story_bands SELECT unnest(range(32)), unnest(?), ?, ?, ?",
                    [minhash.band_keys(old), item.item_id, story, seen])
    con.execute("INSERT INTO core.item_signatures VALUES ('orphan', ?)", [[5] * minhash.NUM_PERM])
    con.close()

    con = connection.connect(path)
    assert schema.is_current(con) and story_store.method(con) == 1  # migrated; the index is the run's to re-sign
    assert resign.ensure_current(con) == 3  # as the next run does first (flows/runtime/cycle.py)
    assert story_store.method(con) == minhash.METHOD
    for item in (original, joined):
        now_made = minhash.signature(minhash.story_text(item.title, item.body))
        assert not np.array_equal(now_made, method_1_signature(minhash.story_text(item.title, item.body)))
        (blob,) = con.execute("SELECT signature FROM core.item_signatures WHERE item_id = ?", [item.item_id]).fetchone()
        assert np.array_equal(story_store.signature_of(blob, minhash.NUM_PERM), now_made)
        bands = con.execute("SELECT band, bucket, story_id, seen_at FROM core.story_bands WHERE item_id = ?"
                            " ORDER BY band", [item.item_id]).fetchall()
        assert [b[1] for b in bands] == minhash.band_keys(now_made) and [b[0] for b in bands] == list(range(32))
        assert {(b[2], b[3]) for b in bands} == {(None if item is original else original.item_id, seen)}
    assert con.execute("SELECT count(*) FROM core.item_signatures WHERE item_id = 'orphan'").fetchone()[0] == 0
    copy = make_item(3, source="nikkei", body=wire.replace("next week", "next week, officials said"))
    with transaction(con):
        assert assign.assign_stories(con, [copy], now=NOW)[copy.item_id] == original.item_id
    assert resign.ensure_current(con) == 0  # done once


def test_an_interrupted_re_signing_is_done_again(tmp_path):
    """The method is recorded after the last batch: a warehouse whose upgrade stopped part way is not
    current, and the next run re-signs it (again from the text: the result is the same)."""

    path = tmp_path / "w.duckdb"
    con = connection.connect(path)
    items = [make_item(n, body=f"Story number {n} about tariffs and talks " * 10) for n in range(1, 8)]
    with transaction(con):
        item_store.store_items(con, items, now=NOW)
        assign.assign_stories(con, items, now=NOW)
    before = con.execute("SELECT * FROM core.item_signatures ORDER BY item_id").fetchall()
    bands = con.execute("SELECT * FROM core.story_bands ORDER BY item_id, band").fetchall()
    con.execute("UPDATE core.story_method SET method = 1")  # as if stopped before the method was recorded
    assert story_store.method(con) != minhash.METHOD
    assert resign.ensure_current(con, batch=3) == len(items)  # in three batches
    assert con.execute("SELECT * FROM core.item_signatures ORDER BY item_id").fetchall() == before
    assert con.execute("SELECT * FROM core.story_bands ORDER BY item_id, band").fetchall() == bands
    con.execute("UPDATE core.story_method SET method = 1")
    con.close()
    con = connection.connect(path)
    assert resign.ensure_current(con) == len(items)  # the next run resumes it
    assert story_store.method(con) == minhash.METHOD and schema.is_current(con)
    assert con.execute("SELECT * FROM core.item_signatures ORDER BY item_id").fetchall() == before
    assert con.execute("SELECT * FROM core.story_bands ORDER BY item_id, band").fetchall() == bands
    assert resign.ensure_current(con, batch=3) == 0


def test_migrations_are_append_only_and_applied_in_order(tmp_path):
    names = [name for _, name, _ in schema.migrations()]
    assert names == sorted(names) and names[0].startswith("001_") and len(names) >= 2
    con = connection.connect(tmp_path / "w.duckdb")
    cols = {r[0] for r in con.execute("DESCRIBE core.sources").fetchall()}
    assert {"expect_items_hours", "last_new_item_at"} <= cols  # from 002
    assert "detail" in {r[0] for r in con.execute("DESCRIBE mentions").fetchall()}  # from 003


def test_the_story_index_rebuilds_from_the_warehouse(tmp_path):
    con = connection.connect(tmp_path / "w.duckdb")
    wire = ("TOKYO -- Japan and the United States agreed to hold another round of tariff talks in Washington next "
            "week, the economy minister told reporters after a telephone call with the commerce secretary. ")
    items = [make_item(1, source="kyodo", body=wire * 2), make_item(2, source="nikkei", body=(wire * 2).replace(
        "told reporters", "said")), make_item(3, source="other", body="Sumo wrestler promoted to yokozuna " * 9)]
    with transaction(con):
        item_store.store_items(con, items, now=NOW)
        before = assign.assign_stories(con, items, now=NOW)
    with transaction(con):
        assert assign.rebuild(con) == 3
    after = dict(con.execute("SELECT item_id, story_id FROM items").fetchall())
    assert after == before and after["id-nikkei-2"] == after["id-kyodo-1"] != after["id-other-3"]
    # stored: the story only where it is another item's (the view shows an item's own id for the rest)
    assert dict(con.execute("SELECT item_id, story_id FROM core.items").fetchall()) == {
        "id-kyodo-1": None, "id-nikkei-2": "id-kyodo-1", "id-other-3": None}
    assert con.execute("SELECT count(*) FROM core.story_bands").fetchone()[0] == 3 * 32


def _reference_stories(ids, matrix, stored):
    """The plain per-item, per-band procedure the vectorised one must agree with: stored near-duplicates first,
    then earlier items of the batch band by band; the first strictly better similarity wins."""

    keys = minhash.band_keys_matrix(matrix).tolist()
    assigned, index = {}, {}
    for k, iid in enumerate(ids):
        best, best_sim = iid, 0.0
        for story, sig in stored.get(iid, []):
            sim = minhash.similarity(matrix[k], sig)
            if sim >= minhash.SAME_STORY_JACCARD and sim > best_sim:
                best, best_sim = story, sim
        for band, key in enumerate(keys[k]):
            for other in index.get((band, key), []):
                sim = minhash.similarity(matrix[k], matrix[other])
                if sim >= minhash.SAME_STORY_JACCARD and sim > best_sim:
                    best, best_sim = assigned[ids[other]], sim
            index.setdefault((band, key), []).append(k)
        assigned[iid] = best
    return assigned


def test_story_choice_in_a_batch_agrees_with_the_plain_procedure(tmp_path):
    """Copies of copies (three or more items in one bucket), partial copies and unrelated news in one batch,
    on top of stored items: the sorted-key collision search picks exactly what a dictionary probe would."""
    import random


    rng = random.Random(4)
    words = [f"w{n}" for n in range(3000)]
    originals = [" ".join(rng.choice(words) for _ in range(120)) for _ in range(12)]
    texts = []
    for n in range(160):
        base = rng.choice(originals)
        if n % 4 == 0:
            texts.append(" ".join(rng.choice(words) for _ in range(120)))  # unrelated
        elif n % 4 == 1:
            texts.append(base)  # verbatim: the same bucket in every band, with every other verbatim copy
        else:  # a copy with a few words changed: near-duplicates of each other, at varying similarity
            toks = base.split()
            for _ in range(rng.randint(0, 40)):
                toks[rng.randrange(len(toks))] = rng.choice(words)
            texts.append(" ".join(toks))
    items = [make_item(n, source="wire", body=t) for n, t in enumerate(texts)]
    con = connection.connect(tmp_path / "w.duckdb")
    with transaction(con):
        first = assign.assign_stories(con, items[:40], now=NOW)
    with transaction(con):
        second = assign.assign_stories(con, items[40:], now=NOW + timedelta(hours=1))
    matrix = minhash.signatures([minhash.story_text(it.title, it.body) for it in items])
    assert first == _reference_stories([it.item_id for it in items[:40]], matrix[:40], {})
    stored = {}  # what the band index offers each later item: stored items sharing a bucket
    keys = minhash.band_keys_matrix(matrix)
    for k in range(40, 160):
        for j in range(40):
            if (keys[k] == keys[j]).any():
                stored.setdefault(items[k].item_id, []).append((first[items[j].item_id], matrix[j]))
    assert second == _reference_stories([it.item_id for it in items[40:]], matrix[40:], stored)
    shared = [s for s in second.values() if list(second.values()).count(s) >= 3]
    assert shared, "the batch must contain stories of three or more items (runs longer than a pair)"
    assert len(set(second.values())) < len(second)


def test_given_signatures_are_used_and_missing_ones_computed(tmp_path):

    items = [make_item(n) for n in range(6)]
    matrix = minhash.signatures([minhash.story_text(it.title, it.body) for it in items])
    given = {it.item_id: matrix[k] for k, it in enumerate(items) if k % 2}
    con = connection.connect(tmp_path / "w.duckdb")
    with transaction(con):
        assign.assign_stories(con, items, now=NOW, signatures=given)
    stored = dict(con.execute("SELECT item_id, signature FROM core.item_signatures").fetchall())
    for k, it in enumerate(items):
        assert story_store.signature_of(stored[it.item_id], minhash.NUM_PERM).tolist() == matrix[k].tolist()


def test_band_rows_past_the_window_are_pruned_and_copies_still_found_within_it(tmp_path):

    wire = "Trade ministers agreed on Thursday to keep talking about the tariff package before the deadline. " * 6
    old, recent, copy = (make_item(1, body=wire), make_item(2, body="Unrelated weather news. " * 30),
                         make_item(3, body=wire.replace("Thursday", "Friday")))
    con = connection.connect(tmp_path / "w.duckdb")
    long_ago = NOW - timedelta(days=minhash.WINDOW_DAYS + 5)
    with transaction(con):
        assign.assign_stories(con, [old], now=long_ago)
        assign.assign_stories(con, [recent], now=NOW - timedelta(days=1))
    with transaction(con):
        dropped = assign.prune_window(con, NOW)
    assert dropped == minhash.BANDS  # the old item's bands, and only those
    assert {r[0] for r in con.execute("SELECT DISTINCT item_id FROM core.story_bands").fetchall()} == {recent.item_id}
    assert con.execute("SELECT count(*) FROM core.item_signatures").fetchone()[0] == 2  # signatures stay
    with transaction(con):  # the old one is outside the window either way: the copy starts its own story
        assert assign.assign_stories(con, [copy], now=NOW)[copy.item_id] == copy.item_id


def test_a_body_survives_compression_whatever_its_characters():
    from warehouse import bodies

    for text in ("", "Ahn Duk-geun met Jamieson Greer — 관세 협상, “2+2” talks\u00a0in Washington.\n\nÉté 2025.",
                 "x" * 100_000):
        assert bodies.body_text(None, bodies.compress(text)) == text
        assert bodies.decompress(bodies.compressed_column([text])[0].as_py()) == text
    assert bodies.body_text("kept", None) == "kept"
    with pytest.raises(ValueError, match="neither body nor body_z"):
        bodies.body_text(None, None)
