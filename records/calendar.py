"""What the calendar and the report are made from: the events as the published snapshot holds them, each with
the reports that are its evidence, read in one go (warehouse/calendar.py) and turned into an iCalendar file and
an HTML page by pure functions (tasks/publish/)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

HISTORY_ACTIONS = ("new", "change", "conflicting")  # the deadline values a history shows (restatements are counted)


@dataclass(frozen=True)
class Report:
    """One item that reported an event: its title and link (any URL; shown as a link only when http(s))."""

    title: str
    url: str | None
    source_id: str
    published_at: datetime | None


@dataclass(frozen=True)
class MeetingEntry:
    meeting_id: str
    parties: tuple[str, ...]
    meeting_date: date | None  # None: the date was not announced
    end_date: date | None  # the last day of a multi-day meeting; None: one day
    date_precision: str | None  # day | week | month
    location: str | None
    format: str | None
    status: str  # scheduled | held | postponed | cancelled
    officials: tuple[str, ...]
    evidence_level: str  # tentative | reported | confirmed
    revision: int  # bumped when the date or the status changes
    first_seen_at: datetime
    updated_at: datetime
    reports: int  # every report of it
    evidence: tuple[Report, ...] = ()  # the newest reports, newest first (at most a few)

    @property
    def span(self) -> tuple[date, date] | None:
        """(first day, last day) the meeting may fall on: its days for day precision (NULL end: one day), the
        whole week or month otherwise, so that an imprecise date is never shown as an exact day."""
        if self.meeting_date is None:
            return None
        first = self.meeting_date
        if self.date_precision == "month":
            first = first.replace(day=1)
            last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        elif self.date_precision == "week":
            last = first + timedelta(days=6)
        else:
            last = first
        if self.end_date is not None and self.end_date > last:
            last = self.end_date
        return first, last


@dataclass(frozen=True)
class DeadlineValueEntry:
    """One value a deadline was reported with: first report (new), a move (change) or a differing report that
    is not counted as a move (conflicting)."""

    action: str
    old_date: date | None
    due_date: date
    due_at: datetime | None
    seen_at: datetime
    rate: str | None
    basis: str | None  # why a change counts as a move: change_language | official | corroborated
    report: Report | None

    @property
    def is_move(self) -> bool:
        return self.action == "change" and self.old_date is not None and self.old_date != self.due_date


@dataclass(frozen=True)
class DeadlineEntry:
    deadline_id: str
    subject: str
    countries: tuple[str, ...]
    due_date: date
    due_at: datetime | None  # the exact instant (UTC), when the reports give a time and a zone
    rate: str | None
    evidence_level: str
    revision: int  # bumped when the due date changes
    first_seen_at: datetime
    updated_at: datetime
    reports: int
    history: tuple[DeadlineValueEntry, ...] = ()  # oldest first
    evidence: tuple[Report, ...] = ()

    @property
    def moves(self) -> tuple[DeadlineValueEntry, ...]:
        return tuple(v for v in self.history if v.is_move)


@dataclass(frozen=True)
class MeetingChangeEntry:
    meeting_id: str
    changed_at: datetime
    field: str
    old_value: str | None
    new_value: str | None
    report: Report | None


@dataclass(frozen=True)
class Timeline:
    """Everything the calendar and the report show, as of one instant."""

    as_of: datetime
    meetings: tuple[MeetingEntry, ...] = ()
    deadlines: tuple[DeadlineEntry, ...] = ()
    meeting_changes: tuple[MeetingChangeEntry, ...] = ()
