"""The warehouse's errors, in words a user can act on."""

from __future__ import annotations

from pathlib import Path

from warehouse import duckdb_compat


class WarehouseError(RuntimeError):
    """The warehouse cannot be used: locked by another writer, corrupt, not a DuckDB file, disk full."""


class RunInProgress(RuntimeError):
    """Another run holds this warehouse."""


class NoSnapshot(RuntimeError):
    """Nothing published for readers yet: no run has finished on this warehouse (readers never touch the live
    file, so they do not publish one themselves)."""


def explain(path: str | Path, exc: BaseException) -> WarehouseError:
    """A WarehouseError that says what went wrong with this file."""
    kind = duckdb_compat.classify(exc)
    if kind == duckdb_compat.LOCKED:
        return WarehouseError(
            f"warehouse {path} is in use by another process (another run holds the write lock). "
            "Try again when it has finished; ad hoc queries should use `tradewatch sql`, which reads the snapshot."
        )
    if kind == duckdb_compat.CORRUPT:
        return WarehouseError(f"warehouse {path} is not a readable DuckDB file (corrupt?); left untouched. {exc}")
    if kind == duckdb_compat.DISK_FULL:
        return WarehouseError(f"warehouse {path}: out of disk space; what the failing step was writing was rolled "
                              f"back and the last published snapshot kept. {exc}")
    return WarehouseError(f"warehouse {path}: {exc}")
