"""One run per warehouse at a time: a second one fails fast instead of waiting or interleaving."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from warehouse.errors import RunInProgress


@contextlib.contextmanager
def run_lock(warehouse_path: str | Path) -> Iterator[None]:
    """Hold `<warehouse>.lock` (flock) for the block; RunInProgress when another process holds it."""
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
