"""Apply extraction findings to the warehouse: events, mentions, history and the alert outbox.

The decisions are pure (tasks/resolve.py); this module loads what we knew, applies the decision and
writes the alert in the same transaction as the event change. An alert's id is its idempotency key
(kind + event + the change), so re-running a cycle, a replay or a reprocess never adds a second one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb

from tasks import resolve
from tasks.models import DeadlineMention, Findings, MeetingMention
from warehouse.store import enqueue_alert


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


def _load_meetings(con: duckdb.DuckDBPyConnection, parties: Sequence[str]) -> list[resolve.MeetingEvent]:
    rows = con.execute(
        "SELECT meeting_id, parties, meeting_date, date_precision, location, format, status, officials, first_seen_at"
        " FROM core.meetings WHERE list_sort(parties) = list_sort(?::VARCHAR[])",
        [list(parties)],
    ).fetchall()
    return [
        resolve.MeetingEvent(r[0], tuple(r[1]), r[2], r[3], r[4], r[5], r[6], tuple(r[7]), r[8]) for r in rows
    ]


def _load_deadlines(con: duckdb.DuckDBPyConnection, countries: Sequence[str]) -> list[resolve.DeadlineEvent]:
    rows = con.execute(
        "SELECT deadline_id, subject, subject_label, countries, due_date, due_at, first_seen_at FROM core.deadlines"
        " WHERE len(list_intersect(countries, ?::VARCHAR[])) > 0",
        [list(countries)],
    ).fetchall()
    return [resolve.DeadlineEvent(r[0], r[1], r[2], tuple(r[3]), r[4], r[5], r[6]) for r in rows]


def _mention(con, item_id: str, kind: str, event_id: str, evidence: str, detail: dict) -> bool:
    return bool(
        con.execute(
            "INSERT INTO core.mentions (item_id, event_kind, event_id, evidence, detail) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING RETURNING item_id",
            [item_id, kind, event_id, evidence[:2000], json.dumps(detail, default=str)],
        ).fetchall()
    )


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


def _record(counts: EventCounts, gate: str | None, con, **alert) -> None:
    """Write one alert decision to the outbox and count it (nothing when it was recorded before)."""
    if enqueue_alert(con, **alert, suppressed_reason=gate):
        counts.alerts_pending += gate is None
        counts.alerts_suppressed += gate is not None


def _alert_gate(policy: AlertPolicy, published_at: datetime | None, now: datetime) -> str | None:
    if not policy.enabled:
        return "no_alerts"
    if published_at is not None and now - published_at > policy.max_item_age:
        return "old_item"
    return None


def apply_meeting(
    con,
    mention: MeetingMention,
    *,
    item_id: str,
    published_at: datetime | None,
    now: datetime,
    policy: AlertPolicy,
    seen_at: datetime | None = None,
) -> EventCounts:
    counts = EventCounts()
    decision = resolve.resolve_meeting(mention, seen_at or now, _load_meetings(con, mention.parties))
    ev = decision.event
    gate = _alert_gate(policy, published_at, now)
    if decision.action == "new":
        con.execute(
            "INSERT INTO core.meetings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [
                ev.meeting_id,
                list(ev.parties),
                ev.meeting_date,
                ev.date_precision,
                ev.location,
                ev.format,
                ev.status,
                list(ev.officials),
                ev.first_seen_at,
                now,
            ],
        )
        counts.new_meetings += 1
        _record(
            counts,
            gate,
            con,
            kind="new_meeting",
            event_kind="meeting",
            event_id=ev.meeting_id,
            key_parts=(),
            text=f"New meeting: {_fmt_meeting(ev)}",
            payload={
                "kind": "new_meeting",
                "event_kind": "meeting",
                "event_id": ev.meeting_id,
                "item_id": item_id,
                "event": meeting_payload(ev),
                "change": {},
            },
            now=now,
        )
    elif decision.action == "update":
        old = con.execute(
            "SELECT meeting_date, date_precision, location, format, status, officials FROM core.meetings"
            " WHERE meeting_id = ?",
            [ev.meeting_id],
        ).fetchone()
        before = dict(
            zip(
                ("meeting_date", "date_precision", "location", "format", "status", "officials"),
                old,
                strict=True,
            )
        )
        after = {
            "meeting_date": ev.meeting_date,
            "date_precision": ev.date_precision,
            "location": ev.location,
            "format": ev.format,
            "status": ev.status,
            "officials": list(ev.officials),
        }
        con.execute(
            "UPDATE core.meetings SET meeting_date = ?, date_precision = ?, location = ?, format = ?, status = ?,"
            " officials = ?, updated_at = ? WHERE meeting_id = ?",
            [
                ev.meeting_date,
                ev.date_precision,
                ev.location,
                ev.format,
                ev.status,
                list(ev.officials),
                now,
                ev.meeting_id,
            ],
        )
        changed = {
            k: {
                "old": _iso(before[k]) if k == "meeting_date" else before[k],
                "new": _iso(after[k]) if k == "meeting_date" else after[k],
            }
            for k in after
            if before[k] != after[k]
        }
        for k, v in changed.items():
            con.execute(
                "INSERT INTO core.meeting_changes VALUES (?, ?, ?, ?, ?, ?)",
                [ev.meeting_id, now, k, str(v["old"]), str(v["new"]), item_id],
            )
        alertable = {k: v for k, v in changed.items() if k in ("status", "meeting_date")}
        if alertable:
            counts.meeting_updates += 1
            key = tuple(f"{k}={alertable[k]['new']}" for k in sorted(alertable))
            what = ", ".join(f"{k} {v['old']} → {v['new']}" for k, v in alertable.items())
            _record(
                counts,
                gate,
                con,
                kind="meeting_update",
                event_kind="meeting",
                event_id=ev.meeting_id,
                key_parts=key,
                text=f"Meeting update ({what}): {_fmt_meeting(ev)}",
                payload={
                    "kind": "meeting_update",
                    "event_kind": "meeting",
                    "event_id": ev.meeting_id,
                    "item_id": item_id,
                    "event": meeting_payload(ev),
                    "change": alertable,
                },
                now=now,
            )
    counts.mentions += _mention(
        con, item_id, "meeting", ev.meeting_id, mention.evidence, meeting_detail(mention)
    )
    return counts


def apply_deadline(
    con,
    mention: DeadlineMention,
    *,
    item_id: str,
    published_at: datetime | None,
    now: datetime,
    policy: AlertPolicy,
    seen_at: datetime | None = None,
) -> EventCounts:
    counts = EventCounts()
    seen_at = seen_at or now
    decision = resolve.resolve_deadline(mention, seen_at, _load_deadlines(con, mention.countries))
    ev = decision.event
    gate = _alert_gate(policy, published_at, now)
    con.execute(
        "INSERT INTO core.deadline_values VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ev.deadline_id,
            decision.action,
            decision.old_date,
            mention.due_date,
            mention.due_at,
            item_id,
            seen_at,
            mention.text[:2000],
        ],
    )
    if decision.action == "new":
        con.execute(
            "INSERT INTO core.deadlines VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [
                ev.deadline_id,
                ev.subject,
                ev.subject_label,
                list(ev.countries),
                ev.due_date,
                ev.due_at,
                ev.first_seen_at,
                now,
            ],
        )
        counts.new_deadlines += 1
        _record(
            counts,
            gate,
            con,
            kind="new_deadline",
            event_kind="deadline",
            event_id=ev.deadline_id,
            key_parts=(),
            text=f"New deadline: {ev.subject_label} ({', '.join(ev.countries)}) on {ev.due_date}",
            payload={
                "kind": "new_deadline",
                "event_kind": "deadline",
                "event_id": ev.deadline_id,
                "item_id": item_id,
                "event": deadline_payload(ev),
                "change": {},
            },
            now=now,
        )
    elif decision.action == "change":
        con.execute(
            "UPDATE core.deadlines SET due_date = ?, due_at = ?, updated_at = ? WHERE deadline_id = ?",
            [ev.due_date, ev.due_at, now, ev.deadline_id],
        )
        counts.deadline_changes += 1
        _record(
            counts,
            gate,
            con,
            kind="deadline_change",
            event_kind="deadline",
            event_id=ev.deadline_id,
            key_parts=(decision.old_date, ev.due_date),
            text=(
                f"Deadline moved: {ev.subject_label} ({', '.join(ev.countries)}) "
                f"{decision.old_date} → {ev.due_date}"
            ),
            payload={
                "kind": "deadline_change",
                "event_kind": "deadline",
                "event_id": ev.deadline_id,
                "item_id": item_id,
                "event": deadline_payload(ev),
                "change": {"old_date": _iso(decision.old_date), "new_date": _iso(ev.due_date)},
            },
            now=now,
        )
    counts.mentions += _mention(
        con, item_id, "deadline", ev.deadline_id, mention.text, deadline_detail(mention)
    )
    return counts


def apply_findings(
    con,
    findings: Findings,
    *,
    published_at: datetime | None,
    now: datetime,
    policy: AlertPolicy,
    seen_at: datetime | None = None,
) -> EventCounts:
    """Record what one item told us. Runs inside the caller's transaction.

    `now` is the run's clock (alert gating, outbox); `seen_at` is when the item was first seen (event
    first_seen_at, history), which differs from now only when reprocessing."""
    con.execute(
        "UPDATE core.items SET relevant = ?, relevance_reason = ?, extracted_at = ? WHERE item_id = ?",
        [findings.relevant, findings.relevance_reason, now, findings.item_id],
    )
    counts = EventCounts()
    if not findings.relevant:
        return counts
    for m in findings.meetings:
        counts.add(
            apply_meeting(
                con,
                m,
                item_id=findings.item_id,
                published_at=published_at,
                now=now,
                policy=policy,
                seen_at=seen_at,
            )
        )
    for d in findings.deadlines:
        counts.add(
            apply_deadline(
                con,
                d,
                item_id=findings.item_id,
                published_at=published_at,
                now=now,
                policy=policy,
                seen_at=seen_at,
            )
        )
    return counts


def reset_events(con: duckdb.DuckDBPyConnection) -> None:
    """Forget derived events (before a reprocess). Items, sources and the outbox are kept: the outbox's keys
    are what stops a reprocess from alerting twice."""
    for table in (
        "core.meetings",
        "core.meeting_changes",
        "core.deadlines",
        "core.deadline_values",
        "core.mentions",
    ):
        con.execute(f"DELETE FROM {table}")
