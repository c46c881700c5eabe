"""Settings of the pipeline process, applied once before a cycle's threads start, so that memory a cycle
frees is reused or returned (bench/results.md has the measurements):

- glibc malloc with two arenas (a cycle's threads would each keep what they freed in an arena of their own)
  and a fixed 256 KB mmap threshold (large buffers stay mmapped and go back to the system when freed);
- Arrow's system allocator for the transient tables on their way into DuckDB (mimalloc keeps what they free);
- the temporary Prefect API server Prefect may start dies with this process (flows/runtime/prefect_compat.py).
"""

from __future__ import annotations

import functools

import pyarrow as pa

from flows.runtime.glibc_compat import mallopt
from flows.runtime.prefect_compat import tie_temporary_server_to_this_process

ARENAS = 2
MMAP_THRESHOLD = 256 * 1024


@functools.cache
def apply_settings() -> bool:
    """Apply once per process. True when the malloc settings took effect (glibc)."""
    pa.set_memory_pool(pa.system_memory_pool())
    tie_temporary_server_to_this_process()
    return mallopt(ARENAS, MMAP_THRESHOLD)
