"""Publishing as the cycle runs it (Prefect tasks): the read-only snapshot for ad hoc SQL; the iCalendar feed
and the HTML report beside it.

The calendar and the report are made from what the cycle just committed, read through the cycle's own
connection before it lets go of the file (the same state the snapshot copies), and built while the snapshot is
being copied: the copy is DuckDB's and the kernel's work, the build is Python's. A cycle reads and renders only
the events changed since the last publication and assembles the files from the pieces kept beside them
(tasks/publish/pieces.py), so its cost follows what changed, not the number of events. A cycle that resolved nothing
republishes them only when the last ones are an hour old or from another day (their "as of", the next 30 days,
the last 7), or missing. The commands (`tradewatch calendar`, `report`) read the published snapshot instead.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from prefect import get_run_logger, task
from prefect.cache_policies import NONE

from records.calendar import Timeline
from records.config import Config
from tasks.publish.calendar import Selection, build_calendar
from tasks.publish.files import (
    calendar_path,
    last_published,
    published_url,
    record_published,
    report_path,
    write_streamed,
)
from tasks.publish.pieces import OutOfStep, Pieces, pieces_path
from tasks.publish.report import build_report, page_chunks
from warehouse import connection
from warehouse.calendar import TimelineChanges, read_changes, read_timeline, snapshot_as_of
from warehouse.snapshot import open_snapshot
from warehouse.snapshot import publish_snapshot as publish

REPUBLISH_AFTER = timedelta(hours=1)  # a cycle that resolved nothing republishes once the last is this old


@task(name="publish-snapshot", cache_policy=NONE)
def publish_snapshot(config: Config) -> str:
    """The read-only snapshot for ad hoc SQL, from the checkpointed live file (call it with the run lock held
    and no connection of this process open on the file)."""
    return str(publish(config.warehouse_path))


@dataclass(frozen=True)
class Published:
    """What publishing the calendar and the report did: the files now current (None: not published), or the
    error that left the previous ones in place."""

    calendar: str | None = None
    report: str | None = None
    error: str | None = None


def calendar_due(config: Config, now: datetime, resolved: bool) -> bool:
    """Whether this cycle publishes the calendar and the report: always after resolving events; otherwise when
    a file is missing or the last publication is an hour old, from another day, or from a later instant."""
    publish_cfg = config.publish
    if not (publish_cfg.calendar or publish_cfg.report):
        return False
    if resolved:
        return True
    wanted = [p for on, p in ((publish_cfg.calendar, calendar_path), (publish_cfg.report, report_path)) if on]
    if not all(p(config.warehouse_path).exists() for p in wanted):
        return True
    last = last_published(config.warehouse_path)
    return last is None or not (last <= now < last + REPUBLISH_AFTER) or last.date() != now.date()


@task(name="read-calendar", cache_policy=NONE)
def read_calendar(config: Config, now: datetime) -> TimelineChanges:
    """The events changed since the calendar and the report were last published (all of them the first time),
    as of `now`, through the cycle's connection (call it inside the cycle, after the events are resolved)."""
    with Pieces.open(pieces_path(config.warehouse_path)) as pieces:
        kept = pieces.position()
    with connection.cursor(config.warehouse_path) as con:
        return read_changes(con, now, kept)


@task(name="publish-calendar-and-report", cache_policy=NONE)
def publish_calendar_and_report(config: Config, changes: TimelineChanges) -> Published:
    published = publish_changes(config, changes)
    if published.error:
        get_run_logger().warning("%s; the previous files stay in place", published.error)
    return published


def publish_changes(config: Config, changes: TimelineChanges) -> Published:
    """Bring the kept pieces up to date with the changes, then write the calendar and the report from them, as
    publish_files does (the same bytes as a whole build)."""
    path = pieces_path(config.warehouse_path)
    with Pieces.open(path) as pieces:
        try:
            pieces.apply(changes)
        except OutOfStep as exc:  # another process published meanwhile: start again from nothing next time
            path.unlink(missing_ok=True)
            return Published(error=f"could not publish the calendar and the report ({exc}); the next cycle does")
        except sqlite3.Error as exc:  # a full disk: the pieces are as before the changes
            return Published(error=f"could not publish {path}: {exc}")
        return _publish(config, changes.as_of,
                        lambda selection: pieces.calendar_chunks(selection),
                        lambda href: page_chunks(pieces.page(changes.as_of), calendar_href=href))


def publish_files(config: Config, timeline: Timeline) -> Published:
    """Build the calendar and the report (`[publish] calendar` and `report` say which) and write each
    atomically beside the snapshot. A write that fails (a full disk) leaves the previous files in place and is
    returned as the error: the cycle's work is safe in the warehouse, and the next cycle publishes again."""
    return _publish(config, timeline.as_of, lambda selection: [build_calendar(timeline, selection)],
                    lambda href: [build_report(timeline, calendar_href=href)])


def _publish(config: Config, as_of: datetime, calendar: Callable[[Selection], Iterable[bytes]],
             page: Callable[[str | None], Iterable[str]]) -> Published:
    done: dict[str, str] = {}
    try:
        if config.publish.calendar:
            path = calendar_path(config.warehouse_path)
            write_streamed(path, calendar(calendar_selection(config, as_of)))
            done["calendar"] = str(path)
        if config.publish.report:
            path = report_path(config.warehouse_path)
            write_streamed(path, (text.encode("utf-8") for text in page(report_calendar_href(config, beside=True))))
            done["report"] = str(path)
        record_published(config.warehouse_path, as_of)
    except OSError as exc:
        return Published(**done, error=f"could not publish {exc.filename or 'a file'}: {exc.strerror or exc}")
    return Published(**done)


def read_published_timeline(config: Config, as_of: datetime | None = None) -> Timeline:
    """What the calendar and the report show, from the published snapshot (never the live file), as of
    `as_of` (default: the last instant the snapshot knows, i.e. the cycle that published it)."""
    con = open_snapshot(config.warehouse_path)
    try:
        return read_timeline(con, as_of or snapshot_as_of(con) or datetime.now(UTC))
    finally:
        con.close()


def calendar_selection(config: Config, as_of: datetime, *, countries: tuple[str, ...] | None = None,
                       since: date | None = None) -> Selection:
    """The `[calendar]` selection, with the command line's --countries and --since in place of its own."""
    cal = config.calendar
    if since is None and cal.past_days is not None:
        since = as_of.date() - timedelta(days=cal.past_days)
    return Selection(countries=frozenset(cal.countries if countries is None else countries), since=since,
                     tentative=cal.tentative, name=cal.name)


def report_calendar_href(config: Config, beside: bool) -> str | None:
    """Where the report links the calendar: its name when the page is published beside it, its URL under
    `[publish] base_url` otherwise (None when there is neither)."""
    if not config.publish.calendar:
        return None
    path = calendar_path(config.warehouse_path)
    if beside:
        return path.name
    return published_url(config.publish.base_url, path) if config.publish.base_url else None


def published_links(config: Config) -> list[tuple[str, str]]:
    """(label, URL) of each published file, for the digest; none without `[publish] base_url`."""
    base = config.publish.base_url
    if not base:
        return []
    out = []
    if config.publish.calendar:
        out.append(("📅 Calendar (iCalendar)", published_url(base, calendar_path(config.warehouse_path))))
    if config.publish.report:
        out.append(("📈 Timeline report", published_url(base, report_path(config.warehouse_path))))
    return out
