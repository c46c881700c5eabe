"""The reads behind the calendar and the report (from the published snapshot): every dated or undated meeting,
every deadline with the values it was reported with, the meeting changes, and the newest reports of each.
They read the base tables the views are made of (the meetings view's per-row subqueries cost ~5x the read)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import duckdb

from records.calendar import (
    HISTORY_ACTIONS,
    DeadlineEntry,
    DeadlineValueEntry,
    MeetingChangeEntry,
    MeetingEntry,
    Report,
    Timeline,
)

EVIDENCE_PER_EVENT = 8  # the newest reports shown under an event; the rest are counted


def read_timeline(con: duckdb.DuckDBPyConnection, as_of: datetime) -> Timeline:
    """Everything the calendar and the report show, as the warehouse holds it."""
    evidence, reports = _evidence(con)
    return Timeline(as_of=as_of, meetings=_meetings(con, evidence, reports),
                    deadlines=_deadlines(con, evidence, reports), meeting_changes=_meeting_changes(con))


def snapshot_as_of(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The last instant the warehouse knows of (the latest poll, item or event change): the 'now' of the cycle
    that published it. None for an empty warehouse."""
    return con.execute(
        "SELECT greatest((SELECT max(last_attempt_at) FROM core.sources), (SELECT max(first_seen_at) FROM core.items),"
        " (SELECT max(updated_at) FROM core.meetings), (SELECT max(updated_at) FROM core.deadlines))"
    ).fetchone()[0]


def _report(title: str | None, url: str | None, source_id: str | None, published_at: datetime | None) -> Report | None:
    if title is None and url is None:
        return None
    return Report(title=title or "", url=url, source_id=source_id or "", published_at=published_at)


def _evidence(con: duckdb.DuckDBPyConnection) -> tuple[dict[tuple[str, str], tuple[Report, ...]],
                                                      dict[tuple[str, str], int]]:
    """(the newest reports of each event, newest first; the number of reports of each), keyed (kind, id)."""
    evidence: dict[tuple[str, str], tuple[Report, ...]] = {}
    reports: dict[tuple[str, str], int] = {}
    for kind, event_id, count, newest in con.execute(
        "SELECT m.event_kind, m.event_id, count(*),"
        " list((i.title, i.url, i.source_id, i.published_at) ORDER BY i.published_at DESC NULLS LAST, i.item_id)"
        f"[1:{EVIDENCE_PER_EVENT}]"
        " FROM core.mentions m JOIN core.items i USING (item_id) GROUP BY m.event_kind, m.event_id"
    ).fetchall():
        evidence[(kind, event_id)] = tuple(_report(*r) for r in newest)
        reports[(kind, event_id)] = count
    return evidence, reports


def _meetings(con, evidence, reports) -> tuple[MeetingEntry, ...]:
    rows = con.execute(
        "SELECT meeting_id, parties, meeting_date, end_date, date_precision, location, format, status, officials,"
        " evidence_level, revision, first_seen_at, updated_at FROM core.meetings"
        " ORDER BY meeting_date NULLS LAST, first_seen_at, meeting_id"
    ).fetchall()
    return tuple(
        MeetingEntry(meeting_id=r[0], parties=tuple(r[1]), meeting_date=r[2], end_date=r[3], date_precision=r[4],
                     location=r[5], format=r[6], status=r[7], officials=tuple(r[8] or ()),
                     evidence_level=r[9] or "reported", revision=r[10] or 0, first_seen_at=r[11], updated_at=r[12],
                     reports=reports.get(("meeting", r[0]), 0), evidence=evidence.get(("meeting", r[0]), ()))
        for r in rows
    )


def _history(con: duckdb.DuckDBPyConnection) -> dict[str, list[DeadlineValueEntry]]:
    out: dict[str, list[DeadlineValueEntry]] = {}
    for row in con.execute(
        "SELECT v.deadline_id, v.action, v.old_date, v.due_date, v.due_at, v.seen_at, v.rate, v.basis,"
        " i.title, i.url, i.source_id, i.published_at"
        " FROM core.deadline_values v LEFT JOIN core.items i USING (item_id)"
        " WHERE v.action IN (SELECT unnest(?)) ORDER BY v.deadline_id, v.seen_at, v.action <> 'new', v.item_id",
        [list(HISTORY_ACTIONS)],
    ).fetchall():
        out.setdefault(row[0], []).append(DeadlineValueEntry(
            action=row[1], old_date=row[2], due_date=row[3], due_at=row[4], seen_at=row[5], rate=row[6],
            basis=row[7], report=_report(*row[8:12])))
    return out


def _deadlines(con, evidence, reports) -> tuple[DeadlineEntry, ...]:
    history = _history(con)
    rows = con.execute(
        "SELECT deadline_id, subject_label, countries, due_date, due_at, rate, evidence_level, revision,"
        " first_seen_at, updated_at FROM core.deadlines ORDER BY due_date, due_at NULLS LAST, deadline_id"
    ).fetchall()
    return tuple(
        DeadlineEntry(deadline_id=r[0], subject=r[1], countries=tuple(r[2]), due_date=r[3], due_at=r[4], rate=r[5],
                      evidence_level=r[6] or "reported", revision=r[7] or 0, first_seen_at=r[8], updated_at=r[9],
                      reports=reports.get(("deadline", r[0]), 0), history=tuple(history.get(r[0], ())),
                      evidence=evidence.get(("deadline", r[0]), ()))
        for r in rows
    )


def _meeting_changes(con: duckdb.DuckDBPyConnection) -> tuple[MeetingChangeEntry, ...]:
    """Every recorded change of a meeting (core.meeting_changes: no view shows it yet), oldest first."""
    rows: Iterable[tuple] = con.execute(
        "SELECT c.meeting_id, c.changed_at, c.field, c.old_value, c.new_value, i.title, i.url, i.source_id,"
        " i.published_at FROM core.meeting_changes c LEFT JOIN core.items i USING (item_id)"
        " ORDER BY c.changed_at, c.meeting_id, c.field"
    ).fetchall()
    return tuple(MeetingChangeEntry(meeting_id=r[0], changed_at=r[1], field=r[2], old_value=r[3], new_value=r[4],
                                    report=_report(*r[5:9])) for r in rows)
