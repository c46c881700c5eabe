"""In-memory replay of a labelled corpus: extract → resolve over items in publication order → Predicted*.

For fast iteration and unit tests. The real pipeline replay (warehouse, feed server) calls the same
`extract`, `resolve_meeting`, `resolve_deadline` and `score`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

from records.events import DeadlineEvent, MeetingEvent
from records.findings import ExtractConfig
from records.items import Item
from tasks.evaluation.scoring import PredictedDeadline, PredictedMeeting
from tasks.events.decide import resolve_deadline, resolve_meeting
from tasks.extract import extract


def load_corpus(directory: str | Path) -> list[tuple[str, Item]]:
    """(corpus id, Item) pairs from `items.jsonl`, in file order. The Item's id is the corpus id."""
    out = []
    with open(Path(directory) / "items.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            published = datetime.fromisoformat(row["published"]) if row.get("published") else None
            offset = None
            if published is not None and published.utcoffset() is not None:
                offset = int(published.utcoffset().total_seconds() // 60)
                published = published.astimezone(UTC)
            item = Item(
                item_id=row["id"],
                source_id=row.get("source", ""),
                guid=row.get("guid"),
                url=row.get("url"),
                title=row.get("title", ""),
                summary=row.get("summary", ""),
                body=row.get("body", ""),
                published_at=published,
                published_offset_min=offset,
            )
            out.append((row["id"], item))
    return out


@dataclass
class _MeetingTrack:
    event: MeetingEvent
    items: list[str] = field(default_factory=list)


@dataclass
class _DeadlineTrack:
    event: DeadlineEvent
    items: list[str] = field(default_factory=list)
    history: list[tuple[date, str]] = field(default_factory=list)
    dates: set[date] = field(default_factory=set)


def replay_corpus(
    items: Iterable[tuple[str, Item]], config: ExtractConfig | None = None
) -> tuple[dict[str, bool], list[PredictedMeeting], list[PredictedDeadline]]:
    """Run extract + resolve over the items in publication order, entirely in memory."""
    ordered = sorted(items, key=lambda p: (p[1].published_at or datetime.min.replace(tzinfo=UTC), p[0]))
    relevance: dict[str, bool] = {}
    meetings: dict[str, _MeetingTrack] = {}
    deadlines: dict[str, _DeadlineTrack] = {}
    for corpus_id, item in ordered:
        findings = extract(item, config)
        relevance[corpus_id] = findings.relevant
        seen_at = item.published_at or datetime.now(UTC)
        for mention in findings.meetings:
            decision = resolve_meeting(mention, seen_at, [t.event for t in meetings.values()])
            track = meetings.setdefault(decision.event.meeting_id, _MeetingTrack(decision.event))
            track.event = decision.event
            if corpus_id not in track.items:
                track.items.append(corpus_id)
        for mention in findings.deadlines:
            decision = resolve_deadline(mention, seen_at, [t.event for t in deadlines.values()])
            track = deadlines.setdefault(decision.event.deadline_id, _DeadlineTrack(decision.event))
            track.event = decision.event
            if corpus_id not in track.items:
                track.items.append(corpus_id)
            track.dates.add(mention.due_date)
            if decision.action in ("new", "change"):
                track.history.append((decision.event.due_date, corpus_id))
    predicted_meetings = [
        PredictedMeeting(
            meeting_id=t.event.meeting_id,
            parties=t.event.parties,
            date=t.event.meeting_date,
            date_precision=t.event.date_precision,
            officials=t.event.officials,
            items=tuple(t.items),
            status=t.event.status,
            format=t.event.format,
            location=t.event.location,
        )
        for t in meetings.values()
    ]
    predicted_deadlines = [
        PredictedDeadline(
            deadline_id=t.event.deadline_id,
            subject=t.event.subject,
            countries=t.event.countries,
            dates=tuple(sorted(t.dates)),
            history=tuple(t.history),
            items=tuple(t.items),
        )
        for t in deadlines.values()
    ]
    return relevance, predicted_meetings, [replace(d) for d in predicted_deadlines]
