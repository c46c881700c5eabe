"""The reads behind `tradewatch eval`: what the warehouse ends up holding, to score against labels."""

from __future__ import annotations

import duckdb


def item_keys(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str | None, bool | None]]:
    """(item id, source id, guid, relevant) of every item."""
    return con.execute("SELECT item_id, source_id, guid, relevant FROM core.items").fetchall()


def mentions_in_publication_order(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(item id, event kind, event id)."""
    return con.execute("SELECT m.item_id, m.event_kind, m.event_id FROM core.mentions m JOIN core.items i"
                       " USING (item_id) ORDER BY i.published_at").fetchall()


def meetings(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(id, parties, date, precision, officials, status, format, location) of every meeting."""
    return con.execute("SELECT meeting_id, parties, meeting_date, date_precision, officials, status, format,"
                       " location FROM core.meetings").fetchall()


def deadlines(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, list[str]]]:
    return con.execute("SELECT deadline_id, subject, countries FROM core.deadlines").fetchall()


def deadline_values(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(deadline id, action, due date, item id) of every value reported, in the order seen."""
    return con.execute("SELECT deadline_id, action, due_date, item_id FROM core.deadline_values"
                       " ORDER BY seen_at").fetchall()


def event_alerts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(kind, event id, payload JSON) of every event alert decided, in order."""
    return con.execute("SELECT kind, event_id, payload FROM core.alert_outbox WHERE event_kind <> 'source'"
                       " ORDER BY created_at, alert_id").fetchall()
