"""The kept pieces (tasks/publish/pieces.py): a calendar and a report assembled from pieces brought up to date with
only what changed are byte for byte the ones built whole from the same warehouse at the same instant. Events are
written by the real writers into a real DuckDB file and read back by the real reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from records.events import DeadlineEvent, MeetingEvent
from records.items import Item
from tasks.publish.calendar import Selection, build_calendar
from tasks.publish.pieces import Pieces
from tasks.publish.report import build_report, page_chunks
from tests.support.event_rows import write_events
from warehouse import connection
from warehouse import events as event_store
from warehouse.calendar import read_changes, read_timeline

T0 = datetime(2025, 4, 8, 0, 0, tzinfo=UTC)
SELECTIONS = [Selection(), Selection(countries=frozenset({"JP"}), tentative=False, since=date(2025, 4, 20))]


def item(n: int, title: str | None = None) -> Item:
    return Item(item_id=f"i{n:03d}", source_id="wire", guid=None, url=f"https://news.example/{n}",
                title=title or f"Report {n}", summary="", body="", published_at=T0 + timedelta(hours=n),
                published_offset_min=0, content_hash=f"h{n}-{title}")


def meeting(n: int, parties=("KR", "US"), day: date | None = date(2025, 4, 24), **kw) -> MeetingEvent:
    return MeetingEvent(f"m-{n}", parties, day, "day" if day else None, "Washington", "2+2", "scheduled", (), T0, **kw)


def deadline(n: int, due: date = date(2025, 5, 9), countries=("US",)) -> DeadlineEvent:
    return DeadlineEvent(f"d-{n}", f"tariffs-{n}", f"tariffs {n} apply", countries, due, None, T0)


def mention(n: int, kind: str, event_id: str) -> event_store.Mention:
    return event_store.Mention(f"i{n:03d}", kind, event_id, "evidence", "{}")


@pytest.fixture
def con(tmp_path):
    with connection.writer(tmp_path / "tw.duckdb") as con:
        yield con


def write(con, now, **rows):
    write_events(con, now=now, **rows)


def publish(con, pieces: Pieces, now: datetime) -> tuple[list[bytes], str]:
    """Bring the pieces up to date, assemble both files (the calendar under each selection)."""
    pieces.apply(read_changes(con, now, pieces.position()))
    return ([b"".join(pieces.calendar_chunks(s)) for s in SELECTIONS],
            "".join(page_chunks(pieces.page(now), calendar_href="tw.calendar.ics")))


def whole(con, now: datetime) -> tuple[list[bytes], str]:
    t = read_timeline(con, now)
    return [build_calendar(t, s) for s in SELECTIONS], build_report(t, calendar_href="tw.calendar.ics")


def test_pieces_brought_up_to_date_make_the_files_a_whole_build_makes(con):
    pieces = Pieces.open(":memory:")
    write(con, T0, items=[item(n) for n in range(1, 6)],
          meetings=[meeting(1), meeting(2, ("JP", "US"), date(2025, 4, 10)), meeting(3, ("JP", "US"), None)],
          deadlines=[deadline(1), deadline(2, date(2025, 4, 30), ("JP", "US"))],
          values=[event_store.DeadlineValue("d-1", "new", None, date(2025, 5, 9), None, "i004", T0, "t")],
          mentions=[mention(1, "meeting", "m-1"), mention(2, "meeting", "m-2"), mention(3, "deadline", "d-2"),
                    mention(4, "deadline", "d-1")])
    assert publish(con, pieces, T0) == whole(con, T0)

    later = T0 + timedelta(days=3, hours=2)
    write(con, later,  # a new meeting; one moved and tentative; a new report of another; a deadline moved
          items=[item(6), item(7), item(8), item(3, title="Report 3, corrected")],
          meetings=[meeting(4, ("GB", "US"), date(2025, 6, 2)),
                    replace(meeting(2, ("JP", "US"), date(2025, 4, 12)), evidence_level="tentative")],
          deadlines=[deadline(1, date(2025, 7, 9))],
          values=[event_store.DeadlineValue("d-1", "change", date(2025, 5, 9), date(2025, 7, 9), None, "i008",
                                            later, "t", basis="official")],
          mentions=[mention(6, "meeting", "m-4"), mention(7, "meeting", "m-1"), mention(8, "deadline", "d-1")],
          changes=[event_store.MeetingChange("m-2", later, "meeting_date", "2025-04-10", "2025-04-12", "i006")])
    assert publish(con, pieces, later) == whole(con, later)

    weeks_on = later + timedelta(days=40)  # nothing new: only what "now" selects moved (and the timeline's scale)
    assert publish(con, pieces, weeks_on) == whole(con, weeks_on)


def test_deleted_events_leave_the_files_and_an_empty_warehouse_publishes_empty_ones(con):
    pieces = Pieces.open(":memory:")
    write(con, T0, items=[item(1)], meetings=[meeting(1), meeting(2, ("JP", "US"))], deadlines=[deadline(1)],
          mentions=[mention(1, "meeting", "m-1")])
    publish(con, pieces, T0)
    event_store.reset(con)  # what a reprocess does first
    assert publish(con, pieces, T0) == whole(con, T0)
    write(con, T0, meetings=[meeting(2, ("JP", "US"))])
    assert publish(con, pieces, T0) == whole(con, T0)


def test_pieces_of_another_warehouse_or_other_code_are_not_used(con, tmp_path):
    path = tmp_path / "tw.pieces.sqlite"
    write(con, T0, meetings=[meeting(1)])
    with Pieces.open(path) as pieces:
        pieces.apply(read_changes(con, T0, None))
        kept = pieces.position()
    assert read_changes(con, T0, kept).changed.meetings == ()  # nothing changed since
    assert read_changes(con, T0, ("another warehouse", kept[1])).since is None  # everything again
    with Pieces.open(path) as pieces:
        assert pieces.position() == kept
    path.write_bytes(b"not a database")
    with Pieces.open(path) as pieces:
        assert pieces.position() is None
