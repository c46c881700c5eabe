"""The alert outbox (core.alert_outbox) and the Slack threads of events (core.event_threads).

An alert's id is its idempotency key (kind + event + the change), so re-running a cycle, a replay or a
reprocess never adds a second one. Rows move pending → inflight → delivered (or stay suppressed).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

import duckdb
import pyarrow as pa

from warehouse.transaction import transaction

_TS = pa.timestamp("us", tz="UTC")
CHANGED = "change_seq = nextval('core.change_seq')"  # every update of a row says so (migration 010)


def alert_key(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:24]


class Alert(NamedTuple):
    alert_id: str  # alert_key(kind, event_kind, event_id, *what changed)
    kind: str  # new_meeting | meeting_update | new_deadline | deadline_change | source_down | ...
    event_kind: str  # meeting | deadline | source
    event_id: str
    created_at: datetime
    state: str  # pending | suppressed
    suppressed_reason: str | None
    text: str
    payload: str  # JSON


def add_alerts(con: duckdb.DuckDBPyConnection, alerts: Sequence[Alert]) -> list[str]:
    """Record alert decisions not recorded before. Returns the states of those that were new."""
    if not alerts:
        return []
    con.register("alert_rows", pa.table({
        "alert_id": [a.alert_id for a in alerts], "kind": [a.kind for a in alerts],
        "event_kind": [a.event_kind for a in alerts], "event_id": [a.event_id for a in alerts],
        "created_at": pa.array([a.created_at for a in alerts], _TS), "state": [a.state for a in alerts],
        "suppressed_reason": pa.array([a.suppressed_reason for a in alerts], pa.string()),
        "text": [a.text for a in alerts], "payload": [a.payload for a in alerts]}))
    try:
        return [r[0] for r in con.execute(
            "INSERT INTO core.alert_outbox (alert_id, kind, event_kind, event_id, created_at, state,"
            " suppressed_reason, text, payload) SELECT alert_id, kind, event_kind, event_id, created_at, state,"
            " suppressed_reason, text, payload::JSON FROM alert_rows ON CONFLICT (alert_id) DO NOTHING"
            " RETURNING state").fetchall()]
    finally:
        con.unregister("alert_rows")


def enqueue_alert(con: duckdb.DuckDBPyConnection, *, kind: str, event_kind: str, event_id: str,
                  key_parts: Sequence[object], text: str, payload: dict, now: datetime,
                  suppressed_reason: str | None = None) -> bool:
    """Write one alert decision. Returns False when the same decision was already recorded."""
    alert = Alert(alert_key(kind, event_kind, event_id, *key_parts), kind, event_kind, event_id, now,
                  "suppressed" if suppressed_reason else "pending", suppressed_reason, text,
                  json.dumps(payload, default=str))
    return bool(add_alerts(con, [alert]))


# --- delivery ------------------------------------------------------------------------------------------


@dataclass
class OutboxRow:
    """A row to deliver. Mutable: delivery records the channel it routes the row to."""

    alert_id: str
    kind: str
    event_kind: str
    event_id: str
    created_at: datetime
    state: str
    channel: str | None
    text: str
    payload: dict
    item_source_id: str | None  # the source of the item that triggered it


class EvidenceRow(NamedTuple):
    item_id: str
    title: str
    url: str | None
    source_id: str
    source_kind: str | None
    source_url: str | None
    published_at: datetime | None
    reported_date: date | None  # for a deadline: the due date this item gave (its latest value)


def due(con: duckdb.DuckDBPyConnection, now: datetime) -> list[OutboxRow]:
    """Rows to deliver (pending) or reconcile (inflight) whose retry time has come, oldest first, and within one
    instant (a cycle's alerts share created_at) every new_* alert (a thread's parent) before the updates that
    reply in threads. (A bulk insert with ON CONFLICT does not keep its rows' order in rowid, so the
    parent-first rule is explicit.)"""
    rows = con.execute(
        """
        SELECT o.alert_id, o.kind, o.event_kind, o.event_id, o.created_at, o.state, o.channel, o.text,
               o.payload, i.source_id
        FROM core.alert_outbox o
        LEFT JOIN core.items i ON i.item_id = json_extract_string(o.payload, '$.item_id')
        WHERE o.state IN ('pending', 'inflight') AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?)
        ORDER BY o.created_at, NOT starts_with(o.kind, 'new_'), o.rowid
        """,
        [now],
    ).fetchall()
    out = []
    for r in rows:
        try:
            payload = json.loads(r[8]) if isinstance(r[8], str) else dict(r[8] or {})
        except ValueError:
            payload = {}
        out.append(OutboxRow(*r[:8], payload=payload if isinstance(payload, dict) else {}, item_source_id=r[9]))
    return out


def evidence(con: duckdb.DuckDBPyConnection, event_kind: str, event_id: str) -> list[EvidenceRow]:
    """Every report of an event: mentions ⋈ items ⋈ sources (and for a deadline, the date each one gave)."""
    return [EvidenceRow(r[0], r[1] or "", *r[2:]) for r in con.execute(
        """
        SELECT i.item_id, i.title, i.url, i.source_id, s.kind, s.url, i.published_at,
               (SELECT v.due_date FROM core.deadline_values v
                WHERE m.event_kind = 'deadline' AND v.deadline_id = m.event_id AND v.item_id = m.item_id
                ORDER BY v.seen_at DESC LIMIT 1) AS reported_date
        FROM core.mentions m
        JOIN core.items i USING (item_id)
        LEFT JOIN core.sources s ON s.source_id = i.source_id
        WHERE m.event_kind = ? AND m.event_id = ?
        """,
        [event_kind, event_id],
    ).fetchall()]


def event(con: duckdb.DuckDBPyConnection, event_kind: str, event_id: str) -> dict | None:
    """The event as it is now, shaped like an alert payload's "event"."""
    if event_kind == "meeting":
        cur = con.execute(
            "SELECT parties, meeting_date, date_precision, location, format, status, officials, updated_at "
            "FROM core.meetings WHERE meeting_id = ?", [event_id])
    elif event_kind == "deadline":
        cur = con.execute(
            "SELECT subject_label AS subject, countries, due_date, due_at, updated_at "
            "FROM core.deadlines WHERE deadline_id = ?", [event_id])
    else:
        return None
    row = cur.fetchone()
    return None if row is None else dict(zip([d[0] for d in cur.description], row, strict=True))


def threads(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], dict[str, str]]:
    """(event kind, event id) → {channel: ts of the thread's parent message}."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    for kind, eid, channel, ts in con.execute(
        "SELECT event_kind, event_id, channel, ts FROM core.event_threads ORDER BY updated_at, channel"
    ).fetchall():
        out.setdefault((kind, eid), {})[channel] = ts
    return out


def waiting(con: duckdb.DuckDBPyConnection) -> int:
    """Rows still pending or inflight."""
    return con.execute("SELECT count(*) FROM core.alert_outbox WHERE state IN ('pending', 'inflight')").fetchone()[0]


def mark_inflight(con: duckdb.DuckDBPyConnection, ids: Sequence[str], channel: str, *,
                  digest_key: str | None = None) -> None:
    """Committed BEFORE Slack is called: a row found inflight later is reconciled before anything is re-posted.
    Rows sent as one summary message carry its key in their text ("[digest <key>] ...")."""
    with transaction(con):
        for alert_id in ids:
            con.execute("UPDATE core.alert_outbox SET state = 'inflight', channel = ?, attempts = attempts + 1, "
                        f"{CHANGED} "
                        "WHERE alert_id = ?", [channel, alert_id])
            if digest_key:
                con.execute(f"UPDATE core.alert_outbox SET text = ? || text, {CHANGED} WHERE alert_id = ?"
                            " AND text NOT LIKE '[digest %'", [f"[digest {digest_key}] ", alert_id])


def mark_delivered(con: duckdb.DuckDBPyConnection, ids: Sequence[str], channel: str, ts: str | None,
                   now: datetime, *, thread: tuple[str, str] | None = None) -> None:
    """Delivered as message `ts`; `thread`: the (event kind, event id) whose thread this message starts."""
    with transaction(con):
        for alert_id in ids:
            con.execute("UPDATE core.alert_outbox SET state = 'delivered', channel = ?, slack_ts = ?, delivered_at"
                        " = ?, attempts = attempts + CASE WHEN state = 'inflight' THEN 0 ELSE 1 END,"
                        f" last_error = NULL, next_attempt_at = NULL, {CHANGED} WHERE alert_id = ?",
                        [channel, ts, now, alert_id])
        if thread:
            con.execute("INSERT INTO core.event_threads (event_kind, event_id, channel, ts, updated_at) "
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", [thread[0], thread[1], channel, ts, now])


def release(con: duckdb.DuckDBPyConnection, ids: Sequence[str], error: str, now: datetime, *,
            keep_inflight: bool, backoff: bool = False) -> None:
    """A failed attempt: back to pending (after a growing delay with `backoff`), or left inflight when Slack
    may hold the message (reconciled next time). The error is kept."""
    with transaction(con):
        for alert_id in ids:
            if keep_inflight:
                con.execute(f"UPDATE core.alert_outbox SET last_error = ?, {CHANGED} WHERE alert_id = ?",
                            [error[:500], alert_id])
                continue
            attempts = con.execute("SELECT attempts FROM core.alert_outbox WHERE alert_id = ?",
                                   [alert_id]).fetchone()[0]
            retry_at = now + timedelta(minutes=min(60, 2 ** min(attempts, 6))) if backoff else None
            con.execute("UPDATE core.alert_outbox SET state = 'pending', last_error = ?, next_attempt_at = ?, "
                        f"text = regexp_replace(text, '^\\[digest digest-[0-9a-f]+\\] ', ''), {CHANGED}"
                        " WHERE alert_id = ?",
                        [error[:500], retry_at, alert_id])


def forget_thread(con: duckdb.DuckDBPyConnection, event_id: str, channel: str) -> None:
    """The thread's parent is gone from Slack: the next alert of the event starts a new one."""
    con.execute("DELETE FROM core.event_threads WHERE event_id = ? AND channel = ?", [event_id, channel])


def thread_refreshed(con: duckdb.DuckDBPyConnection, event_id: str, channel: str, now: datetime) -> None:
    con.execute("UPDATE core.event_threads SET updated_at = ? WHERE event_id = ? AND channel = ?",
                [now, event_id, channel])
