"""What kind of failure a DuckDB error is. DuckDB tells some failures apart only in its message text (a lock
held by another process and a corrupt block are both IOExceptions, a failed checksum is a plain Error), so the
phrases it uses are kept here, in one place; tests/warehouse/test_duckdb_compat.py provokes each failure with
the installed DuckDB and fails loudly when a release words one differently."""

from __future__ import annotations

import errno

import duckdb

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
