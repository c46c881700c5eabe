"""Bounded parsing: parse_feed in child processes with a memory limit (RLIMIT_AS) and a wall-clock kill.

Workers are plain `python -m tasks.parse_pool` processes, not multiprocessing children: a fork would
inherit the parent's big address space (Prefect) and break RLIMIT_AS, and spawn/forkserver children
re-import the parent's __main__ module. These import only the parser. They talk over pipes in length-
prefixed frames: job = JSON header + the raw body; reply = JSON (never pickle: the reply comes from the
process that just read hostile input).

A worker that overruns its time is killed and replaced; one that runs out of memory reports it and
retires. Either way the caller gets a ParseResult with an error, never an exception.

This module must not import tasks.parse at import time (tasks.parse re-exports it).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import select
import struct
import subprocess
import sys
import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

from tasks import worker_process

if TYPE_CHECKING:
    from tasks.parse import ParseResult

_JOB = struct.Struct(">IQ")
SIGNATURE_BYTES = 128 * 4  # tasks.stories.NUM_PERM values of 32 bits (checked in tests)  # header length, body length
_REPLY = struct.Struct(">Q")
_EXIT_MEMORY = 3


def _result(error: str, detail: str) -> ParseResult:
    from tasks.parse import ParseResult

    return ParseResult((), error, detail)


_ITEM_FIELDS = ("item_id", "source_id", "guid", "url", "title", "summary", "body", "published_at",
                "published_offset_min", "date_suspect", "content_hash")  # Item's fields, in order (tested)
_PUBLISHED_AT = _ITEM_FIELDS.index("published_at")


def _dumps(reply: dict) -> bytes:
    """orjson: ~8x faster than json for these replies (4 KB bodies); json for what orjson refuses (a lone
    surrogate in an error message)."""
    try:
        return orjson.dumps(reply)
    except TypeError:
        return json.dumps(reply, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _encode(result: ParseResult, signatures: bytes | None = None) -> bytes:
    """The reply: items as rows (a row is Item's fields in order; cheaper to write and read than objects)."""
    rows = []
    for item in result.items:
        row = [getattr(item, name) for name in _ITEM_FIELDS]
        row[_PUBLISHED_AT] = item.published_at.isoformat() if item.published_at else None
        rows.append(row)
    reply = {
        "items": rows,
        "error": result.error,
        "error_detail": result.error_detail,
        "skipped": result.skipped,
    }
    if signatures is not None:
        reply["signatures"] = base64.b64encode(signatures).decode("ascii")
    return _dumps(reply)


def _decode(payload: bytes) -> tuple[ParseResult, bytes | None]:
    """The result, and the items' MinHash signatures when asked for (raw uint32 rows, checked for size)."""
    from tasks.models import Item
    from tasks.parse import ParseResult

    try:
        reply = orjson.loads(payload)
    except orjson.JSONDecodeError:  # what _dumps wrote with json: lone surrogates, passed through
        reply = json.loads(payload)
    items = []
    for row in reply["items"]:
        if not isinstance(row, list) or len(row) != len(_ITEM_FIELDS):
            raise ValueError("an item row of the wrong shape")
        published = row[_PUBLISHED_AT]
        row[_PUBLISHED_AT] = datetime.fromisoformat(published) if published else None
        items.append(Item(*row))
    signatures = None
    if reply.get("signatures") is not None:
        signatures = base64.b64decode(reply["signatures"], validate=True)
        if len(signatures) != len(items) * SIGNATURE_BYTES:
            raise ValueError(f"{len(signatures)} signature bytes for {len(items)} items")
    return ParseResult(tuple(items), reply["error"], reply["error_detail"], int(reply["skipped"])), signatures


class _WorkerGone(Exception):
    def __init__(self, detail: str, exit_code: int | None) -> None:
        super().__init__(detail)
        self.exit_code = exit_code


class _Worker:
    def __init__(self, memory_mb: int) -> None:
        # numpy (signatures) under RLIMIT_AS: one BLAS thread, not one per core with its own arena
        env = worker_process.environment(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        self.proc = subprocess.Popen(
            worker_process.command("tasks.parse_pool", str(memory_mb)),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        self.ready = False
        self._buffer = bytearray()

    def _read_exact(self, n: int, deadline: float) -> bytes:
        stdout = self.proc.stdout
        assert stdout is not None
        fd = stdout.fileno()
        while len(self._buffer) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
            chunk = os.read(fd, max(n - len(self._buffer), 1 << 16))
            if not chunk:
                raise _WorkerGone("worker exited", self.proc.wait(5))
            self._buffer += chunk
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    def receive(self, timeout_s: float) -> bytes:
        deadline = time.monotonic() + timeout_s
        (size,) = _REPLY.unpack(self._read_exact(_REPLY.size, deadline))
        return self._read_exact(size, deadline)

    def send(self, header: bytes, body: bytes) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        try:
            stdin.write(_JOB.pack(len(header), len(body)))
            stdin.write(header)
            stdin.write(body)
            stdin.flush()
        except OSError as e:  # BrokenPipeError: it died while idle
            raise _WorkerGone(f"worker gone: {e}", self.proc.poll()) from e

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def ask_to_stop(self) -> None:
        """EOF on its stdin: it finishes and exits."""
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()

    def stop(self) -> None:
        """Ask nicely, wait up to a second, then kill."""
        self.ask_to_stop()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(1)
        self.kill()


class ParserPool:
    """Warm worker processes for bounded parsing; `parse` is thread-safe and blocks while all are busy.

    with ParserPool() as pool:
        result = pool.parse(fetched.body, source_id=..., now=...)

    `workers` is the most that run at once (default: one per core); `start` of them start at once (default: all).
    Beyond `start`, a worker is added only for a caller that finds every live worker on the same job for over
    `stall_s`: a slow or hostile feed does not hold up the others, and a pool of quick jobs stays small.
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        start: int | None = None,
        stall_s: float = 1.0,
        timeout_s: float = 10.0,
        memory_mb: int = 512,
        start_timeout_s: float = 60.0,
    ) -> None:
        self.size = max(1, workers or os.cpu_count() or 1)
        self.base = min(self.size, max(1, start or self.size))
        self.stall_s = stall_s
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.start_timeout_s = start_timeout_s
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: set[_Worker] = set()
        self._busy: dict[_Worker, float] = {}  # worker → when it took its current job
        self._lock = threading.Lock()
        self._started = False
        self._closed = False

    def __enter__(self) -> ParserPool:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("ParserPool is closed")
            if self._started:
                return
            self._started = True
            for _ in range(self.base):
                self._idle.put(self._spawn_locked())

    def close(self, wait: bool = True) -> None:
        """Stop every worker: all are told at once (EOF on stdin) and exit in parallel. With wait=False a
        thread reaps them (killing one that is not gone within a second) and this returns at once: a worker
        takes ~35 ms to exit, time a cycle need not spend waiting."""
        with self._lock:
            self._closed = True
            workers, self._workers = list(self._workers), set()
        for worker in workers:
            worker.ask_to_stop()
        if wait:
            self._reap(workers)
        else:
            threading.Thread(target=self._reap, args=(workers,), name="parser-pool-reaper").start()

    @staticmethod
    def _reap(workers: list[_Worker]) -> None:
        for worker in workers:
            worker.stop()

    def _spawn_locked(self) -> _Worker:
        worker = _Worker(self.memory_mb)
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

    def parse(self, body: bytes, **options: Any) -> ParseResult:
        """The items of one feed document (options as parse_signed's: source_id, now, content_type, ...)."""
        return self.parse_signed(body, **{**options, "signatures": False})[0]

    def parse_signed(
        self,
        body: bytes,
        *,
        source_id: str,
        now: datetime,
        content_type: str | None = None,
        base_url: str | None = None,
        timeout_s: float | None = None,
        signatures: bool = True,
    ) -> tuple[ParseResult, bytes | None]:
        """parse, plus each item's MinHash signature (tasks.stories) computed in the worker too: raw uint32
        rows, SIGNATURE_BYTES per item, in item order (None when not asked for or the parse failed)."""
        self.start()
        header = json.dumps(
            {
                "source_id": source_id,
                "now": now.isoformat(),
                "content_type": content_type,
                "base_url": base_url,
                "signatures": signatures,
            }
        ).encode("utf-8", "surrogatepass")
        timeout = self.timeout_s if timeout_s is None else timeout_s
        for attempt in range(2):
            worker = self._take()
            keep = retry = False
            try:
                result, keep, retry = self._run(worker, header, body, timeout)
            finally:
                with self._lock:
                    closed = self._closed
                    self._busy.pop(worker, None)
                if keep and not closed:
                    self._idle.put(worker)
                else:
                    self._retire(worker)
            if not retry or attempt:
                return result
        raise AssertionError("unreachable")

    def _take(self) -> _Worker:
        """An idle worker; a new one when every live worker has been on its job for over stall_s and fewer
        than `workers` run."""
        while True:
            try:
                worker = self._idle.get(timeout=min(0.5, max(self.stall_s / 4, 0.01)))
            except queue.Empty:
                with self._lock:
                    if self._closed:
                        raise RuntimeError("ParserPool was closed while waiting for a worker") from None
                    now = time.monotonic()
                    stalled = len(self._busy) == len(self._workers) and all(
                        now - began > self.stall_s for began in self._busy.values())
                    if not (stalled and len(self._workers) < self.size):
                        continue
                    worker = self._spawn_locked()
            with self._lock:
                self._busy[worker] = time.monotonic()
            return worker

    def _run(
        self, worker: _Worker, header: bytes, body: bytes, timeout_s: float
    ) -> tuple[tuple[ParseResult, bytes | None], bool, bool]:
        """(result, keep the worker, retry on a fresh one: it was gone before it got the job)."""
        try:
            if not worker.ready:
                if worker.receive(self.start_timeout_s) != b"ready":
                    return (_result("parse_failed", "worker sent garbage at start"), None), False, False
                worker.ready = True
            if worker.proc.poll() is not None:
                return (_result("parse_failed", "worker died while idle"), None), False, True
            try:
                worker.send(header, body)
            except _WorkerGone as gone:
                return (_result("parse_failed", str(gone)), None), False, True
            payload = worker.receive(timeout_s)
        except TimeoutError:
            if worker.ready:
                return (_result("parse_timeout", f"parse took longer than {timeout_s:g} s"), None), False, False
            return (_result("parse_failed", "worker did not start in time"), None), False, False
        except _WorkerGone as gone:
            if gone.exit_code == _EXIT_MEMORY:
                return (_result("parse_memory", f"worker ran out of its {self.memory_mb} MB"), None), False, False
            return (_result("parse_failed", f"{gone} (exit code {gone.exit_code})"), None), False, False
        try:
            result, signatures = _decode(payload)
        except (ValueError, KeyError, TypeError) as e:
            return (_result("parse_failed", f"unreadable reply from worker: {e}"), None), False, False
        return (result, signatures), result.error != "parse_memory", False


def parse_feed_bounded(
    body: bytes,
    *,
    source_id: str,
    now: datetime,
    content_type: str | None = None,
    base_url: str | None = None,
    timeout_s: float = 10.0,
    memory_mb: int = 512,
) -> ParseResult:
    """parse_feed in a fresh child process (pays a process start: prefer a ParserPool for many feeds)."""
    with ParserPool(1, timeout_s=timeout_s, memory_mb=memory_mb) as pool:
        return pool.parse(body, source_id=source_id, now=now, content_type=content_type, base_url=base_url)


# ---------------------------------------------------------------------------------------------------------
# The worker process


def _read_exact_or_eof(stream: BinaryIO, n: int) -> bytes | None:
    data = stream.read(n)
    if not data:
        return None
    if len(data) != n:
        raise EOFError("truncated job")
    return data


def _signatures(result: ParseResult) -> bytes:
    """The items' MinHash signatures as raw uint32 rows (the values are < 2^32 by construction)."""
    import numpy as np

    from tasks import stories

    matrix = stories.signatures([stories.story_text(it.title, it.body) for it in result.items])
    return matrix.astype(np.uint32).tobytes()


def _worker_main(memory_mb: int) -> None:
    import resource

    from tasks.parse import ParseResult, parse_feed

    jobs = sys.stdin.buffer
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print must not corrupt the protocol
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    def reply(payload: bytes) -> None:
        replies.write(_REPLY.pack(len(payload)))
        replies.write(payload)
        replies.flush()

    reply(b"ready")
    while True:
        try:
            head = _read_exact_or_eof(jobs, _JOB.size)
            if head is None:
                return
            header_len, body_len = _JOB.unpack(head)
            job: dict[str, Any] = json.loads(jobs.read(header_len))
            body = jobs.read(body_len)
            result = parse_feed(
                body,
                source_id=job["source_id"],
                now=datetime.fromisoformat(job["now"]),
                content_type=job["content_type"],
                base_url=job["base_url"],
            )
            del body
            signatures = _signatures(result) if job.get("signatures") and not result.error else None
        except MemoryError:
            result = ParseResult((), "parse_memory", f"out of memory (limit {memory_mb} MB)")
            signatures = None
        retire = result.error == "parse_memory"
        try:
            reply(_encode(result, signatures))
        except MemoryError:
            os._exit(_EXIT_MEMORY)
        if retire:
            os._exit(_EXIT_MEMORY)


if __name__ == "__main__":
    _worker_main(int(sys.argv[1]))
