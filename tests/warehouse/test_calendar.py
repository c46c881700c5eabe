"""The calendar's reads: events written by the real writers into a real DuckDB file, read back as records."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from records.events import DeadlineEvent, MeetingEvent
from records.items import Item
from tests.support.event_rows import write_events
from warehouse import connection
from warehouse import events as event_store
from warehouse.calendar import EVIDENCE_PER_EVENT, read_timeline, snapshot_as_of

T0 = datetime(2025, 4, 8, 0, 0, tzinfo=UTC)


def item(n: int, *, title: str | None = None, url: str | None = None) -> Item:
    return Item(item_id=f"i{n:03d}", source_id="wire" if n % 2 else "ustr", guid=None,
                url=url or f"https://news.example/{n}", title=title or f"Report {n}", summary="", body="",
                published_at=T0 + timedelta(hours=n), published_offset_min=0, content_hash=f"h{n}")


@pytest.fixture
def con(tmp_path):
    with connection.writer(tmp_path / "tw.duckdb") as con:
        yield con


def write(con, *, now=T0, **rows):
    write_events(con, now=now, **rows)


def mention(n: int, kind: str, event_id: str) -> event_store.Mention:
    return event_store.Mention(f"i{n:03d}", kind, event_id, "evidence", "{}")


MEETING = MeetingEvent("m-1", ("KR", "US"), date(2025, 4, 24), "day", "Washington", "2+2", "scheduled",
                       ("Choi Sang-mok",), T0, end_date=date(2025, 4, 25), evidence_level="tentative")
DEADLINE = DeadlineEvent("d-1", "reciprocal-tariffs-apply", "reciprocal tariffs apply", ("US",),
                         date(2025, 4, 9), None, T0)


def test_meetings_come_with_their_dates_level_revision_and_newest_reports(con):
    items = [item(n) for n in range(1, 12)]
    write(con, items=items, meetings=[MEETING], mentions=[mention(n, "meeting", "m-1") for n in range(1, 12)])
    later = T0 + timedelta(days=3)
    write(con, meetings=[replace(MEETING, status="held")], now=later)
    (m,) = read_timeline(con, later).meetings
    assert (m.meeting_date, m.end_date, m.span) == (date(2025, 4, 24), date(2025, 4, 25),
                                                    (date(2025, 4, 24), date(2025, 4, 25)))
    assert (m.status, m.evidence_level, m.revision, m.updated_at) == ("held", "tentative", 1, later)
    assert m.parties == ("KR", "US") and m.officials == ("Choi Sang-mok",) and m.format == "2+2"
    assert m.reports == 11 and len(m.evidence) == EVIDENCE_PER_EVENT
    assert [r.title for r in m.evidence] == [f"Report {n}" for n in range(11, 11 - EVIDENCE_PER_EVENT, -1)]
    assert m.evidence[0].url == "https://news.example/11" and m.evidence[0].source_id == "wire"


def test_a_deadline_history_keeps_first_report_moves_and_conflicts_but_not_restatements(con):
    write(con, items=[item(n) for n in range(1, 6)], deadlines=[DEADLINE], values=[
        event_store.DeadlineValue("d-1", "new", None, date(2025, 4, 9), None, "i001", T0 + timedelta(hours=1), "t"),
        event_store.DeadlineValue("d-1", "restated", None, date(2025, 4, 9), None, "i002", T0 + timedelta(hours=2),
                                  "t"),
        event_store.DeadlineValue("d-1", "change", date(2025, 4, 9), date(2025, 7, 9),
                                  datetime(2025, 7, 9, 4, 1, tzinfo=UTC), "i003", T0 + timedelta(hours=3), "t",
                                  basis="official"),
        event_store.DeadlineValue("d-1", "equivalent", None, date(2025, 7, 8), None, "i004", T0 + timedelta(hours=4),
                                  "t"),
        event_store.DeadlineValue("d-1", "conflicting", None, date(2025, 7, 15), None, "i005",
                                  T0 + timedelta(hours=5), "t", rate="15%"),
    ], mentions=[mention(n, "deadline", "d-1") for n in range(1, 6)])
    (d,) = read_timeline(con, T0).deadlines
    assert [(v.action, v.old_date, v.due_date) for v in d.history] == [
        ("new", None, date(2025, 4, 9)), ("change", date(2025, 4, 9), date(2025, 7, 9)),
        ("conflicting", None, date(2025, 7, 15))]
    assert [v.report.title for v in d.history] == ["Report 1", "Report 3", "Report 5"]
    assert d.history[1].basis == "official" and d.history[2].rate == "15%"
    assert [(v.old_date, v.due_date) for v in d.moves] == [(date(2025, 4, 9), date(2025, 7, 9))]
    assert d.subject == "reciprocal tariffs apply" and d.countries == ("US",) and d.reports == 5


def test_meeting_changes_come_with_the_report_that_made_them(con):
    write(con, items=[item(1), item(2)], meetings=[MEETING], changes=[
        event_store.MeetingChange("m-1", T0 + timedelta(days=1), "status", "scheduled", "held", "i002")])
    (c,) = read_timeline(con, T0).meeting_changes
    assert (c.meeting_id, c.field, c.old_value, c.new_value) == ("m-1", "status", "scheduled", "held")
    assert c.report.title == "Report 2" and c.report.url == "https://news.example/2"


def test_an_event_without_reports_and_an_undated_meeting_are_read_too(con):
    undated = MeetingEvent("m-2", ("JP", "US"), None, None, None, None, "scheduled", (), T0)
    write(con, meetings=[undated], deadlines=[DEADLINE])
    t = read_timeline(con, T0)
    assert [(m.meeting_id, m.meeting_date, m.span, m.reports, m.evidence) for m in t.meetings] == [
        ("m-2", None, None, 0, ())]
    assert t.deadlines[0].history == () and t.deadlines[0].reports == 0


def test_the_snapshot_is_as_of_its_latest_poll_item_or_event(con):
    assert snapshot_as_of(con) is None
    write(con, items=[item(1)], now=T0 + timedelta(hours=5))
    assert snapshot_as_of(con) == T0 + timedelta(hours=5)
    write(con, meetings=[MEETING], now=T0 + timedelta(days=2))
    assert snapshot_as_of(con) == T0 + timedelta(days=2)
