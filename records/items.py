"""What a source gives: the outcome of a fetch, and the items parsed from it (with their identity)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Fetched:
    """The outcome of one guarded conditional GET. Errors are values, never exceptions."""

    source_id: str
    url: str  # the URL finally read (after redirects)
    status: int | None  # HTTP status; None when no response was received
    body: bytes | None  # decoded (gzip etc. removed) body; None on 304 and on errors
    etag: str | None
    last_modified: str | None
    content_type: str | None = None
    error: str | None = None  # stable error key: "timeout", "too_large", "blocked_address", "http_404", ...
    error_detail: str | None = None  # human readable detail for logs and `sources`
    retry_after_s: float | None = None  # from a Retry-After header, already capped
    elapsed_s: float = 0.0
    bytes_read: int = 0

    @property
    def modified(self) -> bool:
        return self.error is None and self.status != 304


@dataclass(frozen=True)
class Item:
    """One feed entry, normalised. `item_id` is stable across fetches of the same entry (see `item_id`)."""

    item_id: str
    source_id: str
    guid: str | None
    url: str | None  # canonical: tracking parameters and fragment removed
    title: str  # plain text, control characters stripped
    summary: str  # plain text
    body: str  # plain text; full content when the feed has it, else the summary
    published_at: datetime | None  # UTC-aware; None when missing or suspect
    published_offset_min: int | None  # the original UTC offset in minutes, if the feed gave one
    date_suspect: bool = False  # the feed gave a date we refused (2099, 1970, absurd offset, ...)
    content_hash: str = ""  # tells an edit from a repeat (see `content_hash`)

    @property
    def text(self) -> str:
        """Everything an extractor reads, title first."""
        parts = [self.title, self.summary if self.summary not in self.body else "", self.body]
        return "\n\n".join(p for p in parts if p)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def identity_key(guid: str | None, url: str | None, title: str, published_at: datetime | None,
                 content: str) -> str:
    """What identifies an entry within its source: guid, else canonical URL, else title and date, else the
    content hash (an untitled, unlinked entry). The guid and the link as the feed wrote them: a relative one
    is not made absolute against the URL the feed was read from (tasks/sources/feeds.py), so an item keeps its
    identity when its feed moves; an absolute one keys exactly as it always has."""
    if guid:
        return "guid:" + guid
    if url:
        return "url:" + url
    if title:
        return "th:" + title + "|" + (published_at.isoformat() if published_at else "")
    return "ch:" + content


def item_id(source_id: str, key: str) -> str:
    """An item's id: sha256 (first 32 hex digits) of its source id and identity key."""
    return _sha(source_id + "\x1f" + key)


def content_hash(title: str, summary: str, body: str) -> str:
    """sha256 (first 32 hex digits) of an item's text: the same id with another hash is an edit."""
    return _sha("\x1f".join((title, summary, body)))
