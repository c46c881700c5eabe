"""Connect to the warehouse, migrate it, publish a read-only snapshot for ad hoc SQL.

One writer at a time (DuckDB's rule): the scheduled run holds the only read-write connection, briefly.
Readers never open the live file: they open the snapshot published after each run.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import duckdb

MIGRATIONS_PACKAGE = "warehouse.migrations"
_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


# The writer's memory: DuckDB otherwise keeps what a big batch freed for as long as the database is open (the
# whole cycle), up to 80% of RAM; above the limit it spills to a temp directory beside the file.
WRITER_CONFIG = {"memory_limit": "128MB"}


class WarehouseError(RuntimeError):
    """The warehouse cannot be used: locked by another writer, corrupt, not a DuckDB file, disk full."""


class RunInProgress(RuntimeError):
    """Another run holds this warehouse."""


@contextlib.contextmanager
def run_lock(warehouse_path: str | Path) -> Iterator[None]:
    """Only one run per warehouse at a time; a second one fails fast with a clear message."""
    warehouse_path = Path(warehouse_path)
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = warehouse_path.with_name(warehouse_path.name + ".lock")
    with open(lock_path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunInProgress(
                f"another tradewatch run holds {warehouse_path} (lock {lock_path}); this run did nothing"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def snapshot_path(path: str | Path) -> Path:
    p = Path(path)
    return p.with_name(p.stem + ".snapshot" + (p.suffix or ".duckdb"))


@functools.cache
def migrations() -> list[tuple[int, str, str]]:
    """The ordered list of (version, name, sql). Append only: never edit a released migration."""
    found = []
    for entry in resources.files(MIGRATIONS_PACKAGE).iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise WarehouseError(f"migrations are not numbered 1..n without gaps: {versions}")
    return found


@functools.cache
def views_sql() -> str:
    return resources.files("warehouse").joinpath("views.sql").read_text(encoding="utf-8")


def _explain(path: Path, exc: Exception) -> WarehouseError:
    text = str(exc)
    if "lock" in text.lower():
        return WarehouseError(
            f"warehouse {path} is in use by another process (another run holds the write lock). "
            "Try again when it has finished; ad hoc queries should use `tradewatch sql`, which reads the snapshot."
        )
    if "not a valid DuckDB database" in text or "Corrupt" in text or "corrupt" in text or "magic" in text:
        return WarehouseError(f"warehouse {path} is not a readable DuckDB file (corrupt?); left untouched. {text}")
    if any(m in text for m in _WRITE_FAILURE) or "disk" in text.lower():
        return WarehouseError(f"warehouse {path}: out of disk space; nothing was committed. {text}")
    return WarehouseError(f"warehouse {path}: {text}")


def connect(path: str | Path) -> duckdb.DuckDBPyConnection:
    """Open the live warehouse read-write and bring its schema up to date (cheaply, when it already is)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), config=WRITER_CONFIG)
    except duckdb.Error as exc:
        raise _explain(path, exc) from exc
    try:
        if not is_current(con):
            migrate(con)
    except duckdb.Error as exc:
        con.close()
        raise _explain(path, exc) from exc
    return con


@contextlib.contextmanager
def hold(path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Keep the database open for a whole run. DuckDB shares one instance per file within a process, so
    while it is held every `writer()` is cheap (no file open, migration check or checkpoint per stage)."""
    con = connect(path)
    try:
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def writer(path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-write connection, closed (and checkpointed) on exit."""
    con = connect(path)
    try:
        yield con
    finally:
        con.close()


_WRITE_FAILURE = ("Could not write", "No space", "File too large", "Disk full", "disk is full")


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing. A write the disk refuses (full, too large) becomes a WarehouseError that says nothing
    of this transaction was committed."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException as exc:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        if isinstance(exc, duckdb.Error) and (
            isinstance(exc, duckdb.IOException) or any(m in str(exc) for m in _WRITE_FAILURE)
        ):
            raise WarehouseError(
                f"warehouse write failed (out of disk space?): nothing from this step was committed. {exc}"
            ) from exc
        raise


@contextlib.contextmanager
def single_threaded(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run these statements on one DuckDB thread (the setting is the instance's: the run's stages are
    sequential, so nothing else is slowed). For bulk INSERTs from Arrow tables of many small record batches
    (one per source): with two threads DuckDB schedules a task per batch and merges them back in order, and
    10,000 bench items took 0.30 s to insert against 0.05 s on one."""
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    con.execute("SET threads = 1")
    try:
        yield con
    finally:
        con.execute(f"SET threads = {int(threads)}")


def _views_hash() -> str:
    return hashlib.sha256(views_sql().encode()).hexdigest()[:16]


def is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Every migration applied, the stored signatures made by this release's method (migration 007) and the
    views of this release in place."""
    from tasks.stories import METHOD

    try:
        # fetchall, not fetchone: a result left open keeps its transaction open, and an old open transaction
        # (the connection db.hold keeps for a whole cycle) stops CHECKPOINT once others have written
        version, views, method = con.execute(
            "SELECT (SELECT max(version) FROM core.schema_migrations), (SELECT any_value(views_hash) FROM"
            " core.views_applied), (SELECT max(method) FROM core.story_method)"
        ).fetchall()[0]
    except duckdb.CatalogException:
        return False
    return version == len(migrations()) and method == METHOD and views == _views_hash()


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations, each in its own transaction, re-sign the story index if its method changed,
    then re-apply the views. Returns names applied."""
    con.execute("CREATE SCHEMA IF NOT EXISTS core")
    con.execute(
        "CREATE TABLE IF NOT EXISTS core.schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )
    done = {row[0] for row in con.execute("SELECT version FROM core.schema_migrations").fetchall()}
    applied = []
    for version, name, sql in migrations():
        if version in done:
            continue
        with transaction(con):
            con.execute(sql)
            con.execute("INSERT INTO core.schema_migrations (version, name) VALUES (?, ?)", [version, name])
        applied.append(name)
    from warehouse import store  # data upgrades need the pipeline's code (store imports this module)

    store.ensure_story_method(con)
    with transaction(con):
        con.execute(views_sql())
        con.execute("CREATE TABLE IF NOT EXISTS core.views_applied (views_hash VARCHAR NOT NULL)")
        con.execute("DELETE FROM core.views_applied")
        con.execute("INSERT INTO core.views_applied VALUES (?)", [_views_hash()])
    return applied


def publish_snapshot(path: str | Path) -> Path:
    """Checkpoint the live file (call it when no connection of this process holds it), copy it to a temp
    file beside it, then atomically rename that over the snapshot. Readers holding the old snapshot keep reading their open inode; new readers get the new one."""
    path = Path(path)
    target = snapshot_path(path)
    if Path(f"{path}.wal").exists():  # else the last close checkpointed: the main file has everything
        try:
            con = duckdb.connect(str(path), config=WRITER_CONFIG)
            try:
                con.execute("CHECKPOINT")  # everything committed is in the main file, the WAL is empty
            finally:
                con.close()
        except duckdb.Error as exc:
            raise _explain(path, exc) from exc
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        shutil.copyfile(path, tmp)
        retired = _retire(target)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if retired is not None:
        _unlink_in_background(retired)
    return target


_RETIRED_SUFFIX = ".retired"
_retiring: list[threading.Thread] = []
_retiring_lock = threading.Lock()


def _retire(target: Path) -> Path | None:
    """A second name for the snapshot about to be replaced, so that the rename does not free its blocks
    (freeing a 28 MB file took 20 ms, a twentieth of an unchanged cycle): they are freed by the unlink of
    that name, off the cycle's path. Names left by an earlier process that stopped first go now."""
    for stale in target.parent.glob(target.name + ".*" + _RETIRED_SUFFIX):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
    if not target.exists():
        return None
    fd, name = tempfile.mkstemp(prefix=target.name + ".", suffix=_RETIRED_SUFFIX, dir=target.parent)
    os.close(fd)
    os.unlink(name)  # a fresh unique name, free for the link
    try:
        os.link(target, name)
    except OSError:  # no hard links here (some filesystems): replace frees the old file itself
        return None
    return Path(name)


def _unlink_in_background(retired: Path) -> None:
    """Unlink the retired snapshot in a (non-daemon) thread: the process waits for it at exit."""
    thread = threading.Thread(target=lambda: retired.unlink(missing_ok=True), name="retire-snapshot")
    with _retiring_lock:
        _retiring[:] = [t for t in _retiring if t.is_alive()]
        _retiring.append(thread)
    thread.start()


def finish_retiring() -> None:
    """Wait until every retired snapshot is unlinked."""
    with _retiring_lock:
        threads = list(_retiring)
    for thread in threads:
        thread.join()


def open_snapshot(path: str | Path) -> duckdb.DuckDBPyConnection:
    """Open the published snapshot read-only, with no access to files or the network, configuration locked."""
    target = snapshot_path(path)
    if not target.exists():
        if not Path(path).exists():
            raise WarehouseError(f"no warehouse at {path}: run `tradewatch run` first")
        # a warehouse that predates snapshots (or a run that crashed before publishing): publish one now
        publish_snapshot(path)
    try:
        con = duckdb.connect(
            str(target),
            read_only=True,
            config={"enable_external_access": False, "autoload_known_extensions": False,
                    "autoinstall_known_extensions": False, "lock_configuration": True},
        )
    except duckdb.Error as exc:
        raise _explain(target, exc) from exc
    return con


class QueryTimeout(RuntimeError):
    pass


def query_with_timeout(con: duckdb.DuckDBPyConnection, sql: str, timeout_s: float):
    """Run one query; interrupt it after timeout_s. Returns (column names, rows)."""
    timer = threading.Timer(timeout_s, con.interrupt)
    timer.start()
    try:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description] if cur.description else []
        rows = cur.fetchall() if cur.description else []
    except duckdb.InterruptException as exc:
        raise QueryTimeout(f"query interrupted after {timeout_s:g} s") from exc
    finally:
        timer.cancel()
    return names, rows
