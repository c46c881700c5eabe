"""The reads behind the daily digest (from the published snapshot)."""

from __future__ import annotations

from datetime import date, datetime

import duckdb


def deadlines_due(con: duckdb.DuckDBPyConnection, first: date, last: date) -> list[tuple]:
    """(subject, countries, due_date, due_at) of deadlines due between the two days, soonest first."""
    return con.execute(
        "SELECT subject_label, countries, due_date, due_at FROM core.deadlines "
        "WHERE due_date BETWEEN ? AND ? ORDER BY due_date, due_at NULLS LAST, subject_label",
        [first, last],
    ).fetchall()


def meetings_between(con: duckdb.DuckDBPyConnection, start: date, end: date) -> list[tuple]:
    """(parties, date, precision, location, format, status) of meetings from `start` to before `end` (a
    month-precision meeting when its month overlaps), cancelled ones left out."""
    return con.execute(
        """
        SELECT parties, meeting_date, date_precision, location, format, status
        FROM core.meetings
        WHERE meeting_date IS NOT NULL AND status <> 'cancelled' AND (
              (meeting_date >= ? AND meeting_date < ?)
           OR (date_precision = 'month' AND meeting_date < ? AND meeting_date + INTERVAL 1 MONTH > ?))
        ORDER BY meeting_date, meeting_id
        """,
        [start, end, end, start],
    ).fetchall()


def new_meetings(con: duckdb.DuckDBPyConnection, since: datetime, until: datetime) -> list[tuple]:
    return con.execute(
        "SELECT parties, meeting_date, date_precision, location, first_seen_at FROM core.meetings "
        "WHERE first_seen_at > ? AND first_seen_at <= ?", [since, until]).fetchall()


def meeting_changes(con: duckdb.DuckDBPyConnection, since: datetime, until: datetime) -> list[tuple]:
    return con.execute(
        "SELECT m.parties, c.changed_at, c.field, c.old_value, c.new_value FROM core.meeting_changes c "
        "JOIN core.meetings m USING (meeting_id) WHERE c.changed_at > ? AND c.changed_at <= ?",
        [since, until]).fetchall()


def new_deadlines(con: duckdb.DuckDBPyConnection, since: datetime, until: datetime) -> list[tuple]:
    return con.execute(
        "SELECT subject_label, due_date, first_seen_at FROM core.deadlines WHERE first_seen_at > ? AND "
        "first_seen_at <= ?", [since, until]).fetchall()


def deadline_moves(con: duckdb.DuckDBPyConnection, since: datetime, until: datetime) -> list[tuple]:
    return con.execute(
        "SELECT d.subject_label, v.old_date, v.due_date, v.seen_at FROM core.deadline_values v "
        "JOIN core.deadlines d USING (deadline_id) "
        "WHERE v.action = 'change' AND v.seen_at > ? AND v.seen_at <= ? AND v.old_date IS DISTINCT FROM v.due_date",
        [since, until]).fetchall()
