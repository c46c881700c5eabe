"""USTR's press-release pages: the listing page → items, an article page → its text.

USTR publishes no usable feed, so the listing page is read like one: each row holds a link to an article
(`.../press-releases/2025/april/<slug>`) and its date ("04/25/2025", sometimes "April 25, 2025", sometimes a
machine-readable `content="2025-04-25T00:00:00-04:00"` attribute). Items are built the way the feed parser
builds them: identity is the canonical article URL (records.items.item_id). Pure functions, standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from html import escape
from html.parser import HTMLParser
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from records.items import Item, content_hash, identity_key, item_id
from tasks.sources.feeds import EARLIEST_YEAR, FUTURE_SLACK, ParseResult
from tasks.sources.text import canonical_url, html_to_text

USTR_ZONE = ZoneInfo("America/New_York")  # a listing date with no time is a Washington date
DEFAULT_SECTION = "/press-releases"

# Containers that hold one listing row. Links outside any of them are grouped with the text that follows.
_ROW_TAGS = frozenset({"li", "tr", "article", "dd"})
_ROW_CLASSES = frozenset({"views-row", "listing-item"})
_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december",
)  # fmt: skip
_MONTH_RE = "|".join(m[:3] + (m[3:] and f"(?:{m[3:]})?") for m in _MONTHS) + "|sept"
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_WORDY_DATE = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})\b", re.IGNORECASE)
_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_ARCHIVE_SEGMENT = re.compile(rf"^(?:\d{{4}}|{'|'.join(_MONTHS)})$", re.IGNORECASE)


# --- dates ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListingDate:
    day: date
    instant: datetime | None = None  # when the page gave a time and offset (a `content`/`datetime` attribute)


def date_in_text(text: str) -> ListingDate | None:
    """The first listing-style date in a piece of text: "04/25/2025" or "April 25, 2025" (US order)."""
    found: list[tuple[int, date]] = []
    for m in _NUMERIC_DATE.finditer(text):
        try:
            found.append((m.start(), date(int(m.group(3)), int(m.group(1)), int(m.group(2)))))
        except ValueError:
            continue
    for m in _WORDY_DATE.finditer(text):
        month = next(i for i, name in enumerate(_MONTHS, 1) if name.startswith(m.group(1).lower()[:3]))
        try:
            found.append((m.start(), date(int(m.group(3)), month, int(m.group(2)))))
        except ValueError:
            continue
    return ListingDate(min(found)[1]) if found else None


def date_in_attribute(value: str | None) -> ListingDate | None:
    """`content="2025-04-25T00:00:00-04:00"` or `datetime="2025-04-25"` on a date element."""
    value = (value or "").strip()
    if not _ISO_INSTANT.match(value):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return ListingDate(parsed.date())
    return ListingDate(parsed.date(), instant=parsed)


def published(found: ListingDate | None, now: datetime) -> tuple[datetime | None, int | None, bool]:
    """(published_at in UTC, original offset in minutes, date_suspect) for a listing date.

    A bare date means the start of that day in Washington; the offset is then unknown (None). Dates before
    1995 or more than two days ahead of `now` are refused as suspect, as the feed parser does.
    """
    if found is None:
        return None, None, False
    if found.instant is not None:
        offset = found.instant.utcoffset()
        when, minutes = found.instant.astimezone(UTC), int(offset.total_seconds() // 60) if offset else 0
    else:
        when = datetime.combine(found.day, time(0, 0), tzinfo=USTR_ZONE).astimezone(UTC)
        minutes = None
    if found.day.year < EARLIEST_YEAR or when > now + FUTURE_SLACK:
        return None, None, True
    return when, minutes, False


# --- the listing page --------------------------------------------------------------------------------


@dataclass
class _Row:
    tag: str
    href: str | None = None
    title_parts: list[str] = field(default_factory=list)
    text_date: ListingDate | None = None
    attr_date: ListingDate | None = None
    synthetic: bool = False  # a link outside any row element: the row ends at the next link
    nested: int = 0  # open elements of the same tag inside this row (a </div> closes those first)


class _ListingParser(HTMLParser):
    """Collects (href, title, date) per row. Dates inside the link text (a title naming a day) never count."""

    def __init__(self, is_article) -> None:
        super().__init__(convert_charrefs=True)
        self.is_article = is_article
        self.rows: list[_Row] = []
        self.found: list[tuple[str, str, ListingDate | None]] = []
        self._in_link: _Row | None = None
        self._skip = 0

    def _is_row(self, tag: str, attrs: dict[str, str | None]) -> bool:
        classes = attrs.get("class") or ""
        return tag in _ROW_TAGS or (tag == "div" and not _ROW_CLASSES.isdisjoint(classes.split()))

    def _innermost(self, tag: str) -> _Row | None:
        return next((r for r in reversed(self.rows) if r.tag == tag and not r.synthetic), None)

    def _emit(self, row: _Row) -> None:
        if row.href is not None:
            title = html_to_text(escape(" ".join(row.title_parts), quote=False), paragraphs=False)
            if title:
                self.found.append((row.href, title, row.attr_date or row.text_date))
        row.href = None

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attrs_list)
        if tag in ("script", "style", "noscript", "template"):
            self._skip += 1
            return
        if self._is_row(tag, attrs):
            top = self.rows[-1] if self.rows else None
            if top is not None and (top.synthetic or (top.tag == tag and top.href is not None)):
                # an unclosed <li> (legal HTML) or a loose link before this row: the previous row ends here
                self._emit(self.rows.pop())
            self.rows.append(_Row(tag))
        elif (row := self._innermost(tag)) is not None:
            row.nested += 1
        for name in ("content", "datetime"):
            found = date_in_attribute(attrs.get(name))
            if found and self.rows and self.rows[-1].attr_date is None:
                self.rows[-1].attr_date = found
        if tag == "a" and self.is_article(attrs.get("href")):
            if self.rows and self.rows[-1].href == attrs["href"]:
                return  # a second link to the same release in its row ("Read more"): the first one's title counts
            if not self.rows or self.rows[-1].href is not None:
                if self.rows and self.rows[-1].synthetic:
                    self._emit(self.rows.pop())
                self.rows.append(_Row(tag="a", synthetic=True))
            row = self.rows[-1]
            row.href = attrs["href"]
            self._in_link = row

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "noscript", "template"):
            self._skip = max(0, self._skip - 1)
            return
        if tag == "a":
            self._in_link = None
            return
        row = self._innermost(tag)
        if row is None:
            return
        if row.nested:
            row.nested -= 1
            return
        i = next(i for i in range(len(self.rows) - 1, -1, -1) if self.rows[i] is row)
        for inner in reversed(self.rows[i:]):  # the row ends, with any loose link still open inside it
            self._emit(inner)
        del self.rows[i:]

    def handle_data(self, data: str) -> None:
        if self._skip or not self.rows:
            return
        if self._in_link is not None:
            self._in_link.title_parts.append(data)
            return
        row = self.rows[-1]
        if row.text_date is None:
            row.text_date = date_in_text(data)

    def close(self) -> None:
        super().close()
        for row in reversed(self.rows):
            self._emit(row)
        self.rows.clear()


def _section_path(base_url: str | None) -> str:
    path = urlsplit(base_url or "").path.rstrip("/")
    return path if path.endswith(DEFAULT_SECTION) else DEFAULT_SECTION


def _article_checker(base_url: str | None):
    """Article links live under the listing's own path, below the year/month archive pages."""
    section = _section_path(base_url)
    base_host = urlsplit(base_url or "").hostname

    def is_article(href: str | None) -> bool:
        url = canonical_url(href, base_url) if href else None
        if url is None:
            return False
        parts = urlsplit(url)
        if base_host and parts.hostname != base_host:
            return False
        marker = parts.path.find(section + "/")
        if marker < 0:
            return False
        rest = [s for s in parts.path[marker + len(section) + 1 :].split("/") if s]
        return bool(rest) and not _ARCHIVE_SEGMENT.match(rest[-1])

    return is_article


def parse_listing(body: bytes, *, source_id: str, now: datetime, base_url: str | None) -> ParseResult:
    """USTR's press-release listing page → items (title, article URL, date), newest first as listed."""
    html = body.decode("utf-8", errors="replace")
    is_article = _article_checker(base_url)
    parser = _ListingParser(is_article)
    try:
        parser.feed(html)
        parser.close()
    except Exception as exc:  # HTMLParser is lenient; this is a last resort
        return ParseResult((), error="not_a_feed", error_detail=f"ustr: unreadable HTML ({exc})")
    items: dict[str, Item] = {}
    for href, title, found in parser.found:
        url = canonical_url(href, base_url)
        if url is None:
            continue
        iid = item_id(source_id, identity_key(None, url, title, None, ""))
        if iid in items and (items[iid].published_at is not None or found is None):
            continue  # the same article linked twice (a featured block and the list): keep the dated one
        published_at, offset, suspect = published(found, now)
        items[iid] = Item(
            item_id=iid, source_id=source_id, guid=None, url=url, title=title, summary="", body="",
            published_at=published_at, published_offset_min=offset, date_suspect=suspect,
            content_hash=content_hash(title, "", ""),
        )  # fmt: skip
    if not items:
        return ParseResult(
            (),
            error="not_a_feed",
            error_detail="ustr: no press-release links found (has the page layout changed?)",
        )
    return ParseResult(tuple(items.values()))


# --- an article page ---------------------------------------------------------------------------------

# Where the text of a press release lives, most specific first (Drupal body field, then the page's article).
_BODY_CLASSES = ("field-name-body", "field--name-body", "field-type-text-with-summary")


class _FragmentParser(HTMLParser):
    """Re-serialises the first element matching `wanted` (a predicate on tag and classes) and its content.

    Only elements of the matched tag are counted to find its end, so unclosed <p> or <li> inside it (legal
    HTML) cannot make it run on to the end of the page.
    """

    def __init__(self, wanted) -> None:
        super().__init__(convert_charrefs=True)
        self.wanted = wanted
        self.parts: list[str] = []
        self.tag: str | None = None
        self.depth = 0
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if self.tag is None:
            if not self.wanted(tag, dict(attrs).get("class") or ""):
                return
            self.tag = tag
        self.depth += tag == self.tag
        self.parts.append(f"<{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.tag is not None and not self.done:
            self.parts.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if self.tag is None or self.done:
            return
        self.parts.append(f"</{tag}>")
        if tag == self.tag:
            self.depth -= 1
            self.done = self.depth == 0

    def handle_data(self, data: str) -> None:
        if self.tag is not None and not self.done:
            self.parts.append(escape(data, quote=False))


def _fragment(html: str, wanted) -> str:
    parser = _FragmentParser(wanted)
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def parse_article(body: bytes) -> str:
    """The plain text of a USTR press-release page: the body field, else the <article>/<main>, else the page."""
    html = body.decode("utf-8", errors="replace")
    candidates = (
        lambda tag, classes: any(c in classes.split() for c in _BODY_CLASSES),
        lambda tag, classes: tag == "article",
        lambda tag, classes: tag == "main",
    )
    for wanted in candidates:
        text = html_to_text(_fragment(html, wanted))
        if text:
            return text
    return html_to_text(html)
