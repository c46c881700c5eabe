"""The daily digest's SQL: what it reads (from the published snapshot, as the warehouse stood at an instant:
only what was first seen by then, each event with the values it had then) and its outbox (core.digests, on the
live file: one digest per day and channel)."""

from __future__ import annotations

from datetime import date, datetime

import duckdb


def deadlines_due(con: duckdb.DuckDBPyConnection, first: date, last: date, as_of: datetime) -> list[tuple]:
    """(subject, countries, due_date, due_at) of deadlines known at `as_of` and due, as they were then,
    between the two days, soonest first. A deadline changed after `as_of` has its value of then: the last
    new or changed value reported by then (deadline_values)."""
    return con.execute(
        """
        WITH value_then AS (
            SELECT deadline_id, due_date, due_at FROM core.deadline_values
            WHERE action IN ('new', 'change') AND seen_at <= $as_of
            QUALIFY row_number() OVER (PARTITION BY deadline_id
                                       ORDER BY seen_at DESC, action = 'change' DESC, due_date DESC) = 1)
        SELECT d.subject_label, d.countries,
               CASE WHEN d.updated_at <= $as_of OR t.deadline_id IS NULL THEN d.due_date ELSE t.due_date END AS due,
               CASE WHEN d.updated_at <= $as_of OR t.deadline_id IS NULL THEN d.due_at ELSE t.due_at END AS due_instant
        FROM core.deadlines d LEFT JOIN value_then t USING (deadline_id)
        WHERE d.first_seen_at <= $as_of AND due BETWEEN $first AND $last
        ORDER BY due, due_instant NULLS LAST, d.subject_label
        """,
        {"as_of": as_of, "first": first, "last": last},
    ).fetchall()


MEETING_FIELDS = ("parties", "meeting_date", "date_precision", "location", "format", "status")


def meetings_known(con: duckdb.DuckDBPyConnection, as_of: datetime) -> list[dict]:
    """Every meeting first seen by `as_of`, as it is now, with `later`: field → the value it had at `as_of`
    (the old value of its first change after then, as core.meeting_changes keeps it: text, lists comma-joined,
    NULL for none) for each field changed since."""
    cur = con.execute(
        f"SELECT meeting_id, {', '.join(MEETING_FIELDS)} FROM core.meetings WHERE first_seen_at <= ? "
        "ORDER BY meeting_id", [as_of])
    names = [d[0] for d in cur.description]
    meetings = {row[0]: dict(zip(names, row, strict=True), later={}) for row in cur.fetchall()}
    for meeting_id, field, old in con.execute(
        "SELECT meeting_id, field, arg_min(old_value, changed_at) FROM core.meeting_changes WHERE changed_at > ? "
        "GROUP BY ALL", [as_of]).fetchall():
        if meeting_id in meetings:
            meetings[meeting_id]["later"][field] = old
    return list(meetings.values())


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


# --- the outbox: one digest per day and channel ------------------------------------------------------


def digest_row(con: duckdb.DuckDBPyConnection, digest_id: str) -> tuple | None:
    """(state, slack_ts, created_at) of a digest, or None."""
    return con.execute("SELECT state, slack_ts, created_at FROM core.digests WHERE digest_id = ?",
                       [digest_id]).fetchone()


def claim_digest(con: duckdb.DuckDBPyConnection, digest_id: str, *, digest_date: date, channel: str,
                 as_of: datetime, now: datetime, text: str) -> None:
    """Committed BEFORE Slack is called: inflight (a new row, or a failed one tried again)."""
    con.execute(
        "INSERT INTO core.digests (digest_id, digest_date, channel, as_of, created_at, state, attempts, text)"
        " VALUES (?, ?, ?, ?, ?, 'inflight', 1, ?) ON CONFLICT (digest_id) DO UPDATE SET state = 'inflight',"
        " attempts = core.digests.attempts + 1, as_of = excluded.as_of, text = excluded.text",
        [digest_id, digest_date, channel, as_of, now, text])


def digest_delivered(con: duckdb.DuckDBPyConnection, digest_id: str, ts: str, now: datetime) -> None:
    con.execute("UPDATE core.digests SET state = 'delivered', slack_ts = ?, delivered_at = ?, last_error = NULL"
                " WHERE digest_id = ?", [ts, now, digest_id])


def digest_failed(con: duckdb.DuckDBPyConnection, digest_id: str, error: str, *, maybe_posted: bool) -> None:
    """Slack refused it (failed: the next call posts it) or may hold it (stays inflight: reconciled first)."""
    con.execute("UPDATE core.digests SET state = CASE WHEN ? THEN state ELSE 'failed' END, last_error = ?"
                " WHERE digest_id = ?", [maybe_posted, error[:500], digest_id])
