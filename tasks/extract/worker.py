"""An extract worker: `python -P -m tasks.extract.worker`. Extracts a chunk of items per job, at lower priority
than the pipeline process (extraction is a backlog that may run any time before resolving)."""

from __future__ import annotations

import functools
import json

from records.findings import ExtractConfig
from tasks.extract import extract
from tasks.extract.codec import findings_rows
from tasks.workers import serve
from tasks.workers.rows import items_of

NICENESS = 10


@functools.lru_cache(maxsize=8)
def _config(settings: str) -> ExtractConfig | None:
    data = json.loads(settings)
    return ExtractConfig.from_dict(data) if data else None


def handle(job: dict, _payload: bytes) -> tuple[dict, bytes]:
    config = _config(json.dumps(job.get("config") or {}, sort_keys=True))
    return {"findings": findings_rows(extract(item, config) for item in items_of(job["items"]))}, b""


if __name__ == "__main__":
    serve.serve(handle, niceness=NICENESS)
