"""Findings as JSON rows, for the trip back from an extract worker: each record's fields in order, dates as ISO
text (the fields are read off the records, so a field added to one travels without a change here)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from datetime import date, datetime
from typing import Any

from records.findings import DeadlineMention, Findings, MeetingMention, Official

_MEETING = tuple(f.name for f in fields(MeetingMention))
_DEADLINE = tuple(f.name for f in fields(DeadlineMention))
_DATES = {"date", "end_date", "due_date", "moved_from"}
_INSTANTS = {"due_at"}
_LISTS = {"parties", "countries", "signals"}


def _out(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_out(v) for v in value]
    if isinstance(value, Official):
        return [value.name, value.role, value.country]
    return value


def _in(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _DATES:
        return date.fromisoformat(value)
    if name in _INSTANTS:
        return datetime.fromisoformat(value)
    if name == "officials":
        return tuple(Official(*o) for o in value)
    if name == "equivalent_dates":
        return tuple(date.fromisoformat(x) for x in value)
    if name in _LISTS:
        return tuple(value)
    return value


def findings_rows(findings: Iterable[Findings]) -> list[list]:
    return [[f.item_id, f.relevant, f.relevance_reason, list(f.countries),
             [[_out(getattr(m, n)) for n in _MEETING] for m in f.meetings],
             [[_out(getattr(d, n)) for n in _DEADLINE] for d in f.deadlines]]
            for f in findings]


def findings_of(rows: Iterable[list]) -> list[Findings]:
    return [Findings(item_id, bool(relevant), reason, tuple(countries),
                     tuple(MeetingMention(*(_in(n, v) for n, v in zip(_MEETING, m, strict=True))) for m in meetings),
                     tuple(DeadlineMention(*(_in(n, v) for n, v in zip(_DEADLINE, d, strict=True)))
                           for d in deadlines))
            for item_id, relevant, reason, countries, meetings, deadlines in rows]
