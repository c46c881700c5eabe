"""What an event alert and a mention say: the payloads stored with alerts and mentions, and the alert texts."""

from __future__ import annotations

from records.events import DeadlineEvent, MeetingEvent
from records.findings import DeadlineMention, MeetingMention


def iso(d) -> str | None:
    return d.isoformat() if d is not None else None


def meeting_payload(ev: MeetingEvent) -> dict:
    return {
        "parties": list(ev.parties),
        "meeting_date": iso(ev.meeting_date),
        "date_precision": ev.date_precision,
        "location": ev.location,
        "format": ev.format,
        "status": ev.status,
        "officials": list(ev.officials),
        "end_date": iso(ev.end_date),
        **evidence_payload(ev.evidence_level, ev.evidence),
    }


EVIDENCE_KEYS = ("evidence_level", "reports", "official")  # what the alert says of the evidence (not a change)


def evidence_payload(level: str, evidence: dict) -> dict:
    """The evidence level and what made it: independent reports (stories), and whether a primary source told it."""
    return {"evidence_level": level, "reports": len(evidence.get("stories", [])),
            "official": bool(evidence.get("official"))}


def deadline_payload(ev: DeadlineEvent) -> dict:
    return {
        "subject": ev.subject_label,
        "subject_key": ev.subject,
        "countries": list(ev.countries),
        "due_date": iso(ev.due_date),
        "due_at": iso(ev.due_at),
        "rate": ev.rate,
        **evidence_payload(ev.evidence_level, ev.evidence),
    }


def meeting_detail(m: MeetingMention) -> dict:
    """What this item said, literally, next to what it resolved to."""
    return {
        "date": iso(m.date),
        "date_precision": m.date_precision,
        "date_text": m.date_text,
        "status": m.status,
        "location": m.location,
        "format": m.format,
        "officials": [{"name": o.name, "role": o.role, "country": o.country} for o in m.officials],
    }


def deadline_detail(d: DeadlineMention) -> dict:
    return {
        "subject": d.subject,
        "due_date": iso(d.due_date),
        "due_at": iso(d.due_at),
        "equivalent_dates": [iso(x) for x in d.equivalent_dates],
    }


def meeting_text(ev: MeetingEvent) -> str:
    when = ev.meeting_date.isoformat() if ev.meeting_date else "date unknown"
    if ev.date_precision and ev.date_precision != "day" and ev.meeting_date:
        when = f"{ev.date_precision} of {when}"
    parts = [f"{'–'.join(ev.parties)} {ev.format or 'meeting'} ({ev.status}), {when}"]
    if ev.location:
        parts.append(f"in {ev.location}")
    if ev.officials:
        parts.append("with " + ", ".join(ev.officials))
    return " ".join(parts)


def change_text(value) -> str | None:
    """A changed field's value as text for core.meeting_changes: NULL stays NULL, lists are comma-joined."""
    if value is None:
        return None
    return ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
