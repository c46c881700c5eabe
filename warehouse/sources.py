"""Storage of the sources' state and fetch log (core.sources, core.fetch_log)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import duckdb
import pyarrow as pa

from records.config import SourceConfig
from records.sources import SourceState

# a source's polling and health state, as stored (tasks.sources.health computes the next one)
STATE_COLUMNS = (
    "etag", "last_modified", "last_status", "last_bytes", "last_elapsed_s", "last_attempt_at", "last_success_at",
    "first_attempt_at", "last_error", "last_error_detail", "error_streak", "next_attempt_at", "gone",
    "down_alerted", "items_seen", "last_new_item_at", "silent_alerted",
)  # fmt: skip
READ_COLUMNS = STATE_COLUMNS + ("url", "every_minutes", "expect_items_hours")


def sync_sources(con: duckdb.DuckDBPyConnection, sources: Sequence[SourceConfig]) -> dict[str, SourceState]:
    """Make core.sources match the config (new sources added, kind/url/period updated; none deleted) and
    return every source's state. Writes only what differs, in one bulk upsert."""
    known = {r[0]: r[1:] for r in con.execute(
        "SELECT source_id, kind, url, every_minutes, expect_items_hours FROM core.sources").fetchall()}
    latest = {s.id: s for s in sources}  # a repeated id: the last one wins
    latest = {sid: s for sid, s in latest.items()
              if known.get(sid) != (s.kind, s.url, s.every_minutes, s.expect_items_hours)}
    if latest:
        con.register("incoming_sources", pa.table({
            "source_id": list(latest), "kind": [s.kind for s in latest.values()],
            "url": [s.url for s in latest.values()],
            "every_minutes": pa.array([s.every_minutes for s in latest.values()], pa.int32()),
            "expect_items_hours": pa.array([s.expect_items_hours for s in latest.values()], pa.float64()),
        }))
        try:
            con.execute(
                """
                INSERT INTO core.sources (source_id, kind, url, every_minutes, expect_items_hours)
                SELECT source_id, kind, url, every_minutes, expect_items_hours FROM incoming_sources
                ON CONFLICT (source_id) DO UPDATE SET
                    kind = excluded.kind, every_minutes = excluded.every_minutes,
                    expect_items_hours = excluded.expect_items_hours,
                    -- a new URL is a new feed: forget validators of the old one
                    etag = CASE WHEN core.sources.url = excluded.url THEN core.sources.etag END,
                    last_modified = CASE WHEN core.sources.url = excluded.url THEN core.sources.last_modified END,
                    url = excluded.url
                """
            )
        finally:
            con.unregister("incoming_sources")
    rows = con.execute(
        "SELECT source_id, etag, last_modified, next_attempt_at, error_streak, gone FROM core.sources"
    ).fetchall()
    return {r[0]: SourceState(*r) for r in rows}


def read_health(con: duckdb.DuckDBPyConnection, source_ids: Sequence[str]) -> dict[str, dict]:
    """Each source's stored state (READ_COLUMNS) by source id."""
    cols = ", ".join(READ_COLUMNS)
    return {r[0]: dict(zip(READ_COLUMNS, r[1:], strict=True)) for r in con.execute(
        f"SELECT source_id, {cols} FROM core.sources WHERE source_id IN (SELECT unnest(?))",
        [list(source_ids)]).fetchall()}


def write_health(con: duckdb.DuckDBPyConnection, states: Mapping[str, dict], log: pa.Table) -> None:
    """Write each source's new state (STATE_COLUMNS) and append the polls to core.fetch_log: two statements,
    however many sources. `log` has core.fetch_log's columns."""
    table = pa.table({"source_id": list(states), **{c: [st[c] for st in states.values()] for c in STATE_COLUMNS}})
    con.register("new_source_state", table)
    con.register("new_fetch_log", log)
    try:
        sets = ", ".join(f"{c} = n.{c}" for c in STATE_COLUMNS)
        con.execute(f"UPDATE core.sources AS t SET {sets} FROM new_source_state AS n WHERE t.source_id = n.source_id")
        con.execute("INSERT INTO core.fetch_log (source_id, fetched_at, status, bytes, elapsed_s, error, new_items)"
                    " SELECT * FROM new_fetch_log")
    finally:
        con.unregister("new_source_state")
        con.unregister("new_fetch_log")


def fetch_log_table(rows: Sequence[tuple[str, datetime, int | None, int, float, str | None, int]]) -> pa.Table:
    """core.fetch_log rows (source id, fetched at, status, bytes, elapsed, error, new items) as a table."""
    ids, at, status, size, elapsed, error, new = zip(*rows, strict=True) if rows else ((),) * 7
    return pa.table({
        "source_id": pa.array(ids, pa.string()), "fetched_at": pa.array(at, pa.timestamp("us", tz="UTC")),
        "status": pa.array(status, pa.int32()), "bytes": pa.array(size, pa.int64()),
        "elapsed_s": pa.array(elapsed, pa.float64()), "error": pa.array(error, pa.string()),
        "new_items": pa.array(new, pa.int32()),
    })
