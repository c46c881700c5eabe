"""Event resolution, pure: merge one item's mention into what we already know.

Meetings: one meeting told by N outlets becomes one event. A mention joins a known event with the
same parties when its date falls in the event's precision window, its format is compatible (a
"2+2" is not the bilateral held after it; a call is not a meeting) and its officials do not
contradict (two calls with different counterparts are two calls). Status only moves forward:
scheduled → held / postponed / cancelled; a held meeting never goes back to scheduled because an
older article is read later. A finer date (day over week over month) refines the event.

Deadlines: identity is the normalised subject + countries. The same value is "restated"; a value
the text marks as the same deadline one day apart (pause "ends July 8" in Seoul = "expires July 9"
in Washington) is "equivalent"; a value the deadline had before, or a value from an item older than
the current value's report, changes nothing ("restated"); any other value is a "change".
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from records.events import DeadlineEvent, MeetingEvent
from records.findings import DeadlineMention, MeetingMention

PRECISION_RANK = {"day": 0, "week": 1, "month": 2, None: 3}
FORMAT_RANK = {
    "2+2": 5,
    "call": 5,
    "summit": 4,
    "working-level": 4,
    "bilateral": 3,
    "ministerial": 2,
    None: 0,
}
STATUS_FINAL = {"held", "cancelled"}


@dataclass(frozen=True)
class MeetingDecision:
    action: str  # "new" | "update" | "same"
    event: MeetingEvent  # state after
    changed: tuple[str, ...]  # e.g. ("status", "meeting_date")


@dataclass(frozen=True)
class DeadlineDecision:
    action: str  # "new" | "change" | "restated" | "equivalent"
    event: DeadlineEvent
    old_date: date | None


# ------------------------------------------------------------------ ids


@functools.lru_cache(maxsize=8192)  # the same few official names are compared for every mention and event
def _key(name: str) -> str:
    folded = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", folded.replace(".", "")).strip().lower()


def meeting_id_for(
    parties: Sequence[str],
    meeting_date: date | None,
    format: str | None = None,
    officials: Sequence[str] = (),
) -> str:
    """Deterministic: parties, the first known date, and a short hash of format + officials."""
    digest = hashlib.sha256(
        "|".join([format or "", *sorted(_key(o) for o in officials)]).encode()
    ).hexdigest()[:6]
    when = meeting_date.isoformat() if meeting_date else "undated"
    return f"m-{'-'.join(p.lower() for p in sorted(parties))}-{when}-{digest}"


def deadline_id_for(subject: str, countries: Sequence[str]) -> str:
    return f"d-{'-'.join(c.lower() for c in sorted(countries))}-{subject}"


# ------------------------------------------------------------------ meetings


def _window(d: date | None, precision: str | None) -> tuple[date, date] | None:
    if d is None:
        return None
    if precision == "week":  # a day of slack each side: "the summit that opens on Sunday"
        start = d - timedelta(days=d.weekday())
        return start - timedelta(days=1), start + timedelta(days=7)
    if precision == "month":
        start = d.replace(day=1)
        nxt = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return start, nxt - timedelta(days=1)
    return d, d


def _formats_compatible(a: str | None, b: str | None) -> bool:
    if a is None or b is None or a == b:
        return True
    pair = {a, b}
    if "call" in pair or "working-level" in pair:
        return False
    if pair == {"2+2", "bilateral"}:
        return False
    return "summit" not in pair


def _officials_conflict(a: Sequence[str], b: Sequence[str], format: str | None) -> bool:
    """Different calls: both name people and share nobody beyond one common participant."""
    if format not in ("call", "bilateral") or not a or not b:
        return False
    ka, kb = {_key(x) for x in a}, {_key(x) for x in b}
    return len(ka) >= 2 and len(kb) >= 2 and ka != kb and not (ka <= kb or kb <= ka)


def _fit(event: MeetingEvent, mention: MeetingMention) -> float | None:
    if tuple(sorted(event.parties)) != tuple(sorted(mention.parties)):
        return None
    vague = (
        "day" not in (event.date_precision, mention.date_precision)
        or event.date_precision != mention.date_precision
    )
    if not _formats_compatible(event.format, mention.format) and not (
        # a trip announced for "this week" is the meeting later told by day, whatever its format was guessed to be
        vague
        and not {event.format, mention.format} & {"call", "working-level"}
        and {_key(o) for o in event.officials} & {_key(o.name) for o in mention.officials}
    ):
        return None
    names = [o.name for o in mention.officials]
    fmt = event.format or mention.format
    if _officials_conflict(event.officials, names, fmt):
        return None
    score = 0.0
    ew, mw = _window(event.meeting_date, event.date_precision), _window(mention.date, mention.date_precision)
    if ew and mw:
        if event.date_precision == "day" and mention.date_precision == "day":
            gap = abs((event.meeting_date - mention.date).days)
            if gap > 1:
                return None
            if gap == 1:
                # one day apart: the same meeting read across a date line, unless anything says otherwise
                if not _formats_compatible(event.format, mention.format) or (
                    event.status == "held"
                    and mention.status == "held"
                    and names
                    and event.officials
                    and not ({_key(n) for n in names} & {_key(n) for n in event.officials})
                ):
                    return None
                score -= 0.5
            else:
                score += 1
        elif ew[0] > mw[1] or mw[0] > ew[1]:
            return None
    elif mw is None and ew is not None and mention.status == "scheduled" and event.status == "held":
        score -= 0.5  # an undated plan is more likely the next meeting than a past one
    if event.format and event.format == mention.format:
        score += 2
    ke, km = {_key(x) for x in event.officials}, {_key(x) for x in names}
    if ke and km:
        score += 2 * len(ke & km) / len(ke | km)
    return score


def resolve_meeting(
    mention: MeetingMention, seen_at: datetime, known: Sequence[MeetingEvent]
) -> MeetingDecision:
    scored = [(s, e) for e in known if (s := _fit(e, mention)) is not None]
    names = tuple(dict.fromkeys(o.name for o in mention.officials))
    if not scored:
        mid = meeting_id_for(mention.parties, mention.date, mention.format, names)
        taken = {e.meeting_id for e in known}
        base, n = mid, 2
        while mid in taken:
            mid, n = f"{base}-{n}", n + 1
        event = MeetingEvent(
            meeting_id=mid,
            parties=tuple(sorted(mention.parties)),
            meeting_date=mention.date,
            date_precision=mention.date_precision if mention.date else None,
            location=mention.location,
            format=mention.format,
            status=mention.status,
            officials=names,
            first_seen_at=seen_at,
            last_seen_at=seen_at,
        )
        return MeetingDecision("new", event, ())
    _, event = max(scored, key=lambda se: (se[0], -known.index(se[1])))
    changes: dict = {}
    finer = (
        PRECISION_RANK[mention.date_precision if mention.date else None]
        < PRECISION_RANK[event.date_precision if event.meeting_date else None]
    )
    held_report = (
        mention.status == "held"
        and event.status != "held"
        and mention.date_precision == "day"
        and event.date_precision == "day"
        and mention.date != event.meeting_date
    )
    if mention.date and (finer or held_report):
        changes["meeting_date"] = mention.date
        if mention.date_precision != event.date_precision:
            changes["date_precision"] = mention.date_precision
    status = _next_status(event.status, mention.status)
    if status != event.status:
        changes["status"] = status
    merged = tuple(dict.fromkeys((*event.officials, *names)))
    if {_key(n) for n in merged} != {_key(n) for n in event.officials}:
        changes["officials"] = tuple(
            n for i, n in enumerate(merged) if _key(n) not in {_key(m) for m in merged[:i]}
        )
    if FORMAT_RANK.get(mention.format, 0) > FORMAT_RANK.get(event.format, 0):
        changes["format"] = mention.format
    if not event.location and mention.location:
        changes["location"] = mention.location
    after = replace(event, **changes, last_seen_at=max(seen_at, event.last_seen_at or seen_at))
    return MeetingDecision("update" if changes else "same", after, tuple(changes))


def _next_status(current: str, reported: str) -> str:
    if current == reported or current in STATUS_FINAL:
        return current
    if reported in ("held", "postponed", "cancelled"):
        return reported
    return current  # "scheduled" never overrides postponed/cancelled without a new date


# ------------------------------------------------------------------ deadlines

GENERAL_SUBJECTS = {"reciprocal-tariffs-apply"}  # one setter's rates for every partner
PARTNER_SUBJECTS = {"tariff-threat", "deal-rate-applies"}  # one setter's rate for one partner
# one partner-specific tariff told as a threat one day and as an "additional" duty the next is one deadline
THREAT_FAMILY = {"tariff-threat", "additional-tariff"}


def _general_rate_event(mention: DeadlineMention, known: Sequence[DeadlineEvent]) -> DeadlineEvent | None:
    if mention.subject not in PARTNER_SUBJECTS or len(mention.countries) < 2:
        return None
    for e in known:
        if (
            e.subject in GENERAL_SUBJECTS
            and len(e.countries) == 1
            and e.countries[0] in mention.countries
            and (mention.due_date == e.due_date or mention.due_date in e.equivalent_dates)
        ):
            return e
    return None


def _lapsed_general_event(
    mention: DeadlineMention, seen_at: datetime, known: Sequence[DeadlineEvent]
) -> DeadlineEvent | None:
    """A partner's rate from a later day, told after the general date has passed ("the 20% rate in Trump's
    letter applies from Aug. 1", read on July 20 when the general rates were due on July 9): the general
    rates' new date, unless the partner has a deadline of its own."""
    if mention.subject != "tariff-threat" or len(mention.countries) < 2:
        return None
    if any(set(e.countries) == set(mention.countries) for e in known):
        return None
    for e in known:
        if (
            e.subject in GENERAL_SUBJECTS
            and len(e.countries) == 1
            and e.countries[0] in mention.countries
            and e.due_date < seen_at.date()
            and mention.due_date > e.due_date
        ):
            return e
    return None


def resolve_deadline(
    mention: DeadlineMention, seen_at: datetime, known: Sequence[DeadlineEvent]
) -> DeadlineDecision:
    did = deadline_id_for(mention.subject, mention.countries)
    event = next((e for e in known if e.deadline_id == did), None)
    if event is None and (lapsed := _lapsed_general_event(mention, seen_at, known)) is not None:
        event = lapsed
    if event is None and (general := _general_rate_event(mention, known)) is not None:
        # "a 25% tariff on Japanese goods from Aug. 1" on the day the general rates apply: that partner's
        # rate under the general deadline, unless the partner already has a deadline of its own
        return DeadlineDecision("restated", general, None)
    if event is None and mention.subject in THREAT_FAMILY:
        event = next(
            (
                e
                for e in known
                if e.subject in THREAT_FAMILY
                and tuple(sorted(e.countries)) == tuple(sorted(mention.countries))
            ),
            None,
        )
    if event is None and mention.subject in THREAT_FAMILY:
        # "tariffs of up to 50% on cars, steel ... from Jan. 1" one day, "the tariffs due from January 1" the
        # next: a generic restatement of a sector tariff already known for the same partners and day
        same = next(
            (
                e
                for e in known
                if e.subject.endswith("-tariff-change")
                and tuple(sorted(e.countries)) == tuple(sorted(mention.countries))
                and (mention.due_date == e.due_date or mention.due_date in e.equivalent_dates)
            ),
            None,
        )
        if same is not None:
            return DeadlineDecision("restated", same, None)
    if event is None:
        event = DeadlineEvent(
            deadline_id=did,
            subject=mention.subject,
            subject_label=mention.subject_label,
            countries=tuple(sorted(mention.countries)),
            due_date=mention.due_date,
            due_at=mention.due_at,
            first_seen_at=seen_at,
            equivalent_dates=tuple(mention.equivalent_dates),
            updated_at=seen_at,
        )
        return DeadlineDecision("new", event, None)
    if mention.due_date == event.due_date:
        if event.due_at is None and mention.due_at is not None:
            event = replace(event, due_at=mention.due_at)
        return DeadlineDecision("restated", event, None)
    if mention.due_date in event.equivalent_dates or event.due_date in mention.equivalent_dates:
        extra = tuple(d for d in (mention.due_date, *mention.equivalent_dates) if d != event.due_date)
        event = replace(event, equivalent_dates=tuple(sorted(set(event.equivalent_dates) | set(extra))))
        return DeadlineDecision("equivalent", event, None)
    if mention.due_date in event.previous_dates or (event.updated_at and seen_at < event.updated_at):
        return DeadlineDecision("restated", event, None)  # an old value, recalled or read late: no change
    after = replace(
        event,
        due_date=mention.due_date,
        due_at=mention.due_at,
        equivalent_dates=tuple(mention.equivalent_dates),
        previous_dates=(*event.previous_dates, event.due_date),
        updated_at=seen_at,
    )
    return DeadlineDecision("change", after, event.due_date)
