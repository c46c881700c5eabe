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
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape
from importlib import resources

from records.calendar import DeadlineEntry, MeetingChangeEntry, MeetingEntry, Report, Timeline
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


# --- the pieces of one event (each depends on that event alone; tasks/publish/pieces.py keeps them) ----------


def upcoming_meeting(m: MeetingEntry) -> str:
    """The meeting's line under "Next 30 days"."""
    return (f'<li data-countries="{_countries(m.parties)}"><span class="when">{h(wording.meeting_when(m))}</span> '
            f'<a href="#{tl.anchor("m", m.meeting_id)}">{h(wording.meeting_title(m))}</a>'
            f'{_badges(m.status, m.evidence_level)}{_reports(m.evidence, REPORTS_LISTED)}</li>')


def upcoming_deadline(d: DeadlineEntry) -> str:
    """The deadline's line under "Next 30 days"."""
    return (f'<li data-countries="{_countries(d.countries)}"><span class="when">{h(wording.deadline_due(d))}'
            f'</span> <a href="#{tl.anchor("d", d.deadline_id)}">{h(wording.deadline_title(d))}</a>'
            f'{_badges("", d.evidence_level, deadline=True)}{_reports(d.evidence, REPORTS_LISTED)}</li>')


@dataclass(frozen=True)
class ChangeLine:
    """A line "Changed in the last 7 days" could show: when (UTC), what sorts lines of the same instant, its
    HTML."""

    at: datetime
    text: str
    html: str


def _change_value(field: str, value: str | None) -> str:
    if value is None or value in ("", "None", "[]"):
        return "—"
    if field == "meeting_date":
        try:
            return wording.day(date.fromisoformat(value[:10]))
        except ValueError:
            pass
    return clean(value, max_len=120)


def _change_line(at: datetime, codes, text: str, reports: Iterable[Report]) -> ChangeLine:
    stamp = wording.utc(at)
    return ChangeLine(stamp, text, (
        f'<li data-countries="{_countries(codes)}"><span class="when">{wording.short_day(stamp.date())}'
        f'</span> {text}{_reports(reports, REPORTS_LISTED)}</li>'))


def meeting_changes(m: MeetingEntry, changes: Iterable[MeetingChangeEntry]) -> list[ChangeLine]:
    """Every change line of a meeting: it was new, then each recorded change (`changes`: the meeting's own)."""
    link = f'<a href="#{tl.anchor("m", m.meeting_id)}">{h(wording.meeting_title(m))}</a>'
    lines = [_change_line(m.first_seen_at, m.parties, f"New meeting: {link} — {h(wording.meeting_when(m))}",
                          m.evidence)]
    for c in changes:
        label = FIELD_LABELS.get(c.field, c.field)
        lines.append(_change_line(c.changed_at, m.parties, f"{link}: {h(label)} {h(_change_value(c.field, c.old_value))}"
                                  f" → <strong>{h(_change_value(c.field, c.new_value))}</strong>",
                                  [c.report] if c.report else []))
    return lines


def deadline_changes(d: DeadlineEntry) -> list[ChangeLine]:
    """Every change line of a deadline: new, each move, each conflicting report."""
    link = f'<a href="#{tl.anchor("d", d.deadline_id)}">{h(clean(d.subject, max_len=200))}</a>'
    if d.countries:
        link += f" ({h(wording.parties(d.countries))})"
    lines = []
    for v in d.history:
        reports = [v.report] if v.report else []
        if v.action == "new":
            lines.append(_change_line(v.seen_at, d.countries, f"New deadline: {link} — due {h(wording.day(v.due_date))}",
                                      reports))
        elif v.is_move:
            lines.append(_change_line(v.seen_at, d.countries, f"Deadline moved: {link} — <s>"
                                      f"{h(wording.day(v.old_date))}</s> → <strong>{h(wording.day(v.due_date))}</strong>",
                                      reports))
        elif v.action == "conflicting":
            lines.append(_change_line(v.seen_at, d.countries, f"Conflicting report: {link} — "
                                      f"{h(wording.day(v.due_date))} (not counted as a move)", reports))
    return lines


def changes_by_meeting(t: Timeline) -> dict[str, list[MeetingChangeEntry]]:
    out: dict[str, list[MeetingChangeEntry]] = {}
    for c in t.meeting_changes:
        out.setdefault(c.meeting_id, []).append(c)
    return out


# --- sections, from a whole Timeline ---------------------------------------------------------------------


def upcoming(t: Timeline, today: date) -> list[str]:
    """Meetings that may fall within the next 30 days and deadlines due in them, soonest first."""
    last = today + timedelta(days=UPCOMING_DAYS)
    lines: list[tuple[tuple, str]] = []
    for m in t.meetings:
        span = m.span
        if span is not None and not (span[1] < today or span[0] > last):
            lines.append(((span[0], 0, m.meeting_id), upcoming_meeting(m)))
    for d in t.deadlines:
        if today <= d.due_date <= last:
            lines.append(((d.due_date, 1, d.deadline_id), upcoming_deadline(d)))
    return [html for _, html in sorted(lines, key=lambda x: x[0])]


def recent_changes(t: Timeline, now: datetime) -> list[str]:
    """New meetings and deadlines, meeting changes, deadline moves and conflicting reports of the last 7
    days, newest first."""
    since = now - timedelta(days=CHANGES_DAYS)
    changes = changes_by_meeting(t)
    lines = [line for m in t.meetings for line in meeting_changes(m, changes.get(m.meeting_id, ()))]
    lines += [line for d in t.deadlines for line in deadline_changes(d)]
    recent = (line for line in lines if since < line.at <= now)
    return [line.html for line in sorted(recent, key=lambda x: (x.at, x.text), reverse=True)]


def meeting_card(m: MeetingEntry) -> str:
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


def deadline_card(d: DeadlineEntry) -> str:
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


@dataclass(frozen=True)
class Row:
    """One row of the timeline: its countries and its body (timeline.group_body)."""

    countries: tuple[str, ...]
    height: int
    body: str


@dataclass(frozen=True)
class Page:
    """What the page shows, each part already in its order: from a whole Timeline (page_of) or from the pieces
    kept between publications (tasks/publish/pieces.py). The iterables are read once, as the page is written."""

    as_of: datetime
    dated_meetings: int
    deadlines: int
    moves: int
    countries: list[str]  # every country named, sorted
    upcoming: Iterable[str]  # lines, soonest first
    changes: Iterable[str]  # lines, newest first
    scale: tl.Scale | None  # None: nothing dated to draw
    rows: Iterable[Row]
    meeting_cards: Iterable[str]  # latest first
    deadline_cards: Iterable[str]  # latest first


def timeline_scale(first: date | None, last: date | None, today: date) -> tl.Scale | None:
    """The timeline's scale, from the first and last dates it shows (None when it shows none)."""
    return None if first is None or last is None else tl.Scale.covering([first, last, today])


def page_of(t: Timeline) -> Page:
    """The page of a whole Timeline."""
    now = wording.utc(t.as_of)
    days = tl.dates_shown(t.meetings, t.deadlines)
    scale = timeline_scale(min(days, default=None), max(days, default=None), now.date())
    rows = [Row(g.countries, *tl.group_body(g, scale)) for g in tl.groups(t.meetings, t.deadlines)] if scale else []
    return Page(
        as_of=t.as_of, dated_meetings=sum(1 for m in t.meetings if m.meeting_date is not None),
        deadlines=len(t.deadlines), moves=sum(len(d.moves) for d in t.deadlines),
        countries=sorted({c for m in t.meetings for c in m.parties} | {c for d in t.deadlines for c in d.countries}),
        upcoming=upcoming(t, now.date()), changes=recent_changes(t, now), scale=scale, rows=rows,
        meeting_cards=[meeting_card(m) for m in sorted(
            t.meetings, key=lambda m: (m.span or (date.max, date.max), m.meeting_id), reverse=True)],
        deadline_cards=[deadline_card(d) for d in sorted(
            t.deadlines, key=lambda d: (d.due_date, d.deadline_id), reverse=True)])


def _timeline(scale: tl.Scale | None, rows: Iterable[Row], today: date) -> Iterator[str]:
    rows = iter(rows)
    first = next(rows, None)
    if scale is None or first is None:
        yield '<p class="empty">No dated meeting or deadline yet.</p>'
        return
    yield _legend() + '<div class="timeline">' + tl.axis_svg(scale, today)
    for row in itertools.chain([first], rows):
        yield (f'<div class="row" data-countries="{_countries(row.countries)}"><h3>{h(wording.parties(row.countries))}'
               f"</h3>{tl.group_svg(row.countries, row.height, row.body, scale, today)}</div>")
    yield "</div>"


def _filter(codes: list[str]) -> str:
    if not codes:
        return ""
    boxes = "".join(f'<label><input type="checkbox" value="{h(c)}" checked> {h(wording.parties((c,)))}</label>'
                    for c in codes)
    return (f'<fieldset class="filter" id="filter"><legend>Countries</legend>{boxes}'
            '<button type="button" data-select="all">all</button>'
            '<button type="button" data-select="none">none</button></fieldset>')


def _list(lines: Iterable[str], empty: str, *, opening: str = '<ul class="list">', closing: str = "</ul>"
          ) -> Iterator[str]:
    """The lines between `opening` and `closing`, or a note that there are none."""
    lines = iter(lines)
    first = next(lines, None)
    if first is None:
        yield f'<p class="empty">{h(empty)}</p>'
        return
    yield opening + first
    yield from lines
    yield closing


def build_report(t: Timeline, *, calendar_href: str | None = None, title: str = "tradewatch") -> str:
    """The whole page. `calendar_href`: where the iCalendar feed is (a relative name beside the page, or a URL)."""
    return "".join(page_chunks(page_of(t), calendar_href=calendar_href, title=title))


def page_chunks(page: Page, *, calendar_href: str | None = None, title: str = "tradewatch") -> Iterator[str]:
    """The page's text, in pieces (written as they come: the page of a long history is tens of MB)."""
    now = wording.utc(page.as_of)
    today = now.date()
    css, js = _asset("report.css"), _asset("report.js")
    csp = (f"default-src 'none'; style-src '{_sha256(css)}'; script-src '{_sha256(js)}'; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    dated, deadlines, moves = page.dated_meetings, page.deadlines, page.moves
    subscribe = ""
    if calendar_href:
        subscribe = f' · <a href="{escape(calendar_href, quote=True)}">Subscribe to the calendar (iCalendar)</a>'
    as_of = f"{wording.day(today)}, {now:%H:%M} UTC"
    yield "".join([
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{h(title)} — negotiation calendar as of {h(as_of)}</title>",
        f"<style>{css}</style></head>",
        f'<body data-as-of="{now.isoformat()}" data-meetings="{dated}" data-deadlines="{deadlines}" '
        f'data-moves="{moves}">',
        tl.DEFS,
        "<main><header>",
        f"<h1>{h(title)}: negotiation calendar</h1>",
        f'<p class="meta">As of {h(as_of)} · {dated} meeting{"s" if dated != 1 else ""} · '
        f'{deadlines} deadline{"s" if deadlines != 1 else ""} · {moves} '
        f'move{"s" if moves != 1 else ""}{subscribe}</p>',
        _filter(page.countries),
        '<p class="shown" id="shown"></p></header>',
        f'<section id="upcoming"><h2>Next {UPCOMING_DAYS} days</h2>',
    ])
    yield from _list(page.upcoming, f"Nothing known for the next {UPCOMING_DAYS} days.")
    yield f'</section><section id="changes"><h2>Changed in the last {CHANGES_DAYS} days</h2>'
    yield from _list(page.changes, f"Nothing changed in the last {CHANGES_DAYS} days.")
    yield '</section><section id="timeline"><h2>Timeline</h2>'
    yield from _timeline(page.scale, page.rows, today)
    yield '</section><section id="meetings"><h2>Meetings</h2>'
    yield from _list(page.meeting_cards, "No meeting yet.", opening='<div class="events">', closing="</div>")
    yield '</section><section id="deadlines"><h2>Deadlines</h2>'
    yield from _list(page.deadline_cards, "No deadline yet.", opening='<div class="events">', closing="</div>")
    yield ("</section><footer>Made by tradewatch from the published snapshot. Dates with only a week or a month "
           "known are drawn over that week or month; tentative events are hollow. Times are UTC.</footer></main>"
           f"<script>{js}</script></body></html>\n")
