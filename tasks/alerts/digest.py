"""The daily digest: deadlines in the next 14 days, meetings this week and next, what changed in the last 24 h.

`build_digest(con, now)` is queries + formatting (no Slack, no clock), showing the warehouse as it stood at
`now`; tasks/alerts/digest_delivery.py posts the result once per day to `slack.digest_channel or
slack.channel`, or prints it when there is no token.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import duckdb

from tasks.alerts import format as fmt
from warehouse import digest as reads

DEADLINE_DAYS = 14
CHANGES_HOURS = 24
MAX_LINES = 40  # per section; the rest is counted

_DATE_FIELDS = {"meeting_date"}


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _lines_or_none(lines: Sequence[str], empty: str) -> list[str]:
    if not lines:
        return [f"_{empty}_"]
    if len(lines) > MAX_LINES:
        return [*lines[:MAX_LINES], f"• +{len(lines) - MAX_LINES} more"]
    return list(lines)


def upcoming_deadlines(con: duckdb.DuckDBPyConnection, today: date, as_of: datetime) -> list[str]:
    rows = reads.deadlines_due(con, today, today + timedelta(days=DEADLINE_DAYS), as_of)
    out = []
    for subject, countries, due_date, due_at in rows:
        days = (due_date - today).days
        when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
        at = fmt.format_instant(due_at)
        due = fmt.format_date(due_date) + (f", {at}" if at else "")
        out.append(
            f"• *{due}* ({when}) — {fmt.mrkdwn(subject, 300)} — {fmt.mrkdwn(fmt.parties_text(countries), 200)}"
        )
    return out


def meeting_as_of(meeting: dict) -> dict:
    """A meeting (reads.meetings_known) with the values it had at the digest's instant: each field changed
    since takes the old value of its first later change (stored as text: lists comma-joined)."""
    out = {k: v for k, v in meeting.items() if k != "later"}
    for field, old in meeting.get("later", {}).items():
        if field == "parties":
            out[field] = old.split(", ") if old else []
        elif field == "meeting_date":
            out[field] = date.fromisoformat(old[:10]) if old else None
        elif field in reads.MEETING_FIELDS:
            out[field] = old
    return out


def _in_window(m: dict, start: date, end: date) -> bool:
    """From `start` to before `end`; a month-precision meeting when its month overlaps; not cancelled."""
    day = m["meeting_date"]
    if day is None or m["status"] == "cancelled":
        return False
    if m["date_precision"] == "month":
        month_end = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        return day < end and month_end > start
    return start <= day < end


def meetings_this_and_next_week(con: duckdb.DuckDBPyConnection, today: date, as_of: datetime) -> list[str]:
    start = _monday(today)
    end = start + timedelta(days=14)  # exclusive
    then = [meeting_as_of(m) for m in reads.meetings_known(con, as_of)]
    rows = sorted((m for m in then if _in_window(m, start, end)), key=lambda m: (m["meeting_date"], m["meeting_id"]))
    out = []
    for m in rows:
        parties, meeting_date, precision = m["parties"], m["meeting_date"], m["date_precision"]
        location, fmt_, status = m["location"], m["format"], m["status"]
        where = f", {fmt.mrkdwn(location, 200)}" if location else ""
        details = ", ".join(fmt.mrkdwn(x, 60) for x in (fmt_, status) if x)
        out.append(
            f"• *{fmt.format_date(meeting_date, precision)}* — {fmt.mrkdwn(fmt.parties_text(parties), 200)}"
            f"{where}" + (f" ({details})" if details else "")
        )
    return out


def _value(field: str, value: str | None) -> str:
    if value is None or value in ("", "None", "[]"):  # meeting_changes stores str(value): str(None) == "None"
        return "—"
    if field in _DATE_FIELDS:
        return fmt.format_date(value)
    return fmt.clean(value, max_len=200)


def recent_changes(con: duckdb.DuckDBPyConnection, now: datetime) -> list[str]:
    since = now - timedelta(hours=CHANGES_HOURS)
    out: list[tuple[datetime, str]] = []
    for parties, meeting_date, precision, location, first_seen in reads.new_meetings(con, since, now):
        where = f", {fmt.mrkdwn(location, 200)}" if location else ""
        out.append(
            (
                first_seen,
                f"• 🤝 New meeting: {fmt.mrkdwn(fmt.parties_text(parties), 200)} — "
                f"{fmt.format_date(meeting_date, precision)}{where}",
            )
        )
    for parties, changed_at, field, old, new in reads.meeting_changes(con, since, now):
        label = fmt.FIELD_LABELS.get(field, fmt.clean(field, max_len=40))
        out.append(
            (
                changed_at,
                f"• 🔄 {fmt.mrkdwn(fmt.parties_text(parties), 200)}: {fmt.mrkdwn(label, 40)} "
                f"{fmt.mrkdwn(_value(field, old), 300)} → {fmt.mrkdwn(_value(field, new), 300)}",
            )
        )
    for subject, due_date, first_seen in reads.new_deadlines(con, since, now):
        out.append(
            (first_seen, f"• ⏰ New deadline: {fmt.mrkdwn(subject, 300)} — {fmt.format_date(due_date)}")
        )
    for subject, old_date, new_date, seen_at in reads.deadline_moves(con, since, now):
        out.append(
            (
                seen_at,
                f"• 📆 Deadline moved: {fmt.mrkdwn(subject, 300)} — ~{fmt.format_date(old_date)}~ → "
                f"*{fmt.format_date(new_date)}*",
            )
        )
    out.sort(key=lambda pair: pair[0])
    return [line for _, line in out]


def build_digest(con: duckdb.DuckDBPyConnection, now: datetime,
                 links: Sequence[tuple[str, str]] = ()) -> tuple[list[dict], str]:
    """(Block Kit blocks, fallback text) for the digest as of `now`; `links` are (label, URL) of the published
    calendar and report, shown under the sections."""
    today = now.date()
    deadlines = upcoming_deadlines(con, today, now)
    meetings = meetings_this_and_next_week(con, today, now)
    changes = recent_changes(con, now)
    title = f"🗓️ Trade watch digest — {fmt.format_date(today)}"
    sections = [
        ("*⏰ Deadlines in the next 14 days*", _lines_or_none(deadlines, "no deadline in the next 14 days")),
        (
            "*🤝 Meetings this week and next*",
            _lines_or_none(meetings, "no meeting known for this week or next"),
        ),
        ("*🔄 Changed in the last 24 h*", _lines_or_none(changes, "nothing changed")),
    ]
    blocks = [fmt.header_block(title)]
    for heading, lines in sections:
        blocks.append(fmt.section_block([heading, *lines]))
    if links:
        blocks.append(fmt.section_block([" · ".join(fmt.link(url, label) for label, url in links)]))
    blocks.append(fmt.context_block(f"tradewatch · as of {now:%Y-%m-%d %H:%M %Z}".strip()))
    summary = [
        f"{len(deadlines)} deadline(s) in the next 14 days",
        f"{len(meetings)} meeting(s) this week and next",
        f"{len(changes)} change(s) in the last 24 h",
    ]
    text = fmt.join_lines([fmt.mrkdwn(title), *summary], fmt.TEXT_MAX)
    return blocks, text


def console_digest(blocks: Sequence[dict], text: str) -> str:
    """The digest as terminal text: the sections' mrkdwn with the three escapes undone."""
    parts = []
    for block in blocks:
        t = block.get("text", {}).get("text") if block.get("type") in ("header", "section") else None
        if t:
            parts.append(t.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    return "\n\n".join(parts) or text
