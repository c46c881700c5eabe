"""How the calendar and the report word an event, the same way the Slack alerts do (tasks/alerts/format.py):
titles, dates with their precision, and the calendar status.

Status in a calendar (RFC 5545 STATUS): a meeting scheduled or held is CONFIRMED, unless its evidence level is
tentative (then TENTATIVE, and "(tentative)" in its title: clients that hide STATUS still say so); postponed is
TENTATIVE (it is expected, on a date not known yet); cancelled is CANCELLED. A deadline is CONFIRMED unless
tentative.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from records.calendar import DeadlineEntry, MeetingEntry
from tasks.alerts.format import clean, format_date, format_instant, parties_text

FORMAT_LABELS = {
    "2+2": "2+2 talks",
    "call": "call",
    "summit": "summit",
    "working-level": "working-level talks",
    "bilateral": "bilateral meeting",
    "ministerial": "ministerial meeting",
}
STATUS_LABELS = {"scheduled": "scheduled", "held": "held", "postponed": "postponed", "cancelled": "cancelled"}
ACTION_LABELS = {"new": "first reported", "change": "moved", "conflicting": "conflicting report"}


def calendar_status(status: str, evidence_level: str) -> str:
    """The RFC 5545 STATUS of an event (see the module docstring)."""
    if status == "cancelled":
        return "CANCELLED"
    if status == "postponed" or evidence_level == "tentative":
        return "TENTATIVE"
    return "CONFIRMED"


def format_label(fmt: str | None) -> str:
    if not fmt:
        return "meeting"
    return FORMAT_LABELS.get(fmt, clean(fmt, max_len=60))


def parties(codes: tuple[str, ...]) -> str:
    """'🇰🇷 KR – 🇺🇸 US'."""
    return parties_text(list(codes))


def day(value: date | datetime | None) -> str:
    """'Thu 24 Apr 2025'."""
    return format_date(value, "day")


def short_day(value: date) -> str:
    """'24 Apr 2025'."""
    return f"{value.day} {value:%b %Y}"


def meeting_when(m: MeetingEntry) -> str:
    """'Thu 24 Apr 2025', '24–26 Apr 2025', 'week of 19 May 2025 (day not announced)', 'May 2025 (day not
    announced)' or 'date not announced': never a wrong exact day."""
    if m.meeting_date is None:
        return "date not announced"
    if m.date_precision in ("week", "month"):
        return f"{format_date(m.meeting_date, m.date_precision)} (day not announced)"
    first, last = m.span or (m.meeting_date, m.meeting_date)
    if first == last:
        return day(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{short_day(first)} – {short_day(last)}"


def meeting_title(m: MeetingEntry) -> str:
    """'🇰🇷 KR – 🇺🇸 US: 2+2 talks', with what a title must not hide: cancelled or postponed, a date known only
    to the week or month, tentative evidence."""
    title = f"{parties(m.parties)}: {format_label(m.format)}"
    if m.status in ("cancelled", "postponed"):
        title = f"{m.status.capitalize()}: {title}"
    if m.date_precision in ("week", "month") and m.meeting_date is not None:
        title += f" ({format_date(m.meeting_date, m.date_precision)}, day not announced)"
    if m.evidence_level == "tentative":
        title += " (tentative)"
    return title


def deadline_due(d: DeadlineEntry) -> str:
    """'Fri 1 Aug 2025, 04:01 UTC' (the instant, when known) or 'Fri 1 Aug 2025'."""
    at = format_instant(d.due_at)
    return f"{day(d.due_date)}, {at}" if at else day(d.due_date)


def deadline_title(d: DeadlineEntry) -> str:
    """'Deadline: higher reciprocal tariff rates apply — 🇺🇸 US (moved from Wed 9 Jul 2025)'."""
    title = f"Deadline: {clean(d.subject, max_len=200)}"
    if d.countries:
        title += f" — {parties(d.countries)}"
    if d.rate:
        title += f" ({clean(d.rate, max_len=40)})"
    if d.moves:
        title += f" (moved from {day(d.moves[-1].old_date)})"
    if d.evidence_level == "tentative":
        title += " (tentative)"
    return title


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
