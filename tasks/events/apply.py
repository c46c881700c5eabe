"""Apply extraction findings to what we knew: decisions in memory against an index of the known events
(tasks/events/decide.py decides each mention), then every write in bulk, alert outbox rows included, inside
the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import duckdb

from records.events import DeadlineEvent, MeetingEvent
from records.findings import DeadlineMention, Findings, MeetingMention
from tasks.events import decide, evidence
from tasks.events.evidence import REPORTED, Provenance
from tasks.events.payloads import (
    EVIDENCE_KEYS,
    change_text,
    deadline_detail,
    deadline_payload,
    iso,
    meeting_detail,
    meeting_payload,
    meeting_text,
)
from warehouse import events as event_store
from warehouse import items as item_store
from warehouse import outbox


@dataclass
class EventCounts:
    new_meetings: int = 0
    meeting_updates: int = 0
    new_deadlines: int = 0
    deadline_changes: int = 0
    alerts_pending: int = 0
    alerts_suppressed: int = 0
    mentions: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: EventCounts) -> None:
        for name in ("new_meetings", "meeting_updates", "new_deadlines", "deadline_changes", "alerts_pending",
                     "alerts_suppressed", "mentions"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)


@dataclass(frozen=True)
class AlertPolicy:
    enabled: bool = True  # False for --no-alerts: decisions are recorded as suppressed, nothing is sent later
    max_item_age: timedelta = timedelta(hours=72)


RETOLD_AFTER = timedelta(days=7)


def _retold(mention: MeetingMention, now: datetime) -> bool:
    """A meeting held more than a week before the item was first seen (background, recalled)."""
    return (mention.status == "held" and mention.date is not None
            and mention.date < (now - RETOLD_AFTER).date())


def _alert_gate(policy: AlertPolicy, published_at: datetime | None, now: datetime) -> str | None:
    if not policy.enabled:
        return "no_alerts"
    if published_at is not None and now - published_at > policy.max_item_age:
        return "old_item"
    return None


class Resolver:
    """Apply a batch of findings in order against the events known when it was made.

    `now` is the run's clock (alert gating, outbox); `seen_at` per item is when it was first seen (event
    first_seen_at, history), which differs from now only when reprocessing."""

    def __init__(self, meetings: list[MeetingEvent], deadlines: list[DeadlineEvent], *, now: datetime,
                 policy: AlertPolicy) -> None:
        self.now, self.policy = now, policy
        self.counts = EventCounts()
        self.meetings: dict[str, MeetingEvent] = {}
        self.meetings_by_parties: dict[tuple[str, ...], list[str]] = {}
        self.deadlines: dict[str, DeadlineEvent] = {d.deadline_id: d for d in deadlines}
        self.dirty_meetings: set[str] = set()
        self.dirty_deadlines: set[str] = set()
        self.meeting_changes: list[event_store.MeetingChange] = []
        self.deadline_values: list[event_store.DeadlineValue] = []
        self.mentions: dict[tuple[str, str, str], event_store.Mention] = {}
        self.alerts: dict[str, outbox.Alert] = {}
        self.relevance: list[tuple[str, bool, str]] = []
        for m in meetings:
            self._index_meeting(m)

    def _index_meeting(self, ev: MeetingEvent) -> None:
        key = tuple(sorted(ev.parties))
        if ev.meeting_id not in self.meetings:
            self.meetings_by_parties.setdefault(key, []).append(ev.meeting_id)
        self.meetings[ev.meeting_id] = ev

    def _known_meetings(self, parties) -> list[MeetingEvent]:
        return [self.meetings[i] for i in self.meetings_by_parties.get(tuple(sorted(parties)), [])]

    def _known_deadlines(self, countries) -> list[DeadlineEvent]:
        wanted = set(countries)
        return [d for d in self.deadlines.values() if wanted & set(d.countries)]

    # --- decisions ------------------------------------------------------------------------------------

    def _alert(self, gate: str | None, *, kind: str, event_kind: str, event_id: str, key_parts, text: str,
               payload: dict) -> None:
        alert_id = outbox.alert_key(kind, event_kind, event_id, *key_parts)
        if alert_id not in self.alerts:
            self.alerts[alert_id] = outbox.Alert(alert_id, kind, event_kind, event_id, self.now,
                                                 "suppressed" if gate else "pending", gate, text,
                                                 json.dumps(payload, default=str))

    def _mention(self, item_id: str, kind: str, event_id: str, evidence: str, detail: dict) -> None:
        self.mentions.setdefault((item_id, kind, event_id), event_store.Mention(
            item_id, kind, event_id, evidence[:2000], json.dumps(detail, default=str)))

    def apply(self, findings: Findings, *, published_at: datetime | None, seen_at: datetime | None = None,
              provenance: Provenance | None = None) -> None:
        """Record what one item told us (`provenance`: where it comes from, for the evidence levels)."""
        self.relevance.append((findings.item_id, findings.relevant, findings.relevance_reason))
        if not findings.relevant:
            return  # only relevant items make events
        gate = _alert_gate(self.policy, published_at, self.now)
        provenance = provenance or Provenance(findings.item_id)
        for m in findings.meetings:
            self._apply_meeting(m, findings.item_id, gate, seen_at or self.now, provenance)
        for d in findings.deadlines:
            self._apply_deadline(d, findings.item_id, gate, seen_at or self.now, provenance)

    def _apply_meeting(self, mention: MeetingMention, item_id: str, gate: str | None, seen_at: datetime,
                       provenance: Provenance) -> None:
        decision = decide.resolve_meeting(mention, seen_at, self._known_meetings(mention.parties))
        ev = decision.event
        before = self.meetings.get(ev.meeting_id)
        proof = evidence.merged(ev.evidence, provenance, evidence.meeting_signals(mention))
        if decision.action == "new" and _retold(mention, seen_at):
            proof["quiet"] = True  # a meeting first heard of long after it was held: kept, never announced
        level = evidence.level(proof, explicit=evidence.meeting_explicit(proof))
        ev = replace(ev, evidence=proof, evidence_level=level)
        if decision.action == "new":
            self.counts.new_meetings += 1
        if evidence.at_least(level, REPORTED) and not proof.get("alerted") and not proof.get("quiet"):
            self._announce_meeting(ev, proof, gate, item_id, key_parts=())
        elif decision.action == "update" and before is not None and before.evidence.get("alerted"):
            before = meeting_payload(self.meetings[ev.meeting_id])
            after = meeting_payload(ev)
            changed = {k: {"old": before[k], "new": after[k]} for k in after
                       if k not in EVIDENCE_KEYS and before.get(k) != after[k]}
            for k, v in changed.items():
                self.meeting_changes.append(event_store.MeetingChange(
                    ev.meeting_id, self.now, k, change_text(v["old"]), change_text(v["new"]), item_id))
            alertable = {k: v for k, v in changed.items() if k in ("status", "meeting_date")}
            if alertable and not proof.get("announced") and gate is None:
                # its first alert was held back (an old item, --no-alerts): announce it now, as it stands
                self._announce_meeting(ev, proof, gate, item_id, key_parts=("late",))
            elif alertable and proof.get("announced"):
                self.counts.meeting_updates += 1
                key = tuple(f"{k}={alertable[k]['new']}" for k in sorted(alertable))
                what = ", ".join(f"{k} {v['old']} → {v['new']}" for k, v in alertable.items())
                self._alert(gate, kind="meeting_update", event_kind="meeting", event_id=ev.meeting_id,
                            key_parts=key, text=f"Meeting update ({what}): {meeting_text(ev)}",
                            payload={"kind": "meeting_update", "event_kind": "meeting",
                                     "event_id": ev.meeting_id, "item_id": item_id,
                                     "event": meeting_payload(ev), "change": alertable})
        self._index_meeting(ev)
        self.dirty_meetings.add(ev.meeting_id)
        self._mention(item_id, "meeting", ev.meeting_id, mention.evidence, meeting_detail(mention))

    def _announce_meeting(self, ev: MeetingEvent, proof: dict, gate: str | None, item_id: str, *,
                          key_parts: tuple) -> None:
        self._announce(proof, gate, "meeting", ev.meeting_id, item_id, key_parts=key_parts,
                       text=f"New meeting: {meeting_text(ev)}", event=meeting_payload(ev))

    def _apply_deadline(self, mention: DeadlineMention, item_id: str, gate: str | None,
                        seen_at: datetime, provenance: Provenance) -> None:
        decision = decide.resolve_deadline(mention, seen_at, self._known_deadlines(mention.countries),
                                           story=provenance.story, official=provenance.official)
        ev = decision.event
        proof = ev.evidence
        if decision.action != "conflicting":  # a report of another value is no report of this one
            signals = ("explicit",) if evidence.deadline_explicit(mention) else ()
            proof = evidence.merged(proof, provenance, signals)
        level = evidence.level(proof, explicit="explicit" in proof.get("signals", []))
        ev = replace(ev, evidence=proof, evidence_level=level)
        self.deadline_values.append(event_store.DeadlineValue(
            ev.deadline_id, decision.action, decision.old_date, mention.due_date, mention.due_at, item_id, seen_at,
            mention.text[:2000], mention.rate, decision.basis))
        if decision.action == "new":
            self.counts.new_deadlines += 1
        if decision.action == "change":
            self.counts.deadline_changes += 1
        moved = decision.action == "change" and evidence.at_least(level, REPORTED)
        if not moved and evidence.at_least(level, REPORTED) and not proof.get("alerted"):
            self._announce_deadline(ev, proof, gate, item_id, key_parts=())  # the first time it is told well enough
        elif moved:  # a move on its basis (tasks/events/decide.py), even of a value too weakly told to announce
            if not proof.get("announced") and gate is None:
                # the thread starts with the deadline as it stands; the move replies in it
                self._announce_deadline(ev, proof, gate, item_id, key_parts=("late",) if proof.get("alerted") else ())
            proof["alerted"] = True
            self._alert(gate, kind="deadline_change", event_kind="deadline", event_id=ev.deadline_id,
                        key_parts=(decision.old_date, ev.due_date),
                        text=(f"Deadline moved: {ev.subject_label} ({', '.join(ev.countries)}) "
                              f"{decision.old_date} → {ev.due_date}"),
                        payload={"kind": "deadline_change", "event_kind": "deadline", "event_id": ev.deadline_id,
                                 "item_id": item_id, "event": deadline_payload(ev),
                                 "change": {"old_date": iso(decision.old_date), "new_date": iso(ev.due_date),
                                            "basis": decision.basis}})
        self.deadlines[ev.deadline_id] = ev
        self.dirty_deadlines.add(ev.deadline_id)
        self._mention(item_id, "deadline", ev.deadline_id, mention.text, deadline_detail(mention))

    def _announce_deadline(self, ev: DeadlineEvent, proof: dict, gate: str | None, item_id: str, *,
                           key_parts: tuple) -> None:
        self._announce(proof, gate, "deadline", ev.deadline_id, item_id, key_parts=key_parts,
                       text=f"New deadline: {ev.subject_label} ({', '.join(ev.countries)}) on {ev.due_date}",
                       event=deadline_payload(ev))

    def _announce(self, proof: dict, gate: str | None, event_kind: str, event_id: str, item_id: str, *,
                  key_parts: tuple, text: str, event: dict) -> None:
        """The new_* alert (`announced`: it may go out, so later alerts can reply in its thread)."""
        proof["alerted"] = True
        proof["announced"] = proof.get("announced", False) or gate is None
        kind = f"new_{event_kind}"
        self._alert(gate, kind=kind, event_kind=event_kind, event_id=event_id, key_parts=key_parts, text=text,
                    payload={"kind": kind, "event_kind": event_kind, "event_id": event_id, "item_id": item_id,
                             "event": event, "change": {}})

    # --- writes ---------------------------------------------------------------------------------------

    def drain(self) -> Decided:
        """Everything decided since the last drain (what a flush writes); the known events stay."""
        decided = Decided(
            now=self.now, relevance=tuple(self.relevance),
            meetings=tuple(self.meetings[i] for i in sorted(self.dirty_meetings)),
            meeting_changes=tuple(self.meeting_changes),
            deadlines=tuple(self.deadlines[i] for i in sorted(self.dirty_deadlines)),
            deadline_values=tuple(self.deadline_values), mentions=tuple(self.mentions.values()),
            alerts=tuple(self.alerts.values()), counts=self.counts)
        self.counts = EventCounts()
        self.relevance, self.meeting_changes, self.deadline_values = [], [], []
        self.mentions, self.alerts = {}, {}
        self.dirty_meetings, self.dirty_deadlines = set(), set()
        return decided

    def flush(self, con: duckdb.DuckDBPyConnection) -> EventCounts:
        """Write everything decided since the last flush, in bulk. Returns the counts."""
        return write(con, self.drain())


@dataclass(frozen=True)
class Decided:
    """The rows a batch of findings decided, to write in one transaction."""

    now: datetime
    relevance: tuple[tuple[str, bool, str], ...]
    meetings: tuple[MeetingEvent, ...]
    meeting_changes: tuple[event_store.MeetingChange, ...]
    deadlines: tuple[DeadlineEvent, ...]
    deadline_values: tuple[event_store.DeadlineValue, ...]
    mentions: tuple[event_store.Mention, ...]
    alerts: tuple[outbox.Alert, ...]
    counts: EventCounts


def write(con: duckdb.DuckDBPyConnection, decided: Decided) -> EventCounts:
    """Write decided rows in bulk, inside the caller's transaction. Returns the counts, with the mentions and
    alerts that were new (a rerun's are already there)."""
    item_store.record_extraction(con, decided.relevance, now=decided.now)
    event_store.upsert_meetings(con, decided.meetings, now=decided.now)
    event_store.append_meeting_changes(con, decided.meeting_changes)
    event_store.upsert_deadlines(con, decided.deadlines, now=decided.now)
    event_store.append_deadline_values(con, decided.deadline_values)
    counts = decided.counts
    counts.mentions += event_store.add_mentions(con, decided.mentions)
    states = outbox.add_alerts(con, decided.alerts)
    counts.alerts_pending += states.count("pending")
    counts.alerts_suppressed += states.count("suppressed")
    return counts


def resolver_for(con: duckdb.DuckDBPyConnection, findings: Sequence[Findings], *, now: datetime,
                 policy: AlertPolicy) -> Resolver:
    """A resolver over the known events `findings` can change, whatever the warehouse holds besides: for a
    meeting mention, the meetings of its parties within decide.REACH of its date (all of them for an undated mention),
    undated ones, and those holding an id it could be given; for a deadline mention, the deadlines of exactly
    its governments (decide._same_measure)."""
    relevant = [f for f in findings if f.relevant]
    meetings = [_wanted(m) for f in relevant for m in f.meetings]
    countries = {tuple(sorted(d.countries)) for f in relevant for d in f.deadlines}
    return Resolver(event_store.load_meetings(con, meetings), event_store.load_deadlines(con, countries),
                    now=now, policy=policy)


def _wanted(mention: MeetingMention) -> event_store.MeetingsWanted:
    since = until = None
    if mention.date is not None:
        since, until = mention.date - decide.REACH, max(mention.date, mention.end_date or mention.date) + decide.REACH
    # a new meeting's id is its parties, its date and a digest (decide.meeting_id_for), "-2"... when taken: the
    # meetings whose id begins the same may hold it, whatever date they moved to since
    taken = decide.meeting_id_for(mention.parties, mention.date).rsplit("-", 1)[0] + "-"
    return event_store.MeetingsWanted("|".join(sorted(mention.parties)), since, until, taken)
