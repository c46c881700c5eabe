"""The loop inside a worker process: read a job, answer it, until the pool closes the pipe.

A handler takes (header, payload) and returns (reply header, reply payload); a reply header with
`"retire": true` makes the worker exit after answering. A handler's exception is sent back as
`{"failed": ...}` and the worker goes on. Out of memory (the pool may set an address-space limit) the
worker exits with EXIT_MEMORY.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from tasks.workers import frames

EXIT_MEMORY = 3
Handler = Callable[[dict, bytes], tuple[dict, bytes]]


def serve(handle: Handler, *, memory_mb: int | None = None, niceness: int = 0) -> None:
    jobs = sys.stdin.buffer
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print must not corrupt the protocol
    if memory_mb:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if niceness:
        os.nice(niceness)
    frames.write(replies, {"ready": True})
    while True:
        try:
            job = frames.read(jobs)
            if job is None:
                return
            header, payload = job
            del job
            reply, data = handle(header, payload)
        except MemoryError:
            os._exit(EXIT_MEMORY)
        except Exception as exc:  # noqa: BLE001 - the caller decides (e.g. extracts in-process instead)
            reply, data = {"failed": f"{type(exc).__name__}: {exc}"[:500]}, b""
        del payload
        try:
            frames.write(replies, reply, data)
        except MemoryError:
            os._exit(EXIT_MEMORY)
        if reply.get("retire"):
            os._exit(EXIT_MEMORY)
