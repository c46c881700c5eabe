"""The read-only snapshot readers query: published after each run, never the live file.

Publishing writes what readers need from the live file to a temp file beside the snapshot, in a storage format
every DuckDB since 1.0 reads (warehouse/snapshot_copy.py), and renames that over it:
readers holding the old snapshot keep their open inode; new readers get the new one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from pathlib import Path

import duckdb

from warehouse.connection import writer
from warehouse.errors import NoSnapshot, explain
from warehouse.snapshot_copy import write_snapshot


def snapshot_path(path: str | Path) -> Path:
    p = Path(path)
    return p.with_name(p.stem + ".snapshot" + (p.suffix or ".duckdb"))


def publish_snapshot(path: str | Path) -> Path:
    """Write the snapshot of the live file (call it when no connection of this process holds it) beside the
    snapshot, rename it over the snapshot. Returns the snapshot's path."""
    path = Path(path)
    target = snapshot_path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    except OSError as exc:  # (a full disk: the last snapshot stays)
        raise explain(path, exc) from exc
    os.close(fd)
    os.unlink(tmp)  # a fresh unique name: DuckDB creates the file (mode 0666 less the umask: others may read)
    try:
        try:
            with writer(path) as con:  # (checked first: a damaged file is not written to)
                write_snapshot(con, tmp)  # snapshot_copy: DuckDB 1.0's format, what readers need
        except (duckdb.Error, OSError) as exc:  # a full disk too: the last snapshot stays
            raise explain(path, exc) from exc
        retired = _retire(target)
        os.replace(tmp, target)
    except BaseException:
        for leftover in (tmp, tmp + ".wal"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)
        raise
    if retired is not None:
        _unlink_in_background(retired)
    return target


_RETIRED_SUFFIX = ".retired"
_retiring: list[threading.Thread] = []
_retiring_lock = threading.Lock()


def _retire(target: Path) -> Path | None:
    """A second name for the snapshot about to be replaced, so that the rename does not free its blocks on
    the cycle's path: the unlink of that name frees them in the background. Names left by an earlier process
    that stopped first go now."""
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
    """Open the published snapshot read-only, with no access to files or the network, configuration locked.
    Never the live file, not even to publish a first snapshot (a run may be writing it): NoSnapshot until a
    run has published one."""
    target = snapshot_path(path)
    if not target.exists():
        if not Path(path).exists():
            raise NoSnapshot(f"no warehouse at {path} yet: run `tradewatch run` first")
        raise NoSnapshot(f"no snapshot of {path} yet: the first run has not finished (or a run stopped before "
                         "publishing); the next `tradewatch run` publishes one")
    try:
        con = duckdb.connect(
            str(target),
            read_only=True,
            config={"enable_external_access": False, "autoload_known_extensions": False,
                    "autoinstall_known_extensions": False, "lock_configuration": True},
        )
    except duckdb.Error as exc:
        raise explain(target, exc) from exc
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
