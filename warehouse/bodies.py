"""Item bodies as stored: one zstd frame per body (core.items.body_z, migration 005).

The body is the article text, most of an item's bytes. Compressed before it reaches DuckDB (in the poll
threads: zstandard releases the GIL), it costs less at every step DuckDB copies it: the insert, the commit, the
log and the checkpoint (bench/results.md). Rows stored before 005 keep their text in core.items.body;
`body_text` reads either.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pyarrow as pa
import zstandard

LEVEL = 1  # level 3 gave the same size on news text and cost 35% more time
_local = threading.local()  # zstandard (de)compressors are not for concurrent use: one per thread


def _compressor() -> zstandard.ZstdCompressor:
    c = getattr(_local, "compressor", None)
    if c is None:
        c = _local.compressor = zstandard.ZstdCompressor(level=LEVEL)
    return c


def _decompressor() -> zstandard.ZstdDecompressor:
    d = getattr(_local, "decompressor", None)
    if d is None:
        d = _local.decompressor = zstandard.ZstdDecompressor()
    return d


def compress(text: str) -> bytes:
    return _compressor().compress(text.encode("utf-8"))


def compressed_column(texts: Sequence[str]) -> pa.BinaryArray:
    return pa.array([compress(t) for t in texts], pa.binary())


def decompress(frame: bytes) -> str:
    return _decompressor().decompress(frame).decode("utf-8")


def body_text(body: str | None, body_z: bytes | None) -> str:
    """An item's body from its stored columns: the text of a row stored before 005, else the frame's."""
    if body is not None:
        return body
    if body_z is None:
        raise ValueError("a stored item has neither body nor body_z")
    return decompress(body_z)
