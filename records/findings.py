"""What extraction takes and gives: its settings, and the findings one item yields (meetings, deadlines)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime


@dataclass(frozen=True)
class ExtractConfig:
    """Extraction settings (`[extract]`): which countries we watch and extra words that mark trade talks."""

    # ISO codes ("EU" included). Empty = every country in the gazetteer counts as watched.
    watched_countries: tuple[str, ...] = ()
    extra_talk_terms: tuple[str, ...] = ()  # more words that mark trade-talk news ("FTA", "CEPA", ...)
    extra_offtopic_terms: tuple[str, ...] = ()  # more headline words that mark other news
    gazetteer_path: str | None = None  # None = the gazetteer shipped with the extractor

    @classmethod
    def from_dict(cls, data: dict | None) -> ExtractConfig:
        """From a plain mapping (the `[extract]` table, or what a worker process is sent)."""
        data = dict(data or {})
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown [extract] keys: {', '.join(unknown)}")
        for key in ("watched_countries", "extra_talk_terms", "extra_offtopic_terms"):
            if key in data:
                value = [data[key]] if isinstance(data[key], str) else data[key]
                data[key] = tuple(str(v).upper() if key == "watched_countries" else str(v) for v in value)
        return cls(**data)

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) != f.default}

    def watches(self, code: str) -> bool:
        return not self.watched_countries or code in self.watched_countries


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
    end_date: date | None = None  # the last day of a multi-day meeting ("talks from May 4 to 7")
    # what the text says for it (tasks/events/evidence.py weighs them): "meeting-words" (an explicit encounter),
    # "parties-together" (both sides named in one sentence), "officials", "place", "format", "past" (retold)
    signals: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeadlineMention:
    """A trade deadline as one item states it: a measure (what, imposed by whom, on whom, on which goods) and the
    date the text ties to it."""

    subject: str  # the measure's key: kind, scope and qualifier, e.g. "tariff:autos", "pause:all:reciprocal"
    subject_label: str  # human readable, e.g. "tariff on autos takes effect"
    countries: tuple[str, ...]  # sorted; who set it, plus the partner when country specific (parties of a pact)
    due_date: date  # the local date the text gives
    due_at: datetime | None  # an instant when the text gives a time and zone ("12:01 a.m. EDT on July 9")
    text: str  # the literal sentence
    equivalent_dates: tuple[date, ...] = ()  # other spellings of the same value (July 8 KST ~ July 9 EDT)
    rate: str | None = None  # "25%", when the sentence gives the rate due
    moved_from: date | None = None  # the earlier value the text says this one replaces ("instead of Aug. 1")
    change: str | None = None  # the words that tell a move ("extended to", "pushed back"): a move, not a report
    certainty: str = "definite"  # "definite", or "tentative": proposed, possible, expected ("could slip to")
    link: str = ""  # the words that tie the date to the measure ("takes effect on", "expires")
    in_effect: bool = False  # told after the day as the day it took effect ("came into force on March 1")


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
