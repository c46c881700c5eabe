"""Small builders of the records the calendar and the report are made from (records/calendar.py): a plausible
default for every field, any of them overridden by keyword."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from records.calendar import DeadlineEntry, DeadlineValueEntry, MeetingEntry, Report, Timeline

AS_OF = datetime(2025, 7, 10, 7, 0, tzinfo=UTC)


def report(n: int = 1, **kw) -> Report:
    base = Report(title=f"Report {n} on the talks", url=f"https://news.example/{n}", source_id="wire",
                  published_at=datetime(2025, 4, 1, 9, 0, tzinfo=UTC))
    return replace(base, **kw)


def meeting(meeting_id: str = "m-kr-us-1", **kw) -> MeetingEntry:
    base = MeetingEntry(
        meeting_id=meeting_id, parties=("KR", "US"), meeting_date=date(2025, 4, 24), end_date=None,
        date_precision="day", location="Washington", format="2+2", status="held",
        officials=("Choi Sang-mok", "Scott Bessent"), evidence_level="reported", revision=1,
        first_seen_at=datetime(2025, 4, 21, 1, 30, tzinfo=UTC), updated_at=datetime(2025, 4, 24, 22, 50, tzinfo=UTC),
        reports=2, evidence=(report(2), report(1)))
    return replace(base, **kw)


def value(action: str = "new", due: date = date(2025, 4, 9), old: date | None = None, **kw) -> DeadlineValueEntry:
    base = DeadlineValueEntry(action=action, old_date=old, due_date=due, due_at=None,
                              seen_at=datetime(2025, 4, 8, 0, 15, tzinfo=UTC), rate=None, basis=None,
                              report=report(7))
    return replace(base, **kw)


def deadline(deadline_id: str = "d-us-tariffs", **kw) -> DeadlineEntry:
    base = DeadlineEntry(
        deadline_id=deadline_id, subject="reciprocal tariff rates apply", countries=("US",),
        due_date=date(2025, 7, 9), due_at=None, rate=None, evidence_level="reported", revision=1,
        first_seen_at=datetime(2025, 4, 8, 0, 15, tzinfo=UTC), updated_at=datetime(2025, 4, 9, 20, 30, tzinfo=UTC),
        reports=3,
        history=(value("new", date(2025, 4, 9)),
                 value("change", date(2025, 7, 9), old=date(2025, 4, 9),
                       seen_at=datetime(2025, 4, 9, 20, 30, tzinfo=UTC), basis="official")),
        evidence=(report(3),))
    return replace(base, **kw)


def timeline(meetings=(), deadlines=(), changes=(), as_of: datetime = AS_OF) -> Timeline:
    return Timeline(as_of=as_of, meetings=tuple(meetings), deadlines=tuple(deadlines), meeting_changes=tuple(changes))
