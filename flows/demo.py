"""`tradewatch demo`: replay the shipped sample timeline (April–July 2025, Korea–US talks and the move of the
reciprocal-tariff deadline) through the real pipeline: a loopback feed server, one cycle per tick with --as-of,
a DuckDB warehouse, alerts on the console."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from importlib import resources
from pathlib import Path

from flows.feedserver import TimelineItem, TimelineServer, ticks_for, write_config
from tasks.publish.files import calendar_path, note_path, report_path

EXAMPLE_QUERIES = [
    ("Meetings, with how many reports each",
     "SELECT meeting_date, parties, format, status, officials, reports FROM meetings ORDER BY meeting_date"),
    ("How the reciprocal-tariff deadline moved",
     "SELECT c.deadline_id, c.old_date, c.new_date, c.changed_at, i.title FROM deadline_changes c "
     "JOIN items i USING (item_id) ORDER BY c.changed_at"),
    ("Alerts sent, newest first",
     "SELECT created_at, kind, text FROM alerts WHERE state = 'delivered' ORDER BY created_at DESC"),
]


def load_timeline() -> list[TimelineItem]:
    text = resources.files("flows").joinpath("demo_data/timeline.jsonl").read_text(encoding="utf-8")
    items = []
    for line in text.splitlines():
        if line.strip():
            raw = json.loads(line)
            items.append(TimelineItem(source=raw["source"], guid=raw["guid"], url=raw["url"], title=raw["title"],
                                      published=datetime.fromisoformat(raw["published"]), summary=raw["summary"],
                                      body=raw["body"]))
    return items


def run_demo(workdir: Path, out=None) -> int:
    from flows.monitor import replay_flow

    out = out or sys.stdout
    os.environ.pop("SLACK_BOT_TOKEN", None)  # the demo never posts to a real workspace: alerts go to the console
    workdir.mkdir(parents=True, exist_ok=True)
    warehouse = workdir / "demo.duckdb"
    for stale in (warehouse, warehouse.with_name("demo.snapshot.duckdb"), calendar_path(warehouse),
                  report_path(warehouse), note_path(warehouse)):
        stale.unlink(missing_ok=True)
    timeline = load_timeline()
    config_path = workdir / "tradewatch.toml"
    print(f"tradewatch demo: {len(timeline)} items from {len({i.source for i in timeline})} outlets, "
          "replayed tick by tick through the real pipeline\n", file=out)
    with TimelineServer(timeline) as server:
        write_config(config_path, server, "demo.duckdb")
        ticks = ticks_for(timeline)

        done = [0]

        def on_tick(now: datetime) -> None:
            server.now = now
            done[0] += 1
            print(f"── {now:%Y-%m-%d %H:%M} UTC ── cycle {done[0]}/{len(ticks)}", file=out)

        summaries = replay_flow(config_path=str(config_path), ticks=[t.isoformat() for t in ticks],
                                on_tick=on_tick)
    new_items = sum(s.new_items for s in summaries)
    print(f"\n{len(summaries)} cycles, {new_items} items stored in {warehouse}", file=out)
    from flows.output import render
    from warehouse.snapshot import open_snapshot, query_with_timeout

    con = open_snapshot(warehouse)
    try:
        for title, sql in EXAMPLE_QUERIES[:2]:
            names, rows = query_with_timeout(con, sql, 30)
            print(f"\n{title}:", file=out)
            render(names, rows, "table", out=out)
    finally:
        con.close()
    print("\nTry these yourself:", file=out)
    exe = ".venv/bin/tradewatch"
    for title, sql in EXAMPLE_QUERIES:
        print(f"  # {title}\n  {exe} sql --config {config_path} \"{sql}\"", file=out)
    print("\nPublished beside the snapshot when the replay ended (a scheduled run publishes after each cycle):\n"
          f"  {report_path(warehouse)}   the timeline report: open it in a browser\n"
          f"  {calendar_path(warehouse)}  the calendar: import or subscribe to it", file=out)
    return 0
