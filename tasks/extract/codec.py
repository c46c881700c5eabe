"""Findings as JSON rows, for the trip back from an extract worker."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from records.findings import DeadlineMention, Findings, MeetingMention, Official


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def findings_rows(findings: Iterable[Findings]) -> list[list]:
    return [[f.item_id, f.relevant, f.relevance_reason, list(f.countries),
             [[list(m.parties), _iso(m.date), m.date_precision, m.date_text, m.location, m.format,
               [[o.name, o.role, o.country] for o in m.officials], m.status, m.evidence] for m in f.meetings],
             [[d.subject, d.subject_label, list(d.countries), _iso(d.due_date), _iso(d.due_at), d.text,
               [_iso(x) for x in d.equivalent_dates]] for d in f.deadlines]]
            for f in findings]


def findings_of(rows: Iterable[list]) -> list[Findings]:
    out = []
    for item_id, relevant, reason, countries, meetings, deadlines in rows:
        out.append(Findings(
            item_id, bool(relevant), reason, tuple(countries),
            tuple(MeetingMention(tuple(p), _day(d), prec, text, loc, fmt, tuple(Official(*o) for o in officials),
                                 status, evidence)
                  for p, d, prec, text, loc, fmt, officials, status, evidence in meetings),
            tuple(DeadlineMention(subject, label, tuple(c), date.fromisoformat(due),
                                  datetime.fromisoformat(at) if at else None, text,
                                  tuple(date.fromisoformat(x) for x in equivalents))
                  for subject, label, c, due, at, text, equivalents in deadlines)))
    return out
