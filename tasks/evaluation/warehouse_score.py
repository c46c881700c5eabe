"""Score what a replay left in the warehouse against a labelled corpus (labels.json): relevance, meetings,
deadlines and their changes (tasks/evaluation/scoring.py), and the alerts the outbox decided."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from tasks.evaluation.scoring import PredictedDeadline, PredictedMeeting
from warehouse import evaluation as reads


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
    change_alerts_correct: int = 0  # alerts whose old → new is a consecutive pair of a labelled history

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
    def change_precision(self) -> float:
        return self.change_alerts_correct / self.change_alerts if self.change_alerts else 1.0

    @property
    def change_recall(self) -> float:
        return self.labelled_changes_alerted / self.labelled_changes if self.labelled_changes else 0.0

    def render(self) -> str:
        return (
            f"new-event alerts   precision {self.precision:.3f}  recall {self.recall:.3f}  "
            f"repeats {self.repeats}/{self.new_event_alerts} ({self.repeat_rate:.1%})\n"
            f"change alerts      precision {self.change_precision:.3f}  recall {self.change_recall:.3f} "
            f"({self.labelled_changes_alerted}/{self.labelled_changes})  alerts {self.change_alerts}  "
            f"for an equivalent or restated date: {self.change_alerts_for_equivalent_or_restated}"
        )


def _dates(entry: dict) -> set[date]:
    out = {date.fromisoformat(entry["date"])} if entry.get("date") else set()
    return out | {date.fromisoformat(x) for x in entry.get("equivalent_dates", [])}


def score_alerts(labels: dict, rows, matches: dict[str, str]) -> AlertScore:
    """Score the alert decisions, (kind, event id, payload JSON) in order: the outbox's rows. A new-event alert
    is right when its event is matched to a labelled meeting or deadline (the scorer's one-to-one matching of
    the final events); a repeat is a second alerted event for a label. A change alert is right when (old, new)
    is a consecutive pair of a labelled history (equivalents allowed)."""
    alerted: set[str] = set()
    new_alerts = correct = repeats = change_alerts = bogus_changes = right_changes = 0
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
            hit = False
            for entry in labels["deadlines"]:
                if not set(entry["countries"]) & set(p["event"]["countries"]):
                    continue
                history = [h for h in entry["history"] if h.get("date")]
                if any(old in _dates(h) and new in _dates(h) for h in history):
                    bogus_changes += 1  # an equivalent spelling or a restatement alerted as a move
                for i, (a, b) in enumerate(zip(history, history[1:], strict=False)):
                    if old in _dates(a) and new in _dates(b):
                        changes_hit.add((entry["id"], i))
                        hit = True
            right_changes += hit
    labelled_changes = sum(max(0, len([h for h in e["history"] if h.get("date")]) - 1) for e in labels["deadlines"])
    return AlertScore(new_alerts, correct, len(labels["meetings"]) + len(labels["deadlines"]), len(alerted), repeats,
                      change_alerts, labelled_changes, len(changes_hit), bogus_changes, right_changes)


def predictions(con, corpus_ids: dict[tuple[str, str], str]):
    """Read the warehouse back into the scorer's shapes; item ids mapped to corpus ids via (source, guid)."""
    keys = reads.item_keys(con)
    ids = {iid: corpus_ids.get((src, guid)) for iid, src, guid, _ in keys}
    relevance = {ids[iid]: bool(rel) for iid, _, _, rel in keys if ids.get(iid)}
    mentions: dict[tuple[str, str], list[str]] = {}
    for iid, kind, eid in reads.mentions_in_publication_order(con):
        if ids.get(iid):
            mentions.setdefault((kind, eid), []).append(ids[iid])
    meetings = [
        PredictedMeeting(meeting_id=r[0], parties=tuple(r[1]), date=r[2], date_precision=r[3],
                         officials=tuple(r[4]), items=tuple(mentions.get(("meeting", r[0]), ())), status=r[5],
                         format=r[6], location=r[7])
        for r in reads.meetings(con)
    ]
    values: dict[str, list[tuple]] = {}
    for did, action, due, item in reads.deadline_values(con):
        values.setdefault(did, []).append((action, due, item))
    deadlines = [
        PredictedDeadline(
            deadline_id=did, subject=subject, countries=tuple(countries),
            dates=tuple(sorted({v[1] for v in values.get(did, [])})),
            history=tuple((v[1], ids.get(v[2]) or v[2]) for v in values.get(did, []) if v[0] in ("new", "change")),
            items=tuple(mentions.get(("deadline", did), ())),
        )
        for did, subject, countries in reads.deadlines(con)
    ]
    return relevance, meetings, deadlines
