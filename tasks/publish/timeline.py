"""The report's timeline, drawn as inline SVG on the server: one row per country pair (or per country, for a
deadline only one side's reports name), all on one time axis.

- Meetings are marks coloured by status: a dot for one day, a bar for several days, a dashed pale bar over the
  whole week or month when only that is known; tentative ones are hollow; cancelled ones are struck through.
- Each deadline is a line from its first report to its due date (a diamond), with every move drawn as an arrow
  from the old date to the new one (hollow diamonds mark the dates it no longer has); conflicting reports are
  small grey crosses.
- Each mark carries data attributes (meeting or deadline id, status, evidence level, old and new dates) and a
  tooltip, and links to the event's entry in the page.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from html import escape

from records.calendar import DeadlineEntry, MeetingEntry
from tasks.alerts.format import clean
from tasks.publish import wording

MARGIN = 10  # px left and right of the axis
TARGET_WIDTH = 1040  # px a short timeline is stretched to; longer ones scroll
PX_PER_DAY = (1.5, 10.0)  # bounds
LANE = 24  # px per row of meeting marks
DEADLINE_LANE = 46  # px per deadline
MAX_LABELLED_LANES = 4  # beyond this many rows of marks, marks go unlabelled (and pack tighter)
CHAR_PX = 6.3  # width of one label character at the label font size, near enough for packing
AXIS_HEIGHT = 26


def attr(value: object) -> str:
    return escape(str(value), quote=True)


@functools.lru_cache(maxsize=4096)
def anchor(kind: str, event_id: str) -> str:
    """The id of an event's entry in the page (ids are ours, but made safe all the same)."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in event_id)
    return f"ev-{kind}-{safe}"


@dataclass(frozen=True)
class Scale:
    """Days to x: whole months from the first date shown to the last."""

    start: date
    end: date  # exclusive
    px_per_day: float

    @classmethod
    def covering(cls, days: Iterable[date]) -> Scale:
        days = list(days)
        first, last = min(days), max(days)
        start = first.replace(day=1)
        end = (last.replace(day=1) + timedelta(days=32)).replace(day=1)
        n = (end - start).days
        return cls(start, end, min(max(TARGET_WIDTH / n, PX_PER_DAY[0]), PX_PER_DAY[1]))

    @property
    def width(self) -> int:
        return round(2 * MARGIN + (self.end - self.start).days * self.px_per_day)

    def x(self, day: date) -> float:
        """The left edge of a day."""
        return MARGIN + (day - self.start).days * self.px_per_day

    def mid(self, day: date) -> float:
        return self.x(day) + self.px_per_day / 2

    def months(self) -> list[date]:
        out, d = [], self.start
        while d < self.end:
            out.append(d)
            d = (d + timedelta(days=32)).replace(day=1)
        return out


@dataclass
class Group:
    """One row of the timeline: the events of one set of countries."""

    countries: tuple[str, ...]
    meetings: list[MeetingEntry] = field(default_factory=list)
    deadlines: list[DeadlineEntry] = field(default_factory=list)


def group_key(countries: Iterable[str]) -> tuple[str, ...]:
    """The row an event is drawn in: its countries, each once, in order."""
    return tuple(sorted(set(countries)))


def group_order(key: tuple[str, ...]) -> tuple:
    """Rows of two or more countries first, then those of one, each in order of their countries."""
    return (len(key) == 1, key)


def groups(meetings: Iterable[MeetingEntry], deadlines: Iterable[DeadlineEntry]) -> list[Group]:
    """The rows: dated meetings by their parties, deadlines by their countries, in order of the countries."""
    out: dict[tuple[str, ...], Group] = {}
    for m in meetings:
        if m.meeting_date is not None:
            key = group_key(m.parties)
            out.setdefault(key, Group(key)).meetings.append(m)
    for d in deadlines:
        key = group_key(d.countries)
        out.setdefault(key, Group(key)).deadlines.append(d)
    return [out[k] for k in sorted(out, key=group_order)]


def dates_shown(meetings: Iterable[MeetingEntry], deadlines: Iterable[DeadlineEntry]) -> list[date]:
    out: list[date] = []
    for m in meetings:
        if m.span is not None:
            out += m.span
    for d in deadlines:
        out += [d.due_date, wording.utc(d.first_seen_at).date()]
        out += [v.due_date for v in d.history] + [v.old_date for v in d.history if v.old_date]
    return out


# --- drawing ---------------------------------------------------------------------------------------------


def axis_svg(scale: Scale, today: date) -> str:
    parts = [f'<svg class="axis" width="{scale.width}" height="{AXIS_HEIGHT}" viewBox="0 0 {scale.width} '
             f'{AXIS_HEIGHT}" role="img" aria-label="time axis">']
    for i, month in enumerate(scale.months()):
        x = scale.x(month)
        label = f"{month:%b %Y}" if i == 0 or month.month == 1 else f"{month:%b}"
        parts.append(f'<line class="tick" x1="{x:.1f}" y1="14" x2="{x:.1f}" y2="{AXIS_HEIGHT}"/>'
                     f'<text class="month" x="{x + 3:.1f}" y="12">{attr(label)}</text>')
    if scale.start <= today < scale.end:
        x = scale.mid(today)
        parts.append(f'<line class="today" x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{AXIS_HEIGHT}"/>'
                     f'<text class="today-label" x="{x + 3:.1f}" y="{AXIS_HEIGHT - 2}">as of {today.day} '
                     f'{today:%b}</text>')
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Extent:
    """What places a meeting in its row: its days, whether they are one exact day (a dot), its label. Kept
    apart from the meeting so that a row can be laid out again without reading its meetings (pieces.py)."""

    meeting_id: str
    first: date
    last: date
    exact: bool
    label: str

    @classmethod
    def of(cls, m: MeetingEntry) -> Extent:
        first, last = m.span  # dated meetings only
        return cls(m.meeting_id, first, last, first == last and m.date_precision not in ("week", "month"),
                   clean(m.format or "meeting", max_len=24))


@dataclass(frozen=True)
class _Mark:
    extent: Extent
    x0: float
    x1: float  # right edge of the shape

    @property
    def label(self) -> str:
        return self.extent.label


def _marks(extents: Iterable[Extent], scale: Scale) -> list[_Mark]:
    out = []
    for e in sorted(extents, key=lambda e: (e.first, e.last, e.meeting_id)):
        if e.exact:
            x0, x1 = scale.mid(e.first) - 6, scale.mid(e.first) + 6
        else:
            x0, x1 = scale.x(e.first), max(scale.x(e.last + timedelta(days=1)), scale.x(e.first) + 10)
        out.append(_Mark(e, x0, x1))
    return out


def _pack(marks: list[_Mark], labelled: bool) -> list[int]:
    """The row of each mark: the first row whose last mark (and its label) ends before this one starts."""
    ends: list[float] = []
    rows = []
    for mark in marks:
        right = mark.x1 + (4 + CHAR_PX * len(mark.label) if labelled else 2)
        row = next((i for i, end in enumerate(ends) if end + 8 <= mark.x0), len(ends))
        if row == len(ends):
            ends.append(right)
        else:
            ends[row] = right
        rows.append(row)
    return rows


def _meeting_mark(m: MeetingEntry, mark: _Mark, y: float, labelled: bool) -> str:
    classes = ["mark", "meeting", f"status-{attr(m.status)}"]
    if m.evidence_level == "tentative":
        classes.append("tentative")
    if m.date_precision in ("week", "month"):
        classes.append("imprecise")
    tip = f"{wording.meeting_title(m)}\n{wording.meeting_when(m)} · {m.status} · evidence: {m.evidence_level}"
    if m.location:
        tip += f"\n{clean(m.location, max_len=100)}"
    if mark.x1 - mark.x0 == 12 and not {"imprecise"} & set(classes):
        shape = f'<circle cx="{(mark.x0 + mark.x1) / 2:.1f}" cy="{y:.1f}" r="6"/>'
    else:
        shape = (f'<rect x="{mark.x0:.1f}" y="{y - 6:.1f}" width="{mark.x1 - mark.x0:.1f}" height="12" rx="6"/>')
    if m.status == "cancelled":
        shape += f'<line class="strike" x1="{mark.x0 - 2:.1f}" y1="{y:.1f}" x2="{mark.x1 + 2:.1f}" y2="{y:.1f}"/>'
    label = (f'<text class="mlabel" x="{mark.x1 + 4:.1f}" y="{y + 4:.1f}">{attr(mark.label)}</text>'
             if labelled else "")
    first, last = m.span
    return (f'<a href="#{anchor("m", m.meeting_id)}"><g class="{" ".join(classes)}" '
            f'data-meeting-id="{attr(m.meeting_id)}" data-status="{attr(m.status)}" '
            f'data-evidence="{attr(m.evidence_level)}" data-precision="{attr(m.date_precision or "day")}" '
            f'data-first="{first.isoformat()}" data-last="{last.isoformat()}">'
            f'<title>{attr(tip)}</title>{shape}{label}</g></a>')


def _diamond(x: float, y: float, size: float = 6) -> str:
    return f"M{x:.1f},{y - size:.1f} L{x + size:.1f},{y:.1f} L{x:.1f},{y + size:.1f} L{x - size:.1f},{y:.1f} Z"


def _deadline(d: DeadlineEntry, scale: Scale, top: float) -> str:
    y = top + DEADLINE_LANE - 12
    first_seen = wording.utc(d.first_seen_at).date()
    due_x = scale.mid(d.due_date)
    start_x = scale.x(first_seen)
    text = f"{clean(d.subject, max_len=70)} — due {wording.short_day(d.due_date)}"
    label_x = max(MARGIN, min(min(start_x, due_x), scale.width - MARGIN - CHAR_PX * len(text)))
    parts = [f'<g class="deadline" data-deadline-id="{attr(d.deadline_id)}" data-moves="{len(d.moves)}" '
             f'data-due="{d.due_date.isoformat()}" data-evidence="{attr(d.evidence_level)}">',
             f'<a href="#{anchor("d", d.deadline_id)}"><text class="dlabel" x="{label_x:.1f}" y="{top + 13:.1f}">'
             f'{attr(text)}</text></a>',
             f'<line class="dline" x1="{min(start_x, due_x):.1f}" y1="{y:.1f}" x2="{max(start_x, due_x):.1f}" '
             f'y2="{y:.1f}"><title>{attr(f"first reported {wording.short_day(first_seen)}")}</title></line>']
    for move in d.moves:
        x0, x1 = scale.mid(move.old_date), scale.mid(move.due_date)
        rise = min(20.0, 8 + abs(x1 - x0) / 6)
        seen = wording.short_day(wording.utc(move.seen_at).date())
        tip = (f"moved {wording.short_day(move.old_date)} → {wording.short_day(move.due_date)} "
               f"(reported {seen}" + (f", {move.report.source_id}" if move.report else "") + ")")
        parts.append(f'<path class="was" d="{_diamond(x0, y, 5)}"/>'
                     f'<path class="move" data-deadline-id="{attr(d.deadline_id)}" '
                     f'data-old="{move.old_date.isoformat()}" data-new="{move.due_date.isoformat()}" '
                     f'd="M{x0:.1f},{y - 6:.1f} Q{(x0 + x1) / 2:.1f},{y - 6 - rise:.1f} {x1:.1f},{y - 7:.1f}" '
                     f'marker-end="url(#tw-arrow)"><title>{attr(tip)}</title></path>')
    for value in d.history:
        if value.action == "conflicting":
            x = scale.mid(value.due_date)
            tip = f"conflicting report of {wording.short_day(value.due_date)} (not counted as a move)"
            parts.append(f'<path class="conflict" d="M{x - 4:.1f},{y - 4:.1f} L{x + 4:.1f},{y + 4:.1f} '
                         f'M{x - 4:.1f},{y + 4:.1f} L{x + 4:.1f},{y - 4:.1f}"><title>{attr(tip)}</title></path>')
    tentative = " tentative" if d.evidence_level == "tentative" else ""
    parts.append(f'<path class="due{tentative}" d="{_diamond(due_x, y)}">'
                 f'<title>{attr(wording.deadline_title(d) + chr(10) + "due " + wording.deadline_due(d))}</title>'
                 f'</path></g>')
    return "".join(parts)


@dataclass(frozen=True)
class Placed:
    """Where one event of a row is drawn: a meeting's mark (its shape's edges, its height in the row, whether
    labelled) or a deadline's lane (its top)."""

    kind: str  # meeting | deadline
    event_id: str
    where: tuple


def layout(extents: Iterable[Extent], deadlines: Iterable[tuple[date, str]], scale: Scale
           ) -> tuple[int, list[Placed]]:
    """(height, where each event goes) of a row of these meetings' extents and these deadlines (due date, id):
    marks packed into as few rows as fit, labelled while they fit in a few; then a lane per deadline."""
    marks = _marks(extents, scale)
    labelled = True
    rows = _pack(marks, labelled)
    if rows and max(rows) + 1 > MAX_LABELLED_LANES:
        labelled = False
        rows = _pack(marks, labelled)
    meeting_rows = (max(rows) + 1) if rows else 0
    placed = [Placed("meeting", mark.extent.meeting_id, (mark.x0, mark.x1, 6 + row * LANE + LANE / 2, labelled))
              for mark, row in zip(marks, rows, strict=True)]
    top = 6 + meeting_rows * LANE
    deadlines = sorted(deadlines)
    placed += [Placed("deadline", deadline_id, (top + i * DEADLINE_LANE,))
               for i, (_, deadline_id) in enumerate(deadlines)]
    return top + len(deadlines) * DEADLINE_LANE + 6, placed


def draw(placed: Placed, event: MeetingEntry | DeadlineEntry, scale: Scale) -> str:
    """The SVG of one event where the layout placed it."""
    if placed.kind == "meeting":
        x0, x1, y, labelled = placed.where
        return _meeting_mark(event, _Mark(Extent.of(event), x0, x1), y, labelled)
    return _deadline(event, scale, placed.where[0])


def group_body(group: Group, scale: Scale) -> tuple[int, str]:
    """(height, the marks and deadlines) of a row: what does not move with "today"."""
    events = {("meeting", m.meeting_id): m for m in group.meetings}
    events.update({("deadline", d.deadline_id): d for d in group.deadlines})
    height, placed = layout([Extent.of(m) for m in group.meetings],
                            [(d.due_date, d.deadline_id) for d in group.deadlines], scale)
    return height, "".join(draw(p, events[(p.kind, p.event_id)], scale) for p in placed)


def group_svg(countries: tuple[str, ...], height: int, body: str, scale: Scale, today: date) -> str:
    """A row's SVG: its month lines and the "today" line around its body (group_body)."""
    parts = [f'<svg class="lane" width="{scale.width}" height="{height}" viewBox="0 0 {scale.width} {height}" '
             f'role="img" aria-label="{attr(" – ".join(countries))} timeline">']
    for month in scale.months():
        x = scale.x(month)
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height}"/>')
    if scale.start <= today < scale.end:
        x = scale.mid(today)
        parts.append(f'<line class="today" x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height}"/>')
    parts += [body, "</svg>"]
    return "".join(parts)


DEFS = ('<svg class="defs" width="0" height="0" aria-hidden="true"><defs>'
        '<marker id="tw-arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path class="arrowhead" d="M0,0 L10,5 L0,10 Z"/></marker></defs></svg>')
