"""`tradewatch eval --corpus DIR`: replay a labelled corpus through the REAL pipeline (loopback feed server,
one monitor cycle per publication instant with --as-of, a DuckDB warehouse, the console notifier) and score
what the warehouse ends up holding: relevance, meetings, deadlines, deadline changes, and the alerts."""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from flows.feedserver import TimelineItem, TimelineServer, ticks_for, write_config
from flows.output import progress_bar
from tasks.evaluation.scoring import Scorecard, score
from tasks.evaluation.warehouse_score import AlertScore, predictions, score_alerts
from warehouse.evaluation import event_alerts


def load_timeline(corpus: Path) -> list[tuple[str, TimelineItem]]:
    out = []
    for line in (corpus / "items.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            cid = raw["id"]
            source = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(raw.get("source") or "corpus"))  # a safe id and URL path
            out.append((cid, TimelineItem(source=source, guid=raw.get("guid") or cid,
                                          url=raw.get("url") or f"https://corpus.invalid/{cid}",
                                          title=raw.get("title") or "",
                                          published=datetime.fromisoformat(raw["published"]),
                                          summary=raw.get("summary") or "", body=raw.get("body") or "")))
    return out


@dataclass(frozen=True)
class EvalResult:
    scorecard: Scorecard
    alerts: AlertScore
    cycles: int
    items: int


def evaluate(corpus: Path, workdir: Path, *, show_progress: bool = False,
             tick_hours: float | None = None, labels_path: Path | None = None) -> EvalResult:
    """Replay the corpus, one cycle per publication instant (or every `tick_hours`), and score it against its
    labels.json (or `labels_path`)."""
    from flows.monitor import replay_flow
    from warehouse.snapshot import open_snapshot, snapshot_path

    labels = json.loads((labels_path or corpus / "labels.json").read_text(encoding="utf-8"))
    timeline = load_timeline(corpus)
    corpus_ids = {(it.source, it.guid): cid for cid, it in timeline}
    config_path = workdir / "tradewatch.toml"
    warehouse = workdir / "eval.duckdb"
    for stale in (warehouse, snapshot_path(warehouse)):
        stale.unlink(missing_ok=True)
    with TimelineServer(it for _, it in timeline) as server:
        write_config(config_path, server, warehouse.name)
        ticks = ticks_for([it for _, it in timeline], every_hours=tick_hours)

        with progress_bar(len(ticks), "replaying", enabled=show_progress) as advance:

            def on_tick(now: datetime) -> None:
                server.now = now
                advance()

            with contextlib.redirect_stdout(io.StringIO()):  # the console notifier's alerts
                summaries = replay_flow(config_path=str(config_path), ticks=[t.isoformat() for t in ticks],
                                        on_tick=on_tick)
    con = open_snapshot(warehouse)
    try:
        relevance, meetings, deadlines = predictions(con, corpus_ids)
        card = score(labels, relevance, meetings, deadlines)
        alerts = score_alerts(labels, event_alerts(con), card.matches)
    finally:
        con.close()
    return EvalResult(card, alerts, len(summaries), sum(s.new_items for s in summaries))


def run_eval(corpus: Path, workdir: Path | None = None, out_format: str = "table", out=None,
             tick_hours: float | None = None, labels_path: Path | None = None) -> int:
    out = out or sys.stdout
    labels_path = labels_path or corpus / "labels.json"
    if not (corpus / "items.jsonl").exists() or not labels_path.exists():
        print(f"tradewatch eval: {corpus} has no items.jsonl, or {labels_path} is missing", file=sys.stderr)
        return 2
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tradewatch-eval-")))
        workdir.mkdir(parents=True, exist_ok=True)
        result = evaluate(corpus, workdir, show_progress=sys.stderr.isatty(), tick_hours=tick_hours,
                          labels_path=labels_path)
    if out_format == "json":
        card = result.scorecard
        data = {name: {"precision": getattr(card, name).precision, "recall": getattr(card, name).recall,
                       "f1": getattr(card, name).f1} for name in ("relevance", "meetings", "deadlines", "changes")}
        data["duplicate_meetings"] = card.duplicate_meetings
        data["alerts"] = asdict(result.alerts) | {"precision": result.alerts.precision,
                                                  "recall": result.alerts.recall,
                                                  "repeat_rate": result.alerts.repeat_rate,
                                                  "change_recall": result.alerts.change_recall,
                                                  "change_precision": result.alerts.change_precision}
        data["missed"] = {"meetings": list(card.missed_meetings), "deadlines": list(card.missed_deadlines),
                          "changes": list(card.missed_changes), "relevant": list(card.missed_relevant)}
        json.dump(data, out, indent=2, default=str)
        out.write("\n")
    else:
        print(f"replayed {result.items} items in {result.cycles} cycles through the pipeline\n", file=out)
        print(result.scorecard.render(), file=out)
        print("", file=out)
        print(result.alerts.render(), file=out)
    return 0
