"""All-or-nothing writes, and bulk inserts on one DuckDB thread."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import duckdb

from warehouse import duckdb_compat
from warehouse.errors import WarehouseError


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing. A write the disk refuses becomes a WarehouseError saying nothing was committed."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException as exc:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        if duckdb_compat.classify(exc) == duckdb_compat.DISK_FULL:
            raise WarehouseError(
                f"warehouse write failed (out of disk space?): nothing from this step was committed. {exc}"
            ) from exc
        raise


@contextlib.contextmanager
def single_threaded(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run these statements on one DuckDB thread: bulk INSERTs of Arrow tables made of many small record
    batches (one per source) are several times faster so (bench/results.md). The setting is the instance's;
    the run's stages are sequential, so nothing else is slowed."""
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    con.execute("SET threads = 1")
    try:
        yield con
    finally:
        con.execute(f"SET threads = {int(threads)}")
