"""Room on the warehouse's filesystem, checked before the steps that need it: a step that would run out of disk
half way fails before it starts (exit 3), and in particular no alert is sent by a run that could not finish.

The estimates are deliberately generous (what a step writes at most, plus headroom): a check that passes does
not promise the step succeeds (another process may fill the disk meanwhile); the failure is then caught and
classified as it happens (duckdb_compat.DISK_FULL), the step's transaction rolled back.
"""

from __future__ import annotations

import os
from pathlib import Path

from warehouse.errors import WarehouseError

HEADROOM = 16 * 1024 * 1024  # the write-ahead log of small commits, a checkpoint's new metadata, temp files
STORE_FACTOR = 3  # a batch is written to the WAL, then into blocks at the checkpoint (the WAL freed after)


def free_bytes(path: str | Path) -> int:
    """Bytes an unprivileged writer may still use on the filesystem holding `path` (its directory)."""
    st = os.statvfs(Path(path).parent)
    return st.f_bavail * st.f_frsize


def require(path: str | Path, needed: int, step: str, *, outcome: str = "nothing was done") -> None:
    """WarehouseError (out of disk space; `outcome` says what the run did) unless `needed` bytes are free
    beside `path`."""
    free = free_bytes(path)
    if free < needed:
        raise WarehouseError(
            f"warehouse {path}: out of disk space: {step} needs about {_mb(needed)} free, {_mb(free)} left; "
            f"{outcome}. Free some space; the next run carries on from here."
        )


def for_storing(incoming_bytes: int) -> int:
    """Room to store a batch whose in-memory size is `incoming_bytes`."""
    return STORE_FACTOR * incoming_bytes + HEADROOM


def for_publishing(path: str | Path, snapshot: str | Path) -> int:
    """Room to write the next snapshot beside the current one (about as big as the last; the live file, which
    is bigger, when there is none yet) before the rename frees the old one."""
    try:
        estimate = Path(snapshot).stat().st_size
    except FileNotFoundError:
        estimate = Path(path).stat().st_size if Path(path).exists() else 0
    return estimate + estimate // 4 + HEADROOM


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"
