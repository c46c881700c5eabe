"""The frames workers and their pool exchange over pipes: a JSON header and raw payload bytes, each frame
prefixed by their two lengths. JSON, never pickle: a parser worker's replies come from a process that has
just read hostile input."""

from __future__ import annotations

import json
import struct
from typing import Any, BinaryIO

import orjson

PREFIX = struct.Struct(">IQ")  # header length, payload length


def dumps(header: Any) -> bytes:
    """orjson (several times faster for item text); json for what orjson refuses (a lone surrogate)."""
    try:
        return orjson.dumps(header)
    except TypeError:
        return json.dumps(header, ensure_ascii=False).encode("utf-8", "surrogatepass")


def loads(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:  # what dumps wrote with json: lone surrogates, passed through
        return json.loads(data)


def write(stream: BinaryIO, header: Any, payload: bytes = b"") -> None:
    data = dumps(header)
    stream.write(PREFIX.pack(len(data), len(payload)))
    stream.write(data)
    if payload:
        stream.write(payload)
    stream.flush()


def read(stream: BinaryIO) -> tuple[Any, bytes] | None:
    """The next frame, or None at end of stream (blocking; the worker side)."""
    head = stream.read(PREFIX.size)
    if not head:
        return None
    if len(head) != PREFIX.size:
        raise EOFError("truncated frame")
    header_len, payload_len = PREFIX.unpack(head)
    header = stream.read(header_len)
    payload = stream.read(payload_len) if payload_len else b""
    if len(header) != header_len or len(payload) != payload_len:
        raise EOFError("truncated frame")
    return loads(header), payload
