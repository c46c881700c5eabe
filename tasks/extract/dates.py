"""Find date expressions in a sentence and resolve them against a local reference date.

Everything is relative to `ref`, the local date at the dateline's place when the item was
published (see `reference_date`). Weekdays are resolved with a tense: "met on Thursday" is the
last Thursday, "will meet on Thursday" the next one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from tasks.extract.precheck import (
    count_matches,
    finditer_from_first,
    lower_finditer,
    lower_search,
    lowered,
    may_contain,
)

MONTHS = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}

_MON = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept\.?|Sep\.?|Oct\.?|Nov\.?|Dec\.?)"
MONTH_NAME = _MON  # a month's name or abbreviation, as a pattern (other readers of dates use it)
_WD = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_PART = r"(?:\s+(?:morning|afternoon|evening|night))?"

ZONES = {
    "edt": -240,
    "est": -300,
    "et": None,
    "eastern daylight time": -240,
    "eastern standard time": -300,
    "eastern time": None,
    "u.s. eastern time": None,
    "washington time": None,
    "kst": 540,
    "korea time": 540,
    "seoul time": 540,
    "jst": 540,
    "japan time": 540,
    "tokyo time": 540,
    "cet": 60,
    "cest": 120,
    "brussels time": None,
    "gmt": 0,
    "utc": 0,
    "bst": 60,
    "ist": 330,
}
_ZONE_TZ = {
    "et": "America/New_York",
    "eastern time": "America/New_York",
    "u.s. eastern time": "America/New_York",
    "washington time": "America/New_York",
    "brussels time": "Europe/Brussels",
}


@dataclass(frozen=True)
class DateRef:
    start: int
    end: int
    text: str
    date: date | None
    precision: str | None  # "day" | "week" | "month"
    kind: str  # "absolute" | "weekday" | "relative" | "period"
    at: datetime | None = None  # an instant, when a time and a zone are given
    vague: bool = False  # "early July", "mid-May", "before April is out": no day-precise value
    last: date | None = None  # the last day of a span ("May 4 to 7", "29 January to 9 February")


def monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def month_start(d: date) -> date:
    return d.replace(day=1)


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def closest_year(month: int, day: int, ref: date) -> date | None:
    best = None
    for y in (ref.year - 1, ref.year, ref.year + 1):
        try:
            cand = date(y, month, day)
        except ValueError:
            continue
        if best is None or abs((cand - ref).days) < abs((best - ref).days):
            best = cand
    return best


# ZoneInfo keeps only the last 8 zones it loaded alive; the feeds' datelines name a dozen and more
@lru_cache(maxsize=64)
def _zone_info(key: str) -> ZoneInfo:
    return ZoneInfo(key)


def reference_date(
    published_at: datetime | None,
    offset_min: int | None,
    zone: str | None,
    dateline_md: tuple[int, int] | None = None,
) -> date | None:
    """The local date at the dateline's place (or the outlet's own offset) when the item was published."""
    if published_at is None:
        return None
    if zone:
        local = published_at.astimezone(_zone_info(zone)).date()
    elif offset_min is not None:
        local = published_at.astimezone(timezone(timedelta(minutes=offset_min))).date()
    else:
        local = published_at.date()
    if dateline_md:
        stated = closest_year(dateline_md[0], dateline_md[1], local)
        if stated and abs((stated - local).days) <= 2:
            return stated
    return local


FUTURE_CUES = re.compile(
    r"\b(will|would|shall|is to|are to|was to|were to|to (?:meet|hold|visit|see|travel|begin|start|open|attend|sit|speak|talk|join|take)|"
    r"set to|set for|due to|is due|are due|was due|were due|scheduled|expected|plans?|planned|planning|upcoming|"
    r"intends?|aims?|arrange|going to|ahead of|prepares?|preparing|will be|heads? (?:to|for|back)|leaves|"
    r"leaving|travels|is traveling|is travelling|flies|is flying|coming|next|later|"
    # the present of a schedule: "He meets Takaichi on Tuesday"
    r"meets|hosts|visits|receives|"
    # present tense of a scheduled change: "the rate kicks in on Thursday", "the pause expires on Friday"
    r"kicks? in|takes? effect|comes? into (?:force|effect)|goes? into effect|expires|lapses|runs out|applies)\b",
    re.I,
)
PAST_CUES = re.compile(
    r"\b(met|held|spoke|talked|sat|had|was|were|did|said|told|agreed|took|received|joined|discussed|"
    r"hosted|visited|signed|ended|began|opened|concluded|wrapped|called|announced|arrived|landed|left|ran|lasted|"
    r"returned|followed(?!\s+by)|touched|earlier|previous|last|ago|after|since|flew|went|came|posted|wrote|"
    # "the talks follow a phone call on Thursday", "comes after a meeting on Monday"
    r"follows|follow (?:a|an|the)|comes after)\b",
    re.I,
)


DEPART_FOR = re.compile(
    r"\b(?:left|leaves|flew|flies|headed|heads|departed|departs|set off|travel(?:l)?ed|travels)\s+(?:for|to)\b[^.;]{0,60}"
    r"\bfor\s+(?:the\s+)?(?:[\w'\"+-]+\s+){0,3}(?:talks|meetings?|summit|negotiations|consultations)\b[^.;]{0,120}$",
    re.I,
)
_FUTURE_PASSIVE = re.compile(r"\b(will|would|shall|to)\s+(?:be|have)\s+[a-z]+", re.I)


def _future_passive(text: str) -> str:
    """ "will be held" is future: keep the length, drop the participle."""
    return _FUTURE_PASSIVE.sub(lambda m: "will" + " " * (len(m.group(0)) - 4), text)


_CLAUSE_BREAK = re.compile(r"[;:]|,\s+(?:and|but|while|as|when|which|who)\b|\b(?:after|before|while|when)\b")


def tense_before(text: str, pos: int, default: str | None) -> str | None:
    """'future' or 'past' from the cue words closest before `pos` in the same clause."""
    window = _future_passive(text[max(0, pos - 90) : pos])
    window = _CLAUSE_BREAK.split(window)[-1]
    if lower_search(DEPART_FOR, text[max(0, pos - 220) : pos]):
        return "future"  # "left for Washington on Tuesday for talks with Bessent on Thursday"
    last_f = [m.end() for m in lower_finditer(FUTURE_CUES, window)]
    last_p = [m.end() for m in lower_finditer(PAST_CUES, window)]
    if last_f and (not last_p or last_f[-1] > last_p[-1]):
        return "future"
    if last_p:
        return "past"
    return default


@lru_cache(maxsize=4096)
def sentence_tense(text: str, headline: bool = False) -> str | None:
    """The tense a sentence's cue words suggest (memoised: meetings and deadlines read the same sentences)."""
    text = _future_passive(text)
    f = count_matches(FUTURE_CUES, text)
    p = count_matches(PAST_CUES, text)
    if headline:
        if re.search(r"\b(to|will|set|eyes?|plans?|heads?)\b", text, re.I):
            return "future" if f else "past"
        return "past"
    if f > p:
        return "future"
    if p:
        return "past"
    return None


def resolve_weekday(ref: date, weekday: int, direction: str | None, modifier: str = "") -> date:
    delta = weekday - ref.weekday()
    if modifier == "this":
        return ref + timedelta(days=delta)
    if modifier == "last":
        back = (ref.weekday() - weekday) % 7 or 7
        return ref - timedelta(days=back)
    if modifier == "next":
        fwd = (weekday - ref.weekday()) % 7 or 7
        return ref + timedelta(days=fwd)
    if delta == 0:
        return ref
    if direction == "future":
        return ref + timedelta(days=(weekday - ref.weekday()) % 7)
    if direction == "past":
        return ref - timedelta(days=(ref.weekday() - weekday) % 7)
    fwd = (weekday - ref.weekday()) % 7
    return ref + timedelta(days=fwd) if fwd <= 3 else ref - timedelta(days=7 - fwd)


_TO = r"\s*(?:-|–|—|and|to|through|until)\s*"  # joins the first and last day of a span
_ABS_MD = re.compile(
    rf"\b(?P<mon>{_MON})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?!\d|%| percent| billion| million)"
    rf"(?:{_TO}(?P<last>\d{{1,2}})(?:st|nd|rd|th)?(?!\d|:|%| percent))?(?:,?\s+(?P<year>20\d\d))?"
)
_MONTH_NAME = re.compile(_MON)  # where a match of _ABS_MD can begin (precheck.finditer_from_first)
_ABS_DM = re.compile(
    rf"\b(?:the\s+)?(?:(?P<first>\d{{1,2}})(?:st|nd|rd|th)?{_TO})?(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?"
    rf"(?P<mon>{_MON})(?:,?\s+(?P<year>20\d\d))?"
)
# "December 2026", "in Feb. 2027": a month of a given year (month precision)
_MONTH_YEAR = re.compile(rf"\b(?P<mon>{_MON})\.?\s+(?P<year>20\d\d)\b")
# two dates that make one span: "from 29 January to 9 February", "March 30-April 2"
_SPAN_OPEN = re.compile(r"\b(?:from|between)\s+$", re.I)
_SPAN_JOIN = re.compile(r"^\s*(?:-|–|—|to|through|until|till)\s*$")
_WEEKDAY = re.compile(rf"\b(?:(?P<mod>this|last|next|on|late|early)\s+)?(?P<wd>{_WD})(?:'s)?{_PART}")
# "last April", "next March": the month before (or after) the reference month, whatever its year
_MONTH_MOD = re.compile(rf"\b(?P<mod>(?i:last|next|this|past))\s+(?P<mon>{_MON})\b(?![\s.]*\d)")
# "his June 3-6 visit last year", "on March 3 of next year": the year a year-less date is told in
_YEAR_AFTER = re.compile(r"(?:\s+[a-z][\w-]*){0,2}?(?<!\bthe)\s+(?P<which>last|next|this)\s+year\b")
_YEAR_SHIFT = {"last": -1, "this": 0, "next": 1}
_VAGUE_MONTH = re.compile(
    rf"\b(?P<q>early|mid|late|the end of|end of|the start of|the beginning of|the middle of)[\s-]+(?P<mon>{_MON})(?!\s+\d)"
    rf"|\bbefore\s+(?P<mon2>{_MON})\s+is\s+(?:out|over)"
    rf"|\b(?:in|during|within|by|until|till|for)\s+(?P<mon3>{_MON})(?![\s.]*\d)"
)
_RELATIVE = [
    (
        re.compile(
            r"\b(?:the\s+)?(?:previous|prior)\s+day\b|\byesterday\b|\bthe\s+day\s+before\b|\ba\s+day\s+(?:earlier|before)\b",
            re.I,
        ),
        -1,
        "day",
    ),
    (
        re.compile(
            r"(?<!\[News )\btoday\b|\b(?:earlier|later)\s+(?:in\s+the|that)\s+day\b|\bthe\s+same\s+(?:day|evening)\b|\bthis\s+(?:morning|afternoon|evening)\b|\btonight\b",
            re.I,
        ),
        0,
        "day",
    ),
    (re.compile(r"\btomorrow\b|\bthe\s+(?:next|following)\s+day\b|\ba\s+day\s+later\b", re.I), 1, "day"),
    (
        re.compile(r"\b(?:later|earlier)\s+this\s+week\b|\bthis\s+week(?:'s)?\b|\bthis\s+weekend\b", re.I),
        0,
        "week",
    ),
    (
        re.compile(r"\bnext\s+week(?:'s)?\b|\bthe\s+(?:following|coming)\s+week\b|\bnext\s+weekend\b", re.I),
        7,
        "week",
    ),
    (
        re.compile(
            r"\blast\s+week(?:'s)?\b|\bthe\s+(?:previous|prior)\s+week\b|\bthe\s+week\s+before\b|\ba\s+week\s+(?:earlier|ago|before(?!\s+(?:a|an|the|its|his|her|their)\b))|\blast\s+weekend\b",
            re.I,
        ),
        -7,
        "week",
    ),
    (re.compile(r"\b(?:later|earlier)\s+this\s+month\b|\bthis\s+month(?:'s)?\b", re.I), 0, "month"),
    (re.compile(r"\bnext\s+month(?:'s)?\b|\bthe\s+(?:following|coming)\s+month\b", re.I), 1, "month"),
    (
        re.compile(
            r"\blast\s+month(?:'s)?\b|\bthe\s+(?:previous|prior)\s+month\b|\ba\s+month\s+(?:earlier|ago)\b",
            re.I,
        ),
        -1,
        "month",
    ),
]
_TIME = re.compile(
    r"\b(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ap>a\.m\.|p\.m\.|am\b|pm\b)"
    r"(?:\s*(?:,\s*)?(?:on\s+)?(?:\w+day,?\s+)?(?:the\s+)?(?P<zone>EDT|EST|ET|KST|JST|CEST|CET|GMT|UTC|BST|[Ee]astern [Dd]aylight [Tt]ime|[Ee]astern [Ss]tandard [Tt]ime|(?:U\.S\. )?[Ee]astern time|Washington time|Seoul time|Korea time|Japan time|Tokyo time|Brussels time))?"
)


_COUNT = {"one": 1, "a": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10}
# "meet Xi in South Korea in three weeks", "talks in two days" (not "within two weeks": a bound, not a date)
_IN_N = re.compile(
    r"\bin\s+(?P<n>one|a|two|three|four|five|six|seven|ten|\d{1,2})\s+(?P<unit>weeks?|days?)(?:'\s*time)?\b",
    re.I,
)
# "on Tuesday (Wednesday in Manila)", "Thursday (Friday Seoul time)": the same day told in another zone
_ALT_ZONE_DAY = re.compile(
    rf"\(\s*(?:early\s+|late\s+)?{_WD}{_PART}\s+(?:in\s+[A-Z][\w.]+(?:\s+[A-Z][\w.]+)?|[A-Z][\w.]+\s+time|local\s+time|"
    rf"there)\s*\)"
)


def _month_num(word: str) -> int:
    return MONTHS[word.rstrip(".").lower()]


# Pre-checks (exact: a text without these words cannot match the patterns they stand for, so most sentences
# skip most of the 17 patterns below). The month and weekday patterns are case-sensitive: every month name
# (_MON) begins with one of these, every weekday name (_WD) ends in "day".
_MONTH_STARTS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# every _RELATIVE pattern and _IN_N (case-insensitive) has one of these words in each of its alternatives
_RELATIVE_NEEDLES = ("day", "evening", "morning", "afternoon", "tonight", "tomorrow", "week", "month")
# and by the precision a _RELATIVE pattern gives: the "day" ones need one of the first six, "week" ones "week"
# ("weekend" holds it), "month" ones "month"
_PRECISION_NEEDLES = {"day": _RELATIVE_NEEDLES[:6], "week": ("week",), "month": ("month",)}
_TIME_NEEDLES = ("am", "pm", "a.m.", "p.m.")  # _TIME (case-sensitive) needs one of these


_DATE_FOLLOWS = re.compile(rf",?\s+{_MON}\s+\d")  # after a weekday: "Wednesday, July 9"
_STARTING_BEFORE = re.compile(r"\b(?:from|starting|effective|as of|beginning|until|till)\s+$", re.I)


def _names_month(text: str) -> bool:
    return any(start in text for start in _MONTH_STARTS)


def find_dates(text: str, ref: date, default_tense: str | None = None) -> list[DateRef]:
    """All date expressions in `text`, resolved against `ref`, in text order (overlaps removed)."""
    return list(_find_dates(text, ref, default_tense))


@lru_cache(maxsize=4096)  # meetings and deadlines read the same sentences of an item
def _find_dates(text: str, ref: date, default_tense: str | None) -> tuple[DateRef, ...]:
    found: list[DateRef] = []

    def add(ref_: DateRef) -> None:
        for other in found:
            if ref_.start < other.end and other.start < ref_.end:
                return
        found.append(ref_)

    month = _names_month(text)
    weekday = "day" in text
    low = lowered(text)
    relative = may_contain(low, _RELATIVE_NEEDLES)
    for m in finditer_from_first(_ABS_MD, _MONTH_NAME, text) if month else ():
        mon, day = _month_num(m.group("mon")), int(m.group("day"))
        if day > 31:
            continue
        d = _dated(mon, day, m.group("year") or _year_told_after(text, m.end(), ref), ref)
        if d:
            add(DateRef(m.start(), m.end(), m.group(0), d, "day", "absolute", last=_last_day(d, m.group("last"))))
    for m in _ABS_DM.finditer(text) if month else ():
        mon, day = _month_num(m.group("mon")), int(m.group("day"))
        year = m.group("year") or _year_told_after(text, m.end(), ref)
        if m.group("first"):  # "4-7 May": the span starts on the first day
            first = _dated(mon, int(m.group("first")), year, ref)
            last = _dated(mon, day, year, ref)
            if first and last and first < last:
                add(DateRef(m.start(), m.end(), m.group(0), first, "day", "absolute", last=last))
                continue
        d = _dated(mon, day, year, ref)
        if d:
            add(DateRef(m.start(), m.end(), m.group(0), d, "day", "absolute"))
    for m in _MONTH_YEAR.finditer(text) if month else ():
        try:
            d = date(int(m.group("year")), _month_num(m.group("mon")), 1)
        except ValueError:
            continue
        add(DateRef(m.start(), m.end(), m.group(0), d, "month", "period"))
    alt_days = [(m.start(), m.end()) for m in _ALT_ZONE_DAY.finditer(text)] if weekday else []
    for m in _WEEKDAY.finditer(text) if weekday else ():
        if any(a <= m.start() < b for a, b in alt_days):
            continue
        # "Wednesday, July 9": the explicit date wins
        follow = text[m.end() : m.end() + 20]
        if _DATE_FOLLOWS.match(follow):
            continue
        mod = (m.group("mod") or "").lower()
        if mod in ("on", "late", "early"):
            mod = ""
        cue = tense_before(text, m.start(), None)
        direction = cue or default_tense
        if cue != "past" and _STARTING_BEFORE.search(text[max(0, m.start() - 14) : m.start()]):
            direction = "future"  # "tariffs fall from Wednesday": the start of something, not a past day
            #                       (but "the visit, which ran from Wednesday": its clause says past)
        d = resolve_weekday(ref, WEEKDAYS[m.group("wd").lower()], direction, mod)
        add(DateRef(m.start(), m.end(), m.group(0), d, "day", "weekday"))
    for rx, delta, precision in _RELATIVE if relative else ():
        if not may_contain(low, _PRECISION_NEEDLES[precision]):
            continue
        for m in rx.finditer(text):
            if precision == "day":
                d = ref + timedelta(days=delta)
            elif precision == "week":
                d = monday(ref + timedelta(days=delta))
            else:
                d = add_months(ref, delta)
            add(DateRef(m.start(), m.end(), m.group(0), d, precision, "relative"))
    for m in _IN_N.finditer(text) if relative else ():
        word = m.group("n").lower()
        n = int(word) if word.isdigit() else _COUNT.get(word, 0)
        if not n:
            continue
        if m.group("unit").lower().startswith("week"):
            add(DateRef(m.start(), m.end(), m.group(0), monday(ref + timedelta(weeks=n)), "week", "relative"))
        elif n <= 14:  # "in three days"; longer spans ("in 90 days") are periods, not dates
            add(
                DateRef(
                    m.start(), m.end(), m.group(0), ref + timedelta(days=n), "day", "relative", vague=True
                )
            )
    for m in _MONTH_MOD.finditer(text) if month else ():
        mon, mod, this = _month_num(m.group("mon")), m.group("mod").lower(), ref.month
        year = ref.year + (-1 if mod in ("last", "past") and mon >= this else 1 if mod == "next" and mon <= this else 0)
        add(DateRef(m.start(), m.end(), m.group(0), date(year, mon, 1), "month", "period"))
    for m in _VAGUE_MONTH.finditer(text) if month else ():
        word = m.group("mon") or m.group("mon2") or m.group("mon3")
        mon = _month_num(word)
        year = _year_told_after(text, m.end(), ref)  # "in January last year": the year before the report's
        d = date(int(year), mon, 1) if year else closest_year(mon, 1, ref)
        if d is None:
            continue
        add(DateRef(m.start(), m.end(), m.group(0), d, "month", "period", vague=True))
    found.sort(key=lambda r: r.start)
    return tuple(_attach_instants(text, _join_spans(text, found, ref)))


def _last_day(first: date, last: str | None) -> date | None:
    """The last day of "May 4 to 7": the same month (or the next, for "May 30 to 2")."""
    if not last or int(last) > 31:
        return None
    try:
        end = first.replace(day=int(last))
    except ValueError:
        return None
    if end <= first:
        end = (add_months(first, 1)).replace(day=int(last)) if int(last) <= 28 else None
    return end if end is not None and (end - first).days <= 31 else None


def _join_spans(text: str, refs: list[DateRef], ref: date | None = None) -> list[DateRef]:
    """Two absolute days joined by "to" or a dash, the second at most a month after the first, are one span:
    "from 29 January to 9 February". (A move "from Aug. 1 to Aug. 7" reads the same: deadlines tell it by its
    verb and use `date` and `last` as the old and the new day.)"""
    out: list[DateRef] = []
    for r in refs:
        prev = out[-1] if out else None
        if (prev is not None and prev.kind == "absolute" and r.kind == "absolute" and prev.precision == "day"
                and r.precision == "day" and prev.last is None and r.last is None and prev.date and r.date
                and 0 < (r.date - prev.date).days <= 31 and _SPAN_JOIN.match(text[prev.end : r.start])):
            out[-1] = DateRef(prev.start, r.end, text[prev.start : r.end], prev.date, "day", "absolute",
                              last=r.date)
            continue
        if (prev is not None and prev.kind == "weekday" and r.kind == "weekday" and prev.date and r.date
                and prev.last is None and _SPAN_JOIN.match(text[prev.end : r.start])
                and _SPAN_OPEN.search(text[max(0, prev.start - 12) : prev.start])):
            # "from Wednesday to Friday": one span; a past one is dated by its last day, a coming one by its first
            length = timedelta(days=(r.date.weekday() - prev.date.weekday()) % 7)
            if ref is not None and r.date <= ref:
                first, last = r.date - length, r.date
            else:
                first, last = prev.date, prev.date + length
            out[-1] = DateRef(prev.start, r.end, text[prev.start : r.end], first, "day", "weekday", last=last)
            continue
        out.append(r)
    return out


def _year_told_after(text: str, end: int, ref: date) -> str | None:
    """The year a phrase after a year-less date names ("June 3-6 visit last year"), relative to `ref`."""
    m = _YEAR_AFTER.match(text, end)
    return str(ref.year + _YEAR_SHIFT[m.group("which")]) if m else None


def _dated(mon: int, day: int, year: str | None, ref: date) -> date | None:
    if year:
        try:
            return date(int(year), mon, day)
        except ValueError:
            return None
    return closest_year(mon, day, ref)


def _attach_instants(text: str, refs: list[DateRef]) -> list[DateRef]:
    """Give the day-precise date closest to a time with a zone ("12:01 a.m. EDT on July 9") its instant."""
    out = list(refs)
    if not any(needle in text for needle in _TIME_NEEDLES):
        return out
    for m in _TIME.finditer(text):
        if not m.group("zone"):
            continue
        days = [(i, r) for i, r in enumerate(out) if r.precision == "day" and r.date is not None]
        if not days:
            break
        i, r = min(days, key=lambda ir: min(abs(ir[1].start - m.end()), abs(m.start() - ir[1].end)))
        if min(abs(r.start - m.end()), abs(m.start() - r.end)) > 30:
            continue
        hour = int(m.group("h")) % 12 + (12 if m.group("ap").startswith("p") else 0)
        minute = int(m.group("m") or 0)
        zone = m.group("zone").lower()
        if zone in _ZONE_TZ:
            tz = ZoneInfo(_ZONE_TZ[zone])
        elif ZONES.get(zone) is not None:
            tz = timezone(timedelta(minutes=ZONES[zone]))
        else:
            continue
        at = datetime(r.date.year, r.date.month, r.date.day, hour, minute, tzinfo=tz)
        out[i] = DateRef(r.start, r.end, r.text, r.date, r.precision, r.kind, at, r.vague, r.last)
    return out
