"""Cycles with a long history behind them, run in a process of their own (as `tradewatch run` would be):

    python -m bench.history SPEC.json RESULT.json

For each size (10,000 and 1,000,000 items stored at full scale) a warehouse is made the way a long-running one
ends up: one real cycle stores the feeds' first items (sources, ETags, stories, events), then history is loaded
directly with SQL (fill_history: items spread over the days before, ~N/20 per source of the 20, their
signatures, band rows only for the recent window's items — what pruning leaves — so every size has the same
window; meetings, deadlines, their history, mentions, alerts and fetch records in proportion), then three real
cycles bring both snapshot files up to date and publish the calendar and the report of that history once, as a
warehouse that grew to that size would have (set-up). Measured through the real pipeline, against the Prefect
API in PREFECT_API_URL, with the feeds served from this process: a cycle where every source answers 304
(median of 3) and a cycle with 500 new items (20 sources x 25 at full scale; median of 3 batches, with the process tree's
peak RSS), each stage timed (bench.pipeline.StageTimer); then the file sizes.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from bench.feeds import FeedServer, make_corpus, write_config
from bench.pipeline import StageTimer
from bench.procmem import TreeSampler
from flows.feedserver import render_rss
from tasks.publish.files import note_path
from warehouse import connection
from warehouse.transaction import transaction

WINDOW_ITEMS = 10_000  # stored items inside the near-duplicate window, at every size
PARTIES = ["KR", "JP", "VN", "IN", "CH", "GB", "CA", "MX", "MY", "ID", "AU", "SG"]  # each with the US

# {start}/{stop}: the range of synthetic numbers; $now; items numbered from the newest back
_ITEMS = """
INSERT INTO core.items (item_id, source_id, guid, url, title, summary, body_z, published_at, published_offset_min,
                        date_suspect, content_hash, first_seen_at, last_seen_at, relevant, relevance_reason,
                        story_id, extracted_at)
SELECT 'hist' || i, 'hist-' || lpad((i % 20)::VARCHAR, 3, '0'), 'hist-guid-' || i, 'https://news.example.com/h/' || i,
       'Archived headline number ' || i, 'A short summary of archived item ' || i,
       from_hex(repeat(md5(i::VARCHAR), 96)),  -- 1.5 KB, as a zstd-compressed 4 KB body
       seen, 0, false, md5('hist' || i), seen, seen, i % 10 = 0, 'synthetic', 'hist' || i, seen
FROM (SELECT i, $now - CASE WHEN i < $window THEN to_seconds(i * 172800 // $window)
                            ELSE to_seconds(15 * 86400 + (i - $window) * 9) END AS seen
      FROM range($start, $stop) t(i))
"""
_SIGNATURES = """
INSERT INTO core.item_signatures SELECT 'hist' || i, from_hex(repeat(md5('sig' || i), 32))
FROM range($start, $stop) t(i)
"""
_BANDS = """
INSERT INTO core.story_bands
SELECT b, (hash(i, b, 'band') >> 1)::BIGINT, 'hist' || i, NULL, $now - to_seconds(i * 172800 // $window)
FROM range($start, least($stop, $window)) t(i), range(32) s(b)
"""
_MEETINGS = """
INSERT INTO core.meetings (meeting_id, parties, meeting_date, date_precision, location, format, status, officials,
                           first_seen_at, updated_at, evidence_level, evidence, revision)
SELECT 'm-hist-' || i, list_sort([$parties[1 + i % 12], 'US']), ($now - to_days(30 + i // 20))::DATE, 'day',
       'Washington', 'ministerial', 'held', ['Jamieson Greer'], $now - to_days(40 + i // 20),
       $now - to_days(30 + i // 20), 'reported', '{"alerted": true}', 0
FROM range($start, $stop) t(i)
"""
_DEADLINES = """
INSERT INTO core.deadlines (deadline_id, subject, subject_label, countries, due_date, first_seen_at, updated_at,
                            evidence_level, evidence, revision)
SELECT 'd-hist-' || i, 'tariff:reciprocal:hist' || i, 'reciprocal tariffs', list_sort([$parties[1 + i % 12], 'US']),
       ($now - to_days(30 + i))::DATE, $now - to_days(60 + i), $now - to_days(60 + i), 'reported',
       '{"alerted": true}', 0
FROM range($start, $stop) t(i)
"""
_DEADLINE_VALUES = """
INSERT INTO core.deadline_values (deadline_id, action, due_date, item_id, seen_at, text)
SELECT 'd-hist-' || (i % $deadlines), CASE WHEN i < $deadlines THEN 'new' ELSE 'restated' END,
       ($now - to_days(30 + i % $deadlines))::DATE, 'hist' || (i * 10), $now - to_days(60 + i % $deadlines),
       'the higher tariff takes effect'
FROM range($start, $stop) t(i)
"""
_MENTIONS = """
INSERT INTO core.mentions (item_id, event_kind, event_id, evidence, detail)
SELECT 'hist' || (i * 10), 'meeting', 'm-hist-' || (i % $meetings), 'met in Washington', '{}'
FROM range($start, $stop) t(i)
"""
_ALERTS = """
INSERT INTO core.alert_outbox (alert_id, kind, event_kind, event_id, created_at, state, suppressed_reason, attempts,
                               text, payload)
SELECT 'a-hist-' || i, 'new_meeting', 'meeting', 'm-hist-' || i, $now - to_days(40 + i // 20), 'suppressed',
       'old_item', 0, 'New meeting', '{}'
FROM range($start, $stop) t(i)
"""
_FETCH_LOG = """
INSERT INTO core.fetch_log (source_id, fetched_at, status, bytes, elapsed_s, error, new_items)
SELECT 'hist-' || lpad((i % 20)::VARCHAR, 3, '0'), $now - to_seconds(600 * (i // 20 + 1)), 304, 0, 0.01, NULL, 0
FROM range($start, $stop) t(i)
"""


def fill_history(path: Path, n: int, *, now: datetime, step: int = 200_000) -> None:
    """Add `n` synthetic stored items (and what a warehouse holds beside them, in proportion) behind `now`."""
    counts = {"meetings": max(n // 100, 1), "deadlines": max(n // 2_000, 1)}
    plan = [(_ITEMS, n), (_SIGNATURES, n), (_BANDS, min(n, WINDOW_ITEMS)), (_MEETINGS, counts["meetings"]),
            (_DEADLINES, counts["deadlines"]), (_DEADLINE_VALUES, max(n // 100, counts["deadlines"])),
            (_MENTIONS, n // 10), (_ALERTS, counts["meetings"]), (_FETCH_LOG, n // 2)]
    values = {"now": now, "window": WINDOW_ITEMS, "parties": PARTIES, **counts}
    with connection.writer(path) as con:
        for sql, rows in plan:
            for start in range(0, rows, step):
                with transaction(con):
                    con.execute(sql, {"start": start, "stop": min(start + step, rows),
                                      **{k: v for k, v in values.items() if f"${k}" in sql}})
        con.execute("CHECKPOINT")


def batch(n: int, feeds: int, per_feed: int) -> dict[str, bytes]:
    """The feeds' documents for batch `n`: `per_feed` new items in each (ids of their own)."""
    corpus = make_corpus(feeds, per_feed, seed=100 + n, prefix="hist")
    return {source: render_rss(source, [dataclasses.replace(it, guid=f"b{n}-{it.guid}", url=f"{it.url}?b={n}")
                                        for it in items]) for source, items in corpus.feeds.items()}


def _sizes(path: Path) -> dict[str, int]:
    from warehouse import snapshot

    files = {"live": path, **{f.name[-1]: f for f in snapshot.snapshot_files(path)}}
    return {name: f.stat().st_size for name, f in files.items() if f.exists()}


def measure(size: int, feeds: tuple[int, int], workdir: Path, server: FeedServer, as_of: datetime,
            timer: StageTimer) -> dict:
    from flows.monitor import run_monitor_flow

    path, config = workdir / f"history-{size}.duckdb", workdir / f"history-{size}.toml"
    write_config(config, server, path)
    clock = iter(as_of + timedelta(minutes=10 * k) for k in range(1000))

    def cycle() -> tuple[float, dict]:
        t = time.perf_counter()
        summary = run_monitor_flow(str(config), as_of=next(clock).isoformat(), alerts=False)
        return time.perf_counter() - t, summary

    server.set_bodies(batch(0, *feeds))
    cycle()
    t = time.perf_counter()
    fill_history(path, size - feeds[0] * feeds[1], now=as_of)
    filled_s = time.perf_counter() - t
    note_path(path).unlink(missing_ok=True)  # the first set-up cycle publishes the calendar and the report of the loaded history
    setup = [cycle()[0] for _ in range(3)]  # both snapshot files whole, then each updated once
    timer.reset()
    unchanged = []
    for _ in range(3):
        wall, summary = cycle()
        unchanged.append({"wall_s": wall, "new_items": summary["new_items"], "stages_s": timer.reset()})
    new, peaks = [], []
    for n in (1, 2, 3):
        server.set_bodies(batch(n, *feeds))
        with TreeSampler() as mem:
            wall, summary = cycle()
        new.append({"wall_s": wall, "new_items": summary["new_items"], "stages_s": timer.reset()})
        peaks.append(mem.peak)
    return {
        "stored": _stored(path), "fill_s": filled_s, "setup_s": setup,
        "unchanged": unchanged, "unchanged_s": statistics.median(u["wall_s"] for u in unchanged),
        "new": new, "new_s": statistics.median(r["wall_s"] for r in new),
        "peak_rss_bytes": max(peaks), "sizes": _sizes(path),
    }


def _stored(path: Path) -> int:
    with connection.writer(path) as con:
        return con.execute("SELECT count(*) FROM core.items").fetchone()[0]


def run(spec: dict) -> dict:
    timer = StageTimer()
    timer.install()
    as_of = datetime.fromisoformat(spec["as_of"])
    workdir = Path(spec["workdir"])
    out = {}
    feeds = tuple(spec["feeds"])
    with FeedServer(batch(0, *feeds)) as server:
        for size in spec["sizes"]:
            out[str(size)] = measure(size, feeds, workdir, server, as_of, timer)
    return out


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    Path(argv[1]).write_text(json.dumps(run(spec), indent=1, default=str))
    from tasks.sources.parsing import close_parser_pool

    close_parser_pool()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
