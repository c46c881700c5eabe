"""A parser worker: `python -P -m tasks.sources.parse_worker <memory MB>`. Parses one feed per job under an
address-space limit, and computes its items' MinHash signatures (the story step needs them)."""

from __future__ import annotations

import sys
from datetime import datetime

from tasks.sources.feeds import ParseResult, parse_feed
from tasks.workers import serve
from tasks.workers.rows import item_rows


def handle(job: dict, body: bytes) -> tuple[dict, bytes]:
    result = parse_feed(body, source_id=job["source_id"], now=datetime.fromisoformat(job["now"]),
                        content_type=job.get("content_type"), base_url=job.get("base_url"))
    signatures = b""
    if job.get("signatures") and not result.error and result.items:
        signatures = _signatures(result)
    return encode(result, retire=result.error == "parse_memory"), signatures


def _signatures(result: ParseResult) -> bytes:
    """The items' signatures as uint32 rows (values < 2^32 by construction). numpy is imported here, on the
    first job that asks: under the address-space limit a worker that only parses does not pay for it."""
    import numpy as np

    from tasks.stories import minhash

    texts = [minhash.story_text(it.title, it.body) for it in result.items]
    return minhash.signatures(texts).astype(np.uint32).tobytes()


def encode(result: ParseResult, *, retire: bool = False) -> dict:
    reply = {"items": item_rows(result.items), "error": result.error, "error_detail": result.error_detail,
             "skipped": result.skipped}
    if retire:
        reply["retire"] = True
    return reply


if __name__ == "__main__":
    serve.serve(handle, memory_mb=int(sys.argv[1]))
