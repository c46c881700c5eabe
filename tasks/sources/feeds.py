"""Pure: feed bytes → Items (RSS 0.9x/2.0, RSS 1.0/RDF, Atom), normalised and identified.

`parse_feed` runs in-process and never raises for bad input: problems come back as `ParseResult.error`:

    not_a_feed     empty body, an HTML page, XML without feed structure
    xml_entities   a DTD that declares entities (billion laughs, quadratic blow-up, external entities);
                   refused before any parser sees the document
    parse_timeout  (bounded parsing only) the parse took longer than allowed and was killed
    parse_memory   the parse ran out of its memory allowance
    parse_failed   anything else that went wrong inside the parser

The cycle runs it in worker processes with a memory limit and a wall-clock kill (tasks/sources/parsing.py).
"""

from __future__ import annotations

import codecs
import io
import re
import xml.sax
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser

from records.items import Item, content_hash, identity_key, item_id
from tasks.sources.fastfeed import read_entries
from tasks.sources.text import canonical_url, html_to_text, is_absolute, strip_controls

RELATIVE_BASE = "http://relative.invalid/"  # a relative link's identity: as written, against no real host
MAX_OFFSET_MIN = 14 * 60
EARLIEST_YEAR = 1995
FUTURE_SLACK = timedelta(days=2)


@dataclass(frozen=True)
class ParseResult:
    items: tuple[Item, ...]
    error: str | None = None  # "not_a_feed", "xml_entities", "parse_timeout", "parse_memory", "parse_failed"
    error_detail: str | None = None  # also set, with error None, when the feed was malformed but readable
    skipped: int = 0  # malformed entries dropped (no phantom items)


def parse_feed(
    body: bytes,
    *,
    source_id: str,
    now: datetime,
    content_type: str | None = None,
    base_url: str | None = None,
) -> ParseResult:
    """Items of one feed document. Pure: no file or network access, whatever the document says."""
    if not body or not body.strip():
        return ParseResult((), "not_a_feed", "empty body")
    if declares_entities(body, content_type):
        return ParseResult((), "xml_entities", "the document's DTD declares entities")
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    # The parsers are not told where the feed came from: ids and links stay as the document wrote them (only
    # the document's own xml:base applies), so an item's identity does not depend on the feed's URL. Links
    # are made absolute against `base_url` afterwards, for the stored URL only (entry_to_item).
    headers = {"content-type": content_type_for(body, content_type)}
    try:
        # The common plain feeds are read by lxml and built exactly as feedparser would (tasks/fastfeed.py);
        # anything it is not sure about comes back None and goes to feedparser.
        entries = read_entries(body, headers["content-type"], None)
        if entries is not None:
            return _result_of_entries(entries, source_id=source_id, now=now, base_url=base_url)
        return _parse_with_feedparser(body, headers, source_id=source_id, now=now, base_url=base_url)
    except MemoryError:
        return ParseResult((), "parse_memory", "out of memory while parsing")
    except RecursionError:
        return ParseResult((), "parse_failed", "nesting too deep")
    except Exception as e:  # a parser bug on hostile input is this feed's problem, not the run's
        return ParseResult((), "parse_failed", f"{type(e).__name__}: {e}"[:500])


def _parse_with_feedparser(
    body: bytes, headers: dict[str, str], *, source_id: str, now: datetime, base_url: str | None
) -> ParseResult:
    parsed = feedparser.parse(
        io.BytesIO(body),  # never the bytes themselves: feedparser would open them as a path or URL
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    return _to_result(parsed, body, source_id=source_id, now=now, base_url=base_url)


def _to_result(
    parsed: Any, body: bytes, *, source_id: str, now: datetime, base_url: str | None
) -> ParseResult:
    bozo = parsed.get("bozo_exception") if parsed.get("bozo") else None
    bozo_detail = f"{type(bozo).__name__}: {bozo}"[:500] if bozo is not None else None
    entries = list(parsed.entries)
    if not parsed.get("version") and not entries:
        return ParseResult((), "not_a_feed", bozo_detail or "no feed structure (an HTML page?)")
    skipped = 0
    if isinstance(bozo, xml.sax.SAXException):
        # The strict parser gave up and the lenient one re-read everything: an entry it opened but the
        # document never closed is a truncation, not an entry.
        closed = _count_closed_entries(body)
        if closed is not None and closed < len(entries):
            skipped += len(entries) - closed
            entries = entries[:closed]
    result = _result_of_entries(entries, source_id=source_id, now=now, base_url=base_url)
    return ParseResult(result.items, None, bozo_detail, skipped + result.skipped)


def _result_of_entries(
    entries: list[Any], *, source_id: str, now: datetime, base_url: str | None
) -> ParseResult:
    items: dict[str, Item] = {}
    skipped = 0
    for entry in entries:
        item = entry_to_item(entry, source_id=source_id, now=now, base_url=base_url)
        if item is None:
            skipped += 1
        else:
            items[item.item_id] = item  # duplicate identity within one feed: the last one wins
    return ParseResult(tuple(items.values()), None, None, skipped)


# ---------------------------------------------------------------------------------------------------------
# Entries


def entry_to_item(entry: Any, *, source_id: str, now: datetime, base_url: str | None = None) -> Item | None:
    """One feedparser entry → Item, or None for a phantom (no title, link, guid or content)."""
    title = html_to_text(entry.get("title"), paragraphs=False)
    summary = html_to_text(entry.get("summary"))
    content = next(
        (text for c in entry.get("content") or () if (text := html_to_text(c.get("value")))),
        "",
    )
    body = content or summary
    link = entry.get("link")
    url = canonical_url(link, base_url)
    guid = strip_controls(entry.get("id") or "").strip() or None
    if not (title or url or guid or body):
        return None
    raw_date, parsed_date = _raw_date(entry)
    published_at, offset_min, suspect = parse_date(raw_date, parsed_date, now)
    hashed = content_hash(title, summary, body)
    # identity from the entry's own words: its guid as written, its link as written (a relative one is not
    # made absolute against the feed's URL for this: the feed may move to another scheme, host or port)
    key_url = url if is_absolute(link) else canonical_url(link, RELATIVE_BASE)
    return Item(
        item_id=item_id(source_id, identity_key(guid, key_url, title, published_at, hashed)),
        source_id=source_id,
        guid=guid,
        url=url,
        title=title,
        summary=summary,
        body=body,
        published_at=published_at,
        published_offset_min=offset_min,
        date_suspect=suspect,
        content_hash=hashed,
    )


def _raw_date(entry: Any) -> tuple[str | None, Any]:
    for name in ("published", "updated", "created"):
        if entry.get(name):
            return entry.get(name), entry.get(f"{name}_parsed")
    return None, None


# ---------------------------------------------------------------------------------------------------------
# Dates

_OFFSET_RE = re.compile(
    r"(?:[Tt ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*)([+-])(\d{2}):?(\d{2})\s*(?:\(.*\))?\s*$"
)
_YEAR_RE = re.compile(r"(?<![\d:+\-])(\d{4})(?!\d|:)")


def parse_date(raw: str | None, parsed: Any, now: datetime) -> tuple[datetime | None, int | None, bool]:
    """(published_at in UTC, original offset in minutes, suspect) from a feed's date string.

    The string is read ourselves (RFC 822, then ISO 8601) because feedparser's struct_time drops the
    offset; its struct is the fallback for the exotic formats it knows. Suspect dates — before 1995, more
    than two days ahead of `now`, offsets beyond ±14 h, year 0, present but unreadable — give
    (None, None, True).
    """
    text = strip_controls(raw or "").strip()
    if not text and not parsed:
        return None, None, False
    refused = (None, None, True)
    offset = _OFFSET_RE.search(text)
    if offset and int(offset.group(2)) * 60 + int(offset.group(3)) > MAX_OFFSET_MIN:
        return refused
    year = _YEAR_RE.search(text)
    if year and int(year.group(1)) < EARLIEST_YEAR:
        return refused  # also catches year 0, which the RFC 822 reader would turn into 2000
    when = _read_date(text)
    offset_min: int | None = None
    if when is None and parsed:
        try:  # feedparser's struct is UTC with the offset already applied (and lost)
            when = datetime(*parsed[:6])
        except (TypeError, ValueError, OverflowError):
            when = None
    if when is None:
        return refused
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # "-0000", no zone at all, or feedparser's struct: offset unknown
    else:
        delta = when.utcoffset()
        offset_min = int(delta.total_seconds() // 60) if delta is not None else None
    if offset_min is not None and abs(offset_min) > MAX_OFFSET_MIN:
        return refused
    if when.year < EARLIEST_YEAR or when > now + FUTURE_SLACK:
        return refused
    return when.astimezone(UTC), offset_min, False


# Zone names the RFC 822 reader does not know (it knows UT/GMT/Z and the US zones), common in our sources.
# Ambiguous ones (IST, CST outside the US) are left out on purpose.
_ZONES = {
    "KST": 540, "JST": 540, "HKT": 480, "SGT": 480, "PHT": 480, "AWST": 480, "WIB": 420, "ICT": 420,
    "MSK": 180, "EET": 120, "EEST": 180, "CET": 60, "CEST": 120, "BST": 60, "WET": 0, "WEST": 60,
    "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780,
}  # fmt: skip
_ZONE_RE = re.compile(r"\s([A-Za-z]{2,5})\s*$")


def _read_date(text: str) -> datetime | None:
    if not text:
        return None
    try:
        when = parsedate_to_datetime(text)
        if when.tzinfo is None and (zone := _ZONE_RE.search(text)) and zone.group(1).upper() in _ZONES:
            when = when.replace(tzinfo=timezone(timedelta(minutes=_ZONES[zone.group(1).upper()])))
        return when
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------------------
# Bytes-level checks done before any XML parser sees the document

_DOCTYPE_RE = re.compile(r"<!DOCTYPE", re.IGNORECASE)
_ENTITY_RE = re.compile(r"<!ENTITY", re.IGNORECASE)
_DOCTYPE_B = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY_B = re.compile(rb"<!ENTITY", re.IGNORECASE)
_XML_ENCODING_RE = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE)
_ASCII_COMPATIBLE = frozenset(
    codecs.lookup(name).name
    for name in ("utf-8", "ascii", "latin-1", "cp1252", "iso8859-2", "iso8859-15", "cp1251", "koi8-r")
)
_SINGLE_BYTE_LATIN = frozenset(codecs.lookup(name).name for name in ("ascii", "latin-1", "cp1252"))
_ENTRY_CLOSE_RE = re.compile(rb"</(?:[\w.-]+:)?(?:item|entry)\s*>")


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _declared_encodings(body: bytes, content_type: str | None) -> list[str]:
    found = []
    if content_type and (m := _CHARSET_RE.search(content_type)):
        found.append(_codec(m.group(1)))
    if m := _XML_ENCODING_RE.match(body[:512]):
        found.append(_codec(m.group(1).decode("ascii")))
    return [name for name in found if name]


def declares_entities(body: bytes, content_type: str | None = None) -> bool:
    """True when the document has a DOCTYPE and declares entities after it, in any encoding the XML
    parser might read it in (ASCII-compatible, UTF-16/32 by BOM or NULs, or a declared odd one like
    UTF-7 or EBCDIC). Linear time; errs on the side of refusing."""
    start = _DOCTYPE_B.search(body)
    if start and _ENTITY_B.search(body, start.end()):
        return True
    odd = {name for name in _declared_encodings(body, content_type) if name not in _ASCII_COMPATIBLE}
    if body[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in body[:128]:
        odd |= {"utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"}
    if body[:4] == b"\x4c\x6f\xa7\x94":  # "<?xm" in EBCDIC
        odd.add("cp037")
    for name in odd:
        try:
            text = body.decode(name, "ignore")
        except (LookupError, ValueError):
            continue
        start_text = _DOCTYPE_RE.search(text)
        if start_text and _ENTITY_RE.search(text, start_text.end()):
            return True
    return False


def content_type_for(body: bytes, content_type: str | None) -> str:
    """The Content-Type to tell feedparser. Fixes the commonest lie: a document declared ISO-8859-1 or
    ASCII (in HTTP or the XML declaration) whose bytes are in fact UTF-8 — or windows-1252 when the
    bytes use its C1-range characters — so that no mojibake reaches the text."""
    mime = (content_type or "application/xml").split(";", 1)[0].strip() or "application/xml"
    if body[:3] == codecs.BOM_UTF8 or body[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return content_type or mime
    declared = set(_declared_encodings(body, content_type))
    if not declared & _SINGLE_BYTE_LATIN or body.isascii():
        return content_type or mime
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        if re.search(rb"[\x80-\x9f]", body):
            return f"{mime}; charset=windows-1252"
        return content_type or mime
    return f"{mime}; charset=utf-8"


def _count_closed_entries(body: bytes) -> int | None:
    """How many item/entry elements the document closes; None when the bytes are not ASCII-compatible."""
    if b"\x00" in body[:128] or body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return None
    return len(_ENTRY_CLOSE_RE.findall(body))
