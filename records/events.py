"""Events: what many reports resolve to. One meeting across N outlets; one deadline and the values it took."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

EVIDENCE_LEVELS = ("tentative", "reported", "confirmed")  # weakest first


@dataclass(frozen=True)
class MeetingEvent:
    meeting_id: str
    parties: tuple[str, ...]
    meeting_date: date | None
    date_precision: str | None
    location: str | None
    format: str | None
    status: str
    officials: tuple[str, ...]
    first_seen_at: datetime
    last_seen_at: datetime | None = None  # the newest item that mentioned it
    end_date: date | None = None  # the last day of a multi-day meeting
    evidence_level: str = "reported"  # EVIDENCE_LEVELS: what its reports add up to
    evidence: dict = field(default_factory=dict, compare=False)  # what made the level


@dataclass(frozen=True)
class DeadlineEvent:
    deadline_id: str
    subject: str
    subject_label: str
    countries: tuple[str, ...]
    due_date: date
    due_at: datetime | None
    first_seen_at: datetime
    equivalent_dates: tuple[date, ...] = ()  # other spellings of the current value (July 8 ~ July 9)
    previous_dates: tuple[date, ...] = ()  # values it had before, oldest first
    updated_at: datetime | None = None  # publication of the item that gave the current value
    rate: str | None = None  # the rate due, when the reports give one ("25%")
    evidence_level: str = "reported"  # EVIDENCE_LEVELS: what its reports add up to
    evidence: dict = field(default_factory=dict, compare=False)  # what made the level
