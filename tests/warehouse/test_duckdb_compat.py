"""Failures DuckDB tells apart only in its message text (warehouse/duckdb_compat.py), provoked for real with
the installed DuckDB: a release that words one differently fails here, loudly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import duckdb
import pytest

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


def test_a_failed_checksum_is_corrupt_not_locked(filled, tmp_path):
    """Its message speaks of a 'block': a substring test for 'lock' took it for a lock (issue 17)."""
    copy = tmp_path / "c.duckdb"
    shutil.copy(filled, copy)
    with open(copy, "r+b") as fh:
        fh.seek(copy.stat().st_size // 3)
        fh.write(os.urandom(4096))

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
