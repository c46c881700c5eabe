"""What DuckDB does not tell through its API, kept in one place; tests/warehouse/test_duckdb_compat.py checks
each against the installed DuckDB and fails loudly when a release changes it.

- What kind of failure an error is: DuckDB tells some failures apart only in its message text (a lock held by
  another process and a corrupt block are both IOExceptions, a failed checksum is a plain Error).
- Which blocks of a database file fail their checksum (`damaged_blocks`): DuckDB verifies a block only when a
  query reads it, and offers no call that reads them all (index blocks are read only when an insert needs
  them). The file layout of storage version 999 (DuckDB 2.0): a main header and two database headers of
  4 KiB each, then blocks of `block_alloc_size` bytes; every header and block starts with its 8-byte checksum
  of the rest: 5381 XOR, over the rest read as little-endian u64 words, of each word times 0xbf58476d1ce4e5b9.
  The newer database header (higher iteration) counts the blocks and points at the free list: a chain of
  metadata sub-blocks (64 per metadata block, each `(block_size - 8) // 64` rounded down to 8 bytes, starting
  with the pointer to the next: block id | index << 56, -1 at the end) holding the count of free blocks and
  their ids. Free blocks hold whatever was there (and trailing ones may be cut off the file): only the others
  are checked.
"""

from __future__ import annotations

import errno
import struct
from pathlib import Path

import duckdb
import numpy as np

LOCKED = "locked"  # another process holds the file's write lock
CORRUPT = "corrupt"  # not a DuckDB file, a failed checksum, a truncated file
DISK_FULL = "disk_full"  # no space (or file size limit) while writing
OTHER = "other"

_LOCKED = ("Could not set lock on file", "Conflicting lock is held")
_CORRUPT = ("not a valid DuckDB database file", "Corrupt database file", "does not match stored checksum",
            "Could not read enough bytes from file", "Corrupted", "corrupt")
_DISK_FULL = ("No space left on device", "File too large", "Disk full", "disk is full", "Could not write")


def classify(exc: BaseException) -> str:
    """LOCKED, CORRUPT, DISK_FULL or OTHER, for an error raised while opening, reading or writing a file."""
    if isinstance(exc, OSError):
        return DISK_FULL if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT) else OTHER
    if not isinstance(exc, duckdb.Error):
        return OTHER
    text = str(exc)
    if any(phrase in text for phrase in _LOCKED):
        return LOCKED
    if any(phrase in text for phrase in _DISK_FULL):
        return DISK_FULL
    if any(phrase in text for phrase in _CORRUPT):
        return CORRUPT
    return OTHER


# --- block checksums -------------------------------------------------------------------------------------

HEADER_SIZE = 4096
STORAGE_VERSIONS = frozenset({999})  # main header version numbers whose layout is known (DuckDB 2.0)
_MULTIPLIER = np.uint64(0xBF58476D1CE4E5B9)
_SEED = 5381
_BLOCKS_PER_READ = 64  # 16 MiB at a time with 256 KiB blocks


class FileDamage(Exception):
    """The file fails a check of its own structure (message: what and where)."""


def _checksum_ok(buffer: bytes | memoryview) -> bool:
    """The first 8 bytes are the checksum of the rest (whose length is a multiple of 8)."""
    words = np.frombuffer(buffer, dtype="<u8")
    with np.errstate(over="ignore"):
        computed = int(np.bitwise_xor.reduce(words[1:] * _MULTIPLIER)) ^ _SEED
    return computed == int(words[0])


def damaged_blocks(path: str | Path) -> list[int] | None:
    """The ids of the blocks (of those the newest database header counts) whose checksum fails; [] when all
    pass. None when the file's layout is not one this module knows (the caller falls back to reading every
    table through DuckDB). Raises FileDamage for damaged headers or a file cut short."""
    path = Path(path)
    with open(path, "rb") as fh:
        headers = fh.read(3 * HEADER_SIZE)
        if len(headers) < 3 * HEADER_SIZE:
            raise FileDamage(f"{len(headers)} bytes: shorter than DuckDB's headers")
        if headers[8:12] != b"DUCK":
            return None  # not a DuckDB file at all: DuckDB's own open says so
        if struct.unpack_from("<Q", headers, 12)[0] not in STORAGE_VERSIONS:
            return None
        if not _checksum_ok(headers[:HEADER_SIZE]):
            raise FileDamage("the main header fails its checksum")
        newest = None
        for offset in (HEADER_SIZE, 2 * HEADER_SIZE):
            page = headers[offset:offset + HEADER_SIZE]
            iteration, _meta, free_list, block_count, block_size = struct.unpack_from("<5Q", page, 8)
            if _checksum_ok(page) and (newest is None or iteration > newest[0]):
                newest = (iteration, free_list, block_count, block_size)
        if newest is None:
            raise FileDamage("both database headers fail their checksums")
        _, free_list, block_count, block_size = newest
        if block_size % 8 or not 4096 <= block_size <= 1 << 30 or block_count > 1 << 40:
            return None
        free = _free_blocks(fh, free_list, block_count, block_size)
        if free is None:
            return None
        size = path.stat().st_size
        present = max(0, (size - 3 * HEADER_SIZE) // block_size)
        missing = [b for b in range(present, block_count) if b not in free]
        if missing:
            raise FileDamage(f"cut short: {size} bytes, but block {missing[0]} of {block_count} is in use")
        bad: list[int] = []
        buffer = bytearray(block_size * _BLOCKS_PER_READ)
        view = memoryview(buffer)
        fh.seek(3 * HEADER_SIZE)
        block = 0
        while block < min(block_count, present):
            n = min(_BLOCKS_PER_READ, min(block_count, present) - block)
            got = fh.readinto(view[: n * block_size])
            if got != n * block_size:
                raise FileDamage(f"cut short while reading block {block + got // block_size}")
            bad += [block + i for i in range(n) if block + i not in free
                    and not _checksum_ok(view[i * block_size:(i + 1) * block_size])]
            block += n
        return bad


_NO_POINTER = (1 << 64) - 1
_SUB_BLOCKS = 64


def _free_blocks(fh, pointer: int, block_count: int, block_size: int) -> set[int] | None:
    """The free block ids the header's free list holds (an empty set when it has none); None when the list
    does not read as expected (the caller falls back)."""
    if pointer == _NO_POINTER:
        return set()
    sub_size = ((block_size - 8) // _SUB_BLOCKS) // 8 * 8

    def sub_block(ptr: int) -> bytes | None:
        block, index = ptr & ((1 << 56) - 1), ptr >> 56
        if block >= block_count or index >= _SUB_BLOCKS:
            return None
        fh.seek(3 * HEADER_SIZE + block * block_size + 8 + index * sub_size)
        data = fh.read(sub_size)
        if len(data) != sub_size:
            raise FileDamage(f"cut short: the free list is in block {block}, past the end of the file")
        return data

    words: list[int] = []
    needed = None
    ptr, hops = pointer, 0
    while needed is None or len(words) < needed:
        if ptr == _NO_POINTER or hops > block_count * _SUB_BLOCKS:
            return None
        data = sub_block(ptr)
        if data is None:
            return None
        ptr = struct.unpack_from("<Q", data)[0]
        words += struct.unpack_from(f"<{sub_size // 8 - 1}q", data, 8)
        hops += 1
        if needed is None:
            needed = 1 + words[0]
            if not 0 <= words[0] <= block_count:
                return None
    free = set(words[1:needed])
    if len(free) != needed - 1 or any(not 0 <= b < block_count for b in free):
        return None
    return free
