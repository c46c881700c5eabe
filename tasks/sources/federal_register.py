"""The Federal Register API's documents.json → items (identity: the document number). Pure."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from records.items import Item, content_hash, identity_key, item_id
from tasks.sources.feeds import EARLIEST_YEAR, FUTURE_SLACK, ParseResult
from tasks.sources.text import canonical_url, html_to_text

# The Federal Register gives a publication date, no time: documents go online at 6 a.m. Eastern that day.
FR_PUBLICATION_TIME = time(6, 0)
FR_ZONE = ZoneInfo("America/New_York")


def _day(value: object) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _human(d: date) -> str:
    return f"{d:%B} {d.day}, {d.year}"


def _plain(value: object, *, paragraphs: bool = True) -> str:
    return html_to_text(value if isinstance(value, str) else "", paragraphs=paragraphs)


def _agency_names(value: object) -> list[str]:
    """`agencies` is a list of {name, raw_name, slug, ...}; `name` is null for agencies the FR cannot match."""
    names = []
    for agency in value if isinstance(value, list) else ():
        if isinstance(agency, dict):
            name = _plain(agency.get("name") or agency.get("raw_name"), paragraphs=False)
            if name and name not in names:
                names.append(name)
    return names


def federal_register_item(doc: dict, *, source_id: str, now: datetime) -> Item | None:
    """One document of documents.json → Item, or None without a document number or title.

    The dates that matter to us are not in the abstract: signing and effective dates are written into the
    text as sentences ("It takes effect on August 1, 2025.") so the extractor reads them like any report.
    """
    number = doc.get("document_number")
    number = number.strip() if isinstance(number, str) else None
    title = _plain(doc.get("title"), paragraphs=False)
    if not number or not title:
        return None
    url = canonical_url(doc.get("html_url")) if isinstance(doc.get("html_url"), str) else None
    summary = _plain(doc.get("abstract"))
    signed = _day(doc.get("signing_date"))
    effective = _day(doc.get("effective_on"))
    eo = doc.get("executive_order_number")
    sentences = []
    if isinstance(eo, int | str) and not isinstance(eo, bool) and str(eo).strip():
        sentences.append(f"Executive Order {str(eo).strip()}.")
    if signed:
        sentences.append(f"The document was signed on {_human(signed)}.")
    if effective:
        sentences.append(f"It takes effect on {_human(effective)}.")
    agencies = _agency_names(doc.get("agencies"))
    if agencies:
        sentences.append(f"Agencies: {', '.join(agencies)}.")
    body = "\n\n".join(p for p in (summary, " ".join(sentences)) if p)
    published_day = _day(doc.get("publication_date"))
    published_at = None
    if published_day:
        published_at = datetime.combine(published_day, FR_PUBLICATION_TIME, tzinfo=FR_ZONE).astimezone(UTC)
    suspect = published_at is not None and (
        published_at.year < EARLIEST_YEAR or published_at > now + FUTURE_SLACK
    )
    return Item(
        item_id=item_id(source_id, identity_key(number, url, title, None, "")), source_id=source_id, guid=number, url=url, title=title,
        summary=summary, body=body, published_at=None if suspect else published_at,
        published_offset_min=None,  # the zone is ours, not the source's
        date_suspect=suspect, content_hash=content_hash(title, summary, body),
    )  # fmt: skip


def parse_federal_register(body: bytes, *, source_id: str, now: datetime) -> ParseResult:
    """documents.json → items, one per document (identity: the document number)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return ParseResult((), error="not_a_feed", error_detail=f"federal_register: not JSON ({exc})"[:500])
    if not isinstance(data, dict) or "errors" in data:
        detail = data.get("errors") if isinstance(data, dict) else type(data).__name__
        return ParseResult(
            (), error="not_a_feed", error_detail=f"federal_register: no documents ({detail})"[:500]
        )
    results = data.get("results", [])  # absent when nothing matched (count 0)
    if not isinstance(results, list):
        return ParseResult((), error="not_a_feed", error_detail="federal_register: 'results' is not a list")
    items: dict[str, Item] = {}
    skipped = 0
    for doc in results:
        item = federal_register_item(doc, source_id=source_id, now=now) if isinstance(doc, dict) else None
        if item is None:
            skipped += 1
        else:
            items[item.item_id] = item
    return ParseResult(tuple(items.values()), skipped=skipped)
