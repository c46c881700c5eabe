"""What the published snapshot holds, the storage format it is written in, and how a snapshot file is brought up
to date: whole the first time, then with only what changed since it was last brought up to date.

Format: DuckDB 1.0's (storage version 64), which every DuckDB since 1.0 opens: the duckdb CLI 1.5.x, notebooks on
an older duckdb, tradewatch itself (DuckDB 2). The live file keeps DuckDB 2's format: there a checkpoint appends
to the primary-key indexes, while in the older formats every checkpoint rewrites them whole. The snapshot has no
indexes at all: readers scan, and an update of the file checkpoints in a few milliseconds.

Published: every table of the `core` schema and the views, except what only the writer reads — the
near-duplicate index (story bands, signatures), the items' bodies (text from before migration 005, zstd
frames since), the change numbers — and
`core.snapshot_state`: the warehouse the file was made from, the last change it holds, its layout.

What changed: the tables that grow with history carry `change_seq`, the number of the last write that touched
each row (migration 010: a sequence numbers every inserted row; every UPDATE numbers the row again). Updating a
file that holds changes up to N copies the rows numbered above N (after deleting the stored rows with the same
primary key), which the zone maps of `change_seq` find without reading the rest; every other table is small
(sources, threads, digests, bookkeeping) and copied whole. One query counts, per table, the changed rows and
the rows on each side: a table without changes is not touched, and one whose row count would then differ from
the live one had rows deleted (a reprocess forgets events) and is copied whole. A file made from another warehouse, or
with another layout (a migration, new views), is rewritten whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse import schema

STORAGE_VERSION = "v1.0.0"  # DuckDB 1.0's format: readable by every DuckDB from 1.0 on
UNPUBLISHED_TABLES = frozenset({"story_bands", "item_signatures", "warehouse_identity"})
UNPUBLISHED_COLUMNS = {"items": frozenset({"body", "body_z"})}  # bodies: only the writer reads them
CHANGE = "change_seq"  # a row's change number (migration 010); never published
STATE = "snapshot_state"  # the snapshot's own table: which warehouse, which change, which layout
_FORMAT = 2  # how snapshot files are written: a file written otherwise is rewritten whole
_ALIAS = "tradewatch_snapshot"


@dataclass(frozen=True)
class Layout:
    """What the snapshot of the live warehouse holds: table → published columns; the tables published by change
    number, with their primary keys (empty: rows are only ever added); a fingerprint of it all and the views."""

    columns: dict[str, list[str]]
    tracked: dict[str, list[str]]
    fingerprint: str


def published_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """table → the columns the snapshot holds, for every published table of the live warehouse's core schema."""
    return layout(con).columns


def layout(con: duckdb.DuckDBPyConnection) -> Layout:
    rows = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = current_database()"
        " AND schema_name = 'core' ORDER BY table_name, column_index"
    ).fetchall()
    columns: dict[str, list[str]] = {}
    numbered: set[str] = set()
    for table, column in rows:
        if table in UNPUBLISHED_TABLES:
            continue
        if column == CHANGE:
            numbered.add(table)
        elif column not in UNPUBLISHED_COLUMNS.get(table, ()):
            columns.setdefault(table, []).append(column)
    keys = {t: list(k) for t, k in con.execute(
        "SELECT table_name, constraint_column_names FROM duckdb_constraints() WHERE database_name ="
        " current_database() AND schema_name = 'core' AND constraint_type = 'PRIMARY KEY'").fetchall()}
    tracked = {t: keys.get(t, []) for t in sorted(numbered)}
    described = json.dumps([_FORMAT, STORAGE_VERSION, columns, tracked, schema.views_sql()], sort_keys=True)
    return Layout(columns, tracked, hashlib.sha256(described.encode()).hexdigest()[:24])


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _live_state(con: duckdb.DuckDBPyConnection) -> tuple[str, int]:
    """(this warehouse's id, the last change number given out): every row written so far is numbered at most
    that."""
    warehouse_id = con.execute("SELECT any_value(warehouse_id) FROM core.warehouse_identity").fetchone()[0]
    last = con.execute(
        "SELECT last_value FROM duckdb_sequences() WHERE database_name = current_database()"
        " AND schema_name = 'core' AND sequence_name = 'change_seq'").fetchone()
    return warehouse_id, int(last[0] or 0) if last else 0


def write_snapshot(con: duckdb.DuckDBPyConnection, target: str | Path) -> None:
    """Write the snapshot of the warehouse open on `con` (a read-write connection of the live file) to a new file
    `target` (which must not exist), in one transaction: what it holds is one committed state of the warehouse."""
    live = con.execute("SELECT current_database()").fetchone()[0]
    shape = layout(con)
    with _attached(con, target, f" (STORAGE_VERSION '{STORAGE_VERSION}')"):
        warehouse_id, upto = _live_state(con)
        con.execute(f"CREATE SCHEMA {_ALIAS}.core")
        for table, columns in shape.columns.items():
            con.execute(f"CREATE TABLE {_ALIAS}.core.{_ident(table)} AS SELECT "
                        f"{', '.join(map(_ident, columns))} FROM {_ident(live)}.core.{_ident(table)}")
        con.execute(f"CREATE TABLE {_ALIAS}.core.{STATE} (warehouse_id VARCHAR, change_seq BIGINT,"
                    " layout VARCHAR, published_at TIMESTAMPTZ, published_whole_at TIMESTAMPTZ)")
        now = datetime.now(UTC)
        con.execute(f"INSERT INTO {_ALIAS}.core.{STATE} VALUES (?, ?, ?, ?, ?)",
                    [warehouse_id, upto, shape.fingerprint, now, now])
        con.execute(f"USE {_ALIAS}")  # the views name core.* as the snapshot's own tables
        try:
            con.execute(schema.views_sql())
        finally:
            con.execute(f"USE {_ident(live)}")


def update_snapshot(con: duckdb.DuckDBPyConnection, target: str | Path) -> bool:
    """Bring the snapshot file `target` up to date with the warehouse open on `con`, in place and in one
    transaction, copying only what changed since it was last brought up to date. False (the file untouched)
    when it cannot be: made from another warehouse, with another layout, or ahead of this warehouse (restored
    from a backup); write it whole then. Raises duckdb.Error when the file cannot be opened for writing (a
    reader holds it: "Could not set lock")."""
    live = _ident(con.execute("SELECT current_database()").fetchone()[0])
    shape = layout(con)
    with _attached(con, target):
        warehouse_id, upto = _live_state(con)
        try:
            held = con.execute(f"SELECT warehouse_id, change_seq, layout FROM {_ALIAS}.core.{STATE}").fetchall()
        except duckdb.CatalogException:
            held = []
        if len(held) != 1 or held[0][0] != warehouse_id or held[0][2] != shape.fingerprint or held[0][1] > upto:
            return False  # (nothing written)
        since = held[0][1]
        counts = _row_counts(con, live, list(shape.tracked), since)
        for table, columns in shape.columns.items():
            if table in shape.tracked:
                _bring_up_to_date(con, live, table, columns, shape.tracked[table], since, counts[table])
            else:  # small: copied whole
                _copy_whole(con, live, table, columns)
        con.execute(f"UPDATE {_ALIAS}.core.{STATE} SET change_seq = ?, published_at = ?", [upto, datetime.now(UTC)])
    return True


@contextlib.contextmanager
def _attached(con: duckdb.DuckDBPyConnection, target: str | Path, options: str = "") -> Iterator[None]:
    """`target` attached to `con` as the snapshot, the block run in one transaction (committed when it ends,
    rolled back when it raises), then detached: which checkpoints the file, so no WAL is left beside it."""
    con.execute(f"ATTACH ? AS {_ALIAS}{options}", [str(target)])
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    finally:
        con.execute(f"DETACH {_ALIAS}")


def _row_counts(con: duckdb.DuckDBPyConnection, live: str, tables: list[str], since: int
                ) -> dict[str, tuple[int, int, int]]:
    """table → (its rows changed since `since`, its rows in the warehouse, its rows in the snapshot), in one
    query: the zone maps of change_seq skip the row groups without changes."""
    parts = [f"(SELECT count(*) FROM {live}.core.{_ident(t)} WHERE {CHANGE} > {int(since)}), "
             f"(SELECT count(*) FROM {live}.core.{_ident(t)}), (SELECT count(*) FROM {_ALIAS}.core.{_ident(t)})"
             for t in tables]
    row = con.execute("SELECT " + ", ".join(parts)).fetchone() if tables else ()
    return {t: tuple(row[3 * i:3 * i + 3]) for i, t in enumerate(tables)}  # type: ignore[misc]


def _bring_up_to_date(con: duckdb.DuckDBPyConnection, live: str, table: str, columns: list[str], key: list[str],
                      since: int, counts: tuple[int, int, int]) -> None:
    """One table with change numbers: its rows changed since `since` replace the stored versions (matched by
    `key`; none: rows are only ever added). A table whose row count then differs from the warehouse's had rows
    deleted (a reprocess forgets events): copied whole."""
    changed, total, held = counts
    if changed:
        mine, theirs = f"{_ALIAS}.core.{_ident(table)}", f"{live}.core.{_ident(table)}"
        cols = ", ".join(map(_ident, columns))
        rows = f"FROM {theirs} WHERE {CHANGE} > {int(since)}"
        if key:
            keys = ", ".join(map(_ident, key))
            match = " AND ".join(f"s.{_ident(k)} = d.{_ident(k)}" for k in key)
            held -= con.execute(f"DELETE FROM {mine} AS s USING (SELECT {keys} {rows}) AS d WHERE {match}").fetchone()[0]
        held += con.execute(f"INSERT INTO {mine} ({cols}) SELECT {cols} {rows}").fetchone()[0]
    if held != total:
        _copy_whole(con, live, table, columns)


def _copy_whole(con: duckdb.DuckDBPyConnection, live: str, table: str, columns: list[str]) -> None:
    mine, theirs = f"{_ALIAS}.core.{_ident(table)}", f"{live}.core.{_ident(table)}"
    cols = ", ".join(map(_ident, columns))
    con.execute(f"DELETE FROM {mine}")
    con.execute(f"INSERT INTO {mine} ({cols}) SELECT {cols} FROM {theirs}")
