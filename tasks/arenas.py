"""Fewer glibc malloc arenas in the pipeline process, so memory a cycle frees is reused by the next.

glibc gives threads their own malloc arenas (up to 8 per core). A cycle's threads (fetch threads, Prefect's
task threads, feeders) each allocate in their own, and what they free stays with that arena: a process that
runs cycle after cycle (`tradewatch serve`, replays) kept ~50 MB more after its first big cycle, and its next
peak was that much higher. Two arenas (set with mallopt before the threads start, as MALLOC_ARENA_MAX=2
would) keep freed memory where the next cycle allocates. A no-op where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import platform

M_ARENA_MAX = -8  # glibc malloc.h
ARENAS = 2


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap the arenas glibc creates from now on. True if the cap was set."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:  # the process's own symbols include libc's: no library search (find_library runs ldconfig)
        return bool(ctypes.CDLL(None).mallopt(M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False
