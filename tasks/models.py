"""Frozen records passed between pipeline stages.

fetch → Fetched → parse → Item → extract → Findings (MeetingMention, DeadlineMention) → resolve.
Each stage is a pure function of these values; I/O happens at the edges (fetch, warehouse, Slack).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


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
    """One feed entry, normalised. `item_id` is stable across fetches of the same entry."""

    item_id: str  # sha256 hex (first 32) of source_id + identity key (guid → canonical url → title+date)
    source_id: str
    guid: str | None
    url: str | None  # canonical: tracking parameters and fragment removed
    title: str  # plain text, control characters stripped
    summary: str  # plain text
    body: str  # plain text; full content when the feed has it, else the summary
    published_at: datetime | None  # UTC-aware; None when missing or suspect
    published_offset_min: int | None  # the original UTC offset in minutes, if the feed gave one
    date_suspect: bool = False  # the feed gave a date we refused (2099, 1970, absurd offset, ...)
    content_hash: str = ""  # hash of title+summary+body: tells an edit from a repeat

    @property
    def text(self) -> str:
        """Everything an extractor reads, title first."""
        parts = [self.title, self.summary if self.summary not in self.body else "", self.body]
        return "\n\n".join(p for p in parts if p)


@dataclass(frozen=True)
class Official:
    name: str
    role: str | None = None  # "Trade Minister", "Commerce Secretary", ...
    country: str | None = None  # ISO 3166-1 alpha-2 or "EU"


@dataclass(frozen=True)
class MeetingMention:
    """A meeting as one item tells it."""

    parties: tuple[str, ...]  # sorted ISO 3166-1 alpha-2 codes or "EU"; at least two
    date: date | None  # local date where the meeting takes place; for week precision the Monday, month the 1st
    date_precision: str | None  # "day" | "week" | "month" | None when unknown
    date_text: str | None  # the literal words the date came from ("on Thursday", "next week")
    location: str | None
    format: str | None  # "summit" | "ministerial" | "2+2" | "working-level" | "technical" | "call" | ...
    officials: tuple[Official, ...]
    status: str  # "scheduled" | "held" | "postponed" | "cancelled"
    evidence: str  # the sentence(s) it was read from


@dataclass(frozen=True)
class DeadlineMention:
    """A trade deadline as one item states it."""

    subject: str  # normalised key, e.g. "reciprocal-tariff-rates-apply"
    subject_label: str  # human readable, e.g. "reciprocal tariff rates take effect"
    countries: tuple[str, ...]  # sorted; who set it, plus the partner when country specific
    due_date: date  # the local date the text gives
    due_at: datetime | None  # an instant when the text gives a time and zone ("12:01 a.m. EDT on July 9")
    text: str  # the literal sentence
    equivalent_dates: tuple[date, ...] = ()  # other spellings of the same value (July 8 KST ~ July 9 EDT)


@dataclass(frozen=True)
class Findings:
    """Everything extraction learned from one item."""

    item_id: str
    relevant: bool
    relevance_reason: str  # why: matched terms / countries, or what was missing
    # watched countries the item names; () for other news the quick verdict stopped (never read in full)
    countries: tuple[str, ...] = ()
    meetings: tuple[MeetingMention, ...] = field(default_factory=tuple)
    deadlines: tuple[DeadlineMention, ...] = field(default_factory=tuple)
