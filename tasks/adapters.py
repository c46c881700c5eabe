"""Source kinds: how the body of each kind of source becomes items.

`feed` is RSS/Atom/RDF (news outlets, White House actions, Google News searches). `federal_register` is the
Federal Register API's documents.json. `ustr` is USTR's press-release listing page (or its RSS when the URL
points at a feed). Each adapter is pure: bytes in, ParseResult out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time

from tasks.models import Item
from tasks.parse import ParseResult
from tasks.text import canonical_url, clean_text, html_to_text


def _looks_like_feed(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return head.startswith(b"<?xml") or b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head


def _item_id(source_id: str, key: str) -> str:
    return hashlib.sha256(f"{source_id}\x1f{key}".encode()).hexdigest()[:32]


def _content_hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _human(d: date) -> str:
    return f"{d:%B} {d.day}, {d.year}"


def parse_federal_register(body: bytes, *, source_id: str, now: datetime) -> ParseResult:
    """documents.json → items. Effective dates are written into the text as sentences the extractor reads."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return ParseResult((), error="not_a_feed", error_detail=f"federal_register: not JSON ({exc})")
    if not isinstance(data, dict) or not isinstance(data.get("results", []), list):
        return ParseResult((), error="not_a_feed", error_detail="federal_register: no 'results' list")
    items, skipped = [], 0
    for doc in data.get("results", []):
        if not isinstance(doc, dict):
            skipped += 1
            continue
        number = doc.get("document_number")
        title = clean_text(str(doc.get("title") or ""))
        if not number or not title:
            skipped += 1
            continue
        url = doc.get("html_url")
        url = canonical_url(url) if isinstance(url, str) else None
        published = _day(doc.get("publication_date"))
        signed = _day(doc.get("signing_date"))
        effective = _day(doc.get("effective_on"))
        eo = doc.get("executive_order_number")
        lines = [clean_text(html_to_text(str(doc.get("abstract") or "")))]
        if eo:
            lines.append(f"Executive Order {eo}.")
        if signed:
            lines.append(f"The document was signed on {_human(signed)}.")
        if effective:
            lines.append(f"It takes effect on {_human(effective)}.")
        agencies = ", ".join(a.get("name", "") for a in doc.get("agencies", []) if isinstance(a, dict))
        if agencies:
            lines.append(f"Agencies: {agencies}.")
        body_text = "\n\n".join(line for line in lines if line)
        published_at = datetime.combine(published, time(9, 0), tzinfo=UTC) if published else None
        suspect = published_at is not None and (published_at.year < 1995 or published_at > now.replace(
            hour=23, minute=59))
        items.append(Item(
            item_id=_item_id(source_id, f"guid:{number}"), source_id=source_id, guid=str(number), url=url,
            title=title, summary=lines[0][:500], body=body_text,
            published_at=None if suspect else published_at, published_offset_min=None if suspect else 0,
            date_suspect=suspect, content_hash=_content_hash(title, body_text),
        ))
    return ParseResult(tuple(items), skipped=skipped)


def parse_ustr_listing(body: bytes, *, source_id: str, now: datetime, base_url: str | None) -> ParseResult:
    from tasks.ustr import parse_listing

    return parse_listing(body, source_id=source_id, now=now, base_url=base_url)


FeedParser = Callable[..., ParseResult]


def read_body(kind: str, body: bytes, *, source_id: str, now: datetime, content_type: str | None,
              base_url: str | None, parse_feed: FeedParser) -> ParseResult:
    """Turn a fetched body into items according to the source kind. `parse_feed` is the (bounded) feed parser."""
    if kind == "federal_register":
        return parse_federal_register(body, source_id=source_id, now=now)
    if kind == "ustr" and not _looks_like_feed(body):
        return parse_ustr_listing(body, source_id=source_id, now=now, base_url=base_url)
    return parse_feed(body, source_id=source_id, now=now, content_type=content_type, base_url=base_url)
