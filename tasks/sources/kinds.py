"""Source kinds: how the body of each kind of source becomes items. `feed` is RSS/Atom/RDF (news outlets, White
House actions, Google News searches); `federal_register` is the Federal Register API's documents.json; `ustr` is
USTR's press-release listing page (or its RSS when the URL points at a feed). Bytes in, ParseResult out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from tasks.sources.federal_register import parse_federal_register
from tasks.sources.feeds import ParseResult
from tasks.sources.ustr import parse_listing


def _looks_like_feed(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return head.startswith(b"<?xml") or b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head


FeedParser = Callable[..., ParseResult]


def read_body(
    kind: str,
    body: bytes,
    *,
    source_id: str,
    now: datetime,
    content_type: str | None,
    base_url: str | None,
    parse_feed: FeedParser,
) -> ParseResult:
    """Turn a fetched body into items according to the source kind. `parse_feed` is the (bounded) feed parser."""
    if kind == "federal_register":
        return parse_federal_register(body, source_id=source_id, now=now)
    if kind == "ustr" and not _looks_like_feed(body):
        return parse_listing(body, source_id=source_id, now=now, base_url=base_url)
    return parse_feed(body, source_id=source_id, now=now, content_type=content_type, base_url=base_url)
