"""The read-only snapshot readers query: published after each run, never the live file.

Two snapshot files take turns: `<warehouse>.snapshot.duckdb` is a symbolic link to the one published last, and
each run brings the other one up to date — in place, with only what changed since that file was last brought up
to date (warehouse/snapshot_copy.py) — then points the link at it. So publishing costs what changed, not what
is stored. A reader opens the link (open_snapshot) and keeps the file it got for as long as it likes: the run
after the next one would update that file, but DuckDB locks a file for its readers, so a file still held is set
aside instead (its name unlinked: the reader keeps it) and the other file is copied to take its place. A file
that cannot be brought up to date (the first publish, another warehouse, a migration) is written whole, to a temp
file renamed into place. Both files are in a storage format every DuckDB since 1.0 reads.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import duckdb

from warehouse import duckdb_compat
from warehouse.connection import writer
from warehouse.errors import NoSnapshot, explain
from warehouse.snapshot_copy import update_snapshot, write_snapshot

TURNS = ("a", "b")  # the two files' suffixes: <warehouse>.snapshot.duckdb.a and .b


def snapshot_path(path: str | Path) -> Path:
    """The published snapshot's name (a link to the file published last)."""
    p = Path(path)
    return p.with_name(p.stem + ".snapshot" + (p.suffix or ".duckdb"))


def snapshot_files(path: str | Path) -> tuple[Path, Path]:
    """The two files the published name takes turns pointing at."""
    target = snapshot_path(path)
    return tuple(target.with_name(f"{target.name}.{turn}") for turn in TURNS)  # type: ignore[return-value]


def published_file(path: str | Path) -> Path | None:
    """The file the published name points at now (None: nothing published yet, or a single file written by a
    release before the two took turns)."""
    target = snapshot_path(path)
    try:
        name = os.readlink(target)
    except OSError:  # missing, or not a link
        return None
    for f in snapshot_files(path):
        if name == f.name:
            return f
    return None


def publish_snapshot(path: str | Path) -> Path:
    """Bring the file not published now up to date with the live file (call it when no connection of this process
    holds the live file) and point the published name at it. Returns the published name."""
    path = Path(path)
    target = snapshot_path(path)
    current = published_file(path)
    idle = next(f for f in snapshot_files(path) if f != current)
    _clear_leftovers(target)
    try:
        with writer(path) as con:  # (checked first: a damaged file is not written to)
            if not _update_in_place(con, idle, current):
                _write_whole(con, idle)
    except (duckdb.Error, OSError) as exc:  # a full disk too: the published file stays
        raise explain(path, exc) from exc
    retired = _retire(target) if current is None else None  # a single file of an earlier release
    _point(target, idle)
    if retired is not None:
        _unlink_in_background(retired)
    return target


def _update_in_place(con: duckdb.DuckDBPyConnection, idle: Path, current: Path | None) -> bool:
    """Bring `idle` up to date in place; False when it has to be written whole. A file a reader still holds is
    set aside, and a copy of the published one (if any) brought up to date instead."""
    if not idle.exists():
        return False
    try:
        return update_snapshot(con, idle)
    except duckdb.Error as exc:
        if duckdb_compat.classify(exc) == duckdb_compat.DISK_FULL:
            raise
        held = _held(exc)
    _set_aside(idle)  # held by a reader (it keeps its inode), or not a snapshot we can update: never written again
    if not held or current is None or not current.exists():
        return False
    copy = _temp_name(idle, ".copy")
    try:
        shutil.copyfile(current, copy)  # the published file: no writer, no WAL
        if update_snapshot(con, copy):
            os.replace(copy, idle)
            return True
    except duckdb.Error as exc:
        if duckdb_compat.classify(exc) == duckdb_compat.DISK_FULL:
            raise
    finally:
        _remove(copy)
    return False


def _held(exc: duckdb.Error) -> bool:
    """A reader has the file open: another process (its lock), or a connection of this process (DuckDB opens a
    file once per process)."""
    return duckdb_compat.classify(exc) == duckdb_compat.LOCKED or isinstance(exc, duckdb.ResourceInUseException)


def _write_whole(con: duckdb.DuckDBPyConnection, idle: Path) -> None:
    """Write the snapshot whole to a temp file, renamed to `idle`."""
    tmp = _temp_name(idle, ".tmp")
    try:
        write_snapshot(con, tmp)  # snapshot_copy: DuckDB 1.0's format, what readers need
        _set_aside(idle)
        os.replace(tmp, idle)
    finally:
        _remove(tmp)


def _temp_name(beside: Path, suffix: str) -> Path:
    fd, name = tempfile.mkstemp(prefix=beside.name + ".", suffix=suffix, dir=beside.parent)
    os.close(fd)
    os.unlink(name)  # a fresh unique name: DuckDB creates the file (mode 0666 less the umask: others may read)
    return Path(name)


def _remove(path: Path) -> None:
    for leftover in (path, Path(f"{path}.wal")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def _set_aside(f: Path) -> None:
    """Unlink a snapshot file that will not be written again (a reader holding it keeps it), in the background."""
    if f.exists():
        retired = _temp_name(f, _RETIRED_SUFFIX)
        os.replace(f, retired)
        _unlink_in_background(retired)
    with contextlib.suppress(FileNotFoundError):
        Path(f"{f}.wal").unlink()


def _point(target: Path, f: Path) -> None:
    """Point the published name at `f` (a relative link, swapped atomically)."""
    link = _temp_name(target, ".link")
    os.symlink(f.name, link)
    try:
        os.replace(link, target)
    except BaseException:
        _remove(link)
        raise


def _clear_leftovers(target: Path) -> None:
    """Temp files and set-aside names left by a process that stopped half way."""
    for pattern in (".*.tmp", ".*.copy", ".*.link", ".*" + _RETIRED_SUFFIX):
        for stale in target.parent.glob(target.name + pattern):
            _remove(stale)


_RETIRED_SUFFIX = ".retired"
_retiring: list[threading.Thread] = []
_retiring_lock = threading.Lock()


def _retire(target: Path) -> Path | None:
    """A second name for a single snapshot file written by an earlier release, about to be replaced by the link,
    so that the rename does not free its blocks on the cycle's path: the unlink of that name frees them in the
    background."""
    if not target.exists() or target.is_symlink():
        return None
    name = _temp_name(target, _RETIRED_SUFFIX)
    try:
        os.link(target, name)
    except OSError:  # no hard links here (some filesystems): replace frees the old file itself
        return None
    return name


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
    for attempt in range(3):
        try:
            return duckdb.connect(
                str(target.resolve()),  # the file itself: DuckDB keeps one instance per path in a process
                read_only=True,
                config={"enable_external_access": False, "autoload_known_extensions": False,
                        "autoinstall_known_extensions": False, "lock_configuration": True},
            )
        except duckdb.Error as exc:
            # (a reader that followed the link just before a publish turned it, and the run after that one is
            # updating the file it got: the link points at the other file now)
            if duckdb_compat.classify(exc) != duckdb_compat.LOCKED or attempt == 2:
                raise explain(target, exc) from exc
            time.sleep(0.05)
    raise AssertionError("unreachable")


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
