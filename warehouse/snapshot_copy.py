"""What the published snapshot holds, and the storage format it is written in.

The snapshot is written table by table from the live warehouse into a new file in DuckDB 1.0's storage format
(storage version 64), which every DuckDB since 1.0 opens: the duckdb CLI 1.5.x, notebooks on an older duckdb,
tradewatch itself (DuckDB 2). The live file keeps DuckDB 2's format: there a checkpoint appends to the
primary-key indexes, while in the older formats every checkpoint rewrites them whole (measured: ~7 ms per
1,000 stored items, every cycle). The snapshot has no indexes at all: readers scan.

Published: every table of the `core` schema and the views, except what only the writer reads — the
near-duplicate index (story bands, signatures) and the items' bodies (zstd-compressed: no SQL can read them).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse import schema

STORAGE_VERSION = "v1.0.0"  # DuckDB 1.0's format: readable by every DuckDB from 1.0 on
UNPUBLISHED_TABLES = frozenset({"story_bands", "item_signatures"})
UNPUBLISHED_COLUMNS = {"items": frozenset({"body"})}
_ALIAS = "tradewatch_snapshot"


def published_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """table → the columns the snapshot holds, for every published table of the live warehouse's core schema."""
    rows = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = current_database()"
        " AND schema_name = 'core' ORDER BY table_name, column_index"
    ).fetchall()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        if table not in UNPUBLISHED_TABLES and column not in UNPUBLISHED_COLUMNS.get(table, ()):
            out.setdefault(table, []).append(column)
    return out


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def write_snapshot(con: duckdb.DuckDBPyConnection, target: str | Path) -> None:
    """Write the snapshot of the warehouse open on `con` (a read-write connection of the live file) to a new file
    `target` (which must not exist), in one transaction: what it holds is one committed state of the warehouse."""
    live = con.execute("SELECT current_database()").fetchone()[0]
    tables = published_columns(con)
    con.execute(f"ATTACH ? AS {_ALIAS} (STORAGE_VERSION '{STORAGE_VERSION}')", [str(target)])
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f"CREATE SCHEMA {_ALIAS}.core")
            for table, columns in tables.items():
                con.execute(f"CREATE TABLE {_ALIAS}.core.{_ident(table)} AS SELECT "
                            f"{', '.join(map(_ident, columns))} FROM {_ident(live)}.core.{_ident(table)}")
            con.execute(f"USE {_ALIAS}")  # the views name core.* as the snapshot's own tables
            try:
                con.execute(schema.views_sql())
            finally:
                con.execute(f"USE {_ident(live)}")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.execute(f"DETACH {_ALIAS}")  # checkpoints the new file: no WAL is left beside it
