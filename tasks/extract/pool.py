"""Extraction on every core: chunks of items go to extract worker processes (tasks/extract/worker.py).

The cycle starts extracting each source's new items as soon as the source is parsed (`prefetch`), so the
workers run while other sources are fetched and the batch is stored; the extract step then `collect`s what
is done and extracts anything missing itself (a worker that failed, or a step run in another process).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future

from records.findings import ExtractConfig, Findings
from records.items import Item
from tasks.extract import extract
from tasks.extract.codec import findings_of
from tasks.workers.pool import WorkerPool
from tasks.workers.rows import item_rows

PARALLEL_EXTRACT_MIN = 400  # below this, extraction in-process is cheaper than shipping items to workers
_log = logging.getLogger(__name__)


class ExtractPool:
    """`map(chunks, config)` extracts each chunk in a worker and returns the findings in order; `submit` one
    chunk without waiting."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = WorkerPool("tasks.extract.worker", workers=workers, env={"PYTHONUNBUFFERED": "1"})
        self._early: list[Future] = []
        self._lock = threading.Lock()

    def start(self) -> ExtractPool:
        self.workers.start()
        return self

    def close(self) -> None:
        self.workers.close()

    def submit(self, items: Sequence[Item], config: ExtractConfig | None) -> Future[list[Findings]]:
        job = {"items": item_rows(items), "config": config.to_dict() if config else {}}
        future: Future[list[Findings]] = Future()

        def done(call: Future) -> None:
            try:
                reply, _ = call.result()
                future.set_result(findings_of(reply["findings"]))
            except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on the future
                future.set_exception(exc)

        self.workers.submit(job).add_done_callback(done)
        return future

    def map(self, chunks: Sequence[Sequence[Item]], config: ExtractConfig | None) -> list[list[Findings]]:
        return [f.result() for f in [self.submit(chunk, config) for chunk in chunks]]

    # --- early extraction during a cycle -------------------------------------------------------------

    def prefetch(self, items: Sequence[Item], config: ExtractConfig | None) -> None:
        """Start extracting these items now; `collect` takes the findings."""
        if items:
            future = self.submit(items, config)
            with self._lock:
                self._early.append(future)

    def collect(self) -> dict[str, Findings]:
        """Findings of everything prefetched, by item id, once done. A chunk whose worker failed is absent
        (the caller extracts it in-process, and sees the error there if there is one)."""
        with self._lock:
            futures, self._early = self._early, []
        out: dict[str, Findings] = {}
        for future in futures:
            try:
                out.update((f.item_id, f) for f in future.result())
            except Exception as exc:  # noqa: BLE001 - extracted in-process by the caller
                _log.warning("an extract worker failed (%s: %s); its items are extracted in-process",
                             type(exc).__name__, exc)
        return out


def extract_all(items: Sequence[Item], config: ExtractConfig | None, on_item=None) -> list[Findings]:
    """Findings for each item, in order. Large batches are spread over every core."""
    workers = os.cpu_count() or 1
    if len(items) < PARALLEL_EXTRACT_MIN or workers < 2:
        out = []
        for it in items:
            out.append(extract(it, config))
            if on_item is not None:
                on_item()
        return out
    size = max(50, len(items) // (workers * 4))
    chunks = [list(items[i : i + size]) for i in range(0, len(items), size)]
    out = []
    futures = [extract_pool().submit(chunk, config) for chunk in chunks]
    for future in futures:
        result = future.result()
        out.extend(result)
        if on_item is not None:
            for _ in result:
                on_item()
    return out


# --- the process's pool ----------------------------------------------------------------------------------

_pool: ExtractPool | None = None
_pool_lock = threading.Lock()


def extract_pool() -> ExtractPool:
    """This process's extract workers, one per core (none started on a single core: extraction runs
    in-process there), kept for the life of the process."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ExtractPool()
            if (os.cpu_count() or 1) > 1:
                _pool.start()
            atexit.register(_pool.close)
        return _pool
