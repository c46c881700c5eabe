"""Feeds parsed in worker processes with a memory limit (RLIMIT_AS) and a wall-clock kill: a feed that hits
either is a source error (`parse_memory`, `parse_timeout`), never an exception, and the run goes on.

The workers import only the parser (not Prefect, not the caller's main module): a fork would inherit the
parent's big address space and break the limit. See tasks/workers/pool.py for how the pool grows and heals.
"""

from __future__ import annotations

import atexit
import os
import threading
from datetime import datetime

import numpy as np

from tasks.sources.feeds import ParseResult
from tasks.stories.minhash import NUM_PERM
from tasks.workers.pool import WorkerFailed, WorkerGone, WorkerPool, WorkerTimeout
from tasks.workers.rows import items_of
from tasks.workers.serve import EXIT_MEMORY

SIGNATURE_BYTES = NUM_PERM * 4  # a signature as the worker sends it: NUM_PERM uint32 values


class ParserPool:
    """Warm parser workers; `parse` and `parse_signed` are thread-safe and block while all are busy.
    `workers`, `start`, `stall_s` as WorkerPool's."""

    def __init__(self, workers: int | None = None, *, start: int | None = None, stall_s: float = 1.0,
                 timeout_s: float = 10.0, memory_mb: int = 512, start_timeout_s: float = 60.0) -> None:
        self.timeout_s, self.memory_mb = timeout_s, memory_mb
        # numpy (signatures) under RLIMIT_AS: one BLAS thread, not one per core with its own arena
        self.workers = WorkerPool("tasks.sources.parse_worker", [str(memory_mb)], workers=workers, start=start,
                                  stall_s=stall_s, timeout_s=timeout_s, start_timeout_s=start_timeout_s,
                                  env={"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})

    def __enter__(self) -> ParserPool:
        self.workers.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self, wait: bool = True) -> None:
        self.workers.close(wait=wait)

    def parse(self, body: bytes, **options) -> ParseResult:
        """The items of one feed document (options as parse_signed's)."""
        return self.parse_signed(body, **{**options, "signatures": False})[0]

    def parse_signed(self, body: bytes, *, source_id: str, now: datetime, content_type: str | None = None,
                     base_url: str | None = None, timeout_s: float | None = None,
                     signatures: bool = True) -> tuple[ParseResult, np.ndarray | None]:
        """The parse, and each item's MinHash signature computed in the worker too: (items, NUM_PERM) uint64,
        in item order (None when not asked for or the parse failed)."""
        job = {"source_id": source_id, "now": now.isoformat(), "content_type": content_type,
               "base_url": base_url, "signatures": signatures}
        timeout = self.timeout_s if timeout_s is None else timeout_s
        try:
            reply, raw = self.workers.call(job, body, timeout_s=timeout)
        except WorkerTimeout:
            return ParseResult((), "parse_timeout", f"parse took longer than {timeout:g} s"), None
        except WorkerGone as gone:
            if gone.exit_code == EXIT_MEMORY:
                return ParseResult((), "parse_memory", f"worker ran out of its {self.memory_mb} MB"), None
            code = f" (exit code {gone.exit_code})" if gone.exit_code is not None else ""
            return ParseResult((), "parse_failed", f"{gone}{code}"), None
        except WorkerFailed as failed:
            return ParseResult((), "parse_failed", str(failed)), None
        try:
            return decode(reply, raw)
        except (ValueError, KeyError, TypeError) as e:
            return ParseResult((), "parse_failed", f"unreadable reply from worker: {e}"), None


def decode(reply: dict, raw: bytes) -> tuple[ParseResult, np.ndarray | None]:
    """A parser worker's reply: the result, and the signatures when it sent them (checked for size)."""
    items = items_of(reply["items"])
    result = ParseResult(tuple(items), reply["error"], reply["error_detail"], int(reply["skipped"]))
    if not raw:
        return result, None
    if len(raw) != len(items) * SIGNATURE_BYTES:
        raise ValueError(f"{len(raw)} signature bytes for {len(items)} items")
    return result, np.frombuffer(raw, dtype=np.uint32).reshape(-1, NUM_PERM).astype(np.uint64)


def parse_feed_bounded(body: bytes, *, source_id: str, now: datetime, content_type: str | None = None,
                       base_url: str | None = None, timeout_s: float = 10.0, memory_mb: int = 512) -> ParseResult:
    """parse_feed in a fresh child process (pays a process start: prefer a ParserPool for many feeds)."""
    with ParserPool(1, timeout_s=timeout_s, memory_mb=memory_mb) as pool:
        return pool.parse(body, source_id=source_id, now=now, content_type=content_type, base_url=base_url)


# --- the process's pool ----------------------------------------------------------------------------------

_pool: ParserPool | None = None
_pool_lock = threading.Lock()


def parser_pool(timeout_s: float = 10.0, memory_mb: int = 512) -> ParserPool:
    """This process's parser workers: one per core at most, one fewer started (the pipeline process and the
    extract workers need CPU while it polls; another starts for a feed that stalls the others)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            cores = os.cpu_count() or 1
            _pool = ParserPool(cores, start=max(1, cores - 1), timeout_s=timeout_s, memory_mb=memory_mb)
            _pool.workers.start()
            atexit.register(close_parser_pool)
        return _pool


def close_parser_pool(wait: bool = True) -> None:
    """Stop this process's parser workers (wait=False: without waiting for them to exit)."""
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.close(wait=wait)
            _pool = None
