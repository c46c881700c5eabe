"""Never write to a damaged file (warehouse/integrity.py): a real warehouse, damaged as a disk or a careless
copy would damage it, is refused before anything opens it for writing, and left byte for byte as it was."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from records.items import Item
from warehouse import connection, integrity
from warehouse import items as item_store
from warehouse.errors import WarehouseError
from warehouse.transaction import transaction

NOW = datetime(2025, 7, 1, tzinfo=UTC)
BLOCK = 262144
HEADERS = 3 * 4096


def items(n: int, start: int = 0) -> list[Item]:
    return [Item(item_id=f"id-{i}", source_id="s", guid=f"g{i}", url=f"https://x.org/{i}", title=f"Title {i}",
                 summary="", body=f"Body {i} " * 30, published_at=NOW - timedelta(minutes=i),
                 published_offset_min=0, content_hash=f"h{i}") for i in range(start, start + n)]


@pytest.fixture()
def warehouse(tmp_path) -> Path:
    """A migrated warehouse with items, closed cleanly by the pipeline's own writer."""
    path = tmp_path / "w.duckdb"
    with connection.writer(path) as con, transaction(con):
        item_store.store_items(con, items(20_000), now=NOW)
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def blocks_no_query_reads(path: Path) -> list[int]:
    """Blocks in use that hold neither table data nor catalog metadata (the indexes' blocks): DuckDB reads
    them only when an insert needs them, so no SELECT meets damage there."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        total, free = con.execute("SELECT total_blocks, free_blocks FROM pragma_database_size()").fetchone()
        assert free == 0  # so every block not listed below is in use
        data = {r[0] for s, t in con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()
                for r in con.execute(f"SELECT block_id FROM pragma_storage_info('{s}.{t}') WHERE persistent")
                .fetchall()}
        meta = {r[0] for r in con.execute("SELECT block_id FROM pragma_metadata_info()").fetchall()}
    finally:
        con.close()
    return sorted(set(range(total)) - data - meta)


def damage(path: Path, block: int) -> None:
    with open(path, "r+b") as fh:
        fh.seek(HEADERS + block * BLOCK + 1000)
        fh.write(os.urandom(4096))


def test_a_cleanly_closed_warehouse_is_known_as_left_and_a_change_behind_our_back_is_not(warehouse):
    assert integrity.is_as_left(warehouse)
    os.utime(warehouse, ns=(1, 1))  # anything that rewrote the file (a copy, an editor, a restore)
    assert not integrity.is_as_left(warehouse)


def test_damage_no_query_would_meet_is_refused_before_the_file_is_opened_for_writing(warehouse):
    unread = blocks_no_query_reads(warehouse)
    assert unread
    damage(warehouse, unread[0])
    con = duckdb.connect(str(warehouse), read_only=True)  # DuckDB itself reads every row without noticing
    assert con.execute("SELECT count(*), sum(length(title)) FROM core.items").fetchone()[0] == 20_000
    con.close()
    before = sha(warehouse)
    refused = rf"not a readable DuckDB file \(corrupt\?\); left untouched\. 1 block\(s\) fail their checksum: {unread[0]}"
    with pytest.raises(WarehouseError, match=refused), connection.writer(warehouse) as con, transaction(con):
        item_store.store_items(con, items(10, start=50_000), now=NOW)
    assert sha(warehouse) == before and not Path(f"{warehouse}.wal").exists()


def test_a_warehouse_cut_in_half_is_refused_and_left_as_it_is(warehouse):
    with connection.writer(warehouse) as con, transaction(con):  # a bigger file: the cut falls among blocks
        item_store.store_items(con, items(60_000, start=20_000), now=NOW)
    with open(warehouse, "r+b") as fh:
        fh.truncate(warehouse.stat().st_size // 2)
    before = sha(warehouse)
    with pytest.raises(WarehouseError, match="not a readable DuckDB file .*left untouched"), \
            connection.writer(warehouse):
        pass
    assert sha(warehouse) == before and not Path(f"{warehouse}.wal").exists()


def test_a_write_ahead_log_left_by_a_killed_writer_is_read_through_and_the_file_is_used(warehouse):
    subprocess.run([sys.executable, "-c", (
        "import duckdb, os, sys\n"
        f"con = duckdb.connect({str(warehouse)!r})\n"
        "con.execute(\"UPDATE core.items SET title = 'edited' WHERE item_id = 'id-1'\")\n"
        "os._exit(0)  # killed: no checkpoint, the commit is in the WAL\n")], check=True)
    assert Path(f"{warehouse}.wal").exists() and not integrity.is_as_left(warehouse)
    with connection.writer(warehouse) as con:
        assert con.execute("SELECT title FROM core.items WHERE item_id = 'id-1'").fetchone() == ("edited",)
    assert integrity.is_as_left(warehouse)  # recorded again at the clean close


def test_writers_inside_a_hold_share_it_and_one_that_fails_keeps_the_file_from_being_recorded_clean(warehouse):
    with connection.hold(warehouse) as held:
        held.execute("CREATE TEMP TABLE only_in_this_instance AS SELECT 1 AS x")  # temp: per connection
        with connection.writer(warehouse) as con:
            con.execute("UPDATE core.items SET title = 'held' WHERE item_id = 'id-2'")
        assert held.execute("SELECT title FROM core.items WHERE item_id = 'id-2'").fetchone() == ("held",)
    assert integrity.is_as_left(warehouse)
    with connection.hold(warehouse), pytest.raises(duckdb.CatalogException), connection.writer(warehouse) as con:
        con.execute("UPDATE core.items SET title = 'again' WHERE item_id = 'id-3'")
        con.execute("SELECT * FROM core.no_such_table")
    assert not integrity.is_as_left(warehouse)  # checked with a read pass next time, not trusted
    with connection.writer(warehouse):
        pass
    assert integrity.is_as_left(warehouse)
