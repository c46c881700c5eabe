"""Extraction on every core, in light worker processes.

Workers are plain child processes started as `python -m tasks.extract_pool`: they import only the extractor
(not Prefect, not the caller's main module, unlike multiprocessing's spawn), so each costs tens of MB, not
hundreds. Chunks of items go out and findings come back as length-prefixed pickles over the worker's stdin
and stdout: both ends are this program, never data from the network.
"""

from __future__ import annotations

import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from tasks import worker_process
from tasks.models import Findings, Item

_HEADER = struct.Struct("!Q")
WORKER_NICENESS = 10


def _send(stream, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def _receive(stream):
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError("extract worker closed its output")
    (size,) = _HEADER.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("extract worker closed its output mid-message")
    return pickle.loads(data)  # noqa: S301 - from our own child process


class ExtractPool:
    """`map(chunks, config)` extracts each chunk of items in a worker and returns the findings in order."""

    def __init__(self, workers: int | None = None) -> None:
        self.size = max(1, workers or os.cpu_count() or 1)
        self._idle: queue.Queue[subprocess.Popen] = queue.Queue()
        self._all: list[subprocess.Popen] = []
        self._lock = threading.Lock()
        self._feeders: ThreadPoolExecutor | None = None  # threads that wait on workers for `submit`

    def _spawn(self) -> subprocess.Popen:
        proc = subprocess.Popen(worker_process.command("tasks.extract_pool"), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, env=worker_process.environment(PYTHONUNBUFFERED="1"))
        with self._lock:
            self._all.append(proc)
        return proc

    def start(self) -> ExtractPool:
        """Start every worker now, while the parent is small: a child forked from a big parent briefly counts
        the parent's pages as its own until it execs."""
        for _ in range(self.size - sum(1 for p in self._all if p.poll() is None)):
            self._idle.put(self._spawn())
        return self

    def _worker(self) -> subprocess.Popen:
        """An idle live worker, a new one while fewer than `size` live, else the next to become idle. A worker
        that died while idle (killed, out of memory) is passed over, so no job is given to it."""
        while True:
            try:
                proc = self._idle.get_nowait()
            except queue.Empty:
                with self._lock:
                    alive = sum(1 for p in self._all if p.poll() is None)
                if alive < self.size:
                    return self._spawn()
                proc = self._idle.get()
            if proc.poll() is None:
                return proc

    def _run(self, chunk: list[Item], config: dict | None) -> list[Findings]:
        proc = self._worker()
        try:
            _send(proc.stdin, (chunk, config))
            result = _receive(proc.stdout)
        except (OSError, EOFError, pickle.PickleError):
            proc.kill()
            raise
        self._idle.put(proc)
        if isinstance(result, BaseException):
            raise result
        return result

    def submit(self, items: Sequence[Item], config: dict | None) -> Future[list[Findings]]:
        """Extract these items in a worker without waiting: the future gives their findings, in order (or the
        worker's exception). Jobs queue while every worker is busy."""
        with self._lock:
            if self._feeders is None:
                self._feeders = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="extract-feeder")
            feeders = self._feeders
        return feeders.submit(self._run, list(items), config)

    def map(self, chunks: Sequence[list[Item]], config: dict | None) -> list[list[Findings]]:
        results: list[list[Findings] | None] = [None] * len(chunks)
        errors: list[BaseException] = []

        def work(index: int) -> None:
            try:
                results[index] = self._run(chunks[index], config)
            except BaseException as exc:  # noqa: BLE001 - reported to the caller below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(chunks))]
        for i in range(0, len(threads), self.size):
            batch = threads[i : i + self.size]
            for t in batch:
                t.start()
            for t in batch:
                t.join()
        if errors:
            raise errors[0]
        return results  # type: ignore[return-value]

    def close(self) -> None:
        with self._lock:
            procs, self._all = self._all, []
            feeders, self._feeders = self._feeders, None
        if feeders is not None:
            feeders.shutdown(wait=True, cancel_futures=True)
        for proc in procs:
            try:
                proc.stdin.close()
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()


def _worker_main() -> None:
    # Lower priority than the pipeline process: extraction is a backlog that may run at any time before
    # resolving, while the pipeline's own work (fetching, parsing, storing) is what everything else waits for.
    os.nice(WORKER_NICENESS)
    from tasks.extract import ExtractConfig, extract

    inp, out = sys.stdin.buffer, sys.stdout.buffer
    configs: dict = {}
    while True:
        try:
            chunk, config = _receive(inp)
        except EOFError:
            return
        try:
            key = repr(sorted((config or {}).items()))
            if key not in configs:
                configs[key] = ExtractConfig.from_dict(config) if config else None
            _send(out, [extract(item, configs[key]) for item in chunk])
        except Exception as exc:  # noqa: BLE001 - sent back and raised in the parent
            _send(out, exc)


if __name__ == "__main__":
    _worker_main()
