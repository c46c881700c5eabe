"""glibc malloc settings for the pipeline process, so memory a cycle frees is reused or returned.

glibc gives threads their own malloc arenas (up to 8 per core). A cycle's threads (fetch threads, Prefect's
task threads, feeders) each allocate in their own, and what they free stays with that arena: a process that
runs cycle after cycle (`tradewatch serve`, replays) kept ~50 MB more after its first big cycle, and its next
peak was that much higher. Two arenas (set with mallopt before the threads start, as MALLOC_ARENA_MAX=2
would) keep freed memory where the next cycle allocates.

glibc also raises its mmap threshold each time a large mmapped block is freed (up to 32 MB), after which
large buffers (Arrow columns, DuckDB blocks, numpy arrays) come from the heap and may stay there. A fixed
threshold (256 KB) keeps them mmapped, returned to the system when freed: the pipeline process's peak in
`make bench` went from 457-460 MB to ~444 MB.

A no-op where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import platform

M_MMAP_THRESHOLD = -3  # glibc malloc.h
M_ARENA_MAX = -8
ARENAS = 2
MMAP_THRESHOLD = 256 * 1024


def tune_malloc(arenas: int = ARENAS, mmap_threshold: int = MMAP_THRESHOLD) -> bool:
    """Cap the arenas glibc creates from now on and fix its mmap threshold. True if both were set."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:  # the process's own symbols include libc's: no library search (find_library runs ldconfig)
        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(M_ARENA_MAX, arenas)) and bool(libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold))
    except (OSError, AttributeError):
        return False
