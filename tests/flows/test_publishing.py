"""The calendar and the report end to end: real cycles (`tradewatch run --as-of`) against the loopback feed
server of the demo timeline, a real DuckDB file, the files published beside the snapshot; the `calendar`,
`report` and `digest` commands on that snapshot."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import icalendar
import lxml.html
import pytest

from flows.cli import main
from flows.demo import load_timeline
from flows.feedserver import TimelineServer, write_config
from tests.support import ical_check
from warehouse import snapshot

pytestmark = pytest.mark.usefixtures("prefect_harness")

TIMELINE = load_timeline()
BEFORE_LETTERS = datetime(2025, 7, 7, 12, 0, tzinfo=UTC)  # the reciprocal tariffs are due 8/9 July
AFTER_LETTERS = datetime(2025, 7, 8, 0, 0, tzinfo=UTC)  # the tariff letters of 7 July moved them to 1 August


@pytest.fixture
def server():
    with TimelineServer(TIMELINE) as srv:
        yield srv


def configure(tmp_path: Path, server, extra: str = "") -> Path:
    path = tmp_path / "tradewatch.toml"
    write_config(path, server, "tw.duckdb", extra=extra)
    return path


@pytest.fixture
def config(tmp_path, server) -> Path:
    return configure(tmp_path, server)


def run_at(config: Path, server, when: datetime, capsys) -> None:
    server.now = when
    assert main(["run", "--config", str(config), "--as-of", when.isoformat(), "--no-alerts"]) == 0
    capsys.readouterr()


def published_events(config: Path) -> dict[str, icalendar.Event]:
    data = (config.parent / "tw.calendar.ics").read_bytes()
    ical_check.check(data)
    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(data).walk("VEVENT")}


def scalar(config: Path, sql: str):
    con = snapshot.open_snapshot(config.parent / "tw.duckdb")
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def note(config: Path) -> datetime:
    return datetime.fromisoformat(json.loads((config.parent / "tw.published.json").read_text())["as_of"])


def test_a_cycle_publishes_the_calendar_and_the_report_beside_the_snapshot(config, server, capsys):
    run_at(config, server, datetime(2025, 4, 25, 0, 0, tzinfo=UTC), capsys)
    meetings = scalar(config, "SELECT count(*) FROM meetings WHERE meeting_date IS NOT NULL")
    deadlines = scalar(config, "SELECT count(*) FROM deadlines")
    assert meetings >= 3 and deadlines >= 1
    events = published_events(config)
    assert sum(uid.startswith("m-") for uid in events) == meetings
    assert sum(uid.startswith("d-") for uid in events) == deadlines
    doc = lxml.html.parse(str(config.parent / "tw.report.html")).getroot()
    assert len(doc.xpath("//*[@data-meeting-id]")) == meetings
    assert doc.xpath("//body/@data-as-of") == ["2025-04-25T00:00:00+00:00"]
    assert doc.xpath("//header//a/@href") == ["tw.calendar.ics"]


def deadline_date(event: icalendar.Event) -> date:
    start = event.decoded("DTSTART")
    return start.date() if isinstance(start, datetime) else start


def test_a_replay_in_which_a_deadline_moves_updates_the_same_event(config, server, capsys):
    run_at(config, server, BEFORE_LETTERS, capsys)
    before = {uid: e for uid, e in published_events(config).items() if uid.startswith("d-")}
    run_at(config, server, AFTER_LETTERS, capsys)
    after = published_events(config)
    moved = [uid for uid in before if deadline_date(after[uid]) != deadline_date(before[uid])]
    assert moved
    for uid in moved:
        assert deadline_date(after[uid]) == date(2025, 8, 1)
        assert after[uid].decoded("SEQUENCE") > before[uid].decoded("SEQUENCE")
        assert after[uid].decoded("LAST-MODIFIED") > before[uid].decoded("LAST-MODIFIED")
        assert "→ Fri 1 Aug 2025" in str(after[uid]["DESCRIPTION"])
        assert "(moved from " in str(after[uid]["SUMMARY"])
    doc = lxml.html.parse(str(config.parent / "tw.report.html")).getroot()
    moves = doc.xpath("//*[@class='move'][@data-deadline-id]")
    assert {m.get("data-deadline-id") + "@tradewatch" for m in moves if m.get("data-new") == "2025-08-01"} \
        == set(moved)
    assert len(moves) == scalar(config, "SELECT count(*) FROM deadline_changes WHERE old_date <> new_date")


def test_a_replay_publishes_once_when_its_last_cycle_ends(config, server):
    """A backfill's intermediate cycles leave the snapshot, the calendar and the report alone (readers keep the
    last publication meanwhile); the last cycle publishes what every cycle stored."""
    from flows.monitor import replay_flow

    ticks = [datetime(2025, 4, day, 0, 0, tzinfo=UTC) for day in (12, 22, 26)]
    published_during: list[bool] = []

    def on_tick(now: datetime) -> None:
        server.now = now
        published_during.append(snapshot.snapshot_path(config.parent / "tw.duckdb").exists()
                                or (config.parent / "tw.report.html").exists())

    summaries = replay_flow(config_path=str(config), ticks=[t.isoformat() for t in ticks], alerts=False,
                            on_tick=on_tick)
    assert published_during == [False, False, False]
    stored = sum(s.new_items for s in summaries)
    assert stored > 0
    assert scalar(config, "SELECT count(*) FROM items") == stored
    assert note(config) == ticks[-1]
    assert sum(uid.startswith("m-") for uid in published_events(config)) == scalar(
        config, "SELECT count(*) FROM meetings WHERE meeting_date IS NOT NULL")


def test_a_quiet_cycle_republishes_only_once_the_last_publication_is_an_hour_old(config, server, capsys):
    quiet_from = datetime(2025, 4, 10, 0, 0, tzinfo=UTC)  # nothing is published from then until 21 April
    run_at(config, server, quiet_from, capsys)
    assert note(config) == quiet_from
    report = config.parent / "tw.report.html"
    first = report.read_bytes()
    run_at(config, server, quiet_from + timedelta(minutes=10), capsys)
    assert note(config) == quiet_from and report.read_bytes() == first
    run_at(config, server, quiet_from + timedelta(minutes=70), capsys)
    assert note(config) == quiet_from + timedelta(minutes=70)
    assert b'data-as-of="2025-04-10T01:10:00+00:00"' in report.read_bytes()


def test_publishing_can_be_turned_off(tmp_path, server, capsys):
    config = configure(tmp_path, server, "\n[publish]\ncalendar = false\nreport = false\n")
    run_at(config, server, BEFORE_LETTERS, capsys)
    assert (tmp_path / "tw.snapshot.duckdb").exists()
    assert not (tmp_path / "tw.calendar.ics").exists() and not (tmp_path / "tw.report.html").exists()


def test_the_calendar_command_reads_the_snapshot_and_filters(config, server, capsys, tmp_path):
    run_at(config, server, AFTER_LETTERS, capsys)
    assert main(["calendar", "--config", str(config)]) == 0
    assert capsys.readouterr().out.encode("utf-8") == (tmp_path / "tw.calendar.ics").read_bytes()
    out = tmp_path / "kr.ics"
    assert main(["calendar", "--config", str(config), "--countries", "KR", "--since", "2025-04-09",
                 "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}: ")
    chosen = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")}
    every = published_events(config)
    assert chosen and set(chosen) < set(every)
    assert all("KR" in e["CATEGORIES"].cats for e in chosen.values())
    assert all(e.decoded("DTSTART") >= date(2025, 4, 9) for e in chosen.values() if not isinstance(
        e.decoded("DTSTART"), datetime))
    assert {uid for uid, e in every.items() if "KR" in e["CATEGORIES"].cats and e.decoded("DTEND", None) and
            e.decoded("DTEND") > date(2025, 4, 9)} <= set(chosen)


def test_the_report_command_writes_the_page_from_the_snapshot(tmp_path, server, capsys):
    config = configure(tmp_path, server, '\n[publish]\nbase_url = "https://desk.example/tw/"\n')
    run_at(config, server, AFTER_LETTERS, capsys)
    out = tmp_path / "out" / "report.html"
    out.parent.mkdir()
    assert main(["report", "--config", str(config), "--out", str(out), "--as-of", "2025-07-09T00:00:00Z"]) == 0
    doc = lxml.html.parse(str(out)).getroot()
    assert doc.xpath("//body/@data-as-of") == ["2025-07-09T00:00:00+00:00"]
    assert doc.xpath("//header//a/@href") == ["https://desk.example/tw/tw.calendar.ics"]
    assert len(doc.xpath("//*[@class='move'][@data-deadline-id]")) == scalar(
        config, "SELECT count(*) FROM deadline_changes WHERE old_date <> new_date") > 0
    published = lxml.html.parse(str(tmp_path / "tw.report.html")).getroot()
    assert published.xpath("//body/@data-as-of") == [AFTER_LETTERS.isoformat()]


@pytest.mark.parametrize(("args", "message"), [
    (["calendar", "--countries", "K1"], "--countries: K1 not ISO 3166-1"),
    (["calendar", "--since", "9 April"], "--since: '9 April' is not a date"),
    (["report", "--as-of", "tomorrow"], "--as-of: 'tomorrow' is not an ISO 8601 instant"),
    (["calendar", "--out", "/nonexistent-dir/x.ics"], "--out: cannot write /nonexistent-dir/x.ics"),
])
def test_bad_arguments_exit_2_with_a_clear_message(config, server, capsys, args, message):
    run_at(config, server, BEFORE_LETTERS, capsys)
    assert main([args[0], "--config", str(config), *args[1:]]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("command", ["calendar", "report"])
def test_without_a_warehouse_the_commands_fail_as_the_other_readers_do(tmp_path, server, capsys, command):
    config = configure(tmp_path, server)
    expected = main(["sql", "--config", str(config), "SELECT 1"])
    sql_err = capsys.readouterr().err
    assert expected not in (0, 1) and "tradewatch run" in sql_err
    assert main([command, "--config", str(config)]) == expected
    assert capsys.readouterr().err == sql_err
    assert not list(tmp_path.glob("tw.*"))


def test_the_digest_links_the_calendar_and_the_report_under_the_base_url(tmp_path, server, capsys):
    config = configure(tmp_path, server, '\n[publish]\nbase_url = "https://desk.example/tw"\n')
    run_at(config, server, AFTER_LETTERS, capsys)
    assert main(["digest", "--config", str(config), "--as-of", AFTER_LETTERS.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "<https://desk.example/tw/tw.calendar.ics|📅 Calendar (iCalendar)>" in out
    assert "<https://desk.example/tw/tw.report.html|📈 Timeline report>" in out


def test_without_a_base_url_the_digest_links_nothing(config, server, capsys):
    run_at(config, server, AFTER_LETTERS, capsys)
    assert main(["digest", "--config", str(config), "--as-of", AFTER_LETTERS.isoformat()]) == 0
    assert "tw.calendar.ics" not in capsys.readouterr().out
