"""The iCalendar feed (RFC 5545, written by the `icalendar` library): meetings and deadlines as events a
calendar client can subscribe to. Pure: a Timeline and a Selection in, bytes out; the same input gives the same
bytes, so a file republished with nothing new is unchanged.

- Meetings are all-day events over the days they may fall on: their days (a NULL end date is one day), or the
  whole week or month when only that is known, with the precision in the title; never a wrong exact day.
  Undated meetings are left out. Location, officials, the evidence level and the newest reports with their
  links are in the description; STATUS as `wording.calendar_status` says.
- Deadlines are the exact instant (UTC) when the reports give one, an all-day event otherwise; the description
  holds every value the deadline took: first report, each move old → new, conflicting reports.
- Stable UIDs (`<event id>@tradewatch`): a client updates the event rather than adding another. SEQUENCE is the
  event's revision (bumped when its date or status changes); LAST-MODIFIED and DTSTAMP are its last update
  (there is no METHOD, so DTSTAMP is the last revision, RFC 5545 3.8.7.2).
- Every event is TRANSPARENT: it shows in the calendar without blocking the subscriber's time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event

from records.calendar import DeadlineEntry, MeetingEntry, Report, Timeline
from tasks.alerts.format import clean, http_url
from tasks.publish import wording

PRODID = "-//tradewatch//negotiation calendar//EN"
UID_DOMAIN = "tradewatch"
REFRESH = timedelta(hours=1)  # how often a subscribed client should fetch the feed again (RFC 7986)
DESCRIPTION_REPORTS = 3  # reports listed under an event, newest first; the rest are counted


@dataclass(frozen=True)
class Selection:
    """What goes into a calendar: events of these countries (empty: all), ending on or after `since` (None: any
    time), tentative ones or not."""

    countries: frozenset[str] = frozenset()
    since: date | None = None
    tentative: bool = True
    name: str = "tradewatch"

    def takes_meeting(self, m: MeetingEntry) -> bool:
        span = m.span
        return (span is not None and self._countries(m.parties) and self._level(m.evidence_level)
                and (self.since is None or span[1] >= self.since))

    def takes_deadline(self, d: DeadlineEntry) -> bool:
        return (self._countries(d.countries) and self._level(d.evidence_level)
                and (self.since is None or d.due_date >= self.since))

    def _countries(self, codes: Iterable[str]) -> bool:
        return not self.countries or bool(self.countries.intersection(codes))

    def _level(self, level: str) -> bool:
        return self.tentative or level != "tentative"


def build_calendar(timeline: Timeline, selection: Selection = Selection()) -> bytes:
    """The iCalendar file of the events the selection takes."""
    meetings = sorted((m for m in timeline.meetings if selection.takes_meeting(m)),
                      key=lambda m: (m.span, m.meeting_id))
    deadlines = sorted((d for d in timeline.deadlines if selection.takes_deadline(d)),
                       key=lambda d: (d.due_date, d.deadline_id))
    return b"".join(calendar_chunks(selection, [*map(meeting_ical, meetings), *map(deadline_ical, deadlines)]))


def calendar_chunks(selection: Selection, events: Iterable[bytes]) -> Iterator[bytes]:
    """The file, in pieces: the calendar's own properties, each event (meeting_ical, deadline_ical: an event
    depends on nothing else, so tasks/publish/pieces.py keeps them between publications), the end."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("name", clean(selection.name, max_len=200))
    cal.add("x-wr-calname", clean(selection.name, max_len=200))
    cal.add("x-wr-caldesc", "Meetings between governments and trade deadlines, from tradewatch")
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")  # the same hint, as older clients read it
    whole = cal.to_ical()  # BEGIN:VCALENDAR, its properties, END:VCALENDAR: the events go before the end
    end = whole.rindex(b"END:VCALENDAR")
    yield whole[:end]
    yield from events
    yield whole[end:]


def meeting_ical(m: MeetingEntry) -> bytes:
    return meeting_event(m).to_ical()


def deadline_ical(d: DeadlineEntry) -> bytes:
    return deadline_event(d).to_ical()


def uid(event_id: str) -> str:
    return f"{event_id}@{UID_DOMAIN}"


def _common(event: Event, event_id: str, *, first_seen: datetime, updated: datetime, revision: int,
            summary: str, status: str) -> None:
    event.add("uid", uid(event_id))
    event.add("dtstamp", wording.utc(updated))
    event.add("created", wording.utc(first_seen))
    event.add("last-modified", wording.utc(updated))
    event.add("sequence", max(0, int(revision)))
    event.add("summary", summary)
    event.add("status", status)
    event.add("transp", "TRANSPARENT")


def meeting_event(m: MeetingEntry) -> Event:
    first, last = m.span  # the caller keeps dated meetings only
    event = Event()
    _common(event, m.meeting_id, first_seen=m.first_seen_at, updated=m.updated_at, revision=m.revision,
            summary=wording.meeting_title(m), status=wording.calendar_status(m.status, m.evidence_level))
    event.add("dtstart", first)
    event.add("dtend", last + timedelta(days=1))  # exclusive: the day after the last
    if m.location:
        event.add("location", clean(m.location, max_len=200))
    event.add("description", _meeting_description(m))
    event.add("categories", ["Meeting", *m.parties])
    _link(event, m.evidence)
    return event


def deadline_event(d: DeadlineEntry) -> Event:
    event = Event()
    _common(event, d.deadline_id, first_seen=d.first_seen_at, updated=d.updated_at, revision=d.revision,
            summary=wording.deadline_title(d), status=wording.calendar_status("scheduled", d.evidence_level))
    if d.due_at is not None:
        event.add("dtstart", wording.utc(d.due_at))  # an instant: no DTEND, it ends as it starts (RFC 5545 3.6.1)
    else:
        event.add("dtstart", d.due_date)
        event.add("dtend", d.due_date + timedelta(days=1))
    event.add("description", _deadline_description(d))
    event.add("categories", ["Deadline", *d.countries])
    _link(event, d.evidence)
    return event


def _link(event: Event, reports: tuple[Report, ...]) -> None:
    url = next((u for u in (http_url(r.url) for r in reports) if u), None)
    if url:
        event.add("url", url)


def _report_lines(reports: tuple[Report, ...], total: int) -> list[str]:
    lines = []
    for r in reports[:DESCRIPTION_REPORTS]:
        when = f", {wording.short_day(wording.utc(r.published_at).date())}" if r.published_at else ""
        lines.append(f"- {clean(r.title, max_len=200)} ({clean(r.source_id, max_len=60)}{when})")
        url = http_url(r.url)
        if url:
            lines.append(f"  {url}")
    more = total - min(len(reports), DESCRIPTION_REPORTS)
    if more > 0:
        lines.append(f"- and {more} more report{'s' if more != 1 else ''}")
    return lines


def _meeting_description(m: MeetingEntry) -> str:
    lines = [
        f"Parties: {wording.parties(m.parties)}",
        f"When: {wording.meeting_when(m)}",
        f"Format: {wording.format_label(m.format)}",
        f"Status: {wording.STATUS_LABELS.get(m.status, clean(m.status, max_len=40))}",
        f"Evidence: {clean(m.evidence_level, max_len=40)}",
    ]
    if m.location:
        lines.append(f"Where: {clean(m.location, max_len=200)}")
    if m.officials:
        lines.append(f"Officials: {', '.join(clean(o, max_len=100) for o in m.officials)}")
    lines += ["", f"Reports ({m.reports}), newest first:", *_report_lines(m.evidence, m.reports)]
    return "\n".join(lines)


def history_line(value) -> str:
    """'9 Apr 2025: moved Wed 9 Apr 2025 → Wed 9 Jul 2025'."""
    seen = wording.short_day(wording.utc(value.seen_at).date())
    label = wording.ACTION_LABELS.get(value.action, clean(value.action, max_len=40))
    if value.action == "change" and value.old_date is not None:
        text = f"{seen}: {label} {wording.day(value.old_date)} → {wording.day(value.due_date)}"
    elif value.action == "conflicting":
        text = f"{seen}: {label} of {wording.day(value.due_date)} (not counted as a move)"
    else:
        text = f"{seen}: {label}, due {wording.day(value.due_date)}"
    if value.rate:
        text += f" ({clean(value.rate, max_len=40)})"
    return text


def _deadline_description(d: DeadlineEntry) -> str:
    lines = [f"What: {clean(d.subject, max_len=300)}"]
    if d.countries:
        lines.append(f"Countries: {wording.parties(d.countries)}")
    lines.append(f"Due: {wording.deadline_due(d)}")
    if d.rate:
        lines.append(f"Rate: {clean(d.rate, max_len=40)}")
    lines.append(f"Evidence: {clean(d.evidence_level, max_len=40)}")
    if d.history:
        lines += ["", "History:"]
        for value in d.history:
            lines.append(f"- {history_line(value)}")
            if value.report is not None:
                lines.append(f"  {clean(value.report.title, max_len=200)} ({clean(value.report.source_id, max_len=60)})")
                url = http_url(value.report.url)
                if url:
                    lines.append(f"  {url}")
    lines += ["", f"Reports ({d.reports}), newest first:", *_report_lines(d.evidence, d.reports)]
    return "\n".join(lines)
