"""Event resolution, pure: merge one item's mention into what we already know.

Meetings: one meeting told by N outlets becomes one event. A mention joins a known event with the
same parties when its date falls in the event's precision window, its format is compatible (a
"2+2" is not the bilateral held after it; a call is not a meeting) and its officials do not
contradict (two calls with different counterparts are two calls). Status only moves forward:
scheduled → held / postponed / cancelled; a held meeting never goes back to scheduled because an
older article is read later. A finer date (day over week over month) refines the event.

Deadlines: identity is the measure (kind, scope, qualifier) and its governments: a country-specific date never
merges into a generic one. The same value is "restated"; a value the text marks as the same deadline one day
apart (pause "ends July 8" in Seoul = "expires July 9" in Washington) is "equivalent"; a value the deadline had
before, or a value from an item older than the current value's report, changes nothing ("restated"). A different
value is a "change" only on a basis: words that tie old and new ("extended to", "instead of"), a primary
source, or a second independent story; otherwise it is "conflicting": kept as evidence, alerting nobody.
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
from tasks.events.evidence import LOOSE_LINKS

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
    action: str  # "new" | "change" | "restated" | "equivalent" | "conflicting"
    event: DeadlineEvent
    old_date: date | None
    basis: str | None = None  # for a change: "change_language" | "official" | "corroborated"


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
    return f"d-{'-'.join(c.lower() for c in sorted(countries))}-{subject.replace(':', '-')}"


# ------------------------------------------------------------------ meetings


def _span(d: date | None, precision: str | None, end: date | None) -> tuple[date, date] | None:
    """The days a meeting may cover: a multi-day meeting's first to last day, else its precision's window."""
    if d is not None and end is not None and precision == "day":
        return d, end
    return _window(d, precision)


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


def _leaders_at(format_a: str | None, a: Sequence[str], format_b: str | None, b: Sequence[str]) -> bool:
    """One side is a summit whose people (two or more) are all among the other side's."""
    for fmt, summit, other in ((format_a, a, b), (format_b, b, a)):
        if fmt == "summit" and len(summit) >= 2 and {_key(x) for x in summit} <= {_key(x) for x in other}:
            return True
    return False


def _officials_conflict(a: Sequence[str], b: Sequence[str], format: str | None) -> bool:
    """Different calls: both name people and share nobody beyond one common participant."""
    if format not in ("call", "bilateral") or not a or not b:
        return False
    ka, kb = {_key(x) for x in a}, {_key(x) for x in b}
    return len(ka) >= 2 and len(kb) >= 2 and ka != kb and not (ka <= kb or kb <= ka)


# _fit joins a mention to a known meeting of its parties only when their days come close: the same day give or
# take two (drift), or overlapping windows — a week's reaches 8 days from its date, a month's 31, a multi-day
# meeting to its last day. A meeting whose days all lie farther than REACH from the mention's date (or its last
# day) cannot fit it, so the resolver never loads it (apply.resolver_for). Keep it so when _fit learns a rule.
REACH = timedelta(days=45)


def _fit(event: MeetingEvent, mention: MeetingMention) -> float | None:
    if tuple(sorted(event.parties)) != tuple(sorted(mention.parties)):
        return None
    vague = (
        "day" not in (event.date_precision, mention.date_precision)
        or event.date_precision != mention.date_precision
    )
    shares_people = bool({_key(o) for o in event.officials} & {_key(o.name) for o in mention.officials})
    in_person = not {event.format, mention.format} & {"call", "working-level"}
    same_day = not vague and event.meeting_date == mention.date
    same_day_in_person = same_day and in_person
    if not _formats_compatible(event.format, mention.format) and not (
        # a trip announced for "this week" is the meeting later told by day, whatever its format was guessed to be
        (vague and in_person and shares_people)
        # talks the same day with every leader of a leaders' meeting at the table: that meeting, told otherwise
        or (same_day_in_person
            and _leaders_at(event.format, event.officials, mention.format, [o.name for o in mention.officials]))
        # talks the same day told without a name ("the two leaders held talks one on one"): nothing tells them
        # apart from the meeting of that day, whatever format their words suggest
        or (same_day_in_person and (not mention.officials or not event.officials)
            and not (event.location and mention.location and _key(event.location) != _key(mention.location)))
        # "will hold talks with Truss this afternoon", then the call the two held that day: the plan named no
        # medium, so it is that call
        or (same_day and shares_people and event.status != mention.status
            and {event.format, mention.format} == {"call", "ministerial"})
    ):
        return None
    names = [o.name for o in mention.officials]
    fmt = event.format or mention.format
    if _officials_conflict(event.officials, names, fmt):
        return None
    shared = {_key(o) for o in event.officials} & {_key(n) for n in names}
    if (event.location and mention.location and _key(event.location) != _key(mention.location)
            and event.officials and names and not shared):
        return None  # different people in different cities: two meetings
    score = 0.0
    ew, mw = _span(event.meeting_date, event.date_precision, event.end_date), _span(
        mention.date, mention.date_precision, mention.end_date)
    if ew and mw:
        if (event.end_date or mention.end_date) and "day" in (event.date_precision, mention.date_precision):
            if ew[0] > mw[1] or mw[0] > ew[1]:
                return None  # outside the span of a multi-day meeting
            score += 1
        elif event.date_precision == "day" and mention.date_precision == "day":
            gap = abs((event.meeting_date - mention.date).days)
            drift = (gap == 2 and event.status != mention.status
                     and (bool(shared) or (event.format is not None and event.format == mention.format)))
            if gap > 1 and not drift:
                return None  # (a plan and its report two days apart, by the same people: the same meeting)
            if drift:
                score -= 0.75
            elif gap == 1:
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
            end_date=mention.end_date,
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
        # (a day inside the known span of a multi-day round is that round: "ended the round on Thursday")
        and not (event.end_date and event.meeting_date and mention.end_date is None
                 and event.meeting_date <= mention.date <= event.end_date)
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
    start = changes.get("meeting_date", event.meeting_date)
    if mention.end_date and start and mention.end_date > start and mention.end_date != event.end_date and (
            event.end_date is None or mention.status == "held"):
        changes["end_date"] = mention.end_date  # a round's last day, first told or as it turned out
    after = replace(event, **changes, last_seen_at=max(seen_at, event.last_seen_at or seen_at))
    return MeetingDecision("update" if changes else "same", after, tuple(changes))


def _next_status(current: str, reported: str) -> str:
    if current == reported or current in STATUS_FINAL:
        return current
    if reported in ("held", "postponed", "cancelled"):
        return reported
    return current  # "scheduled" never overrides postponed/cancelled without a new date


# ------------------------------------------------------------------ deadlines

def _parts(subject: str) -> tuple[str, str, str | None]:
    """(kind, scope, qualifier) of a measure key ("tariff:autos:section-232")."""
    parts = subject.split(":")
    return parts[0], parts[1] if len(parts) > 1 else "all", parts[2] if len(parts) > 2 else None


def _same_measure(event: DeadlineEvent, mention: DeadlineMention) -> bool:
    """The same measure, or a compatible one: the same kind, scope and governments, one side not qualified
    ("the tariffs on Chinese goods" and "the fentanyl tariffs on Chinese goods")."""
    if tuple(sorted(event.countries)) != tuple(sorted(mention.countries)):
        return False
    (ek, es, eq), (mk, ms, mq) = _parts(event.subject), _parts(mention.subject)
    strict = {"reduced", "additional", "increase"}  # a cut, a duty on top or a step up is never the rate it changes
    return ek == mk and es == ms and (eq == mq or ((eq is None or mq is None) and not {eq, mq} & strict))


def _compatible(mention: DeadlineMention, candidates: Sequence[DeadlineEvent]) -> DeadlineEvent | None:
    """The known measure an unqualified (or qualified) report is of: the only compatible one; among several, the one
    whose value it gives, else the unmarked main application ("large-firms": the exception is always told)."""
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    same = [e for e in candidates if _is_value_of(mention.due_date, e)]
    if len(same) == 1:
        return same[0]
    main = [e for e in candidates if e.subject.endswith(":large-firms")]
    return main[0] if len(main) == 1 else None


def _is_value_of(day: date | None, event: DeadlineEvent) -> bool:
    """The event's current value, one of its spellings, or the day beside it."""
    if day is None:
        return False
    return day in (event.due_date, *event.equivalent_dates) or abs((day - event.due_date).days) <= 1


def _basis(mention: DeadlineMention, event: DeadlineEvent, story: str, official: bool,
           seen_on: date) -> str | None:
    """Why a different value counts as a move: words that tie it to the old one, a primary source stating it, or
    a second independent story giving it. None: a report that conflicts, nothing more."""
    if mention.certainty != "definite":
        return None
    if mention.moved_from is not None and not _known_value(mention.moved_from, event):
        return None  # "moved from Jan. 1, 2026 to Jan. 1, 2027" of a deadline never told as Jan. 1, 2026: not its move
    gone = event.due_date < seen_on - GONE
    if mention.change:
        # ("extended the ban until Oct. 31" of a measure whose known day passed months ago: another round of it, or
        # reports missed in between; a move from that day only if the words name it)
        return None if gone and mention.moved_from is None else "change_language"
    if gone or event.evidence.get("took_effect") == event.due_date.isoformat():
        return None  # a value long gone by, or reported as the day the measure took effect: another date for it is
        #              a conflict, unless words say it moved ("the ban, which expired in March, was reinstated until")
    if official:
        return "official"
    if not _strong(mention):
        return None
    wanted = {mention.due_date, *mention.equivalent_dates}
    if any(date.fromisoformat(day) in wanted and other != story and strong
           for day, other, strong in event.evidence.get("conflicting", [])):
        return "corroborated"
    return None


def _known_value(day: date, event: DeadlineEvent) -> bool:
    """A value the deadline has or had, in any spelling, or one a report gave for it."""
    return (day == event.due_date or day in event.equivalent_dates or day in event.previous_dates
            or _reported(day, event))


def _reported(day: date, event: DeadlineEvent) -> bool:
    """A value some report gave that did not count as a move (conflicting)."""
    return any(date.fromisoformat(c[0]) == day for c in event.evidence.get("conflicting", []))


GONE = timedelta(days=30)  # a value this long gone by is history: no statement of another date moves it
_WEAK_LINKS = LOOSE_LINKS | {"deadline", "target"}  # (a target or a deadline named as such: aims, not facts)


def _strong(mention: DeadlineMention) -> bool:
    """A report that states the value as the measure's own date, as a fact ("takes effect on", "expires on",
    "until"), not one of the loose links ("from", "by") that also carry threats and aims."""
    return mention.certainty == "definite" and mention.link.lower() not in _WEAK_LINKS


def resolve_deadline(mention: DeadlineMention, seen_at: datetime, known: Sequence[DeadlineEvent], *,
                     story: str = "", official: bool = False) -> DeadlineDecision:
    """What one report of a measure's date means: a new deadline, the same value (restated, or an equivalent
    spelling), a move (with its basis), or a conflicting report kept as evidence. `story` tells independent
    reports apart (wire copies share one); `official`: the report is a primary source."""
    decision = _resolve_deadline(mention, seen_at, known, story=story, official=official)
    if mention.in_effect and decision.action != "conflicting":  # the value is a fact now: it took effect
        event = decision.event
        decision = replace(decision, event=replace(event, evidence={**event.evidence,
                                                                    "took_effect": event.due_date.isoformat()}))
    return decision


def _resolve_deadline(mention: DeadlineMention, seen_at: datetime, known: Sequence[DeadlineEvent], *,
                      story: str, official: bool) -> DeadlineDecision:
    did = deadline_id_for(mention.subject, mention.countries)
    event = next((e for e in known if e.deadline_id == did), None)
    if event is None:
        event = _compatible(mention, [e for e in known if _same_measure(e, mention)])
    if event is None:
        return DeadlineDecision("new", DeadlineEvent(
            deadline_id=did, subject=mention.subject, subject_label=mention.subject_label,
            countries=tuple(sorted(mention.countries)), due_date=mention.due_date, due_at=mention.due_at,
            first_seen_at=seen_at, equivalent_dates=tuple(mention.equivalent_dates), updated_at=seen_at,
            rate=mention.rate), None)
    if mention.due_date == event.due_date:
        changes = {"evidence": {**event.evidence, "conflicting": []}} if event.evidence.get("conflicting") else {}
        # (a report that restates the current value outweighs the other values told before it)
        if event.due_at is None and mention.due_at is not None:
            changes["due_at"] = mention.due_at
        if mention.rate and mention.rate != event.rate:
            changes["rate"] = mention.rate
        return DeadlineDecision("restated", replace(event, **changes), None)
    if mention.due_date in event.equivalent_dates or event.due_date in mention.equivalent_dates:
        extra = tuple(d for d in (mention.due_date, *mention.equivalent_dates) if d != event.due_date)
        event = replace(event, equivalent_dates=tuple(sorted(set(event.equivalent_dates) | set(extra))))
        return DeadlineDecision("equivalent", event, None)
    if mention.due_date in event.previous_dates or (event.updated_at and seen_at < event.updated_at):
        return DeadlineDecision("restated", event, None)  # an old value, recalled or read late: no change
    if _is_value_of(mention.due_date, event) and not mention.change:
        # the day beside the current value, with no words of a move: the same value told across a date line or
        # as the last day instead of the first ("entered into force on Jan. 1" of a pact in force since Dec. 31)
        event = replace(event, equivalent_dates=tuple(sorted({*event.equivalent_dates, mention.due_date})))
        return DeadlineDecision("equivalent", event, None)
    basis = _basis(mention, event, story, official, seen_at.date())
    if basis is None:
        conflicting = [c for c in event.evidence.get("conflicting", [])]
        report = [mention.due_date.isoformat(), story, _strong(mention)]
        if report not in conflicting:
            conflicting.append(report)
        return DeadlineDecision("conflicting", replace(event, evidence={**event.evidence,
                                                                       "conflicting": conflicting}), None)
    after = replace(
        event, due_date=mention.due_date, due_at=mention.due_at,
        equivalent_dates=tuple(mention.equivalent_dates), previous_dates=(*event.previous_dates, event.due_date),
        updated_at=seen_at, rate=mention.rate or event.rate,
        evidence={**event.evidence, "conflicting": []},
    )
    old = mention.moved_from if basis == "change_language" and mention.moved_from and _reported(
        mention.moved_from, event) else event.due_date  # "instead of Dec. 30, 2025": the value the text moves from
    return DeadlineDecision("change", after, old, basis)
