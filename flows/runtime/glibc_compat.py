"""glibc malloc settings through ctypes (mallopt is glibc's, not Python's): a no-op elsewhere.
tests/flows/runtime/test_process.py checks the settings take effect on this platform."""

from __future__ import annotations

import ctypes
import platform

M_MMAP_THRESHOLD = -3  # glibc malloc.h
M_ARENA_MAX = -8


def mallopt(arenas: int, mmap_threshold: int) -> bool:
    """Cap the arenas glibc creates from now on and fix its mmap threshold. True if both were set."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:  # the process's own symbols include libc's: no library search (find_library runs ldconfig)
        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(M_ARENA_MAX, arenas)) and bool(libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold))
    except (OSError, AttributeError):
        return False
