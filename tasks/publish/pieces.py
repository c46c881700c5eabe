"""The pieces the calendar and the report are made of, kept between publications so that a cycle renders only the
events that changed: `<warehouse>.pieces.sqlite`, beside the published files.

Under each event's id: its VEVENT, its line under "Next 30 days", its card, the lines "Changed in the last 7 days"
could show (each with its instant), its SVG on the timeline with the place it was drawn at, its record (JSON: to
draw it again when its place moves) and the facts that order, select and place the pieces (its days, countries,
evidence level, timeline row and extent). Under each timeline row: its body and the scale it was drawn at. A row
whose events changed, or any row when the scale did, is laid out again from the kept extents (timeline.layout),
and only the events whose place moved are drawn again. A publication applies what changed since the change
number the store is up to date with (warehouse/calendar.py read_changes) in one transaction; the files are then
assembled from the kept pieces, in their order, by SQL, and written as they are read (calendar_chunks, page). The parts that follow "now" (the next
30 days, the last 7, the "today" line) are selected by date each time, never kept.

Why a file of its own and not a table of the warehouse: the pieces are derived (without the file, the next
publication renders everything once), they are tens of MB at a million items that every snapshot would otherwise
copy, and they are written after the cycle lets go of the warehouse, while the snapshot is being published. Why
SQLite: keyed upserts of text and ordered reads that stream, from the standard library.

The store records which warehouse it follows, up to which change number, and which rendering code made its pieces
(a hash of this package's sources and assets and the icalendar version): a store that does not match, or cannot
be read, starts again empty, and the next publication renders every event.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import itertools
import json
import sqlite3
import types
import typing
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from importlib import metadata, resources
from pathlib import Path

from records.calendar import DeadlineEntry, MeetingChangeEntry, MeetingEntry
from tasks.publish import report as rp
from tasks.publish import timeline as tl
from tasks.publish.calendar import Selection, calendar_chunks, deadline_ical, meeting_ical
from warehouse.calendar import TimelineChanges


@functools.cache  # (read once, when a store is first opened: not at import, by every process that imports it)
def _rendering() -> str:
    """What made the pieces: this package's sources and assets, the wording it shares with the alerts, the
    records it reads, and the icalendar release."""
    digest = hashlib.sha256(metadata.version("icalendar").encode())
    publish = resources.files("tasks.publish")
    files = [*publish.iterdir(), *(publish / "assets").iterdir(), resources.files("tasks.alerts") / "format.py",
             resources.files("records") / "calendar.py"]
    for f in sorted((f for f in files if f.is_file() and f.name.endswith((".py", ".css", ".js"))),
                    key=lambda f: str(f)):
        digest.update(f.name.encode() + f.read_bytes())
    return digest.hexdigest()


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_SCHEMA = """
CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE events (
    kind TEXT NOT NULL, id TEXT NOT NULL,
    record TEXT NOT NULL,              -- the event (JSON), to draw it again on the timeline
    first TEXT, last TEXT,             -- its days (a meeting's span, NULL when undated; a deadline's due date twice)
    countries TEXT NOT NULL,           -- JSON list
    level TEXT NOT NULL,               -- evidence level
    row TEXT,                          -- its timeline row (JSON list of countries); NULL: not drawn
    exact INTEGER, label TEXT,         -- with its days, what places a meeting in its row (timeline.Extent)
    shown_first TEXT, shown_last TEXT, -- the first and last days the timeline draws it over
    drawn_at TEXT, drawn TEXT,         -- its SVG on the timeline, and where it was drawn (scale and place)
    moves INTEGER NOT NULL,
    vevent BLOB,                       -- NULL: in no calendar (undated)
    upcoming TEXT,                     -- its line under "Next 30 days" (NULL: undated)
    card TEXT NOT NULL,
    PRIMARY KEY (kind, id));
CREATE INDEX events_in_order ON events (kind, first, last, id);  -- the files' order, read without sorting
CREATE INDEX events_by_row ON events (row);
CREATE TABLE change_lines (kind TEXT NOT NULL, id TEXT NOT NULL, n INTEGER NOT NULL,
    at INTEGER NOT NULL,  -- microseconds since 1970 (UTC)
    text TEXT NOT NULL, html TEXT NOT NULL, PRIMARY KEY (kind, id, n));
CREATE INDEX change_lines_at ON change_lines (at);
CREATE TABLE rows (row TEXT PRIMARY KEY, scale TEXT NOT NULL, height INTEGER NOT NULL, body TEXT NOT NULL);
"""


def pieces_path(warehouse_path: str | Path) -> Path:
    p = Path(warehouse_path)
    return p.with_name(p.stem + ".pieces.sqlite")


class OutOfStep(Exception):
    """The changes were read against another state of the store than the one it holds now."""


class Pieces:
    """The kept pieces of one warehouse's calendar and report (see the module docstring)."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self._con = con

    @classmethod
    def open(cls, path: str | Path) -> Pieces:
        """The store at `path` (":memory:": one that lives as long as the object), empty when it is missing, made
        by other code, or cannot be read."""
        try:
            store = cls(sqlite3.connect(path))
            if store._state("rendering") == _rendering():
                return store
            store.close()
        except sqlite3.Error:
            pass
        if str(path) != ":memory:":
            for suffix in ("", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    Path(str(path) + suffix).unlink()
        con = sqlite3.connect(path)
        con.executescript(_SCHEMA)
        with con:
            con.execute("INSERT INTO state VALUES ('rendering', ?)", [_rendering()])
        return cls(con)

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Pieces:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _state(self, key: str) -> str | None:
        row = self._con.execute("SELECT value FROM state WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def position(self) -> tuple[str, int] | None:
        """(warehouse id, change number) the pieces are up to date with; None: none kept."""
        warehouse, upto = self._state("warehouse_id"), self._state("change_seq")
        return (warehouse, int(upto)) if warehouse is not None and upto is not None else None

    # --- keeping the pieces ----------------------------------------------------------------------------

    def apply(self, changes: TimelineChanges) -> int:
        """Render the changed events, forget the deleted ones, in one transaction. Returns how many events were
        rendered. OutOfStep when the changes were not read from the position the store holds."""
        con = self._con
        with con:
            if changes.since is None:
                con.execute("DELETE FROM events")
                con.execute("DELETE FROM change_lines")
                con.execute("DELETE FROM rows")
            elif self.position() != (changes.warehouse_id, changes.since):
                raise OutOfStep(f"read after change {changes.since}, kept up to {self.position()}")
            now = {("meeting", i) for i in changes.meeting_ids} | {("deadline", i) for i in changes.deadline_ids}
            for key in {tuple(k) for k in con.execute("SELECT kind, id FROM events")} - now:
                self._forget(*key)
            by_meeting = rp.changes_by_meeting(changes.changed)
            for m in changes.changed.meetings:
                self._keep_meeting(m, by_meeting.get(m.meeting_id, ()))
            for d in changes.changed.deadlines:
                self._keep_deadline(d)
            con.executemany("INSERT OR REPLACE INTO state VALUES (?, ?)",
                            [("warehouse_id", changes.warehouse_id), ("change_seq", str(changes.upto))])
        return len(changes.changed.meetings) + len(changes.changed.deadlines)

    def _forget(self, kind: str, event_id: str) -> None:
        row = self._con.execute("SELECT row FROM events WHERE kind = ? AND id = ?", [kind, event_id]).fetchone()
        if row and row[0] is not None:
            self._con.execute("DELETE FROM rows WHERE row = ?", [row[0]])
        self._con.execute("DELETE FROM events WHERE kind = ? AND id = ?", [kind, event_id])
        self._con.execute("DELETE FROM change_lines WHERE kind = ? AND id = ?", [kind, event_id])

    def _keep(self, kind: str, event_id: str, entry, *, days: tuple[date, date] | None, countries,
              level: str, row: tuple[str, ...] | None, extent: tl.Extent | None, shown: list[date], moves: int,
              vevent: bytes | None,
              upcoming: str | None, card: str, lines: list[rp.ChangeLine]) -> None:
        self._forget(kind, event_id)
        row_key = json.dumps(list(row)) if row is not None else None
        if row_key is not None:
            self._con.execute("DELETE FROM rows WHERE row = ?", [row_key])
        self._con.execute(
            "INSERT INTO events (kind, id, record, first, last, countries, level, row, exact, label, shown_first,"
            " shown_last, moves, vevent, upcoming, card) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [kind, event_id, json.dumps(_plain(entry)), *(_day(d) for d in (days or (None, None))),
             json.dumps(list(countries)), level, row_key, extent and extent.exact, extent and extent.label,
             _day(min(shown, default=None)), _day(max(shown, default=None)), moves, vevent, upcoming, card])
        self._con.executemany("INSERT INTO change_lines VALUES (?, ?, ?, ?, ?, ?)",
                              [(kind, event_id, n, _micros(line.at), line.text, line.html)
                               for n, line in enumerate(lines)])

    def _keep_meeting(self, m: MeetingEntry, changes: Iterable[MeetingChangeEntry]) -> None:
        dated = m.span is not None
        self._keep("meeting", m.meeting_id, m, days=m.span, countries=m.parties, level=m.evidence_level,
                   row=tl.group_key(m.parties) if dated else None, extent=tl.Extent.of(m) if dated else None,
                   shown=tl.dates_shown([m], []), moves=0, vevent=meeting_ical(m) if dated else None,
                   upcoming=rp.upcoming_meeting(m) if dated else None, card=rp.meeting_card(m),
                   lines=rp.meeting_changes(m, changes))

    def _keep_deadline(self, d: DeadlineEntry) -> None:
        self._keep("deadline", d.deadline_id, d, days=(d.due_date, d.due_date), countries=d.countries,
                   level=d.evidence_level, row=tl.group_key(d.countries), extent=None, shown=tl.dates_shown([], [d]),
                   moves=len(d.moves), vevent=deadline_ical(d), upcoming=rp.upcoming_deadline(d),
                   card=rp.deadline_card(d), lines=rp.deadline_changes(d))

    # --- assembling the files ----------------------------------------------------------------------------

    def calendar_chunks(self, selection: Selection) -> Iterator[bytes]:
        """The calendar file of the kept events the selection takes (tasks/publish/calendar.py build_calendar)."""
        rows = itertools.chain.from_iterable(self._con.execute(
            "SELECT vevent, countries, level FROM events WHERE kind = ? AND first IS NOT NULL"
            " AND vevent IS NOT NULL AND (? IS NULL OR last >= ?) ORDER BY first, last, id",
            [kind, *[_day(selection.since)] * 2]) for kind in ("meeting", "deadline"))
        wanted = selection.countries
        yield from calendar_chunks(selection, (
            vevent for vevent, countries, level in rows
            if (selection.tentative or level != "tentative")
            and (not wanted or wanted.intersection(json.loads(countries)))))

    def page(self, as_of: datetime) -> rp.Page:
        """The report's contents as of `as_of` (tasks/publish/report.py page_of), read as the page is written."""
        con = self._con
        now = as_of.astimezone(UTC) if as_of.tzinfo else as_of.replace(tzinfo=UTC)
        today = now.date()
        dated, deadlines, moves = con.execute(
            "SELECT count(*) FILTER (WHERE kind = 'meeting' AND first IS NOT NULL),"
            " count(*) FILTER (WHERE kind = 'deadline'), coalesce(sum(moves), 0) FROM events").fetchone()
        first, last = con.execute("SELECT min(shown_first), max(shown_last) FROM events").fetchone()
        scale = rp.timeline_scale(_date(first), _date(last), today)
        rows = self._rows(scale) if scale else []  # (rows drawn again are kept before the reads below start)
        return rp.Page(
            as_of=as_of, dated_meetings=dated, deadlines=deadlines, moves=moves,
            countries=[c for (c,) in con.execute(
                "SELECT DISTINCT j.value FROM events, json_each(events.countries) AS j ORDER BY 1")],
            upcoming=(html for (html,) in con.execute(
                "SELECT upcoming FROM events WHERE upcoming IS NOT NULL AND last >= ? AND first <= ?"
                " ORDER BY first, kind = 'deadline', id", [_day(today), _day(today + timedelta(days=rp.UPCOMING_DAYS))])),
            changes=(html for (html,) in con.execute(
                "SELECT html FROM change_lines WHERE at > ? AND at <= ? ORDER BY at DESC, text DESC, kind DESC, id, n",
                [_micros(now - timedelta(days=rp.CHANGES_DAYS)), _micros(now)])),
            scale=scale, rows=rows,
            meeting_cards=(card for (card,) in itertools.chain(  # the undated ones first
                con.execute("SELECT card FROM events WHERE kind = 'meeting' AND first IS NULL ORDER BY id DESC"),
                con.execute("SELECT card FROM events WHERE kind = 'meeting' AND first IS NOT NULL"
                            " ORDER BY first DESC, last DESC, id DESC"))),
            deadline_cards=(card for (card,) in con.execute(
                "SELECT card FROM events WHERE kind = 'deadline' ORDER BY first DESC, id DESC")))

    def _rows(self, scale: tl.Scale) -> list[rp.Row]:
        """The timeline's rows in order, each drawn again when its kept body is not of this scale."""
        drawn_at = repr(scale)
        keys = [row for (row,) in self._con.execute("SELECT DISTINCT row FROM events WHERE row IS NOT NULL")]
        out = []
        with self._con:  # (one transaction for the rows drawn again)
            for key in sorted(keys, key=lambda k: tl.group_order(tuple(json.loads(k)))):
                kept = self._con.execute("SELECT height, body FROM rows WHERE row = ? AND scale = ?",
                                         [key, drawn_at]).fetchone()
                out.append(rp.Row(tuple(json.loads(key)), *(kept or self._draw_row(key, scale))))
        return out

    def _draw_row(self, key: str, scale: tl.Scale) -> tuple[int, str]:
        """Lay the row out again from its kept extents; draw again only the events whose place moved."""
        con = self._con
        extents, deadlines, drawn = [], [], {}
        for kind, event_id, first, last, exact, label, drawn_at, svg in con.execute(
                "SELECT kind, id, first, last, exact, label, drawn_at, drawn FROM events WHERE row = ?", [key]):
            if kind == "meeting":
                extents.append(tl.Extent(event_id, date.fromisoformat(first), date.fromisoformat(last), bool(exact),
                                         label))
            else:
                deadlines.append((date.fromisoformat(first), event_id))
            drawn[(kind, event_id)] = (drawn_at, svg)
        height, placed = tl.layout(extents, deadlines, scale)
        parts, scale_key = [], repr(scale)
        for p in placed:
            at, (drawn_at, svg) = f"{scale_key} {p.where}", drawn[(p.kind, p.event_id)]
            if drawn_at != at:
                (record,) = con.execute("SELECT record FROM events WHERE kind = ? AND id = ?",
                                        [p.kind, p.event_id]).fetchone()
                event = _entry(MeetingEntry if p.kind == "meeting" else DeadlineEntry, json.loads(record))
                svg = tl.draw(p, event, scale)
                con.execute("UPDATE events SET drawn_at = ?, drawn = ? WHERE kind = ? AND id = ?",
                            [at, svg, p.kind, p.event_id])
            parts.append(svg)
        body = "".join(parts)
        con.execute("INSERT OR REPLACE INTO rows VALUES (?, ?, ?, ?)", [key, scale_key, height, body])
        return height, body


# --- the events as JSON (dates as ISO text; read back by the records' own field types) -----------------------


def _plain(value):
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    return value


def _entry(cls, data: dict):
    hints = _hints(cls)
    return cls(**{name: _typed(hints[name], value) for name, value in data.items()})


@functools.cache
def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def _typed(hint, value):
    if value is None:
        return None
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    if typing.get_origin(hint) is tuple:
        return tuple(_typed(typing.get_args(hint)[0], v) for v in value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    if dataclasses.is_dataclass(hint):
        return _entry(hint, value)
    return value


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value is not None else None


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(microseconds=1)
