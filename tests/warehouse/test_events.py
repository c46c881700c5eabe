"""Storage of events: what migration 008 adds, and the revision a calendar's SEQUENCE comes from."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import duckdb

from records.events import DeadlineEvent, MeetingEvent
from warehouse import connection, schema
from warehouse import events as event_store
from warehouse.transaction import transaction

NOW = datetime(2025, 4, 24, 12, tzinfo=UTC)
MEETING = MeetingEvent("m-kr-us", ("KR", "US"), date(2025, 4, 24), "day", "Washington", "2+2", "scheduled",
                       ("Choi Sang-mok",), NOW)
DEADLINE = DeadlineEvent("d-us", "reciprocal-tariffs-apply", "reciprocal tariffs apply", ("US",),
                         date(2025, 7, 9), None, NOW)


def revisions(con) -> dict[str, int]:
    return dict(con.execute("SELECT meeting_id, revision FROM meetings UNION ALL "
                            "SELECT deadline_id, revision FROM deadlines").fetchall())


def test_revisions_count_changes_of_date_or_status_only(tmp_path):
    with connection.writer(tmp_path / "w.duckdb") as con:
        for meeting, deadline in (
            (MEETING, DEADLINE),
            (replace(MEETING, officials=("Choi Sang-mok", "Scott Bessent")), replace(DEADLINE, rate="25%")),
            (replace(MEETING, status="held"), replace(DEADLINE, due_date=date(2025, 8, 1))),
            (replace(MEETING, status="held", end_date=date(2025, 4, 25)), DEADLINE),
        ):
            with transaction(con):
                event_store.upsert_meetings(con, [meeting], now=NOW)
                event_store.upsert_deadlines(con, [deadline], now=NOW)
        assert revisions(con) == {"m-kr-us": 2, "d-us": 2}
        (end, level), = con.execute("SELECT end_date, evidence_level FROM meetings").fetchall()
        assert (end, level) == (date(2025, 4, 25), "reported")
        assert event_store.load_meetings(con)[0].end_date == date(2025, 4, 25)


def test_events_stored_before_008_count_as_reported(tmp_path):
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA core")
    con.execute("CREATE TABLE core.schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
    for number, name, sql in schema.migrations()[:7]:
        con.execute(sql)
        con.execute("INSERT INTO core.schema_migrations (version, name) VALUES (?, ?)", [number, name])
    con.execute("INSERT INTO core.meetings VALUES ('m1', ['KR', 'US'], '2025-04-24', 'day', NULL, NULL, 'held',"
                " [], ?, ?)", [NOW, NOW])
    con.close()
    with connection.writer(path) as con:
        assert con.execute("SELECT meeting_id, evidence_level, revision, end_date FROM meetings").fetchall() == [
            ("m1", "reported", 0, None)]


def test_loading_what_a_batch_wants_gives_exactly_those_events_in_stored_order(tmp_path):
    meetings = [replace(MEETING, meeting_id=f"m{n}", parties=parties, meeting_date=day) for n, (parties, day) in
                enumerate([(("KR", "US"), date(2025, 4, 24)), (("JP", "US"), date(2025, 4, 24)),
                           (("KR", "US"), date(2025, 9, 1)), (("KR", "US"), None), (("KR", "JP", "US"), None),
                           (("CN", "US"), date(2024, 1, 1))])]
    deadlines = [replace(DEADLINE, deadline_id=f"d{n}", countries=countries) for n, countries in enumerate(
        [("US",), ("KR", "US"), ("JP", "US"), ("US",)])]
    april = event_store.MeetingsWanted("KR|US", date(2025, 4, 1), date(2025, 5, 1), "m9")
    with connection.writer(tmp_path / "w.duckdb") as con, transaction(con):
        event_store.upsert_meetings(con, meetings, now=NOW)
        event_store.upsert_deadlines(con, deadlines, now=NOW)
        stored = [m.meeting_id for m in event_store.load_meetings(con)]
        loaded = lambda wanted: [m.meeting_id for m in event_store.load_meetings(con, wanted)]  # noqa: E731
        in_stored_order = lambda *ids: [i for i in stored if i in ids]  # noqa: E731
        assert loaded([april]) == in_stored_order("m0", "m3")  # in the window, or undated
        assert loaded([april._replace(id_prefix="m2")]) == in_stored_order("m0", "m2", "m3")  # or with such an id
        assert loaded([april._replace(since=None, until=None)]) == in_stored_order("m0", "m2", "m3")  # any date
        assert loaded([april, event_store.MeetingsWanted("CN|US", None, None, "-")]) == in_stored_order(
            "m0", "m3", "m5")
        assert [d.deadline_id for d in event_store.load_deadlines(con, {("US",)})] == ["d0", "d3"]
        assert loaded([]) == [] and event_store.load_deadlines(con, set()) == []
        assert sorted(stored) == [f"m{n}" for n in range(6)] and len(event_store.load_deadlines(con)) == 4
