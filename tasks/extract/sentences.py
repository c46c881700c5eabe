"""Split an item into sentences and read its dateline. Pure text functions."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_ABBREVIATIONS = {
    "u.s.",
    "u.k.",
    "e.u.",
    "u.n.",
    "jan.",
    "feb.",
    "mar.",
    "apr.",
    "jun.",
    "jul.",
    "aug.",
    "sept.",
    "sep.",
    "oct.",
    "nov.",
    "dec.",
    "gov.",
    "mr.",
    "mrs.",
    "ms.",
    "dr.",
    "st.",
    "jr.",
    "sr.",
    "co.",
    "corp.",
    "inc.",
    "ltd.",
    "no.",
    "a.m.",
    "p.m.",
    "vs.",
    "e.g.",
    "i.e.",
    "gen.",
    "sen.",
    "rep.",
    "lt.",
    "col.",
    "s.",
    "d.c.",
    "u.s.a.",
    "approx.",
    "est.",
    "mt.",
    "ft.",
    "prof.",
    "amb.",
    "pres.",
    "sec.",
    "min.",
    "dept.",
}


@dataclass(frozen=True)
class Sentence:
    text: str
    index: int  # position in the item, 0-based
    paragraph: int  # 0 = title, 1 = summary, 2.. = body paragraphs
    headline: bool = False  # title: present tense reports past events, "to" marks future ones


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Diacritics removed, one character for one character (offsets stay valid): Šefčovič → Sefcovic."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ord(ch) < 128:
            out.append(ch)
            continue
        base = unicodedata.normalize("NFKD", ch)
        kept = [c for c in base if not unicodedata.combining(c)]
        out.append(kept[0] if len(kept) == 1 else ch)
    return "".join(out).replace("’", "'").replace("‘", "'")


_SPACES = re.compile(r"\s+")


# a few dozen names an item, asked for again and again (registry, mentions, clusters)
@lru_cache(maxsize=4096)
def name_key(name: str) -> str:
    """A comparison key for person names: folded, lower case, single spaces, no dots."""
    return _SPACES.sub(" ", fold(name).replace(".", "")).strip().lower()


_BOUNDARY = re.compile(r"([.!?])([\"”’')\]]*)\s+(?=[\"“'(\[]?[A-Z0-9])")
_INITIALS = re.compile(r"(?:[a-z]\.){1,3}")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def split_sentences(paragraph: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(paragraph):
        if m.group(1) == ".":
            before = paragraph[start : m.start() + 1].rsplit(
                None, 1
            )  # its last word: the same as split()[-1]
            last = before[-1].lower() if before else ""
            last = last.lstrip("\"“'(")
            if last in _ABBREVIATIONS or _INITIALS.fullmatch(last):
                continue
        out.append(paragraph[start : m.end()].strip())
        start = m.end()
    tail = paragraph[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


def item_sentences(title: str, summary: str, body: str) -> list[Sentence]:
    """Title, summary (when it is not a copy of the body) and body, as numbered sentences."""
    out: list[Sentence] = []
    parts: list[tuple[int, str, bool]] = []
    if title:
        parts.append((0, title, True))
    if summary and summary.strip() not in body:
        parts.append((1, summary, False))
    for i, para in enumerate(p for p in _PARAGRAPH_BREAK.split(body) if p.strip()):
        parts.append((2 + i, strip_dateline(para) if i == 0 else para, False))
    for para_no, text, headline in parts:
        for s in split_sentences(" ".join(text.split())):
            out.append(Sentence(s, len(out), para_no, headline))
    return out


@dataclass(frozen=True)
class Dateline:
    place: str  # as written, e.g. "WASHINGTON", "Brussels", "KANANASKIS"
    region: str | None  # "Canada", "New Jersey"
    month_day: tuple[int, int] | None  # the date the dateline itself gives (month, day)
    year: int | None


_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}

_DATELINE = re.compile(
    r"^\s*(?P<place>[A-Z][A-Za-z.'\- ]{1,40}?(?:/[A-Z][A-Za-z.'\- ]{1,40}?)*)"
    r"(?:,\s*(?:(?P<md>(?P<mon>[A-Z][a-z]{2,8})\.?\s+(?P<day>\d{1,2}))|(?P<dmy>(?P<day2>\d{1,2})\s+(?P<mon2>[A-Z][a-z]{2,8})(?:\s+(?P<year>\d{4}))?)|(?P<region>[A-Z][A-Za-z]+(?:\s[A-Z][A-Za-z]+)?)))?"
    r"\s*(?:\((?P<agency>[A-Za-z ]+)\))?\s*(?:--|—|–|\s-\s)\s*"
)
_DATELINE_AGENCY = re.compile(
    r"^\s*(?P<place>[A-Z][A-Za-z.'\- ]{1,40}?),\s*(?P<mon>[A-Z][a-z]{2,8})\.?\s+(?P<day>\d{1,2})\s*\((?P<agency>[A-Za-z ]+)\)\s*"
)
# a dated dateline with its region and a dash or a colon: "NAIROBI, Kenya, Feb 20 –", "New Delhi [India], December
# 15 (ANI):", "Nairobi, 27 Feb (KNA):" (the date is the report's, never an event's)
_DATELINE_DATED = re.compile(
    r"^\s*(?P<place>[A-Z][A-Za-z.'\- ]{1,40}?)(?:\s*\[(?P<region_b>[A-Z][A-Za-z ]{1,30})\]|"
    r",\s*(?P<region>[A-Z][A-Za-z]+(?:\s[A-Z][A-Za-z]+)?))?"
    r",\s*(?:(?P<mon>[A-Z][a-z]{2,8})\.?\s+(?P<day>\d{1,2})|(?P<day2>\d{1,2})\s+(?P<mon2>[A-Z][a-z]{2,8}))"
    r"(?:,?\s+(?P<year>\d{4}))?\s*(?:\((?P<agency>[A-Za-z ]+)\))?\s*(?:--|—|–|\s-\s|-\s|:)\s*"
)

# a place in capitals and a colon, as South and Southeast Asian papers print it: "ISLAMABAD:", "PETALING JAYA:"
_DATELINE_CAPS = re.compile(r"^\s*(?P<place>[A-Z][A-Z.'\-]+(?: [A-Z][A-Z.'\-]+){0,2}):\s+")


def _month(word: str | None) -> int | None:
    return _MONTHS.get(word[:3].lower()) if word else None


def read_dateline(body: str) -> Dateline | None:
    first = body.lstrip()[:160]
    m = _match_dateline(first)
    if not m:
        return None
    place = m.group("place").split("/")[0].strip()
    if len(place.split()) > 4:
        return None
    gd = m.groupdict()
    month_day = None
    year = None
    if gd.get("mon") and _month(gd.get("mon")):
        month_day = (_month(gd["mon"]), int(gd["day"]))
    elif gd.get("mon2") and _month(gd.get("mon2")):
        month_day = (_month(gd["mon2"]), int(gd["day2"]))
    if gd.get("year") and month_day:
        year = int(gd["year"])
    region = gd.get("region") or gd.get("region_b")
    return Dateline(place=place, region=region, month_day=month_day, year=year)


def _match_dateline(text: str) -> re.Match | None:
    m = (_DATELINE.match(text) or _DATELINE_AGENCY.match(text) or _DATELINE_DATED.match(text)
         or _DATELINE_CAPS.match(text))
    if m and m.re is _DATELINE_DATED and not _month(m.group("mon") or m.group("mon2")):
        return None  # "Paris, Texas, 12 Steps -" is no date
    return m


def strip_dateline(paragraph: str) -> str:
    m = _match_dateline(paragraph)
    return paragraph[m.end() :] if m else paragraph
