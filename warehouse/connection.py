"""The live warehouse: read-write connections, migrated on open.

One writer at a time (DuckDB's rule): the scheduled run holds the only read-write instance. Within a process
DuckDB shares one instance per file, so while a run `hold`s it every stage's `writer()` is cheap.

Never written when damaged: the first connection a process opens on the file checks it first
(warehouse/integrity.py: one `stat` when the file is as tradewatch last closed it, else a read pass), and the
last one to close cleanly records the file as it left it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb

from warehouse import integrity, schema
from warehouse.errors import explain

# The writer's memory: DuckDB otherwise keeps what a big batch freed for as long as the database is open (the
# whole cycle), up to 80% of RAM; above the limit it spills to a temp directory beside the file.
WRITER_CONFIG = {"memory_limit": "128MB"}

_held: dict[Path, duckdb.DuckDBPyConnection] = {}
_held_lock = threading.Lock()
_open: dict[Path, int] = {}  # connections of hold() and writer() open now, per file
_open_failed: set[Path] = set()  # one of them ended in an error: the file is not recorded as left cleanly


def connect(path: str | Path) -> duckdb.DuckDBPyConnection:
    """Open the live warehouse read-write and bring its schema up to date (cheaply, when it already is). A file
    this process does not have open yet is checked first (never written when damaged: WarehouseError)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _held_lock:
        opened_here = _open.get(path.resolve(), 0) > 0
    if not opened_here:
        integrity.check_before_writing(path)
    try:
        con = duckdb.connect(str(path), config=WRITER_CONFIG)
    except duckdb.Error as exc:
        raise explain(path, exc) from exc
    try:
        if not schema.is_current(con):
            schema.migrate(con)
    except duckdb.Error as exc:
        con.close()
        raise explain(path, exc) from exc
    return con


@contextlib.contextmanager
def _tracked(path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection counted in _open; when the last one of this file closes and none failed, the file is
    recorded as left cleanly."""
    key = Path(path).resolve()
    con = connect(path)
    with _held_lock:
        _open[key] = _open.get(key, 0) + 1
    ok = False
    try:
        yield con
        ok = True
    finally:
        try:
            if ok:
                con.close()
            else:  # the error that ended the block is the one to report (after a fatal one, close fails too)
                with contextlib.suppress(duckdb.Error):
                    con.close()
        except BaseException:
            ok = False
            raise
        finally:
            with _held_lock:
                _open[key] -= 1
                if not ok:
                    _open_failed.add(key)
                last = _open[key] == 0
                if last:
                    del _open[key]
                    clean = key not in _open_failed
                    _open_failed.discard(key)
            if last and clean:
                integrity.record_clean_close(key)


@contextlib.contextmanager
def hold(path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Keep the database open for a whole run: every `writer()` and `cursor()` meanwhile is cheap."""
    key = Path(path).resolve()
    with _tracked(path) as con:
        with _held_lock:
            _held[key] = con
        try:
            yield con
        finally:
            with _held_lock:
                _held.pop(key, None)


@contextlib.contextmanager
def writer(path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-write connection, closed (and checkpointed, unless held) on exit: while this process
    holds the file, a cursor of the held instance (its schema was brought up to date when it was opened)."""
    key = Path(path).resolve()
    with _held_lock:
        held = _held.get(key)
    if held is None:
        with _tracked(path) as con:
            yield con
        return
    cur = held.cursor()
    try:
        yield cur
    except BaseException:
        with _held_lock:  # the file is not recorded as left cleanly
            _open_failed.add(key)
        raise
    finally:
        cur.close()


def cursor(path: str | Path) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
    """For many small reads from many threads: the same as `writer` (a cursor of the held instance when this
    process holds the file, no schema check; else a short-lived writer)."""
    return writer(path)
