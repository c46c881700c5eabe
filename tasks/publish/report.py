"""The report: one self-contained HTML page (CSS, script and SVG inline; nothing loaded from anywhere) showing
the negotiation calendar at a glance. Pure: a Timeline in, the page's text out.

- the meetings and deadlines of the next 30 days and what changed in the last 7, each with its evidence;
- the timeline, one row per country pair (tasks/publish/timeline.py);
- every meeting and deadline with its facts, history and reports (the timeline's marks link here);
- a country filter (a small script; without it everything shows).

Everything from the internet is escaped, only http(s) links are links, and a Content-Security-Policy allows
nothing but the page's own style and script (by hash): the page can load nothing and run nothing else.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape
from importlib import resources

from records.calendar import DeadlineEntry, MeetingEntry, Report, Timeline
from tasks.alerts.format import FIELD_LABELS, clean, http_url
from tasks.publish import timeline as tl
from tasks.publish import wording
from tasks.publish.calendar import history_line

UPCOMING_DAYS = 30
CHANGES_DAYS = 7
REPORTS_LISTED = 3  # under an upcoming event or a change


def _asset(name: str) -> str:
    return resources.files("tasks.publish").joinpath("assets", name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def h(value: object) -> str:
    return escape(clean(value), quote=True)


def _link(url: str | None, label: object) -> str:
    """An evidence link: an <a> for an http(s) URL, the label alone otherwise."""
    target = http_url(url)
    text = h(label) or h(url)
    if target is None:
        return text
    return f'<a href="{escape(target, quote=True)}" rel="noopener noreferrer nofollow">{text}</a>'


@functools.lru_cache(maxsize=4096)  # one item reports many events: each is rendered once
def _report(r: Report) -> str:
    when = f", {wording.short_day(wording.utc(r.published_at).date())}" if r.published_at else ""
    return f"{_link(r.url, clean(r.title, max_len=160))} <span>({h(r.source_id)}{when})</span>"


def _reports(reports: Iterable[Report], limit: int) -> str:
    reports = list(reports)
    if not reports:
        return ""
    return (' <span class="evidence">Evidence: '
            + " · ".join(_report(r) for r in reports[:limit]) + "</span>")


def _countries(codes: Iterable[str]) -> str:
    return " ".join(sorted({clean(c, max_len=12) for c in codes})) or "-"


def _badges(status: str, evidence_level: str, *, deadline: bool = False) -> str:
    out = '<span class="badge deadline">deadline</span>' if deadline else (
        f'<span class="badge {h(status)}">{h(status)}</span>')
    if evidence_level == "tentative":
        out += '<span class="badge tentative">tentative</span>'
    return out


@dataclass(frozen=True)
class _Line:
    """A line of a list: when it sorts, and its HTML."""

    at: tuple
    html: str


# --- sections --------------------------------------------------------------------------------------------


def upcoming(t: Timeline, today: date) -> list[str]:
    """Meetings that may fall within the next 30 days and deadlines due in them, soonest first."""
    last = today + timedelta(days=UPCOMING_DAYS)
    lines: list[_Line] = []
    for m in t.meetings:
        span = m.span
        if span is None or span[1] < today or span[0] > last:
            continue
        lines.append(_Line((span[0], 0, m.meeting_id), (
            f'<li data-countries="{_countries(m.parties)}"><span class="when">{h(wording.meeting_when(m))}</span> '
            f'<a href="#{tl.anchor("m", m.meeting_id)}">{h(wording.meeting_title(m))}</a>'
            f'{_badges(m.status, m.evidence_level)}{_reports(m.evidence, REPORTS_LISTED)}</li>')))
    for d in t.deadlines:
        if today <= d.due_date <= last:
            lines.append(_Line((d.due_date, 1, d.deadline_id), (
                f'<li data-countries="{_countries(d.countries)}"><span class="when">{h(wording.deadline_due(d))}'
                f'</span> <a href="#{tl.anchor("d", d.deadline_id)}">{h(wording.deadline_title(d))}</a>'
                f'{_badges("", d.evidence_level, deadline=True)}{_reports(d.evidence, REPORTS_LISTED)}</li>')))
    return [line.html for line in sorted(lines, key=lambda x: x.at)]


def _change_value(field: str, value: str | None) -> str:
    if value is None or value in ("", "None", "[]"):
        return "—"
    if field == "meeting_date":
        try:
            return wording.day(date.fromisoformat(value[:10]))
        except ValueError:
            pass
    return clean(value, max_len=120)


def recent_changes(t: Timeline, now: datetime) -> list[str]:
    """New meetings and deadlines, meeting changes, deadline moves and conflicting reports of the last 7
    days, newest first."""
    since = now - timedelta(days=CHANGES_DAYS)

    def recent(at: datetime) -> bool:
        return since < at <= now

    meetings = {m.meeting_id: m for m in t.meetings}
    lines: list[_Line] = []

    def add(at: datetime, codes, text: str, reports: Iterable[Report]) -> None:
        stamp = wording.utc(at)
        lines.append(_Line((stamp, text), (
            f'<li data-countries="{_countries(codes)}"><span class="when">{wording.short_day(stamp.date())}'
            f'</span> {text}{_reports(reports, REPORTS_LISTED)}</li>')))

    for m in t.meetings:
        if recent(m.first_seen_at):
            add(m.first_seen_at, m.parties, f'New meeting: <a href="#{tl.anchor("m", m.meeting_id)}">'
                f"{h(wording.meeting_title(m))}</a> — {h(wording.meeting_when(m))}", m.evidence)
    for c in t.meeting_changes:
        m = meetings.get(c.meeting_id)
        if m is None or not recent(c.changed_at):
            continue
        label = FIELD_LABELS.get(c.field, c.field)
        add(c.changed_at, m.parties, f'<a href="#{tl.anchor("m", m.meeting_id)}">{h(wording.meeting_title(m))}'
            f"</a>: {h(label)} {h(_change_value(c.field, c.old_value))} → "
            f"<strong>{h(_change_value(c.field, c.new_value))}</strong>", [c.report] if c.report else [])
    for d in t.deadlines:
        link = f'<a href="#{tl.anchor("d", d.deadline_id)}">{h(clean(d.subject, max_len=200))}</a>'
        if d.countries:
            link += f" ({h(wording.parties(d.countries))})"
        for v in d.history:
            if not recent(v.seen_at):
                continue
            reports = [v.report] if v.report else []
            if v.action == "new":
                add(v.seen_at, d.countries, f"New deadline: {link} — due {h(wording.day(v.due_date))}", reports)
            elif v.is_move:
                add(v.seen_at, d.countries, f"Deadline moved: {link} — <s>{h(wording.day(v.old_date))}</s> → "
                    f"<strong>{h(wording.day(v.due_date))}</strong>", reports)
            elif v.action == "conflicting":
                add(v.seen_at, d.countries, f"Conflicting report: {link} — {h(wording.day(v.due_date))} "
                    "(not counted as a move)", reports)
    return [line.html for line in sorted(lines, key=lambda x: x.at, reverse=True)]


def _meeting_card(m: MeetingEntry) -> str:
    facts = [("When", wording.meeting_when(m)), ("Format", wording.format_label(m.format)),
             ("Status", m.status), ("Evidence", m.evidence_level)]
    if m.location:
        facts.append(("Where", clean(m.location, max_len=200)))
    if m.officials:
        facts.append(("Officials", ", ".join(clean(o, max_len=100) for o in m.officials)))
    facts.append(("Reports", str(m.reports)))
    reports = "".join(f"<li>{_report(r)}</li>" for r in m.evidence)
    return (f'<article class="event" id="{tl.anchor("m", m.meeting_id)}" data-countries="{_countries(m.parties)}">'
            f"<h4>{h(wording.meeting_title(m))}{_badges(m.status, m.evidence_level)}</h4><dl>"
            + "".join(f"<dt>{h(k)}</dt><dd>{h(v)}</dd>" for k, v in facts)
            + f"</dl>{'<ul>' + reports + '</ul>' if reports else ''}</article>")


def _deadline_card(d: DeadlineEntry) -> str:
    facts = [("Due", wording.deadline_due(d)), ("Countries", wording.parties(d.countries) or "—")]
    if d.rate:
        facts.append(("Rate", clean(d.rate, max_len=40)))
    facts += [("Evidence", d.evidence_level), ("Reports", str(d.reports))]
    history = "".join(
        f"<li>{h(history_line(v))}" + (f" — {_report(v.report)}" if v.report else "") + "</li>" for v in d.history)
    reports = "".join(f"<li>{_report(r)}</li>" for r in d.evidence)
    return (f'<article class="event" id="{tl.anchor("d", d.deadline_id)}" '
            f'data-countries="{_countries(d.countries)}"><h4>{h(wording.deadline_title(d))}'
            f'{_badges("", d.evidence_level, deadline=True)}</h4><dl>'
            + "".join(f"<dt>{h(k)}</dt><dd>{h(v)}</dd>" for k, v in facts)
            + f"</dl>{'<p>History</p><ol>' + history + '</ol>' if history else ''}"
            + f"{'<p>Reports, newest first</p><ul>' + reports + '</ul>' if reports else ''}</article>")


def _legend() -> str:
    def dot(cls: str, extra: str = "") -> str:
        return (f'<svg width="16" height="14" aria-hidden="true"><g class="mark {cls}">'
                f'<circle cx="8" cy="7" r="5"/>{extra}</g></svg>')

    items = [dot("status-scheduled") + " scheduled", dot("status-held") + " held",
             dot("status-postponed") + " postponed", dot("status-cancelled") + " cancelled",
             dot("status-scheduled tentative") + " tentative",
             '<svg width="26" height="14" aria-hidden="true"><g class="mark status-scheduled imprecise">'
             '<rect x="1" y="2" width="24" height="10" rx="5"/></g></svg> week or month only',
             '<svg width="16" height="14" aria-hidden="true"><path class="due" d="M8,1 L14,7 L8,13 L2,7 Z"/></svg>'
             " deadline",
             '<svg width="30" height="14" aria-hidden="true"><path class="move" d="M3,12 Q15,0 25,11" '
             'marker-end="url(#tw-arrow)"/></svg> deadline moved']
    return '<p class="legend">' + "".join(f"<span>{i}</span>" for i in items) + "</p>"


def _timeline(t: Timeline, today: date) -> str:
    rows = tl.groups(t.meetings, t.deadlines)
    days = tl.dates_shown(t.meetings, t.deadlines)
    if not rows or not days:
        return '<p class="empty">No dated meeting or deadline yet.</p>'
    scale = tl.Scale.covering([*days, today])
    parts = [_legend(), '<div class="timeline">', tl.axis_svg(scale, today)]
    for group in rows:
        parts.append(f'<div class="row" data-countries="{_countries(group.countries)}">'
                     f"<h3>{h(wording.parties(group.countries))}</h3>{tl.group_svg(group, scale, today)}</div>")
    parts.append("</div>")
    return "".join(parts)


def _filter(t: Timeline) -> str:
    codes = sorted({c for m in t.meetings for c in m.parties} | {c for d in t.deadlines for c in d.countries})
    if not codes:
        return ""
    boxes = "".join(f'<label><input type="checkbox" value="{h(c)}" checked> {h(wording.parties((c,)))}</label>'
                    for c in codes)
    return (f'<fieldset class="filter" id="filter"><legend>Countries</legend>{boxes}'
            '<button type="button" data-select="all">all</button>'
            '<button type="button" data-select="none">none</button></fieldset>')


def _list(lines: list[str], empty: str) -> str:
    if not lines:
        return f'<p class="empty">{h(empty)}</p>'
    return '<ul class="list">' + "".join(lines) + "</ul>"


def build_report(t: Timeline, *, calendar_href: str | None = None, title: str = "tradewatch") -> str:
    """The whole page. `calendar_href`: where the iCalendar feed is (a relative name beside the page, or a URL)."""
    now = wording.utc(t.as_of)
    today = now.date()
    css, js = _asset("report.css"), _asset("report.js")
    csp = (f"default-src 'none'; style-src '{_sha256(css)}'; script-src '{_sha256(js)}'; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    dated = sum(1 for m in t.meetings if m.meeting_date is not None)
    moves = sum(len(d.moves) for d in t.deadlines)
    subscribe = ""
    if calendar_href:
        subscribe = f' · <a href="{escape(calendar_href, quote=True)}">Subscribe to the calendar (iCalendar)</a>'
    as_of = f"{wording.day(today)}, {now:%H:%M} UTC"
    meetings = sorted(t.meetings, key=lambda m: (m.span or (date.max, date.max), m.meeting_id), reverse=True)
    deadlines = sorted(t.deadlines, key=lambda d: (d.due_date, d.deadline_id), reverse=True)
    return "".join([
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{h(title)} — negotiation calendar as of {h(as_of)}</title>",
        f"<style>{css}</style></head>",
        f'<body data-as-of="{now.isoformat()}" data-meetings="{dated}" data-deadlines="{len(t.deadlines)}" '
        f'data-moves="{moves}">',
        tl.DEFS,
        "<main><header>",
        f"<h1>{h(title)}: negotiation calendar</h1>",
        f'<p class="meta">As of {h(as_of)} · {dated} meeting{"s" if dated != 1 else ""} · '
        f'{len(t.deadlines)} deadline{"s" if len(t.deadlines) != 1 else ""} · {moves} '
        f'move{"s" if moves != 1 else ""}{subscribe}</p>',
        _filter(t),
        '<p class="shown" id="shown"></p></header>',
        f'<section id="upcoming"><h2>Next {UPCOMING_DAYS} days</h2>',
        _list(upcoming(t, today), f"Nothing known for the next {UPCOMING_DAYS} days."),
        f'</section><section id="changes"><h2>Changed in the last {CHANGES_DAYS} days</h2>',
        _list(recent_changes(t, now), f"Nothing changed in the last {CHANGES_DAYS} days."),
        '</section><section id="timeline"><h2>Timeline</h2>',
        _timeline(t, today),
        '</section><section id="meetings"><h2>Meetings</h2>',
        '<div class="events">' + "".join(_meeting_card(m) for m in meetings) + "</div>" if meetings
        else '<p class="empty">No meeting yet.</p>',
        '</section><section id="deadlines"><h2>Deadlines</h2>',
        '<div class="events">' + "".join(_deadline_card(d) for d in deadlines) + "</div>" if deadlines
        else '<p class="empty">No deadline yet.</p>',
        "</section><footer>Made by tradewatch from the published snapshot. Dates with only a week or a month "
        "known are drawn over that week or month; tentative events are hollow. Times are UTC.</footer></main>",
        f"<script>{js}</script></body></html>\n",
    ])
