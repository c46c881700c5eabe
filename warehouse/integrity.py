"""Never write to a damaged file: before a process first opens the live warehouse for writing, the file must be
the one tradewatch last closed cleanly, or pass a read pass.

DuckDB checks a block's checksum only when it reads that block, and a run reads few of them (index blocks,
say, only when an insert needs them): a file with 4 KB overwritten in the middle, or cut in half, opened,
and the run committed into it before it met the damage. Checking every block on every open would catch
that, but costs a full read of the file per run (~0.5 s per GB from the page cache, more from disk, against
a ~0.4 s unchanged poll). So the proof is kept proportionate:

- after a clean close (every connection of this process closed without error, the write-ahead log folded
  in and gone) the file's identity — size, modification time in ns, inode, device — is recorded beside it,
  in `<warehouse>.verified`;
- on open, a file that still has that identity and no write-ahead log is the file we closed: one `stat`;
- anything else — no record yet (a warehouse from before this check), a run that died mid-write (a WAL, or
  a modification time we did not record), a file changed or replaced behind our back — gets the read pass:
  every block the newest database header counts is checked against its checksum, as DuckDB would check it
  on reading it (`duckdb_compat.damaged_blocks`: data, metadata and index blocks alike; a file shorter than
  its header says is cut short), then the file is opened read-only (the WAL is replayed in memory, the file
  is not touched). For a file layout that module does not know, every column of every table is read through
  DuckDB instead (`hash()` of each value). Damage found is a WarehouseError ("corrupt … left untouched");
  nothing opens the file for writing.

What this does not catch: damage that keeps the file's size and timestamps (bit rot under an unchanged
mtime). A backup or a filesystem with checksums covers that.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import duckdb

from warehouse import duckdb_compat
from warehouse.errors import WarehouseError, explain

VERIFY_CONFIG = {"memory_limit": "128MB"}


def record_path(path: str | Path) -> Path:
    p = Path(path)
    return p.with_name(p.name + ".verified")


def wal_path(path: str | Path) -> Path:
    return Path(f"{path}.wal")


def _identity(path: Path) -> dict | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ino": st.st_ino, "dev": st.st_dev}


def is_as_left(path: str | Path) -> bool:
    """True when the file is exactly as tradewatch last closed it cleanly (no WAL, the recorded identity)."""
    path = Path(path)
    if wal_path(path).exists():
        return False
    try:
        recorded = json.loads(record_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return recorded == _identity(path)


def check_before_writing(path: str | Path) -> None:
    """Raise WarehouseError when an existing warehouse file is damaged; cheap when it is as we left it."""
    path = Path(path)
    if not path.exists() or is_as_left(path):
        return
    read_pass(path)


def read_pass(path: str | Path) -> None:
    """Check every block's checksum, then open the file read-only. WarehouseError on damage; the file is never
    written to."""
    path = Path(path)
    try:
        damaged = duckdb_compat.damaged_blocks(path)
    except duckdb_compat.FileDamage as exc:
        raise _corrupt(path, str(exc)) from None
    except OSError as exc:
        raise explain(path, exc) from exc
    if damaged:
        shown = ", ".join(map(str, damaged[:10])) + (" …" if len(damaged) > 10 else "")
        raise _corrupt(path, f"{len(damaged)} block(s) fail their checksum: {shown}")
    try:
        con = duckdb.connect(str(path), read_only=True, config=VERIFY_CONFIG)
    except duckdb.Error as exc:
        raise explain(path, exc) from exc
    try:
        if damaged is None:
            _read_every_column(con)
    except duckdb.Error as exc:
        raise explain(path, exc) from exc
    finally:
        con.close()


def _corrupt(path: Path, detail: str) -> WarehouseError:
    return WarehouseError(f"warehouse {path} is not a readable DuckDB file (corrupt?); left untouched. {detail}")


def _read_every_column(con: duckdb.DuckDBPyConnection) -> None:
    """Every column of every table read through DuckDB (which verifies each data block it reads)."""
    columns: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in con.execute(
        "SELECT schema_name, table_name, column_name FROM duckdb_columns()"
        " WHERE database_name = current_database() AND NOT internal"
        " AND (schema_name, table_name) IN (SELECT (schema_name, table_name) FROM duckdb_tables()"
        "   WHERE database_name = current_database() AND NOT temporary)"
        " ORDER BY schema_name, table_name, column_index"
    ).fetchall():
        columns.setdefault((schema, table), []).append(column)
    for (schema, table), names in columns.items():
        reads = ", ".join(f"min(hash({_quoted(n)}))" for n in names)
        con.execute(f"SELECT count(*), {reads} FROM {_quoted(schema)}.{_quoted(table)}").fetchall()


def record_clean_close(path: str | Path) -> None:
    """Remember the file as it is now: called after every connection of this process closed without error.
    Not recorded while a WAL remains (another process may still be writing). Best effort: a record that cannot
    be written only means a read pass next time."""
    path = Path(path)
    identity = _identity(path)
    if identity is None or wal_path(path).exists():
        return
    target = record_path(path)
    tmp = target.with_name(target.name + ".tmp")
    with contextlib.suppress(OSError):
        tmp.write_text(json.dumps(identity), encoding="utf-8")
        os.replace(tmp, target)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
