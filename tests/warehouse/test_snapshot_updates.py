"""Publishing updates the snapshot file with what changed since it was last brought up to date: after every kind
of write the warehouse makes (items stored and edited, stories, extraction, events and their history, alerts
delivered and retried, threads, sources, a reprocess that forgets events), the published file holds exactly what a
snapshot written whole holds. Files made from another warehouse are written whole."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

import duckdb
import pytest

from records.events import DeadlineEvent, MeetingEvent
from records.items import Item
from tasks.sources.http import Fetched
from tasks.stories import assign
from tests.support.sources import record_fetch
from warehouse import connection, outbox, snapshot
from warehouse import events as event_store
from warehouse import items as item_store
from warehouse.snapshot_copy import layout, write_snapshot
from warehouse.transaction import transaction

NOW = datetime(2025, 7, 1, tzinfo=UTC)


def item(n: int, content: str = "v1") -> Item:
    return Item(item_id=f"i{n}", source_id="wire", guid=f"g{n}", url=f"https://x.org/{n}", title=f"Title {n} {content}",
                summary="", body=f"Tariff talks number {n} between Seoul and Washington. " * 8,
                published_at=NOW - timedelta(hours=n), published_offset_min=0, content_hash=f"{content}-{n}")


def meeting(mid: str, status: str = "scheduled") -> MeetingEvent:
    return MeetingEvent(mid, ("KR", "US"), date(2025, 7, 10), "day", "Seoul", "ministerial", status,
                        ("Yeo Han-koo",), NOW)


def deadline(did: str, due: date) -> DeadlineEvent:
    return DeadlineEvent(did, "tariff:reciprocal", "reciprocal tariffs", ("KR", "US"), due, None, NOW)


def whole(path) -> dict[str, list]:
    """Every published table of a snapshot written whole now, sorted."""
    fresh = path.with_name("whole.duckdb")
    fresh.unlink(missing_ok=True)
    with connection.writer(path) as con:
        write_snapshot(con, fresh)
    return tables(fresh)


def tables(f) -> dict[str, list]:
    con = duckdb.connect(str(f), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'core'"
                                           " AND table_name <> 'snapshot_state' ORDER BY 1").fetchall()]
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM core.{t}").fetchall())) for t in names}
    finally:
        con.close()


def published(path) -> dict[str, list]:
    snapshot.publish_snapshot(path)
    return tables(snapshot.snapshot_path(path).resolve())


def test_every_kind_of_write_reaches_the_published_file(tmp_path):
    path = tmp_path / "w.duckdb"
    steps = []

    def step(name, write):
        with connection.writer(path) as con, transaction(con):
            write(con)
        steps.append((name, published(path), whole(path)))

    step("a source", lambda con: con.execute(
        "INSERT INTO core.sources (source_id, kind, url) VALUES ('wire', 'feed', 'https://x.org/rss')"))
    step("its health and the fetch log", lambda con: record_fetch(
        con, Fetched("wire", "https://x.org/rss", 200, b"<rss/>", '"e1"', None), now=NOW, new_items=3, error=None,
        error_detail=None))
    step("new items", lambda con: item_store.store_items(con, [item(1), item(2), item(3)], now=NOW))
    step("stories", lambda con: assign.assign_stories(con, [item(4), item(5)], now=NOW)
         if item_store.store_items(con, [item(4), item(5)], now=NOW) else None)
    step("an edited item", lambda con: item_store.store_items(con, [item(2, "v2")], now=NOW + timedelta(hours=1)))
    step("extraction", lambda con: item_store.record_extraction(
        con, [("i1", True, "talks"), ("i2", False, "off topic")], now=NOW))
    step("events", lambda con: (
        event_store.upsert_meetings(con, [meeting("m1"), meeting("m2")], now=NOW),
        event_store.upsert_deadlines(con, [deadline("d1", date(2025, 7, 9))], now=NOW),
        event_store.add_mentions(con, [event_store.Mention("i1", "meeting", "m1", "met", "{}")]),
        event_store.append_deadline_values(con, [event_store.DeadlineValue(
            "d1", "new", None, date(2025, 7, 9), None, "i1", NOW, "due 9 July")]),
        outbox.add_alerts(con, [outbox.Alert("a1", "new_meeting", "meeting", "m1", NOW, "pending", None, "t", "{}"),
                                outbox.Alert("a2", "new_deadline", "deadline", "d1", NOW, "pending", None, "t", "{}")])))
    step("updates of events", lambda con: (
        event_store.upsert_meetings(con, [meeting("m1", "held")], now=NOW + timedelta(days=1)),
        event_store.append_meeting_changes(con, [event_store.MeetingChange(
            "m1", NOW, "status", "scheduled", "held", "i2")]),
        event_store.upsert_deadlines(con, [deadline("d1", date(2025, 8, 1))], now=NOW + timedelta(days=1))))
    step("delivery", lambda con: None)
    with connection.writer(path) as con:  # (delivery opens its own transactions)
        outbox.mark_inflight(con, ["a1", "a2"], "#c")
        outbox.mark_delivered(con, ["a1"], "#c", "1.1", NOW, thread=("meeting", "m1"))
        outbox.release(con, ["a2"], "ratelimited", NOW, keep_inflight=False, backoff=True)
        outbox.thread_refreshed(con, "m1", "#c", NOW + timedelta(hours=2))
    steps.append(("delivery", published(path), whole(path)))
    step("a reprocess forgets events", lambda con: (
        event_store.reset(con), event_store.upsert_meetings(con, [meeting("m3")], now=NOW)))
    with connection.writer(path) as con:
        outbox.forget_thread(con, "m1", "#c")
    steps.append(("a thread forgotten", published(path), whole(path)))
    steps.append(("nothing new", published(path), whole(path)))

    for name, got, want in steps:
        assert got == want, name
    assert steps[-1][1]["items"] and steps[-1][1]["alert_outbox"] and steps[-1][1]["event_threads"] == []


def test_publishing_alternates_two_files_and_updates_the_other_in_place(tmp_path):
    path = tmp_path / "w.duckdb"
    with connection.writer(path) as con, transaction(con):
        item_store.store_items(con, [item(1)], now=NOW)
    a, b = snapshot.snapshot_files(path)
    snapshot.publish_snapshot(path)
    assert snapshot.published_file(path) == a
    snapshot.publish_snapshot(path)
    assert snapshot.published_file(path) == b
    inode = a.stat().st_ino
    with connection.writer(path) as con, transaction(con):
        item_store.store_items(con, [item(2)], now=NOW)
    snapshot.publish_snapshot(path)
    assert snapshot.published_file(path) == a and a.stat().st_ino == inode  # updated, not rewritten
    con = snapshot.open_snapshot(path)
    try:
        assert con.execute("SELECT count(*) FROM items").fetchone() == (2,)
    finally:
        con.close()
    assert os.readlink(snapshot.snapshot_path(path)) == a.name  # relative: the folder can move


def test_a_file_left_from_another_warehouse_of_the_same_name_is_written_whole(tmp_path):
    path = tmp_path / "w.duckdb"
    with connection.writer(path) as con, transaction(con):
        item_store.store_items(con, [item(1), item(2)], now=NOW)
    snapshot.publish_snapshot(path)
    snapshot.publish_snapshot(path)
    for leftover in (path, tmp_path / "w.duckdb.verified"):
        leftover.unlink()
    with connection.writer(path) as con, transaction(con):  # a new warehouse, the old snapshot files beside it
        item_store.store_items(con, [item(7)], now=NOW)
    snapshot.publish_snapshot(path)
    con = snapshot.open_snapshot(path)
    try:
        assert con.execute("SELECT item_id FROM items").fetchall() == [("i7",)]
    finally:
        con.close()


@pytest.mark.parametrize("turns", [1, 2])
def test_the_published_file_never_holds_the_change_numbers_or_bodies(tmp_path, turns):
    path = tmp_path / "w.duckdb"
    with connection.writer(path) as con, transaction(con):
        item_store.store_items(con, [item(1)], now=NOW)
        shape = layout(con)
    for _ in range(turns):
        snapshot.publish_snapshot(path)
    assert "items" in shape.tracked and shape.tracked["items"] == ["item_id"]
    con = snapshot.open_snapshot(path)
    try:
        columns = {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE schema_name = 'core'"
                                             " AND table_name = 'items'").fetchall()}
    finally:
        con.close()
    assert not columns & {"change_seq", "body", "body_z"}
