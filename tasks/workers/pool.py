"""A pool of warm worker processes (tasks/workers/serve.py runs inside each). `call` is thread-safe and blocks
while every worker is busy; `submit` queues a job and returns a Future.

`workers` is the most that run at once; `start` of them start with the pool. Beyond `start`, a worker is added
only for a caller that finds every live worker on one job for over `stall_s`: a slow or hostile job does not
hold up the others, and a pool of quick jobs stays small. A job over `timeout_s` has its worker killed; a
worker that died or was killed is replaced while fewer than `start` are left.
"""

from __future__ import annotations

import contextlib
import os
import queue
import select
import subprocess
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from tasks.workers import frames, process


class WorkerError(Exception):
    """A job did not get an answer."""


class WorkerTimeout(WorkerError):
    """The job ran past its time; its worker was killed."""


class WorkerGone(WorkerError):
    """The worker exited during the job (exit_code says why: serve.EXIT_MEMORY when out of memory)."""

    def __init__(self, detail: str, exit_code: int | None) -> None:
        super().__init__(detail)
        self.exit_code = exit_code


class WorkerFailed(WorkerError):
    """The job's handler raised (its message is the worker's); the worker lives on."""


class _Worker:
    def __init__(self, module: str, args: Sequence[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(process.command(module, *args), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=process.environment(**env), close_fds=True)
        self.ready = False
        self._buffer = bytearray()

    def _read_exact(self, n: int, deadline: float | None) -> bytes:
        fd = self.proc.stdout.fileno()
        while len(self._buffer) < n:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and (remaining <= 0 or not select.select([fd], [], [], remaining)[0]):
                raise TimeoutError
            chunk = os.read(fd, max(n - len(self._buffer), 1 << 16))
            if not chunk:
                raise WorkerGone("worker exited", self.proc.wait(5))
            self._buffer += chunk
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    def receive(self, timeout_s: float | None) -> tuple[Any, bytes]:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        header_len, payload_len = frames.PREFIX.unpack(self._read_exact(frames.PREFIX.size, deadline))
        header = self._read_exact(header_len, deadline)
        return frames.loads(header), self._read_exact(payload_len, deadline) if payload_len else b""

    def send(self, header: dict, payload: bytes) -> None:
        try:
            frames.write(self.proc.stdin, header, payload)
        except OSError as e:  # BrokenPipeError: it died while idle
            raise WorkerGone(f"worker gone: {e}", self.proc.poll()) from e

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                stream.close()

    def ask_to_stop(self) -> None:
        """EOF on its stdin: it finishes its job and exits."""
        with contextlib.suppress(OSError):
            self.proc.stdin.close()

    def stop(self) -> None:
        """Ask nicely, wait up to a second, then kill."""
        self.ask_to_stop()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(1)
        self.kill()


class WorkerPool:
    def __init__(self, module: str, args: Sequence[str] = (), *, workers: int | None = None,
                 start: int | None = None, stall_s: float = 1.0, timeout_s: float | None = None,
                 start_timeout_s: float = 60.0, env: dict[str, str] | None = None) -> None:
        self.module, self.args, self.env = module, tuple(args), dict(env or {})
        self.size = max(1, workers or os.cpu_count() or 1)
        self.base = min(self.size, max(1, start or self.size))
        self.stall_s = stall_s
        self.timeout_s = timeout_s
        self.start_timeout_s = start_timeout_s
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: set[_Worker] = set()
        self._busy: dict[_Worker, float] = {}  # worker → when it took its current job
        self._lock = threading.Lock()
        self._feeders: ThreadPoolExecutor | None = None
        self._started = False
        self._closed = False

    def __enter__(self) -> WorkerPool:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> WorkerPool:
        """Start `start` workers now (while the caller's process is still small: a child briefly counts its
        parent's pages as its own until it execs)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool is closed")
            if not self._started:
                self._started = True
                for _ in range(self.base):
                    self._idle.put(self._spawn_locked())
        return self

    def pids(self) -> list[int]:
        """The process ids of the live workers."""
        with self._lock:
            return sorted(w.proc.pid for w in self._workers if w.proc.poll() is None)

    def busy(self) -> int:
        """How many workers are on a job now."""
        with self._lock:
            return len(self._busy)

    def close(self, wait: bool = True) -> None:
        """Stop every worker: all are told at once and exit in parallel. With wait=False a thread reaps them
        and this returns at once."""
        with self._lock:
            self._closed = True
            workers, self._workers = list(self._workers), set()
            feeders, self._feeders = self._feeders, None
        if feeders is not None:
            feeders.shutdown(wait=False, cancel_futures=True)
        for worker in workers:
            worker.ask_to_stop()
        if wait:
            self._reap(workers)
        else:
            threading.Thread(target=self._reap, args=(workers,), name="worker-pool-reaper").start()

    @staticmethod
    def _reap(workers: list[_Worker]) -> None:
        for worker in workers:
            worker.stop()

    # --- jobs ------------------------------------------------------------------------------------------

    def call(self, header: dict, payload: bytes = b"", *, timeout_s: float | None = None) -> tuple[dict, bytes]:
        """The reply to one job. Raises WorkerTimeout, WorkerGone or WorkerFailed. A worker found dead
        before it got the job is replaced and the job given to another, once."""
        self.start()
        timeout = self.timeout_s if timeout_s is None else timeout_s
        for attempt in range(2):
            worker = self._take()
            keep = False
            try:
                reply, data = self._run(worker, header, payload, timeout)
                keep = not reply.get("retire")
            except _GoneBeforeJob:
                if attempt:
                    raise WorkerGone("worker died before it got the job, twice", None) from None
                continue
            finally:
                with self._lock:
                    closed = self._closed
                    self._busy.pop(worker, None)
                if keep and not closed:
                    self._idle.put(worker)
                else:
                    self._retire(worker)
            if reply.get("failed"):
                raise WorkerFailed(reply["failed"])
            return reply, data
        raise AssertionError("unreachable")

    def submit(self, header: dict, payload: bytes = b"") -> Future[tuple[dict, bytes]]:
        """`call` on a feeder thread: jobs queue while every worker is busy."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool is closed")
            if self._feeders is None:
                self._feeders = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="worker-feeder")
            feeders = self._feeders
        return feeders.submit(self.call, header, payload)

    def _run(self, worker: _Worker, header: dict, payload: bytes, timeout_s: float | None) -> tuple[dict, bytes]:
        try:
            if not worker.ready:
                hello, _ = worker.receive(self.start_timeout_s)
                if not hello.get("ready"):
                    raise WorkerGone("worker sent garbage at start", worker.proc.poll())
                worker.ready = True
            if worker.proc.poll() is not None:
                raise _GoneBeforeJob
            try:
                worker.send(header, payload)
            except WorkerGone as gone:  # it died taking the job (too big for its memory?)
                raise WorkerGone(str(gone), _exit_code(worker.proc)) from None
            reply, data = worker.receive(timeout_s)
        except TimeoutError:
            if worker.ready:
                raise WorkerTimeout(f"took longer than {timeout_s:g} s") from None
            raise WorkerGone("worker did not start in time", None) from None
        except (ValueError, TypeError) as exc:  # an unreadable frame
            raise WorkerGone(f"unreadable reply from worker: {exc}", None) from None
        if not isinstance(reply, dict):
            raise WorkerGone("unreadable reply from worker: not an object", None)
        return reply, data

    def _take(self) -> _Worker:
        """An idle worker; a new one when every live worker has been on its job for over stall_s and fewer
        than `workers` run."""
        while True:
            try:
                worker = self._idle.get(timeout=min(0.5, max(self.stall_s / 4, 0.01)))
            except queue.Empty:
                with self._lock:
                    if self._closed:
                        raise RuntimeError("the worker pool was closed while waiting for a worker") from None
                    now = time.monotonic()
                    stalled = len(self._busy) == len(self._workers) and all(
                        now - began > self.stall_s for began in self._busy.values())
                    if not (stalled and len(self._workers) < self.size):
                        continue
                    worker = self._spawn_locked()
            if worker.proc.poll() is not None and worker.ready:  # died while idle: pass it over
                self._retire(worker)
                continue
            with self._lock:
                self._busy[worker] = time.monotonic()
            return worker

    def _spawn_locked(self) -> _Worker:
        worker = _Worker(self.module, self.args, self.env)
        self._workers.add(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        """Kill it; replace it while fewer than `start` workers are left (one added for a stall is not)."""
        worker.kill()
        with self._lock:
            self._workers.discard(worker)
            self._busy.pop(worker, None)
            if not self._closed and len(self._workers) < self.base:
                self._idle.put(self._spawn_locked())


def _exit_code(proc: subprocess.Popen) -> int | None:
    with contextlib.suppress(subprocess.TimeoutExpired):
        return proc.wait(5)
    return None


class _GoneBeforeJob(Exception):
    """The worker was dead before it got the job: give the job to another."""
