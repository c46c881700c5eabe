"""The floors, measured in the same run as the figures they judge: what the bare tools do on the same input.

- bare conditional GET: one shared requests.Session, the same feeds, If-None-Match with their ETags (all 304)
- bare feedparser: `feedparser.parse` with its defaults (sanitising, relative-URI resolution) on the same bytes,
  in one process
(The empty-flow floor is measured by bench/pipeline.py, in the pipeline's own process.)
"""

from __future__ import annotations

import io
import statistics
import time

import feedparser
import requests


def bare_conditional_poll(urls: list[str], repeats: int = 3) -> dict:
    """Seconds to poll every URL once with its ETag (median of `repeats`), after one pass to learn the ETags."""
    with requests.Session() as s:
        etags = {}
        for url in urls:
            r = s.get(url, timeout=10)
            etags[url] = r.headers.get("ETag")
        times, statuses = [], set()
        for _ in range(repeats):
            t = time.perf_counter()
            for url in urls:
                r = s.get(url, headers={"If-None-Match": etags[url]}, timeout=10)
                statuses.add(r.status_code)
            times.append(time.perf_counter() - t)
    return {"seconds": statistics.median(times), "statuses": sorted(statuses), "feeds": len(urls)}


def bare_feedparser(bodies: list[bytes], budget_s: float = 8.0) -> dict:
    """Items/s of feedparser.parse with default settings over the bodies, in order, until all are parsed or
    the time budget is spent (the bodies are alike, so a prefix gives the same rate)."""
    feedparser.parse(io.BytesIO(bodies[0]))  # warm
    items = docs = 0
    t = time.perf_counter()
    for body in bodies:
        items += len(feedparser.parse(io.BytesIO(body)).entries)
        docs += 1
        if time.perf_counter() - t > budget_s:
            break
    seconds = time.perf_counter() - t
    return {"items_per_s": items / seconds, "items": items, "feeds": docs, "seconds": seconds}
