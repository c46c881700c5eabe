"""The live warehouse: read-write connections, migrated on open.

One writer at a time (DuckDB's rule): the scheduled run holds the only read-write instance. Within a process
DuckDB shares one instance per file, so while a run `hold`s it every stage's `writer()` is cheap.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb

from warehouse import schema
from warehouse.errors import explain

# The writer's memory: DuckDB otherwise keeps what a big batch freed for as long as the database is open (the
# whole cycle), up to 80% of RAM; above the limit it spills to a temp directory beside the file.
WRITER_CONFIG = {"memory_limit": "128MB"}

_held: dict[Path, duckdb.DuckDBPyConnection] = {}
_held_lock = threading.Lock()


def connect(path: str | Path) -> duckdb.DuckDBPyConnection:
    """Open the live warehouse read-write and bring its schema up to date (cheaply, when it already is)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
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
def hold(path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Keep the database open for a whole run: every `writer()` and `cursor()` meanwhile is cheap."""
    key = Path(path).resolve()
    con = connect(path)
    with _held_lock:
        _held[key] = con
    try:
        yield con
    finally:
        with _held_lock:
            _held.pop(key, None)
        con.close()


@contextlib.contextmanager
def writer(path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-write connection, closed (and checkpointed, unless held) on exit."""
    con = connect(path)
    try:
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def cursor(path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor of the held instance when this process holds the file (no schema check: for many small
    reads from many threads), else a short-lived writer."""
    with _held_lock:
        held = _held.get(Path(path).resolve())
    if held is None:
        with writer(path) as con:
            yield con
        return
    cur = held.cursor()
    try:
        yield cur
    finally:
        cur.close()
