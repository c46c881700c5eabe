"""Apply extraction findings to the warehouse: events, mentions, history and the alert outbox.

The decisions are pure (tasks/resolve.py); this module loads what we knew, applies the decision and
writes the alert in the same transaction as the event change. An alert's id is its idempotency key
(kind + event + the change), so re-running a cycle, a replay or a reprocess never adds a second one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import duckdb
import pyarrow as pa

from tasks import resolve
from tasks.models import DeadlineMention, Findings, MeetingMention
from warehouse.store import alert_key


@dataclass
class EventCounts:
    new_meetings: int = 0
    meeting_updates: int = 0
    new_deadlines: int = 0
    deadline_changes: int = 0
    alerts_pending: int = 0
    alerts_suppressed: int = 0
    mentions: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: EventCounts) -> None:
        for name in (
            "new_meetings",
            "meeting_updates",
            "new_deadlines",
            "deadline_changes",
            "alerts_pending",
            "alerts_suppressed",
            "mentions",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)


@dataclass(frozen=True)
class AlertPolicy:
    enabled: bool = True  # False for --no-alerts: decisions are recorded as suppressed, nothing is sent later
    max_item_age: timedelta = timedelta(hours=72)


def _iso(d) -> str | None:
    return d.isoformat() if d is not None else None


def meeting_payload(ev: resolve.MeetingEvent) -> dict:
    return {
        "parties": list(ev.parties),
        "meeting_date": _iso(ev.meeting_date),
        "date_precision": ev.date_precision,
        "location": ev.location,
        "format": ev.format,
        "status": ev.status,
        "officials": list(ev.officials),
    }


def deadline_payload(ev: resolve.DeadlineEvent) -> dict:
    return {
        "subject": ev.subject_label,
        "subject_key": ev.subject,
        "countries": list(ev.countries),
        "due_date": _iso(ev.due_date),
        "due_at": _iso(ev.due_at),
    }


def meeting_detail(m: MeetingMention) -> dict:
    """What this item said, literally, next to what it resolved to."""
    return {
        "date": _iso(m.date),
        "date_precision": m.date_precision,
        "date_text": m.date_text,
        "status": m.status,
        "location": m.location,
        "format": m.format,
        "officials": [{"name": o.name, "role": o.role, "country": o.country} for o in m.officials],
    }


def deadline_detail(d: DeadlineMention) -> dict:
    return {
        "subject": d.subject,
        "due_date": _iso(d.due_date),
        "due_at": _iso(d.due_at),
        "equivalent_dates": [_iso(x) for x in d.equivalent_dates],
    }


def _fmt_meeting(ev: resolve.MeetingEvent) -> str:
    when = ev.meeting_date.isoformat() if ev.meeting_date else "date unknown"
    if ev.date_precision and ev.date_precision != "day" and ev.meeting_date:
        when = f"{ev.date_precision} of {when}"
    parts = [f"{'–'.join(ev.parties)} {ev.format or 'meeting'} ({ev.status}), {when}"]
    if ev.location:
        parts.append(f"in {ev.location}")
    if ev.officials:
        parts.append("with " + ", ".join(ev.officials))
    return " ".join(parts)


def _alert_gate(policy: AlertPolicy, published_at: datetime | None, now: datetime) -> str | None:
    if not policy.enabled:
        return "no_alerts"
    if published_at is not None and now - published_at > policy.max_item_age:
        return "old_item"
    return None


def _text(value) -> str | None:
    """A changed field's value as text for core.meeting_changes: NULL stays NULL, lists are comma-joined."""
    if value is None:
        return None
    return ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


class Resolver:
    """Apply a batch of findings: decisions in memory against an index of every known event (loaded once),
    writes in bulk at `flush()` — all inside the caller's transaction, outbox rows included.

    `now` is the run's clock (alert gating, outbox); `seen_at` per item is when it was first seen (event
    first_seen_at, history), which differs from now only when reprocessing."""

    def __init__(self, con: duckdb.DuckDBPyConnection, *, now: datetime, policy: AlertPolicy) -> None:
        self.con, self.now, self.policy = con, now, policy
        self.counts = EventCounts()
        self.meetings: dict[str, resolve.MeetingEvent] = {}
        self.meetings_by_parties: dict[tuple[str, ...], list[str]] = {}
        self.deadlines: dict[str, resolve.DeadlineEvent] = {}
        self.dirty_meetings: set[str] = set()
        self.dirty_deadlines: set[str] = set()
        self.new_ids: set[str] = set()
        self.meeting_changes: list[tuple] = []
        self.deadline_values: list[tuple] = []
        self.mentions: dict[tuple[str, str, str], tuple] = {}
        self.alerts: dict[str, tuple] = {}
        self.relevance: list[tuple] = []
        self._load()

    # --- what we knew ---------------------------------------------------------------------------------

    def _load(self) -> None:
        for r in self.con.execute(
            "SELECT meeting_id, parties, meeting_date, date_precision, location, format, status, officials,"
            " first_seen_at, updated_at FROM core.meetings"
        ).fetchall():
            self._index_meeting(resolve.MeetingEvent(r[0], tuple(r[1]), r[2], r[3], r[4], r[5], r[6], tuple(r[7]),
                                                     r[8], r[9]))
        history: dict[str, list[tuple]] = {}
        for did, action, due, seen_at, detail in self.con.execute(
            "SELECT v.deadline_id, v.action, v.due_date, v.seen_at, m.detail FROM core.deadline_values v"
            " LEFT JOIN core.mentions m ON m.item_id = v.item_id AND m.event_kind = 'deadline'"
            "  AND m.event_id = v.deadline_id ORDER BY v.seen_at"
        ).fetchall():
            history.setdefault(did, []).append((action, due, seen_at, detail))
        for r in self.con.execute(
            "SELECT deadline_id, subject, subject_label, countries, due_date, due_at, first_seen_at"
            " FROM core.deadlines"
        ).fetchall():
            values = [h for h in history.get(r[0], []) if h[0] in ("new", "change")]
            previous = tuple(dict.fromkeys(h[1] for h in values[:-1] if h[1] != r[4]))
            equivalents: set = set()
            if values:
                last = values[-1]
                detail = json.loads(last[3]) if last[3] else {}
                equivalents |= {date.fromisoformat(x) for x in detail.get("equivalent_dates", []) if x}
                equivalents |= {h[1] for h in history.get(r[0], []) if h[0] == "equivalent" and h[2] >= last[2]}
            equivalents.discard(r[4])
            self.deadlines[r[0]] = resolve.DeadlineEvent(
                r[0], r[1], r[2], tuple(r[3]), r[4], r[5], r[6], equivalent_dates=tuple(sorted(equivalents)),
                previous_dates=previous, updated_at=values[-1][2] if values else None)

    def _index_meeting(self, ev: resolve.MeetingEvent) -> None:
        key = tuple(sorted(ev.parties))
        if ev.meeting_id not in self.meetings:
            self.meetings_by_parties.setdefault(key, []).append(ev.meeting_id)
        self.meetings[ev.meeting_id] = ev

    def _known_meetings(self, parties) -> list[resolve.MeetingEvent]:
        return [self.meetings[i] for i in self.meetings_by_parties.get(tuple(sorted(parties)), [])]

    def _known_deadlines(self, countries) -> list[resolve.DeadlineEvent]:
        wanted = set(countries)
        return [d for d in self.deadlines.values() if wanted & set(d.countries)]

    # --- decisions ------------------------------------------------------------------------------------

    def _alert(self, gate: str | None, *, kind: str, event_kind: str, event_id: str, key_parts, text: str,
               payload: dict) -> None:
        alert_id = alert_key(kind, event_kind, event_id, *key_parts)
        if alert_id not in self.alerts:
            self.alerts[alert_id] = (alert_id, kind, event_kind, event_id, self.now,
                                     "suppressed" if gate else "pending", gate, text,
                                     json.dumps(payload, default=str))

    def _mention(self, item_id: str, kind: str, event_id: str, evidence: str, detail: dict) -> None:
        self.mentions.setdefault((item_id, kind, event_id),
                                 (item_id, kind, event_id, evidence[:2000], json.dumps(detail, default=str)))

    def apply(self, findings: Findings, *, published_at: datetime | None, seen_at: datetime | None = None) -> None:
        """Record what one item told us."""
        self.relevance.append((findings.item_id, findings.relevant, findings.relevance_reason))
        if not findings.relevant:
            return
        gate = _alert_gate(self.policy, published_at, self.now)
        for m in findings.meetings:
            self._apply_meeting(m, findings.item_id, gate, seen_at or self.now)
        for d in findings.deadlines:
            self._apply_deadline(d, findings.item_id, gate, seen_at or self.now)

    def _apply_meeting(self, mention: MeetingMention, item_id: str, gate: str | None, seen_at: datetime) -> None:
        decision = resolve.resolve_meeting(mention, seen_at, self._known_meetings(mention.parties))
        ev = decision.event
        if decision.action == "new":
            self.counts.new_meetings += 1
            self.new_ids.add(ev.meeting_id)
            self._alert(gate, kind="new_meeting", event_kind="meeting", event_id=ev.meeting_id, key_parts=(),
                        text=f"New meeting: {_fmt_meeting(ev)}",
                        payload={"kind": "new_meeting", "event_kind": "meeting", "event_id": ev.meeting_id,
                                 "item_id": item_id, "event": meeting_payload(ev), "change": {}})
        elif decision.action == "update":
            before = meeting_payload(self.meetings[ev.meeting_id])
            after = meeting_payload(ev)
            changed = {k: {"old": before[k], "new": after[k]} for k in after if before[k] != after[k]}
            for k, v in changed.items():
                self.meeting_changes.append((ev.meeting_id, self.now, k, _text(v["old"]), _text(v["new"]), item_id))
            alertable = {k: v for k, v in changed.items() if k in ("status", "meeting_date")}
            if alertable:
                self.counts.meeting_updates += 1
                key = tuple(f"{k}={alertable[k]['new']}" for k in sorted(alertable))
                what = ", ".join(f"{k} {v['old']} → {v['new']}" for k, v in alertable.items())
                self._alert(gate, kind="meeting_update", event_kind="meeting", event_id=ev.meeting_id,
                            key_parts=key, text=f"Meeting update ({what}): {_fmt_meeting(ev)}",
                            payload={"kind": "meeting_update", "event_kind": "meeting",
                                     "event_id": ev.meeting_id, "item_id": item_id,
                                     "event": meeting_payload(ev), "change": alertable})
        if decision.action in ("new", "update"):
            self._index_meeting(ev)
            self.dirty_meetings.add(ev.meeting_id)
        self._mention(item_id, "meeting", ev.meeting_id, mention.evidence, meeting_detail(mention))

    def _apply_deadline(self, mention: DeadlineMention, item_id: str, gate: str | None,
                        seen_at: datetime) -> None:
        decision = resolve.resolve_deadline(mention, seen_at, self._known_deadlines(mention.countries))
        ev = decision.event
        self.deadline_values.append((ev.deadline_id, decision.action, decision.old_date, mention.due_date,
                                     mention.due_at, item_id, seen_at, mention.text[:2000]))
        if decision.action == "new":
            self.counts.new_deadlines += 1
            self._alert(gate, kind="new_deadline", event_kind="deadline", event_id=ev.deadline_id, key_parts=(),
                        text=f"New deadline: {ev.subject_label} ({', '.join(ev.countries)}) on {ev.due_date}",
                        payload={"kind": "new_deadline", "event_kind": "deadline", "event_id": ev.deadline_id,
                                 "item_id": item_id, "event": deadline_payload(ev), "change": {}})
        elif decision.action == "change":
            self.counts.deadline_changes += 1
            self._alert(gate, kind="deadline_change", event_kind="deadline", event_id=ev.deadline_id,
                        key_parts=(decision.old_date, ev.due_date),
                        text=(f"Deadline moved: {ev.subject_label} ({', '.join(ev.countries)}) "
                              f"{decision.old_date} → {ev.due_date}"),
                        payload={"kind": "deadline_change", "event_kind": "deadline", "event_id": ev.deadline_id,
                                 "item_id": item_id, "event": deadline_payload(ev),
                                 "change": {"old_date": _iso(decision.old_date), "new_date": _iso(ev.due_date)}})
        self.deadlines[ev.deadline_id] = ev
        self.dirty_deadlines.add(ev.deadline_id)
        self._mention(item_id, "deadline", ev.deadline_id, mention.text, deadline_detail(mention))

    # --- writes ---------------------------------------------------------------------------------------

    def _write(self, name: str, table: pa.Table, sql: str) -> list:
        self.con.register(name, table)
        try:
            return self.con.execute(sql).fetchall()
        finally:
            self.con.unregister(name)

    def flush(self) -> EventCounts:
        """Write everything decided since the last flush, in bulk. Returns the counts."""
        ts = pa.timestamp("us", tz="UTC")
        if self.relevance:
            self._write("relevance_rows", pa.table({
                "item_id": [r[0] for r in self.relevance], "relevant": [r[1] for r in self.relevance],
                "reason": [r[2] for r in self.relevance]}),
                f"UPDATE core.items AS t SET relevant = n.relevant, relevance_reason = n.reason, "
                f"extracted_at = '{self.now.isoformat()}'::TIMESTAMPTZ FROM relevance_rows AS n "
                "WHERE t.item_id = n.item_id")
        if self.dirty_meetings:
            evs = [self.meetings[i] for i in sorted(self.dirty_meetings)]
            self._write("meeting_rows", pa.table({
                "meeting_id": [e.meeting_id for e in evs], "parties": [list(e.parties) for e in evs],
                "meeting_date": pa.array([e.meeting_date for e in evs], pa.date32()),
                "date_precision": pa.array([e.date_precision for e in evs], pa.string()),
                "location": pa.array([e.location for e in evs], pa.string()),
                "format": pa.array([e.format for e in evs], pa.string()), "status": [e.status for e in evs],
                "officials": pa.array([list(e.officials) for e in evs], pa.list_(pa.string())),
                "first_seen_at": pa.array([e.first_seen_at for e in evs], ts)}),
                "INSERT INTO core.meetings SELECT meeting_id, parties, meeting_date, date_precision, location,"
                f" format, status, officials, first_seen_at, '{self.now.isoformat()}'::TIMESTAMPTZ FROM meeting_rows"
                " ON CONFLICT (meeting_id) DO UPDATE SET meeting_date = excluded.meeting_date,"
                " date_precision = excluded.date_precision, location = excluded.location, format = excluded.format,"
                " status = excluded.status, officials = excluded.officials, updated_at = excluded.updated_at")
        if self.meeting_changes:
            rows = self.meeting_changes
            self._write("change_rows", pa.table({
                "meeting_id": [r[0] for r in rows], "changed_at": pa.array([r[1] for r in rows], ts),
                "field": [r[2] for r in rows], "old_value": [r[3] for r in rows], "new_value": [r[4] for r in rows],
                "item_id": [r[5] for r in rows]}), "INSERT INTO core.meeting_changes SELECT * FROM change_rows")
        if self.dirty_deadlines:
            evs = [self.deadlines[i] for i in sorted(self.dirty_deadlines)]
            self._write("deadline_rows", pa.table({
                "deadline_id": [e.deadline_id for e in evs], "subject": [e.subject for e in evs],
                "subject_label": [e.subject_label for e in evs], "countries": [list(e.countries) for e in evs],
                "due_date": pa.array([e.due_date for e in evs], pa.date32()),
                "due_at": pa.array([e.due_at for e in evs], ts),
                "first_seen_at": pa.array([e.first_seen_at for e in evs], ts)}),
                "INSERT INTO core.deadlines SELECT deadline_id, subject, subject_label, countries, due_date, due_at,"
                f" first_seen_at, '{self.now.isoformat()}'::TIMESTAMPTZ FROM deadline_rows"
                " ON CONFLICT (deadline_id) DO UPDATE SET due_date = excluded.due_date, due_at = excluded.due_at,"
                " updated_at = CASE WHEN core.deadlines.due_date <> excluded.due_date"
                " THEN excluded.updated_at ELSE core.deadlines.updated_at END")
        if self.deadline_values:
            rows = self.deadline_values
            self._write("value_rows", pa.table({
                "deadline_id": [r[0] for r in rows], "action": [r[1] for r in rows],
                "old_date": pa.array([r[2] for r in rows], pa.date32()),
                "due_date": pa.array([r[3] for r in rows], pa.date32()),
                "due_at": pa.array([r[4] for r in rows], ts), "item_id": [r[5] for r in rows],
                "seen_at": pa.array([r[6] for r in rows], ts), "text": [r[7] for r in rows]}),
                "INSERT INTO core.deadline_values SELECT * FROM value_rows")
        if self.mentions:
            rows = list(self.mentions.values())
            self.counts.mentions += len(self._write("mention_rows", pa.table({
                "item_id": [r[0] for r in rows], "event_kind": [r[1] for r in rows],
                "event_id": [r[2] for r in rows], "evidence": [r[3] for r in rows],
                "detail": [r[4] for r in rows]}),
                "INSERT INTO core.mentions SELECT item_id, event_kind, event_id, evidence, detail::JSON"
                " FROM mention_rows ON CONFLICT DO NOTHING RETURNING item_id"))
        if self.alerts:
            rows = list(self.alerts.values())
            inserted = self._write("alert_rows", pa.table({
                "alert_id": [r[0] for r in rows], "kind": [r[1] for r in rows], "event_kind": [r[2] for r in rows],
                "event_id": [r[3] for r in rows], "created_at": pa.array([r[4] for r in rows], ts),
                "state": [r[5] for r in rows], "suppressed_reason": pa.array([r[6] for r in rows], pa.string()),
                "text": [r[7] for r in rows], "payload": [r[8] for r in rows]}),
                "INSERT INTO core.alert_outbox (alert_id, kind, event_kind, event_id, created_at, state,"
                " suppressed_reason, text, payload) SELECT alert_id, kind, event_kind, event_id, created_at, state,"
                " suppressed_reason, text, payload::JSON FROM alert_rows ON CONFLICT (alert_id) DO NOTHING"
                " RETURNING state")
            self.counts.alerts_pending += sum(1 for (state,) in inserted if state == "pending")
            self.counts.alerts_suppressed += sum(1 for (state,) in inserted if state == "suppressed")
        counts = self.counts
        self.counts = EventCounts()
        self.relevance, self.meeting_changes, self.deadline_values = [], [], []
        self.mentions, self.alerts = {}, {}
        self.dirty_meetings, self.dirty_deadlines = set(), set()
        return counts


def reset_events(con: duckdb.DuckDBPyConnection) -> None:
    """Forget derived events (before a reprocess). Items, sources and the outbox are kept: the outbox's keys
    are what stops a reprocess from alerting twice."""
    for table in ("core.meetings", "core.meeting_changes", "core.deadlines", "core.deadline_values",
                  "core.mentions"):
        con.execute(f"DELETE FROM {table}")
