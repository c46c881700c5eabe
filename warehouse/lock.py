"""One run per warehouse at a time: a second one fails fast instead of waiting or interleaving."""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Iterator
from pathlib import Path

from warehouse.errors import RunInProgress


@contextlib.contextmanager
def run_lock(warehouse_path: str | Path, *, wait_s: float = 0.0) -> Iterator[None]:
    """Hold `<warehouse>.lock` (flock) for the block; RunInProgress when another process holds it (for longer
    than `wait_s`: a short write that may wait for a cycle to finish, like the digest's)."""
    warehouse_path = Path(warehouse_path)
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = warehouse_path.with_name(warehouse_path.name + ".lock")
    with open(lock_path, "a+") as fh:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise RunInProgress(
                        f"another tradewatch run holds {warehouse_path} (lock {lock_path}); this run did nothing"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
