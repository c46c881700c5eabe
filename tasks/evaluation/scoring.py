"""Score predicted meetings, deadlines and relevance against labelled data (corpus labels.json). Pure.

Matching rules
* Meetings: same set of parties and a predicted date inside the labelled precision window (±1 day
  for day precision, Monday..Sunday for week, the calendar month for month). One-to-one, best pairs
  first (more officials in common, then closer date). A predicted meeting left unmatched that would
  have matched an already matched label is a duplicate; duplicates also count as false positives.
  Predicted meetings without a date cannot match.
* Deadlines: countries overlap and any due date the prediction took is a value the label took
  (a history date or one of its equivalent_dates). One-to-one, best first; duplicates as above.
* Deadline changes: a predicted change old→new (consecutive history entries) matches a consecutive
  pair of a labelled history when old and new are values of those two entries (equivalent dates
  included) and the countries overlap. Labelled pairs with a null date cannot be matched and are
  excluded from recall (reported as `changes_excluded`).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class PredictedMeeting:
    meeting_id: str
    parties: tuple[str, ...]
    date: date | None
    date_precision: str | None
    officials: tuple[str, ...] = ()
    items: tuple[str, ...] = ()  # corpus ids, publication order
    status: str = ""
    format: str | None = None
    location: str | None = None


@dataclass(frozen=True)
class PredictedDeadline:
    deadline_id: str
    subject: str
    countries: tuple[str, ...]
    dates: tuple[date, ...]  # every due date it took (history values, equivalents and restatements)
    history: tuple[tuple[date, str], ...] = ()  # (value, corpus id of the first item giving it), in order
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class PRF:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Scorecard:
    relevance: PRF
    meetings: PRF
    deadlines: PRF
    changes: PRF
    duplicate_meetings: int
    duplicate_deadlines: int
    changes_excluded: int  # labelled changes with a null date (cannot be matched)
    missed_relevant: tuple[str, ...] = ()
    spurious_relevant: tuple[str, ...] = ()
    missed_meetings: tuple[str, ...] = ()  # label ids
    spurious_meetings: tuple[str, ...] = ()  # predicted ids (duplicates included)
    missed_deadlines: tuple[str, ...] = ()
    spurious_deadlines: tuple[str, ...] = ()
    missed_changes: tuple[str, ...] = ()  # "label-id: old→new"
    spurious_changes: tuple[str, ...] = ()
    matches: dict = field(default_factory=dict)  # predicted id → label id

    def render(self) -> str:
        rows = [
            ("relevance", self.relevance, ""),
            ("meetings", self.meetings, f"duplicates {self.duplicate_meetings}"),
            ("deadlines", self.deadlines, f"duplicates {self.duplicate_deadlines}"),
            (
                "deadline changes",
                self.changes,
                f"{self.changes_excluded} labelled change(s) with null date excluded",
            ),
        ]
        lines = [f"{'':18} {'P':>6} {'R':>6} {'F1':>6}   {'tp':>3} {'fp':>3} {'fn':>3}"]
        for name, prf, note in rows:
            lines.append(
                f"{name:18} {prf.precision:6.3f} {prf.recall:6.3f} {prf.f1:6.3f}   {prf.tp:3d} {prf.fp:3d} {prf.fn:3d}   {note}".rstrip()
            )
        for title, ids in (
            ("missed relevant", self.missed_relevant),
            ("spurious relevant", self.spurious_relevant),
            ("missed meetings", self.missed_meetings),
            ("spurious meetings", self.spurious_meetings),
            ("missed deadlines", self.missed_deadlines),
            ("spurious deadlines", self.spurious_deadlines),
            ("missed changes", self.missed_changes),
            ("spurious changes", self.spurious_changes),
        ):
            if ids:
                lines.append(f"{title}: {', '.join(ids)}")
        return "\n".join(lines)


def _key(name: str) -> str:
    folded = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", folded.replace(".", "")).strip().lower()


def _parse(d: str | None) -> date | None:
    return date.fromisoformat(d) if d else None


def label_window(d: date, precision: str | None) -> tuple[date, date]:
    if precision == "week":
        start = d - timedelta(days=d.weekday())
        return start, start + timedelta(days=6)
    if precision == "month":
        start = d.replace(day=1)
        nxt = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return start, nxt - timedelta(days=1)
    return d - timedelta(days=1), d + timedelta(days=1)


def _match(pairs: list[tuple[tuple, str, str]]) -> dict[str, str]:
    """pairs: (rank key, predicted id, label id); lower key = better. One-to-one, as many pairs as can be
    matched at once: a prediction that could stand for two labels never leaves another prediction that fits
    only one of them unmatched (augmenting paths); among such matchings, better keys (pairs are swapped while
    that lowers the sum of their ranks). The result never depends on the order the predictions were read in (a
    warehouse returns rows in no set order)."""
    ranks = {key: n for n, key in enumerate(sorted({key for key, _, _ in pairs}))}
    cost: dict[tuple[str, str], int] = {}
    for key, pid, lid in pairs:
        cost[pid, lid] = min(cost.get((pid, lid), len(ranks)), ranks[key])
    options: dict[str, list[str]] = {}
    for pid, lid in sorted(cost, key=lambda pl: (cost[pl], pl)):
        options.setdefault(pid, []).append(lid)  # each prediction's labels, best first
    owner: dict[str, str] = {}

    def place(pid: str, seen: set[str]) -> bool:
        for lid in options[pid]:
            if lid not in seen:
                seen.add(lid)
                if lid not in owner or place(owner[lid], seen):
                    owner[lid] = pid
                    return True
        return False

    for pid in sorted(options, key=lambda p: (cost[p, options[p][0]], p)):
        place(pid, set())
    matched = {pid: lid for lid, pid in owner.items()}
    better = True
    while better:  # (each change lowers the sum of ranks: it ends)
        better = False
        for p1, p2 in itertools.permutations(sorted(matched), 2):
            l1, l2 = matched[p1], matched[p2]
            if (p1, l2) in cost and (p2, l1) in cost and \
                    cost[p1, l2] + cost[p2, l1] < cost[p1, l1] + cost[p2, l2]:
                matched[p1], matched[p2], better = l2, l1, True
                break
        for p1 in sorted(matched):
            free = [lid for lid in options[p1] if lid not in matched.values() and cost[p1, lid] < cost[p1, matched[p1]]]
            if free:
                matched[p1], better = free[0], True
    return matched


def _score_relevance(labels: dict, relevance: dict[str, bool]) -> tuple[PRF, tuple, tuple]:
    tp = fp = fn = 0
    missed, spurious = [], []
    for iid, lab in labels.get("items", {}).items():
        pred = bool(relevance.get(iid, False))
        gold = bool(lab.get("relevant"))
        if pred and gold:
            tp += 1
        elif pred:
            fp += 1
            spurious.append(iid)
        elif gold:
            fn += 1
            missed.append(iid)
    return PRF(tp, fp, fn), tuple(sorted(missed)), tuple(sorted(spurious))


def _score_meetings(labels: dict, meetings: Sequence[PredictedMeeting]):
    gold = labels.get("meetings", [])
    pairs = []
    matchable: dict[str, set[str]] = {}
    for p in meetings:
        if p.date is None:
            continue
        for g in gold:
            if set(g["parties"]) != set(p.parties):
                continue
            lo, hi = label_window(_parse(g["date"]), g.get("date_precision"))
            if not lo <= p.date <= hi:
                continue
            overlap = len({_key(o) for o in p.officials} & {_key(o) for o in g.get("officials", [])})
            distance = abs((p.date - _parse(g["date"])).days)
            pairs.append(((-overlap, distance), p.meeting_id, g["id"]))
            matchable.setdefault(p.meeting_id, set()).add(g["id"])
    matched = _match(pairs)
    tp = len(matched)
    duplicates = [p.meeting_id for p in meetings if p.meeting_id not in matched and p.meeting_id in matchable]
    spurious = [p.meeting_id for p in meetings if p.meeting_id not in matched]
    missed = [g["id"] for g in gold if g["id"] not in matched.values()]
    return PRF(tp, len(spurious), len(missed)), len(duplicates), tuple(missed), tuple(spurious), matched


def _values(entry: dict) -> set[date]:
    out = {_parse(entry.get("date"))} if entry.get("date") else set()
    out |= {_parse(d) for d in entry.get("equivalent_dates", [])}
    return out


def _score_deadlines(labels: dict, deadlines: Sequence[PredictedDeadline]):
    gold = labels.get("deadlines", [])
    pairs = []
    matchable: dict[str, set[str]] = {}
    for p in deadlines:
        for g in gold:
            if not set(p.countries) & set(g["countries"]):
                continue
            values = set().union(*(_values(h) for h in g.get("history", []))) if g.get("history") else set()
            common = set(p.dates) & values
            if not common:
                continue
            pairs.append(
                ((-len(common), -len(set(p.countries) & set(g["countries"]))), p.deadline_id, g["id"])
            )
            matchable.setdefault(p.deadline_id, set()).add(g["id"])
    matched = _match(pairs)
    duplicates = [
        p.deadline_id for p in deadlines if p.deadline_id not in matched and p.deadline_id in matchable
    ]
    spurious = [p.deadline_id for p in deadlines if p.deadline_id not in matched]
    missed = [g["id"] for g in gold if g["id"] not in matched.values()]
    return (
        PRF(len(matched), len(spurious), len(missed)),
        len(duplicates),
        tuple(missed),
        tuple(spurious),
        matched,
    )


def _score_changes(labels: dict, deadlines: Sequence[PredictedDeadline]):
    gold_changes = []
    excluded = 0
    for g in labels.get("deadlines", []):
        h = g.get("history", [])
        for a, b in zip(h, h[1:], strict=False):
            if not a.get("date") or not b.get("date"):
                excluded += 1
                continue
            gold_changes.append(
                (f"{g['id']}: {a['date']}→{b['date']}", set(g["countries"]), _values(a), _values(b))
            )
    predicted = []
    for p in deadlines:
        for (old, _), (new, item) in zip(p.history, p.history[1:], strict=False):
            predicted.append((f"{p.deadline_id}: {old}→{new} ({item})", set(p.countries), old, new))
    pairs = []
    for pid, pc, old, new in predicted:
        for gid, gc, gold_old, gold_new in gold_changes:
            if pc & gc and old in gold_old and new in gold_new:
                pairs.append(((0,), pid, gid))
    matched = _match(pairs)
    spurious = tuple(pid for pid, *_ in predicted if pid not in matched)
    missed = tuple(gid for gid, *_ in gold_changes if gid not in matched.values())
    return PRF(len(matched), len(spurious), len(missed)), excluded, missed, spurious


def score(
    labels: dict,
    relevance: dict[str, bool],
    meetings: Sequence[PredictedMeeting],
    deadlines: Sequence[PredictedDeadline],
) -> Scorecard:
    rel, rel_missed, rel_spurious = _score_relevance(labels, relevance)
    mprf, mdup, mmissed, mspurious, mmatch = _score_meetings(labels, meetings)
    dprf, ddup, dmissed, dspurious, dmatch = _score_deadlines(labels, deadlines)
    cprf, excluded, cmissed, cspurious = _score_changes(labels, deadlines)
    return Scorecard(
        relevance=rel,
        meetings=mprf,
        deadlines=dprf,
        changes=cprf,
        duplicate_meetings=mdup,
        duplicate_deadlines=ddup,
        changes_excluded=excluded,
        missed_relevant=rel_missed,
        spurious_relevant=rel_spurious,
        missed_meetings=mmissed,
        spurious_meetings=mspurious,
        missed_deadlines=dmissed,
        spurious_deadlines=dspurious,
        missed_changes=cmissed,
        spurious_changes=cspurious,
        matches={**mmatch, **dmatch},
    )
