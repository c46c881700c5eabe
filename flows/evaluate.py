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
from datetime import date, datetime
from pathlib import Path

from flows.feedserver import TimelineItem, TimelineServer, ticks_for, write_config
from flows.output import progress_bar
from tasks.scoring import PredictedDeadline, PredictedMeeting, Scorecard, score


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
class AlertScore:
    new_event_alerts: int
    new_event_correct: int  # alerts whose event is a labelled meeting or deadline
    labelled_events: int
    labelled_events_alerted: int
    repeats: int  # a second new-event alert for an already alerted labelled event
    change_alerts: int
    labelled_changes: int
    labelled_changes_alerted: int
    change_alerts_for_equivalent_or_restated: int

    @property
    def precision(self) -> float:
        return self.new_event_correct / self.new_event_alerts if self.new_event_alerts else 0.0

    @property
    def recall(self) -> float:
        return self.labelled_events_alerted / self.labelled_events if self.labelled_events else 0.0

    @property
    def repeat_rate(self) -> float:
        return self.repeats / self.new_event_alerts if self.new_event_alerts else 0.0

    @property
    def change_recall(self) -> float:
        return self.labelled_changes_alerted / self.labelled_changes if self.labelled_changes else 0.0

    def render(self) -> str:
        return (
            f"new-event alerts   precision {self.precision:.3f}  recall {self.recall:.3f}  "
            f"repeats {self.repeats}/{self.new_event_alerts} ({self.repeat_rate:.1%})\n"
            f"change alerts      recall {self.change_recall:.3f} ({self.labelled_changes_alerted}/"
            f"{self.labelled_changes})  alerts {self.change_alerts}  "
            f"for an equivalent or restated date: {self.change_alerts_for_equivalent_or_restated}"
        )


def _dates(entry: dict) -> set[date]:
    out = {date.fromisoformat(entry["date"])} if entry.get("date") else set()
    return out | {date.fromisoformat(x) for x in entry.get("equivalent_dates", [])}


def score_alerts(labels: dict, con, matches: dict[str, str]) -> AlertScore:
    """Score the outbox. A new-event alert is right when its event is matched to a labelled meeting or deadline
    (the scorer's one-to-one matching of the final events); a repeat is a second alerted event for a label. A
    change alert is right when (old, new) is a consecutive pair of a labelled history (equivalents allowed)."""
    rows = con.execute(
        "SELECT kind, event_id, payload FROM core.alert_outbox WHERE event_kind <> 'source'"
        " ORDER BY created_at, alert_id"
    ).fetchall()
    alerted: set[str] = set()
    new_alerts = correct = repeats = change_alerts = bogus_changes = 0
    changes_hit: set[tuple[str, int]] = set()
    for kind, event_id, payload in rows:
        if kind in ("new_meeting", "new_deadline"):
            new_alerts += 1
            label = matches.get(event_id)
            if label is not None:
                correct += 1
                repeats += label in alerted
                alerted.add(label)
        elif kind == "deadline_change":
            change_alerts += 1
            p = json.loads(payload)
            old, new = (date.fromisoformat(p["change"][k]) for k in ("old_date", "new_date"))
            for entry in labels["deadlines"]:
                if not set(entry["countries"]) & set(p["event"]["countries"]):
                    continue
                history = [h for h in entry["history"] if h.get("date")]
                if any(old in _dates(h) and new in _dates(h) for h in history):
                    bogus_changes += 1  # an equivalent spelling or a restatement alerted as a move
                for i, (a, b) in enumerate(zip(history, history[1:], strict=False)):
                    if old in _dates(a) and new in _dates(b):
                        changes_hit.add((entry["id"], i))
    labelled_changes = sum(max(0, len([h for h in e["history"] if h.get("date")]) - 1) for e in labels["deadlines"])
    return AlertScore(new_alerts, correct, len(labels["meetings"]) + len(labels["deadlines"]), len(alerted), repeats,
                      change_alerts, labelled_changes, len(changes_hit), bogus_changes)


def predictions(con, corpus_ids: dict[tuple[str, str], str]):
    """Read the warehouse back into the scorer's shapes; item ids mapped to corpus ids via (source, guid)."""
    ids = {iid: corpus_ids.get((src, guid)) for iid, src, guid in
           con.execute("SELECT item_id, source_id, guid FROM core.items").fetchall()}
    relevance = {ids[iid]: bool(rel) for iid, rel in
                 con.execute("SELECT item_id, relevant FROM core.items").fetchall() if ids.get(iid)}
    mentions: dict[tuple[str, str], list[str]] = {}
    for iid, kind, eid in con.execute(
            "SELECT m.item_id, m.event_kind, m.event_id FROM core.mentions m JOIN core.items i USING (item_id)"
            " ORDER BY i.published_at").fetchall():
        if ids.get(iid):
            mentions.setdefault((kind, eid), []).append(ids[iid])
    meetings = [
        PredictedMeeting(meeting_id=r[0], parties=tuple(r[1]), date=r[2], date_precision=r[3],
                         officials=tuple(r[4]), items=tuple(mentions.get(("meeting", r[0]), ())), status=r[5],
                         format=r[6], location=r[7])
        for r in con.execute("SELECT meeting_id, parties, meeting_date, date_precision, officials, status, format,"
                             " location FROM core.meetings").fetchall()
    ]
    deadlines = []
    for did, subject, countries in con.execute(
            "SELECT deadline_id, subject, countries FROM core.deadlines").fetchall():
        values = con.execute(
            "SELECT action, due_date, item_id FROM core.deadline_values WHERE deadline_id = ? ORDER BY seen_at",
            [did]).fetchall()
        deadlines.append(PredictedDeadline(
            deadline_id=did, subject=subject, countries=tuple(countries),
            dates=tuple(sorted({v[1] for v in values})),
            history=tuple((v[1], ids.get(v[2]) or v[2]) for v in values if v[0] in ("new", "change")),
            items=tuple(mentions.get(("deadline", did), ())),
        ))
    return relevance, meetings, deadlines


@dataclass(frozen=True)
class EvalResult:
    scorecard: Scorecard
    alerts: AlertScore
    cycles: int
    items: int


def evaluate(corpus: Path, workdir: Path, *, show_progress: bool = False) -> EvalResult:
    from flows.monitor import replay_flow
    from warehouse import db

    labels = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
    timeline = load_timeline(corpus)
    corpus_ids = {(it.source, it.guid): cid for cid, it in timeline}
    config_path = workdir / "tradewatch.toml"
    warehouse = workdir / "eval.duckdb"
    for stale in (warehouse, db.snapshot_path(warehouse)):
        stale.unlink(missing_ok=True)
    with TimelineServer(it for _, it in timeline) as server:
        write_config(config_path, server, warehouse.name)
        ticks = ticks_for([it for _, it in timeline])

        with progress_bar(len(ticks), "replaying", enabled=show_progress) as advance:

            def on_tick(now: datetime) -> None:
                server.now = now
                advance()

            with contextlib.redirect_stdout(io.StringIO()):  # the console notifier's alerts
                summaries = replay_flow(config_path=str(config_path), ticks=[t.isoformat() for t in ticks],
                                        on_tick=on_tick)
    con = db.open_snapshot(warehouse)
    try:
        relevance, meetings, deadlines = predictions(con, corpus_ids)
        card = score(labels, relevance, meetings, deadlines)
        alerts = score_alerts(labels, con, card.matches)
    finally:
        con.close()
    return EvalResult(card, alerts, len(summaries), sum(s.new_items for s in summaries))


def run_eval(corpus: Path, workdir: Path | None = None, out_format: str = "table", out=None) -> int:
    out = out or sys.stdout
    if not (corpus / "items.jsonl").exists() or not (corpus / "labels.json").exists():
        print(f"tradewatch eval: {corpus} has no items.jsonl and labels.json", file=sys.stderr)
        return 2
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tradewatch-eval-")))
        workdir.mkdir(parents=True, exist_ok=True)
        result = evaluate(corpus, workdir, show_progress=sys.stderr.isatty())
    if out_format == "json":
        card = result.scorecard
        data = {name: {"precision": getattr(card, name).precision, "recall": getattr(card, name).recall,
                       "f1": getattr(card, name).f1} for name in ("relevance", "meetings", "deadlines", "changes")}
        data["duplicate_meetings"] = card.duplicate_meetings
        data["alerts"] = asdict(result.alerts) | {"precision": result.alerts.precision,
                                                  "recall": result.alerts.recall,
                                                  "repeat_rate": result.alerts.repeat_rate,
                                                  "change_recall": result.alerts.change_recall}
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
