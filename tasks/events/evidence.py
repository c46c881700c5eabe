"""What the reports of an event add up to: its evidence level, computed from what they say, transparently.

    tentative   told vaguely or by one weak report: kept, queryable, and alerted once corroborated
    reported    told explicitly (a meeting with both sides in one sentence and a day, officials, a place or a
                format; a deadline tied to its measure by its words, as a fact)
    confirmed   also told by a primary source (a government's own site), or by two independent outlets

An independent outlet is another story: wire copies of one report (tasks/stories) count once. A new-event alert
goes out when an event reaches `reported`; the level and what made it are stored with the event (`evidence`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from records.events import EVIDENCE_LEVELS
from records.findings import DeadlineMention, MeetingMention

TENTATIVE, REPORTED, CONFIRMED = EVIDENCE_LEVELS
MAX_STORIES = 12  # independent stories remembered per event (more add nothing to the level)
LOOSE_LINKS = frozenset({"from", "by", "before"})  # links that also carry threats and aims, not only due dates


@dataclass(frozen=True)
class Provenance:
    """Where a finding comes from: the item's source, address and story (wire copies share one)."""

    item_id: str
    source_id: str = ""
    url: str | None = None
    story_id: str | None = None
    published_at: datetime | None = None
    official: bool = False  # a primary source (a government's own site, or an official source kind)

    @property
    def story(self) -> str:
        return self.story_id or self.item_id


def merged(evidence: dict, provenance: Provenance, signals: tuple[str, ...]) -> dict:
    """An event's evidence with one more report (what else it holds, such as whether it was alerted, stays)."""
    stories = list(evidence.get("stories", []))
    if provenance.story not in stories and len(stories) < MAX_STORIES:
        stories.append(provenance.story)
    seen = sorted(set(evidence.get("signals", [])) | set(signals))
    return {**evidence, "stories": stories, "official": bool(evidence.get("official")) or provenance.official,
            "signals": seen}


def level(evidence: dict, *, explicit: bool) -> str:
    """The level: confirmed by a primary source or two independent stories, reported when explicit."""
    if not explicit:
        return TENTATIVE if len(evidence.get("stories", [])) < 2 else REPORTED
    if evidence.get("official") or len(evidence.get("stories", [])) >= 2:
        return CONFIRMED
    return REPORTED


def meeting_explicit(evidence: dict) -> bool:
    """A meeting told explicitly: meeting words with both sides in one sentence, a day or a week, and who, where
    or how (officials, a place, a format)."""
    signals = set(evidence.get("signals", []))
    return ({"meeting-words", "parties-together", "dated"} <= signals
            and bool(signals & {"officials", "place", "format"}))


def meeting_signals(mention: MeetingMention) -> tuple[str, ...]:
    """The mention's own signals, plus what its date says (a day or a week is a date; a month is vague)."""
    out = set(mention.signals)
    if mention.date_precision in ("day", "week") and mention.date is not None:
        out.add("dated")
    if mention.officials:
        out.add("officials")
    if mention.location:
        out.add("place")
    if mention.format:
        out.add("format")
    return tuple(sorted(out))


def deadline_explicit(mention: DeadlineMention) -> bool:
    """A deadline told as a fact and tied to its measure by a full link (not only "from" or "by")."""
    return mention.certainty == "definite" and mention.link.lower() not in LOOSE_LINKS


def at_least(current: str, wanted: str) -> bool:
    return EVIDENCE_LEVELS.index(current) >= EVIDENCE_LEVELS.index(wanted)
