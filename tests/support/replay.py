"""In-memory replay of a labelled corpus: extraction and the real Resolver (tasks/events/apply.py) over the items,
cycle by cycle as the monitor would run them, without feeds or a warehouse. For fast iteration and tests; the
real pipeline replay is `tradewatch eval` (flows/evaluate.py), which scores the same way."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from records.findings import ExtractConfig
from records.items import Item, content_hash
from records.official import is_official
from tasks.evaluation.scoring import PredictedDeadline, PredictedMeeting, Scorecard, score
from tasks.evaluation.warehouse_score import AlertScore, score_alerts
from tasks.events.apply import AlertPolicy, Resolver
from tasks.events.evidence import Provenance
from tasks.extract import extract
from tasks.stories import minhash


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
            title, summary, body = row.get("title", ""), row.get("summary", ""), row.get("body", "")
            out.append((row["id"], Item(
                item_id=row["id"], source_id=row.get("source", ""), guid=row.get("guid"), url=row.get("url"),
                title=title, summary=summary, body=body, published_at=published, published_offset_min=offset,
                content_hash=content_hash(title, summary, body))))
    return out


@dataclass
class Replay:
    relevance: dict[str, bool] = field(default_factory=dict)
    meetings: list[PredictedMeeting] = field(default_factory=list)
    deadlines: list[PredictedDeadline] = field(default_factory=list)
    alerts: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, event id, payload JSON)

    def score(self, labels: dict) -> tuple[Scorecard, AlertScore]:
        card = score(labels, self.relevance, self.meetings, self.deadlines)
        return card, score_alerts(labels, self.alerts, card.matches)


def replay(items: Iterable[tuple[str, Item]], config: ExtractConfig | None = None, *,
           tick_hours: float | None = None, max_item_age: timedelta = timedelta(hours=72)) -> Replay:
    """Extract and resolve the items cycle by cycle: one cycle per publication instant, or every `tick_hours`
    (each taking what was published since the last), in publication order within a cycle."""
    ordered = sorted(items, key=lambda p: (p[1].published_at or datetime.min.replace(tzinfo=UTC), p[0]))
    if not ordered:
        return Replay()
    resolver = Resolver([], [], now=ordered[0][1].published_at, policy=AlertPolicy(max_item_age=max_item_age))
    out = Replay()
    seen_alerts: set[str] = set()
    mentions: dict[tuple[str, str], list[str]] = {}
    values: dict[str, list[tuple[str, object, str]]] = {}
    stories = _Stories()
    for now, batch in _cycles(ordered, tick_hours):
        resolver.now = now
        for _corpus_id, item in batch:
            origin = Provenance(item.item_id, item.source_id, item.url, stories.of(item), item.published_at,
                                official=is_official(item.url))
            resolver.apply(extract(item, config), published_at=item.published_at, seen_at=now, provenance=origin)
        decided = resolver.drain()
        for item_id, relevant, _ in decided.relevance:
            out.relevance[item_id] = relevant
        for m in decided.mentions:
            ids = mentions.setdefault((m.event_kind, m.event_id), [])
            if m.item_id not in ids:
                ids.append(m.item_id)
        for v in decided.deadline_values:
            values.setdefault(v.deadline_id, []).append((v.action, v.due_date, v.item_id))
        for a in decided.alerts:
            if a.alert_id not in seen_alerts:
                seen_alerts.add(a.alert_id)
                out.alerts.append((a.kind, a.event_id, a.payload))
    out.meetings = [
        PredictedMeeting(meeting_id=e.meeting_id, parties=e.parties, date=e.meeting_date,
                         date_precision=e.date_precision, officials=e.officials,
                         items=tuple(mentions.get(("meeting", e.meeting_id), ())), status=e.status,
                         format=e.format, location=e.location)
        for e in resolver.meetings.values()
    ]
    out.deadlines = [
        PredictedDeadline(deadline_id=e.deadline_id, subject=e.subject, countries=e.countries,
                          dates=tuple(sorted({v[1] for v in values.get(e.deadline_id, [])})),
                          history=tuple((v[1], v[2]) for v in values.get(e.deadline_id, [])
                                        if v[0] in ("new", "change")),
                          items=tuple(mentions.get(("deadline", e.deadline_id), ())))
        for e in resolver.deadlines.values()
    ]
    return out


class _Stories:
    """Wire copies as the pipeline groups them (tasks/stories), in memory: an item joins the story of its most
    similar earlier item when their estimated Jaccard similarity reaches minhash.SAME_STORY_JACCARD."""

    def __init__(self) -> None:
        self.known: list[tuple[object, str]] = []  # (signature, story id)

    def of(self, item: Item) -> str:
        sig = minhash.signature(minhash.story_text(item.title, item.body))
        best, story = 0.0, item.item_id
        for other, other_story in self.known:
            sim = minhash.similarity(sig, other)
            if sim >= minhash.SAME_STORY_JACCARD and sim > best:
                best, story = sim, other_story
        self.known.append((sig, story))
        return story


def _cycles(ordered: list[tuple[str, Item]], tick_hours: float | None):
    """(now, the items published since the previous cycle) for each cycle."""
    times = sorted({it.published_at for _, it in ordered if it.published_at})
    if tick_hours is None:
        ticks = times
    else:
        ticks, t = [], times[0]
        while t <= times[-1]:
            ticks.append(t)
            t += timedelta(hours=tick_hours)
        ticks.append(times[-1])
    k = 0
    for now in ticks:
        batch = []
        while k < len(ordered) and (ordered[k][1].published_at is None or ordered[k][1].published_at <= now):
            batch.append(ordered[k])
            k += 1
        if batch:
            yield now, batch


def replay_corpus(items: Iterable[tuple[str, Item]], config: ExtractConfig | None = None
                  ) -> tuple[dict[str, bool], list[PredictedMeeting], list[PredictedDeadline]]:
    """(relevance, meetings, deadlines) of an in-memory replay, one cycle per publication instant."""
    result = replay(items, config)
    return result.relevance, result.meetings, result.deadlines
