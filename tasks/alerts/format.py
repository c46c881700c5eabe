"""Slack messages for alerts: Block Kit blocks plus a fallback text. Pure: plain values in, dicts out.

Every string that came from the internet (titles, places, names, URLs, error texts) is hostile:
- control and bidi-override characters are removed, whitespace collapsed;
- in mrkdwn, `&`, `<`, `>` are escaped, so `<!channel>`, `<@U123>` and `<https://evil|click>` arrive as inert
  text, and mrkdwn text objects are sent `verbatim` (Slack does not auto-link or auto-mention in them);
- bare `@channel` / `@here` / `@everyone` get a word joiner after the `@`;
- only http(s) URLs become links (no user-info part, bounded length); anything else is shown as text only;
- in plain_text objects (the header) `<` and `>` become `‹` and `›`.
Block Kit limits are respected by construction and checked at the end: header 150 characters, section text
3000, at most 50 blocks, fallback text 4000; anything longer is cut cleanly with "…" (never inside an
escape or a link).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from records.events import EVIDENCE_LEVELS
from records.official import is_official

HEADER_MAX = 150
SECTION_MAX = 3000
CONTEXT_MAX = 2000  # per context element
BLOCKS_MAX = 50
TEXT_MAX = 4000
EVIDENCE_SHOWN = 8  # links listed under an alert; the rest is counted
ELLIPSIS = "…"

KIND_TITLES = {
    "new_meeting": "New meeting",
    "meeting_update": "Meeting update",
    "new_deadline": "New deadline",
    "deadline_change": "Deadline moved",
    "source_down": "Source down",
    "source_recovered": "Source recovered",
    "source_gone": "Source gone",
    "source_silent": "Source silent",
}
KIND_EMOJI = {
    "new_meeting": "🤝",
    "meeting_update": "🔄",
    "new_deadline": "⏰",
    "deadline_change": "📆",
    "source_down": "⚠️",
    "source_recovered": "✅",
    "source_gone": "🪦",
    "source_silent": "🔇",
}
FIELD_LABELS = {
    "status": "Status",
    "meeting_date": "Date",
    "date_precision": "Date precision",
    "location": "Where",
    "format": "Format",
    "officials": "Officials",
    "parties": "Parties",
}

_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_BROADCAST = re.compile(r"(?i)@(?=(?:channel|everyone|here)\b)")
_CODE = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class Evidence:
    """One report of an event: an item, its source. Read from mentions ⋈ items ⋈ sources at delivery time."""

    item_id: str
    title: str
    url: str | None
    source_id: str
    source_kind: str | None = None
    source_url: str | None = None
    published_at: datetime | None = None
    reported_date: date | None = None  # for a deadline: the due date this report gave

    @property
    def primary(self) -> bool:
        return is_primary(self.source_kind, self.url, self.source_url)


@dataclass(frozen=True)
class SlackMessage:
    text: str  # fallback (notifications, clients without blocks); mrkdwn, escaped
    blocks: tuple[dict, ...]


# ---------------------------------------------------------------- hostile text


def clean(value: Any, *, max_len: int | None = None) -> str:
    """One line of plain text: invisible/control characters removed, whitespace collapsed, length bounded."""
    s = "" if value is None else str(value)
    s = " ".join(_INVISIBLE.sub("", s).split())
    s = _BROADCAST.sub("@\u2060", s)
    return truncate(s, max_len) if max_len is not None else s


def truncate(s: str, limit: int) -> str:
    if len(s) <= limit:
        return s
    return s[: max(0, limit - 1)].rstrip() + ELLIPSIS


def esc(s: str) -> str:
    """Escape the three characters Slack's mrkdwn gives meaning to."""
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(value: Any, limit: int = SECTION_MAX) -> str:
    """Hostile text → escaped mrkdwn of at most `limit` characters, cut before an escape, never inside one."""
    raw = clean(value)
    out = esc(raw)
    if len(out) <= limit:
        return out
    n = limit - 1
    while n > 0:
        out = esc(raw[:n].rstrip())
        if len(out) + 1 <= limit:
            return out + ELLIPSIS
        n -= len(out) + 1 - limit
    return ELLIPSIS


def plain(value: Any, limit: int) -> str:
    """Hostile text → a plain_text object's text: no angle brackets at all."""
    return truncate(clean(value).replace("<", "‹").replace(">", "›"), limit)


def http_url(url: Any) -> str | None:
    """The URL (stripped) when it may be a link: http(s) with a host, no user-info part, no spaces or invisible
    characters, at most 1500 characters; else None."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url or len(url) > 1500 or _INVISIBLE.search(url) or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or "@" in parts.netloc:
        return None
    return url


def safe_url(url: Any) -> str | None:
    """The URL ready for `<url|label>`, or None when it must not be a link (not http(s), user-info, too long)."""
    url = http_url(url)
    if url is None:
        return None
    target = url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return target if len(target) <= 2000 else None  # a line of evidence must fit a section with room to spare


def link(url: Any, label: Any, *, label_max: int = 200) -> str:
    """`<url|label>` for a safe http(s) URL, else the label alone as text."""
    text = mrkdwn(label, label_max) or mrkdwn(url, label_max)
    target = safe_url(url)
    if target is None:
        return text
    return f"<{target}|{text or target}>"


def is_primary(source_kind: str | None, url: str | None, source_url: str | None = None) -> bool:
    """An official source: a primary source kind, or the item's (or its source's) host is an official site."""
    return is_official(url, source_kind, source_url)


def order_evidence(evidence: Iterable[Evidence]) -> list[Evidence]:
    """Primary sources first, then outlets; newest first within each."""

    def key(e: Evidence):
        ts = e.published_at.timestamp() if e.published_at else float("-inf")
        return (not e.primary, -ts, e.source_id, e.item_id)

    return sorted(evidence, key=key)


# ---------------------------------------------------------------- values


def flag(code: Any) -> str:
    """🇰🇷 KR for an ISO 3166-1 alpha-2 code (or EU); anything else is shown as cleaned text."""
    c = clean(code, max_len=12)
    if _CODE.match(c):
        return "".join(chr(0x1F1E6 + ord(ch) - ord("A")) for ch in c) + " " + c
    return c


def parties_text(codes: Any) -> str:
    if not isinstance(codes, list | tuple):
        return ""
    return " – ".join(flag(c) for c in codes[:12]) + (f" +{len(codes) - 12}" if len(codes) > 12 else "")


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def format_date(value: Any, precision: str | None = "day") -> str:
    """'Thu 24 Apr 2025', 'week of 28 Apr 2025', 'July 2025'; 'date not announced' when unknown."""
    d = _as_date(value)
    if d is None:
        return "date not announced"
    if precision == "month":
        return d.strftime("%B %Y")
    if precision == "week":
        return f"week of {d.day} {d.strftime('%b %Y')}"
    return f"{d.strftime('%a')} {d.day} {d.strftime('%b %Y')}"


def format_instant(value: Any) -> str | None:
    dt = _as_datetime(value)
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%H:%M UTC")


def _names(values: Any, limit: int = 12) -> str:
    if not isinstance(values, list | tuple):
        return clean(values, max_len=300)
    names = [clean(v, max_len=100) for v in values if clean(v)]
    more = f" +{len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _change_value(field: str, value: Any, precision: str | None = None) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if field == "meeting_date":
        return format_date(value, precision or "day")
    if field in ("officials", "parties"):
        return parties_text(value) if field == "parties" else _names(value)
    return clean(value, max_len=200)


# ---------------------------------------------------------------- message parts


def header_block(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": plain(text, HEADER_MAX), "emoji": True}}


def section_block(lines: Sequence[str]) -> dict:
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": join_lines(lines, SECTION_MAX), "verbatim": True},
    }


def context_block(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:CONTEXT_MAX], "verbatim": True}]}


def join_lines(lines: Sequence[str], limit: int) -> str:
    """Join already-escaped lines; whole lines only, with "…" when the rest does not fit."""
    out: list[str] = []
    size = 0
    for line in lines:
        extra = len(line) + (1 if out else 0)
        if size + extra > limit - 2:
            if not out:  # a single oversize line: cut it at a safe point (before any '<' or '&')
                cut = line[: limit - 1]
                for ch in "<&":
                    pos = cut.rfind(ch)
                    if pos != -1 and (">" if ch == "<" else ";") not in cut[pos:]:
                        cut = cut[:pos]
                return cut.rstrip() + ELLIPSIS
            out.append(ELLIPSIS)
            break
        out.append(line)
        size += extra
    return "\n".join(out)


@dataclass(frozen=True)
class Fact:
    """One line of an event's facts: a label and plain text (escaped for Slack within `limit` characters)."""

    label: str
    text: str
    limit: int = 300


def event_facts(event_kind: str, event: Mapping[str, Any], *, shown: Iterable[str] = ()) -> list[Fact]:
    """The facts of a meeting or a deadline, in order: one list for Slack and the console, so a new fact is one
    more line here. `shown`: labels that a 'what changed' line already carries (not repeated)."""
    facts: list[Fact] = []
    if event_kind == "meeting":
        facts += [Fact("Parties", parties_text(event.get("parties")), 600),
                  Fact("When", format_date(event.get("meeting_date"), event.get("date_precision")))]
        facts += [Fact(label, clean(event.get(key), max_len=limit), limit)
                  for key, label, limit in (("location", "Where", 300), ("format", "Format", 100),
                                            ("status", "Status", 100)) if event.get(key)]
        if event.get("officials"):
            facts.append(Fact("Officials", _names(event.get("officials")), 1500))
    elif event_kind == "deadline":
        facts += [Fact("What", clean(event.get("subject"), max_len=500), 500), Fact("Due", _due_text(event))]
        if event.get("countries"):
            facts.append(Fact("Countries", parties_text(event.get("countries")), 600))
        if event.get("rate"):
            facts.append(Fact("Rate", clean(event.get("rate"), max_len=40), 40))
    if event.get("evidence_level"):
        facts.append(Fact("Evidence", evidence_text(event), 200))
    skip = set(shown)
    return [f for f in facts if f.label not in skip]


def evidence_text(event: Mapping[str, Any]) -> str:
    """ "confirmed: 3 independent reports, a primary source" (tasks/events/evidence.py says what each level needs)."""
    level = event.get("evidence_level") if event.get("evidence_level") in EVIDENCE_LEVELS else "reported"
    try:
        n = int(event.get("reports") or 0)
    except (TypeError, ValueError):
        n = 0
    parts = [f"{n} independent report{'s' if n != 1 else ''}"] if n else []
    if event.get("official"):
        parts.append("a primary source")
    return f"{level}: {', '.join(parts)}" if parts else level


def _due_text(event: Mapping[str, Any]) -> str:
    due = format_date(event.get("due_date"), "day")
    at = format_instant(event.get("due_at"))
    return f"{due}, {at}" if at else due


def _moved(payload: Mapping[str, Any]) -> tuple[str, str]:
    """A deadline move's old and new due date as text; the new one with its time when the event has one."""
    change = payload.get("change") if isinstance(payload.get("change"), Mapping) else {}
    event = _event_of(payload)
    new = format_date(change.get("new_date"), "day")
    if _as_date(event.get("due_date")) == _as_date(change.get("new_date")) and format_instant(event.get("due_at")):
        new = _due_text(event)
    return format_date(change.get("old_date"), "day"), new


def _facts_source(event: Mapping[str, Any]) -> list[str]:
    lines = [f"*Source:* {mrkdwn(event.get('source_id'), 200)}"]
    if event.get("url"):
        lines.append(f"*URL:* {link(event.get('url'), event.get('url'), label_max=300)}")
    if event.get("error"):
        lines.append(f"*Error:* {mrkdwn(event.get('error'), 1000)}")
    if event.get("error_streak"):
        lines.append(f"*Failures in a row:* {mrkdwn(event.get('error_streak'), 20)}")
    return lines


def change_lines(payload: Mapping[str, Any]) -> list[str]:
    """What changed, as mrkdwn lines: 'Status: scheduled → held', 'Due: ~9 Jul~ → 1 Aug'."""
    change = payload.get("change") or {}
    if not isinstance(change, Mapping):
        return []
    if payload.get("kind") == "deadline_change":
        old, new = _moved(payload)
        return [f"*Due:* ~{old}~ → *{new}*"]
    event = payload.get("event") or {}
    lines = []
    for field, diff in list(change.items())[:20]:
        if not isinstance(diff, Mapping):
            continue
        label = FIELD_LABELS.get(field, clean(field, max_len=40))
        precision = event.get("date_precision") if isinstance(event, Mapping) else None
        old = _change_value(field, diff.get("old"), precision)
        new = _change_value(field, diff.get("new"), precision)
        lines.append(f"*{mrkdwn(label, 60)}:* {mrkdwn(old, 600)} → {mrkdwn(new, 600)}")
    return lines


def supporting(payload: Mapping[str, Any], evidence: Sequence[Evidence]) -> list[Evidence]:
    """The reports behind this alert: for a deadline move, those that gave the new date (a report of the old
    date is evidence of the old one); for anything else, every report of the event."""
    if payload.get("kind") != "deadline_change":
        return list(evidence)
    change = payload.get("change") if isinstance(payload.get("change"), Mapping) else {}
    new = _as_date(change.get("new_date"))
    return [e for e in evidence if e.reported_date is None or _as_date(e.reported_date) == new]


def _report_count(payload: Mapping[str, Any], evidence: Sequence[Evidence], reports: int | None) -> int:
    if payload.get("kind") == "deadline_change" and evidence:
        return len(evidence)  # the supporting reports only: the event's count includes the old date's
    return reports if reports is not None else payload.get("reports") or 0


def _shown_evidence(evidence: Sequence[Evidence], reports: int | None) -> tuple[str, list[Evidence], int]:
    """('12 reports', the reports listed, how many more) — official sources first, at most EVIDENCE_SHOWN."""
    ordered = order_evidence(evidence)
    total = max(reports or 0, len(ordered))
    shown = ordered[:EVIDENCE_SHOWN]
    return f"{total} report{'s' if total != 1 else ''}", shown, total - len(shown)


def evidence_lines(evidence: Sequence[Evidence], reports: int | None = None) -> list[str]:
    """'*Evidence* (12 reports)' then up to EVIDENCE_SHOWN links, official sources first, then '+n more'."""
    if not evidence and not reports:
        return []
    count, shown, more = _shown_evidence(evidence, reports)
    lines = [f"*Evidence* ({count})"]
    for e in shown:
        mark = "🏛️ " if e.primary else ""
        lines.append(f"• {mark}{link(e.url, e.title or e.url)} — {mrkdwn(e.source_id, 80)}")
    if more > 0:
        lines.append(f"• +{more} more")
    return lines


def _title(kind: str, event: Mapping[str, Any]) -> str:
    label = KIND_TITLES.get(kind, clean(kind, max_len=40) or "Alert")
    emoji = KIND_EMOJI.get(kind, "🔔")
    if kind in ("new_meeting", "meeting_update"):
        what = parties_text(event.get("parties"))
    elif kind in ("new_deadline", "deadline_change"):
        what = clean(event.get("subject"), max_len=120)
    else:
        what = clean(event.get("source_id"), max_len=120)
    return f"{emoji} {label}: {what}" if what else f"{emoji} {label}"


def _facts(event_kind: str, event: Mapping[str, Any], shown: Iterable[str] = ()) -> list[str]:
    if event_kind in ("meeting", "deadline"):
        return [f"*{f.label}:* {mrkdwn(f.text, f.limit)}" for f in event_facts(event_kind, event, shown=shown)]
    return _facts_source(event)


def _changed_labels(kind: str) -> tuple[str, ...]:
    """Facts a kind's 'what changed' line already shows (a moved deadline's new due date)."""
    return ("Due",) if kind == "deadline_change" else ()


def _fallback(title: str, lines: Sequence[str]) -> str:
    return join_lines([mrkdwn(title, 300), *lines], TEXT_MAX)


def _finish(text: str, blocks: list[dict]) -> SlackMessage:
    if len(blocks) > BLOCKS_MAX:
        blocks = blocks[: BLOCKS_MAX - 1] + [context_block(ELLIPSIS)]
    return SlackMessage(text=text[:TEXT_MAX], blocks=tuple(blocks))


def _event_of(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    event = payload.get("event")
    return event if isinstance(event, Mapping) else {}


# ---------------------------------------------------------------- messages


def alert_message(
    payload: Mapping[str, Any], evidence: Sequence[Evidence] = (), *, reports: int | None = None
) -> SlackMessage:
    """The top-level message for one alert: what happened, the facts, what changed, the evidence."""
    kind = str(payload.get("kind", ""))
    event_kind = str(payload.get("event_kind", ""))
    event = _event_of(payload)
    title = _title(kind, event)
    facts = _facts(event_kind, event, _changed_labels(kind))
    changes = change_lines(payload) if kind in ("meeting_update", "deadline_change") else []
    evidence = supporting(payload, evidence)
    ev = evidence_lines(evidence, _report_count(payload, evidence, reports))
    blocks = [header_block(title)]
    if changes:
        blocks.append(section_block(["*What changed*", *changes]))
    blocks.append(section_block(facts))
    if ev:
        blocks.append(section_block(ev))
    blocks.append(
        context_block(f"tradewatch · {mrkdwn(event_kind, 20)} `{mrkdwn(payload.get('event_id'), 80)}`")
    )
    summary = [*changes, *facts]
    if ev:
        summary.append(ev[0])
    return _finish(_fallback(title, summary), blocks)


def thread_reply(payload: Mapping[str, Any], evidence: Sequence[Evidence] = ()) -> SlackMessage:
    """A reply in the event's thread: the change and the report that triggered it."""
    kind = str(payload.get("kind", ""))
    emoji = KIND_EMOJI.get(kind, "🔔")
    label = KIND_TITLES.get(kind, "Update")
    changes = change_lines(payload)
    if not changes:
        changes = ["Reported again."] if kind.startswith("new_") else []
    trigger = [e for e in evidence if e.item_id == payload.get("item_id")]
    source = [f"*Source:* {link(e.url, e.title or e.url)} — {mrkdwn(e.source_id, 80)}" for e in trigger[:1]]
    lines = [f"{emoji} *{mrkdwn(label, 60)}*", *changes, *source]
    return _finish(join_lines(lines, TEXT_MAX), [section_block(lines)])


def current_state(
    event_kind: str,
    event_id: str,
    event: Mapping[str, Any],
    evidence: Sequence[Evidence] = (),
    *,
    reports: int | None = None,
    changed: str | None = None,
) -> SlackMessage:
    """The parent message of an event's thread, rewritten (chat.update) to show the event as it is now."""
    kind = {"meeting": "new_meeting", "deadline": "new_deadline"}.get(event_kind, "")
    emoji = KIND_EMOJI.get(kind, "🔔")
    noun = {"meeting": "Meeting", "deadline": "Deadline"}.get(event_kind, "Event")
    what = (
        parties_text(event.get("parties"))
        if event_kind == "meeting"
        else clean(event.get("subject"), max_len=120)
    )
    title = f"{emoji} {noun}: {what}" if what else f"{emoji} {noun}"
    facts = _facts(event_kind, event)
    ev = evidence_lines(evidence, reports)
    blocks = [header_block(title), section_block(facts)]
    if ev:
        blocks.append(section_block(ev))
    note = f"updated {mrkdwn(changed, 100)} · " if changed else ""
    blocks.append(context_block(f"tradewatch · {note}current state; changes are in the thread"))
    return _finish(_fallback(title, facts), blocks)


def flood_digest(entries: Sequence[str], total: int) -> SlackMessage:
    """One message instead of a flood: 'N new events (too many to post one by one)', then their summaries."""
    title = f"📋 {total} new events (too many to post one by one)"
    lines = [f"• {mrkdwn(e, 300)}" for e in entries[:100]]
    if total > len(lines):
        lines.append(f"• +{total - len(lines)} more (see `tradewatch` meetings and deadlines)")
    blocks = [header_block(title)]
    chunk: list[str] = []
    size = 0
    for line in lines:  # several sections, each within the section limit, at most BLOCKS_MAX in all
        if size + len(line) + 1 > SECTION_MAX - 2 and chunk:
            blocks.append(section_block(chunk))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        blocks.append(section_block(chunk))
    return _finish(_fallback(title, lines), blocks)


def console_text(
    payload: Mapping[str, Any], evidence: Sequence[Evidence] = (), *, reports: int | None = None
) -> str:
    """The alert as plain terminal text (no mrkdwn, no escapes; control characters removed)."""
    kind = str(payload.get("kind", ""))
    event_kind = str(payload.get("event_kind", ""))
    event = _event_of(payload)
    lines = [_title(kind, event)]
    if kind == "deadline_change":
        old, new = _moved(payload)
        lines.append(f"  Due: {old} → {new}")
    elif kind == "meeting_update":
        for field, diff in (payload.get("change") or {}).items():
            if isinstance(diff, Mapping):
                label = FIELD_LABELS.get(field, clean(field, max_len=40))
                precision = event.get("date_precision")
                lines.append(
                    f"  {label}: {_change_value(field, diff.get('old'), precision)} → "
                    f"{_change_value(field, diff.get('new'), precision)}"
                )
    if event_kind in ("meeting", "deadline"):
        lines += [f"  {f.label}: {truncate(f.text, f.limit)}"
                  for f in event_facts(event_kind, event, shown=_changed_labels(kind))]
    else:
        for key in ("url", "error", "error_streak"):
            if event.get(key):
                lines.append(f"  {key}: {clean(event.get(key), max_len=500)}")
    evidence = supporting(payload, evidence)
    total = _report_count(payload, evidence, reports)
    if evidence or total:
        count, shown, more = _shown_evidence(evidence, total)
        lines.append(f"  Evidence ({count}):")
        for e in shown:
            url = e.url if safe_url(e.url) else ""
            mark = "[official] " if e.primary else ""
            lines.append(
                f"    - {mark}{clean(e.title, max_len=200)} ({clean(e.source_id, max_len=80)}) {url}".rstrip()
            )
        if more > 0:
            lines.append(f"    + {more} more")
    return "\n".join(lines)
