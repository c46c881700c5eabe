"""Storage of events: meetings and their changes, deadlines and every value they were reported with, and the
mentions tying each item to the events it reports (core.meetings, core.meeting_changes, core.deadlines,
core.deadline_values, core.mentions). Writes are bulk, from Arrow tables, inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import NamedTuple

import duckdb
import pyarrow as pa

from records.events import DeadlineEvent, MeetingEvent

_TS = pa.timestamp("us", tz="UTC")


class MeetingChange(NamedTuple):
    meeting_id: str
    changed_at: datetime
    field: str
    old_value: str | None
    new_value: str | None
    item_id: str


class DeadlineValue(NamedTuple):
    """One report of a deadline's value: action new | change | restated | equivalent | conflicting."""

    deadline_id: str
    action: str
    old_date: date | None
    due_date: date
    due_at: datetime | None
    item_id: str
    seen_at: datetime
    text: str
    rate: str | None = None
    basis: str | None = None  # for a change: change_language | official | corroborated


class Mention(NamedTuple):
    item_id: str
    event_kind: str  # meeting | deadline
    event_id: str
    evidence: str
    detail: str  # JSON: what the item said, literally


# --- reads ---------------------------------------------------------------------------------------------


class MeetingsWanted(NamedTuple):
    """Known meetings a batch of mentions may touch: those of `parties` ("KR|US": sorted, joined by "|") whose
    days reach into [since, until] (every one when since is None), those without a date, and those whose id
    begins with `id_prefix`."""

    parties: str
    since: date | None
    until: date | None
    id_prefix: str


def load_meetings(con: duckdb.DuckDBPyConnection, wanted: Sequence[MeetingsWanted] | None = None
                  ) -> list[MeetingEvent]:
    """The known meetings, in the order they were stored; with `wanted`, only the meetings it asks for."""
    sql = ("SELECT meeting_id, parties, meeting_date, date_precision, location, format, status, officials,"
           " first_seen_at, updated_at, end_date, evidence_level, evidence FROM core.meetings m")
    if wanted is None:
        rows = con.execute(sql).fetchall()
    else:
        con.register("wanted_meetings", pa.table({
            "parties": pa.array([w.parties for w in wanted], pa.string()),
            "since": pa.array([w.since for w in wanted], pa.date32()),
            "until": pa.array([w.until for w in wanted], pa.date32()),
            "id_prefix": pa.array([w.id_prefix for w in wanted], pa.string())}))
        try:
            rows = con.execute(
                sql + " WHERE EXISTS (SELECT 1 FROM wanted_meetings w"
                " WHERE w.parties = array_to_string(list_sort(m.parties), '|') AND (w.since IS NULL"
                "  OR m.meeting_date IS NULL OR starts_with(m.meeting_id, w.id_prefix)"
                "  OR (m.meeting_date <= w.until AND greatest(m.meeting_date, m.end_date) >= w.since)))"
                " ORDER BY m.rowid").fetchall()
        finally:
            con.unregister("wanted_meetings")
    return [MeetingEvent(r[0], tuple(r[1]), r[2], r[3], r[4], r[5], r[6], tuple(r[7]), r[8], r[9], end_date=r[10],
                         evidence_level=r[11] or "reported", evidence=json.loads(r[12]) if r[12] else {})
            for r in rows]


def _among(column: str, groups: Collection[Sequence[str]] | None) -> tuple[str, list]:
    """A WHERE clause keeping the rows whose list `column`, as a set, is one of `groups` (None: every row)."""
    if groups is None:
        return "", []
    keys = sorted({"|".join(sorted(g)) for g in groups})
    return f" WHERE array_to_string(list_sort({column}), '|') IN (SELECT unnest(?::VARCHAR[]))", [keys]


def load_deadlines(con: duckdb.DuckDBPyConnection, countries: Collection[Sequence[str]] | None = None
                   ) -> list[DeadlineEvent]:
    """Each deadline with the values it had before and the other spellings of its current value, from its
    history; with `countries`, only the deadlines of exactly one of these sets of governments."""
    where, params = _among("countries", countries)
    rows = con.execute(
        "SELECT deadline_id, subject, subject_label, countries, due_date, due_at, first_seen_at, rate,"
        " evidence_level, evidence FROM core.deadlines" + where, params).fetchall()
    history: dict[str, list[tuple]] = {}
    for did, action, due, seen_at, detail in con.execute(
        "SELECT v.deadline_id, v.action, v.due_date, v.seen_at, m.detail FROM core.deadline_values v"
        " LEFT JOIN core.mentions m ON m.item_id = v.item_id AND m.event_kind = 'deadline'"
        "  AND m.event_id = v.deadline_id WHERE v.deadline_id IN (SELECT unnest(?::VARCHAR[]))"
        " ORDER BY v.seen_at", [[r[0] for r in rows]]
    ).fetchall():
        history.setdefault(did, []).append((action, due, seen_at, detail))
    out = []
    for r in rows:
        values = [h for h in history.get(r[0], []) if h[0] in ("new", "change")]
        previous = tuple(dict.fromkeys(h[1] for h in values[:-1] if h[1] != r[4]))
        equivalents: set = set()
        if values:
            last = values[-1]
            detail = json.loads(last[3]) if last[3] else {}
            equivalents |= {date.fromisoformat(x) for x in detail.get("equivalent_dates", []) if x}
            equivalents |= {h[1] for h in history.get(r[0], []) if h[0] == "equivalent" and h[2] >= last[2]}
        equivalents.discard(r[4])
        out.append(DeadlineEvent(r[0], r[1], r[2], tuple(r[3]), r[4], r[5], r[6],
                                 equivalent_dates=tuple(sorted(equivalents)), previous_dates=previous,
                                 updated_at=values[-1][2] if values else None, rate=r[7],
                                 evidence_level=r[8] or "reported", evidence=json.loads(r[9]) if r[9] else {}))
    return out


# --- writes --------------------------------------------------------------------------------------------


def _write(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table, sql: str) -> list:
    con.register(name, table)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.unregister(name)


def upsert_meetings(con: duckdb.DuckDBPyConnection, events: Sequence[MeetingEvent], *, now: datetime) -> None:
    if not events:
        return
    _write(con, "meeting_rows", pa.table({
        "meeting_id": [e.meeting_id for e in events], "parties": [list(e.parties) for e in events],
        "meeting_date": pa.array([e.meeting_date for e in events], pa.date32()),
        "date_precision": pa.array([e.date_precision for e in events], pa.string()),
        "location": pa.array([e.location for e in events], pa.string()),
        "format": pa.array([e.format for e in events], pa.string()), "status": [e.status for e in events],
        "officials": pa.array([list(e.officials) for e in events], pa.list_(pa.string())),
        "first_seen_at": pa.array([e.first_seen_at for e in events], _TS),
        "updated_at": pa.array([now] * len(events), _TS),
        "end_date": pa.array([e.end_date for e in events], pa.date32()),
        "evidence_level": [e.evidence_level for e in events],
        "evidence": [json.dumps(e.evidence, default=str) for e in events]}),
        "INSERT INTO core.meetings (meeting_id, parties, meeting_date, date_precision, location, format, status,"
        " officials, first_seen_at, updated_at, end_date, evidence_level, evidence, revision)"
        " SELECT meeting_id, parties, meeting_date, date_precision, location, format, status, officials,"
        " first_seen_at, updated_at, end_date, evidence_level, evidence::JSON, 0 FROM meeting_rows"
        " ON CONFLICT (meeting_id) DO UPDATE SET meeting_date = excluded.meeting_date,"
        " date_precision = excluded.date_precision, location = excluded.location, format = excluded.format,"
        " status = excluded.status, officials = excluded.officials, updated_at = excluded.updated_at,"
        " end_date = excluded.end_date, evidence_level = excluded.evidence_level, evidence = excluded.evidence,"
        " change_seq = nextval('core.change_seq'),"
        " revision = core.meetings.revision + CASE WHEN core.meetings.meeting_date IS DISTINCT FROM"
        " excluded.meeting_date OR core.meetings.end_date IS DISTINCT FROM excluded.end_date"
        " OR core.meetings.date_precision IS DISTINCT FROM excluded.date_precision"
        " OR core.meetings.status <> excluded.status THEN 1 ELSE 0 END")


def append_meeting_changes(con: duckdb.DuckDBPyConnection, rows: Sequence[MeetingChange]) -> None:
    if not rows:
        return
    _write(con, "change_rows", pa.table({
        "meeting_id": [r.meeting_id for r in rows], "changed_at": pa.array([r.changed_at for r in rows], _TS),
        "field": [r.field for r in rows], "old_value": pa.array([r.old_value for r in rows], pa.string()),
        "new_value": pa.array([r.new_value for r in rows], pa.string()), "item_id": [r.item_id for r in rows]}),
        "INSERT INTO core.meeting_changes (meeting_id, changed_at, field, old_value, new_value, item_id)"
        " SELECT * FROM change_rows")


def upsert_deadlines(con: duckdb.DuckDBPyConnection, events: Sequence[DeadlineEvent], *, now: datetime) -> None:
    """Insert or update deadlines; updated_at moves only when the due date does."""
    if not events:
        return
    _write(con, "deadline_rows", pa.table({
        "deadline_id": [e.deadline_id for e in events], "subject": [e.subject for e in events],
        "subject_label": [e.subject_label for e in events], "countries": [list(e.countries) for e in events],
        "due_date": pa.array([e.due_date for e in events], pa.date32()),
        "due_at": pa.array([e.due_at for e in events], _TS),
        "first_seen_at": pa.array([e.first_seen_at for e in events], _TS),
        "updated_at": pa.array([now] * len(events), _TS),
        "rate": pa.array([e.rate for e in events], pa.string()),
        "evidence_level": [e.evidence_level for e in events],
        "evidence": [json.dumps(e.evidence, default=str) for e in events]}),
        "INSERT INTO core.deadlines (deadline_id, subject, subject_label, countries, due_date, due_at,"
        " first_seen_at, updated_at, rate, evidence_level, evidence, revision)"
        " SELECT deadline_id, subject, subject_label, countries, due_date, due_at, first_seen_at, updated_at,"
        " rate, evidence_level, evidence::JSON, 0 FROM deadline_rows"
        " ON CONFLICT (deadline_id) DO UPDATE SET due_date = excluded.due_date, due_at = excluded.due_at,"
        " rate = excluded.rate, evidence_level = excluded.evidence_level, evidence = excluded.evidence,"
        " change_seq = nextval('core.change_seq'),"
        " updated_at = CASE WHEN core.deadlines.due_date <> excluded.due_date"
        " THEN excluded.updated_at ELSE core.deadlines.updated_at END,"
        " revision = core.deadlines.revision + CASE WHEN core.deadlines.due_date <> excluded.due_date"
        " THEN 1 ELSE 0 END")


def append_deadline_values(con: duckdb.DuckDBPyConnection, rows: Sequence[DeadlineValue]) -> None:
    if not rows:
        return
    _write(con, "value_rows", pa.table({
        "deadline_id": [r.deadline_id for r in rows], "action": [r.action for r in rows],
        "old_date": pa.array([r.old_date for r in rows], pa.date32()),
        "due_date": pa.array([r.due_date for r in rows], pa.date32()),
        "due_at": pa.array([r.due_at for r in rows], _TS), "item_id": [r.item_id for r in rows],
        "seen_at": pa.array([r.seen_at for r in rows], _TS), "text": [r.text for r in rows],
        "rate": pa.array([r.rate for r in rows], pa.string()), "basis": pa.array([r.basis for r in rows], pa.string())}),
        "INSERT INTO core.deadline_values (deadline_id, action, old_date, due_date, due_at, item_id, seen_at, text,"
        " rate, basis) SELECT * FROM value_rows")


def add_mentions(con: duckdb.DuckDBPyConnection, rows: Sequence[Mention]) -> int:
    """Record mentions not recorded before. Returns how many were new."""
    if not rows:
        return 0
    return len(_write(con, "mention_rows", pa.table({
        "item_id": [r.item_id for r in rows], "event_kind": [r.event_kind for r in rows],
        "event_id": [r.event_id for r in rows], "evidence": [r.evidence for r in rows],
        "detail": [r.detail for r in rows]}),
        "INSERT INTO core.mentions (item_id, event_kind, event_id, evidence, detail)"
        " SELECT item_id, event_kind, event_id, evidence, detail::JSON FROM mention_rows"
        " ON CONFLICT DO NOTHING RETURNING item_id"))


def reset(con: duckdb.DuckDBPyConnection) -> None:
    """Forget derived events (before a reprocess). Items, sources and the outbox are kept: the outbox's keys
    are what stops a reprocess from alerting twice."""
    for table in ("core.meetings", "core.meeting_changes", "core.deadlines", "core.deadline_values",
                  "core.mentions"):
        con.execute(f"DELETE FROM {table}")
