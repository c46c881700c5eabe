"""The reads behind the calendar and the report: every dated or undated meeting, every deadline with the values
it was reported with, the meeting changes, and the newest reports of each — all of them (read_timeline: the
commands, from the published snapshot), or only the events changed since a change number (read_changes: each
cycle, which keeps what it published, tasks/publish/pieces.py). They read the base tables the views are made of
(the meetings view's per-row subqueries cost ~5x the read)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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
    return _read(con, as_of, None)


@dataclass(frozen=True)
class TimelineChanges:
    """The events that changed after change number `since` (migration 010), each read whole, and the ids of
    every event there is now (what is not among them was deleted)."""

    warehouse_id: str  # which warehouse this is (a kept state from another one is not brought up to date)
    since: int | None  # None: every event is in `changed`
    upto: int  # the last change number given out when read: the next read starts after it
    changed: Timeline  # with every recorded change of the changed meetings
    meeting_ids: frozenset[str]
    deadline_ids: frozenset[str]

    @property
    def as_of(self) -> datetime:
        return self.changed.as_of


# the events whose row, mentions or values changed after $since, or that an item changed after $since reports
_CHANGED = """
WITH items_changed AS (SELECT item_id FROM core.items WHERE change_seq > $since)
SELECT 'meeting', meeting_id FROM core.meetings WHERE change_seq > $since
UNION SELECT 'deadline', deadline_id FROM core.deadlines WHERE change_seq > $since
UNION SELECT event_kind, event_id FROM core.mentions
      WHERE change_seq > $since OR item_id IN (SELECT item_id FROM items_changed)
UNION SELECT 'deadline', deadline_id FROM core.deadline_values
      WHERE change_seq > $since OR item_id IN (SELECT item_id FROM items_changed)
UNION SELECT 'meeting', meeting_id FROM core.meeting_changes
      WHERE change_seq > $since OR item_id IN (SELECT item_id FROM items_changed)
"""


def read_changes(con: duckdb.DuckDBPyConnection, as_of: datetime, kept: tuple[str, int] | None) -> TimelineChanges:
    """The events changed since `kept` (the warehouse id and change number a reader is up to date with; all of
    them when it is None, of another warehouse or ahead of this one), as read_timeline reads them. Reads what
    changed, not what is stored (the change numbers' zone maps skip the rest), but for the ids of every event and
    the items' ids (for the reports of the changed events)."""
    warehouse_id = con.execute("SELECT any_value(warehouse_id) FROM core.warehouse_identity").fetchone()[0]
    upto = con.execute("SELECT last_value FROM duckdb_sequences() WHERE database_name = current_database()"
                       " AND schema_name = 'core' AND sequence_name = 'change_seq'").fetchone()[0] or 0
    since = kept[1] if kept is not None and kept[0] == warehouse_id and kept[1] <= upto else None
    only = None
    if since is not None:
        only = {"meeting": [], "deadline": []}
        for kind, event_id in con.execute(_CHANGED, {"since": since}).fetchall():
            only[kind].append(event_id)
    return TimelineChanges(
        warehouse_id=warehouse_id, since=since, upto=upto, changed=_read(con, as_of, only),
        meeting_ids=frozenset(r[0] for r in con.execute("SELECT meeting_id FROM core.meetings").fetchall()),
        deadline_ids=frozenset(r[0] for r in con.execute("SELECT deadline_id FROM core.deadlines").fetchall()))


def _read(con: duckdb.DuckDBPyConnection, as_of: datetime, only: dict[str, list[str]] | None) -> Timeline:
    """The events (only: of these ids per kind; None: all)."""
    if only is not None and not (only["meeting"] or only["deadline"]):
        return Timeline(as_of=as_of)
    evidence, reports = _evidence(con, only)
    return Timeline(as_of=as_of, meetings=_meetings(con, evidence, reports, only),
                    deadlines=_deadlines(con, evidence, reports, only), meeting_changes=_meeting_changes(con, only))


def _where(column: str, kind: str, only: dict[str, list[str]] | None, *, also: str = "") -> tuple[str, dict]:
    """A WHERE clause keeping the rows of the events in `only` (none when it is None), and its parameters."""
    if only is None:
        return (f" WHERE {also}" if also else ""), {}
    return f" WHERE {also + ' AND ' if also else ''}{column} IN (SELECT unnest(${kind}))", {kind: only[kind]}


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


def _evidence(con: duckdb.DuckDBPyConnection, only: dict[str, list[str]] | None
              ) -> tuple[dict[tuple[str, str], tuple[Report, ...]], dict[tuple[str, str], int]]:
    """(the newest reports of each event, newest first; the number of reports of each), keyed (kind, id)."""
    evidence: dict[tuple[str, str], tuple[Report, ...]] = {}
    reports: dict[tuple[str, str], int] = {}
    where, params = "", {}
    if only is not None:
        where = (" WHERE (m.event_kind = 'meeting' AND m.event_id IN (SELECT unnest($meeting)))"
                 " OR (m.event_kind = 'deadline' AND m.event_id IN (SELECT unnest($deadline)))")
        params = only
    for kind, event_id, count, newest in con.execute(
        "SELECT m.event_kind, m.event_id, count(*),"
        " list((i.title, i.url, i.source_id, i.published_at) ORDER BY i.published_at DESC NULLS LAST, i.item_id)"
        f"[1:{EVIDENCE_PER_EVENT}]"
        f" FROM core.mentions m JOIN core.items i USING (item_id){where} GROUP BY m.event_kind, m.event_id", params
    ).fetchall():
        evidence[(kind, event_id)] = tuple(_report(*r) for r in newest)
        reports[(kind, event_id)] = count
    return evidence, reports


def _meetings(con, evidence, reports, only) -> tuple[MeetingEntry, ...]:
    where, params = _where("meeting_id", "meeting", only)
    rows = con.execute(
        "SELECT meeting_id, parties, meeting_date, end_date, date_precision, location, format, status, officials,"
        f" evidence_level, revision, first_seen_at, updated_at FROM core.meetings{where}"
        " ORDER BY meeting_date NULLS LAST, first_seen_at, meeting_id", params
    ).fetchall()
    return tuple(
        MeetingEntry(meeting_id=r[0], parties=tuple(r[1]), meeting_date=r[2], end_date=r[3], date_precision=r[4],
                     location=r[5], format=r[6], status=r[7], officials=tuple(r[8] or ()),
                     evidence_level=r[9] or "reported", revision=r[10] or 0, first_seen_at=r[11], updated_at=r[12],
                     reports=reports.get(("meeting", r[0]), 0), evidence=evidence.get(("meeting", r[0]), ()))
        for r in rows
    )


def _history(con: duckdb.DuckDBPyConnection, only) -> dict[str, list[DeadlineValueEntry]]:
    out: dict[str, list[DeadlineValueEntry]] = {}
    where, params = _where("v.deadline_id", "deadline", only, also="v.action IN (SELECT unnest($actions))")
    for row in con.execute(
        "SELECT v.deadline_id, v.action, v.old_date, v.due_date, v.due_at, v.seen_at, v.rate, v.basis,"
        " i.title, i.url, i.source_id, i.published_at"
        f" FROM core.deadline_values v LEFT JOIN core.items i USING (item_id){where}"
        " ORDER BY v.deadline_id, v.seen_at, v.action <> 'new', v.item_id",
        {"actions": list(HISTORY_ACTIONS), **params},
    ).fetchall():
        out.setdefault(row[0], []).append(DeadlineValueEntry(
            action=row[1], old_date=row[2], due_date=row[3], due_at=row[4], seen_at=row[5], rate=row[6],
            basis=row[7], report=_report(*row[8:12])))
    return out


def _deadlines(con, evidence, reports, only) -> tuple[DeadlineEntry, ...]:
    history = _history(con, only)
    where, params = _where("deadline_id", "deadline", only)
    rows = con.execute(
        "SELECT deadline_id, subject_label, countries, due_date, due_at, rate, evidence_level, revision,"
        f" first_seen_at, updated_at FROM core.deadlines{where} ORDER BY due_date, due_at NULLS LAST, deadline_id",
        params,
    ).fetchall()
    return tuple(
        DeadlineEntry(deadline_id=r[0], subject=r[1], countries=tuple(r[2]), due_date=r[3], due_at=r[4], rate=r[5],
                      evidence_level=r[6] or "reported", revision=r[7] or 0, first_seen_at=r[8], updated_at=r[9],
                      reports=reports.get(("deadline", r[0]), 0), history=tuple(history.get(r[0], ())),
                      evidence=evidence.get(("deadline", r[0]), ()))
        for r in rows
    )


def _meeting_changes(con: duckdb.DuckDBPyConnection, only) -> tuple[MeetingChangeEntry, ...]:
    """Every recorded change of a meeting (core.meeting_changes: no view shows it yet), oldest first."""
    where, params = _where("c.meeting_id", "meeting", only)
    rows: Iterable[tuple] = con.execute(
        "SELECT c.meeting_id, c.changed_at, c.field, c.old_value, c.new_value, i.title, i.url, i.source_id,"
        f" i.published_at FROM core.meeting_changes c LEFT JOIN core.items i USING (item_id){where}"
        " ORDER BY c.changed_at, c.meeting_id, c.field", params
    ).fetchall()
    return tuple(MeetingChangeEntry(meeting_id=r[0], changed_at=r[1], field=r[2], old_value=r[3], new_value=r[4],
                                    report=_report(*r[5:9])) for r in rows)
