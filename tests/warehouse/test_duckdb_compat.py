"""Failures DuckDB tells apart only in its message text (warehouse/duckdb_compat.py), provoked for real with
the installed DuckDB: a release that words one differently fails here, loudly."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys

import duckdb
import pytest

from tests.support.paths import ROOT
from tests.support.small_filesystem import namespace_prefix, run_on_small_filesystem
from warehouse import duckdb_compat
from warehouse.connection import connect
from warehouse.errors import WarehouseError


@pytest.fixture()
def filled(tmp_path):
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT range AS i, 'text ' || range AS s FROM range(200000)")
    con.close()
    return path


def failure_of(fn) -> BaseException:
    with pytest.raises(duckdb.Error) as info:
        fn()
    return info.value


def test_a_lock_held_by_another_process_is_locked(filled):
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(filled)!r}); "
                               "print('held', flush=True); time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert duckdb_compat.classify(failure_of(lambda: duckdb.connect(str(filled)))) == duckdb_compat.LOCKED
    finally:
        holder.kill()
        holder.wait()


@pytest.fixture()
def garbled(filled, tmp_path):
    """A copy of `filled` with 4 KB of random bytes written at a third of the file, in a block of table data."""
    copy = tmp_path / "c.duckdb"
    shutil.copy(filled, copy)
    with open(copy, "r+b") as fh:
        fh.seek(copy.stat().st_size // 3)
        fh.write(os.urandom(4096))
    return copy


def test_a_failed_checksum_is_corrupt_not_locked(garbled):
    """Its message speaks of a 'block': a substring test for 'lock' took it for a lock (issue 17)."""
    copy = garbled

    def read():
        con = duckdb.connect(str(copy))
        con.execute("SELECT sum(length(s)) FROM t").fetchall()

    exc = failure_of(read)
    assert "block" in str(exc) and duckdb_compat.classify(exc) == duckdb_compat.CORRUPT


def test_a_truncated_file_and_a_file_of_other_bytes_are_corrupt(filled, tmp_path):
    truncated = tmp_path / "t.duckdb"
    shutil.copy(filled, truncated)
    with open(truncated, "r+b") as fh:
        fh.truncate(truncated.stat().st_size // 2)
    garbage = tmp_path / "g.duckdb"
    garbage.write_bytes(b"not a database " * 100)
    for path in (truncated, garbage):
        assert duckdb_compat.classify(failure_of(lambda p=path: duckdb.connect(str(p)))) == duckdb_compat.CORRUPT
    with pytest.raises(WarehouseError, match="not a readable DuckDB file"):
        connect(garbage)


def test_no_space_is_disk_full():
    """(A full disk provoked for real: tests/flows/test_failure_modes.py.)"""
    assert duckdb_compat.classify(OSError(28, "No space left on device")) == duckdb_compat.DISK_FULL
    assert duckdb_compat.classify(duckdb.IOException(
        'Could not write file "w.duckdb.wal": No space left on device')) == duckdb_compat.DISK_FULL
    assert duckdb_compat.classify(duckdb.CatalogException("Table with name x does not exist")) == duckdb_compat.OTHER


# --- block checksums (warehouse/integrity.py reads every block through them) ---------------------------


@pytest.fixture()
def with_free_blocks(tmp_path):
    """A file whose free list is not empty (rows deleted, then checkpointed), closed cleanly."""
    path = tmp_path / "f.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t (i BIGINT PRIMARY KEY, s VARCHAR)")
    con.execute("INSERT INTO t SELECT range, repeat('x', (range % 200)::INT) FROM range(300000)")
    con.execute("CHECKPOINT")
    con.execute("DELETE FROM t WHERE i % 3 = 0")
    con.execute("CHECKPOINT")
    con.execute("INSERT INTO t SELECT range + 1000000, 'y' FROM range(1000)")
    con.close()
    return path


def test_every_block_in_use_passes_the_checksum_duckdb_uses_and_the_free_list_reads_as_duckdb_counts(
        with_free_blocks):
    assert duckdb_compat.damaged_blocks(with_free_blocks) == []
    con = duckdb.connect(str(with_free_blocks), read_only=True)
    total, free = con.execute("SELECT total_blocks, free_blocks FROM pragma_database_size()").fetchone()
    con.close()
    assert free > 0
    with open(with_free_blocks, "rb") as fh:
        header = fh.read(3 * duckdb_compat.HEADER_SIZE)
        pages = [header[o:o + duckdb_compat.HEADER_SIZE] for o in (4096, 8192)]
        _, _, free_list, block_count, block_size = max(  # iteration first: the newer header
            struct.unpack_from("<5Q", page, 8) for page in pages)
        assert block_count == total
        assert len(duckdb_compat._free_blocks(fh, free_list, block_count, block_size)) == free


def test_a_block_duckdb_finds_damaged_is_found_without_reading_it_through_duckdb(garbled):
    copy = garbled
    con = duckdb.connect(str(copy), read_only=True)
    with pytest.raises(duckdb.Error, match=r"block at location (\d+)") as info:
        con.execute("SELECT sum(length(s)) FROM t").fetchall()
    con.close()
    location = int(re.search(r"block at location (\d+)", str(info.value)).group(1))
    block_size = 262144
    assert duckdb_compat.damaged_blocks(copy) == [(location - 3 * duckdb_compat.HEADER_SIZE) // block_size]


def test_a_file_cut_short_of_a_block_in_use_is_damage(filled, tmp_path):
    cut = tmp_path / "t.duckdb"
    shutil.copy(filled, cut)
    with open(cut, "r+b") as fh:
        fh.truncate(cut.stat().st_size // 2)
    with pytest.raises(duckdb_compat.FileDamage, match="cut short"):
        duckdb_compat.damaged_blocks(cut)


def test_a_file_of_another_layout_is_left_to_duckdb(tmp_path):
    other = tmp_path / "o.duckdb"
    other.write_bytes(b"\0" * 8 + b"DUCK" + struct.pack("<Q", 12345) + b"\0" * 20000)
    assert duckdb_compat.damaged_blocks(other) is None


def test_a_write_or_checkpoint_on_a_full_disk_is_disk_full(tmp_path):
    """Provoked for real on a 2 MB tmpfs: whatever DuckDB raises there (an IO error on the WAL, or the FATAL
    error of a checkpoint that cannot write its blocks) is classified as a full disk."""
    if namespace_prefix() is None:
        pytest.skip("no mount namespace here (unshare)")
    small = tmp_path / "small"
    small.mkdir()
    script = (f'"{sys.executable}" -c "'
              "import duckdb, sys\n"
              "from warehouse import duckdb_compat\n"
              f"con = duckdb.connect('{small}/w.duckdb')\n"
              "try:\n"
              "    con.execute(\\\"CREATE TABLE t AS SELECT range AS i, md5(range::VARCHAR) AS s FROM range(300000)\\\")\n"
              "    con.execute('CHECKPOINT')\n"
              "    print('no failure')\n"
              "except duckdb.Error as exc:\n"
              "    print(duckdb_compat.classify(exc)); print(exc)\n"
              '"')
    done = run_on_small_filesystem("2m", str(small), script, {**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == duckdb_compat.DISK_FULL, done.stdout
