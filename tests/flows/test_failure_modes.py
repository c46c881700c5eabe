"""Hostile feeds and failures through the whole pipeline (the fetch and parse layers have their own tests in
test_fetch.py, test_parse.py and test_hostile_feeds.py): every case is served from loopback, the run goes on,
the source records why, and nothing stored earlier is lost."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from flows.cli import main
from tests.support.hostile_server import HostileServer, respond
from tests.support.paths import FIXTURES
from warehouse import connection, snapshot
from warehouse import items as item_store

pytestmark = pytest.mark.usefixtures("prefect_harness")

NOW = datetime(2025, 7, 8, 0, 0, tzinfo=UTC)
FEEDS = FIXTURES / "feeds"


def rss(entries: list[dict]) -> bytes:
    items = "".join(
        "<item>"
        f"<title>{escape(e['title'])}</title><link>{escape(e.get('link', 'https://news.example/' + e['guid']))}</link>"
        f"<guid isPermaLink=\"false\">{escape(e['guid'])}</guid>"
        f"<pubDate>{e.get('pubDate') or format_datetime(e.get('published', NOW - timedelta(hours=1)))}</pubDate>"
        f"<description>{escape(e['body'])}</description></item>"
        for e in entries
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
            f"<link>https://news.example/</link><description>d</description>{items}</channel></rss>").encode()


MEETING = {
    "guid": "m1",
    "title": "Vietnam, US trade ministers to meet in Washington on Thursday",
    "body": "HANOI -- Vietnam's Trade Minister Nguyen Hong Dien will meet U.S. Trade Representative Jamieson "
            "Greer in Washington on Thursday for talks on tariffs, the ministry said.",
}


@pytest.fixture
def server():
    with HostileServer() as srv:
        yield srv


def write_config(tmp_path: Path, server: HostileServer, routes: list[str], extra: str = "") -> Path:
    lines = ["[warehouse]", 'path = "tw.duckdb"', "[fetch]", f'allow_hosts = ["{server.host_port}"]',
             "total_deadline_s = 5", extra]
    for r in routes:
        lines += ["[[sources]]", f'id = "{r}"', 'kind = "feed"', f'url = "{server.url("/" + r)}"']
    path = tmp_path / "tradewatch.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(config: Path, at: datetime = NOW, *extra: str) -> int:
    return main(["run", "--config", str(config), "--as-of", at.isoformat(), *extra])


def query(config: Path, sql: str, params=()):
    con = snapshot.open_snapshot(config.parent / "tw.duckdb")
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_entity_bombs_are_a_source_error_and_the_run_goes_on(tmp_path, server, capsys):
    server.route("/good", lambda h: respond(h, 200, rss([MEETING])))
    server.route("/bomb", lambda h: respond(h, 200, (FEEDS / "billion_laughs.xml").read_bytes()))
    server.route("/xxe", lambda h: respond(h, 200, (FEEDS / "external_entity.xml").read_bytes()))
    config = write_config(tmp_path, server, ["good", "bomb", "xxe"])
    assert run(config) == 0
    errors = dict(query(config, "SELECT source_id, last_error FROM sources"))
    assert errors == {"good": None, "bomb": "xml_entities", "xxe": "xml_entities"}
    assert query(config, "SELECT count(*) FROM items")[0][0] == 1


def test_an_html_page_instead_of_the_feed_leaves_earlier_items_untouched(tmp_path, server, capsys):
    body = {"now": rss([MEETING])}
    server.route("/feed", lambda h: respond(h, 200, body["now"], {"Content-Type": "application/rss+xml"}))
    config = write_config(tmp_path, server, ["feed"])
    assert run(config) == 0
    before = query(config, "SELECT item_id, title FROM items")
    body["now"] = b"<!doctype html><html><head><title>Maintenance</title></head><body>Back soon</body></html>"
    assert run(config, NOW + timedelta(minutes=10)) == 0
    assert query(config, "SELECT item_id, title FROM items") == before
    assert query(config, "SELECT last_error, error_streak FROM sources") == [("not_a_feed", 1)]
    body["now"] = b""
    assert run(config, NOW + timedelta(minutes=20)) == 0
    assert query(config, "SELECT last_error, error_streak FROM sources") == [("not_a_feed", 2)]


def test_410_marks_the_source_gone_with_one_ops_alert(tmp_path, server, capsys):
    server.route("/feed", lambda h: respond(h, 410, b"gone"))
    config = write_config(tmp_path, server, ["feed"])
    for minutes in (0, 10, 400, 800):  # later runs: still retried (never dropped), rarely
        assert run(config, NOW + timedelta(minutes=minutes)) == 0
    assert query(config, "SELECT gone, last_error FROM sources") == [(True, "http_410")]
    assert query(config, "SELECT kind FROM ops_alerts") == [("source_gone",)]
    assert query(config, "SELECT count(*) FROM alerts")[0][0] == 0  # ops alerts are not event alerts


def test_retry_after_is_honoured(tmp_path, server, capsys):
    server.route("/feed", lambda h: respond(h, 503, b"busy", {"Retry-After": "1800"}))
    config = write_config(tmp_path, server, ["feed"])
    assert run(config) == 0
    (next_at,) = query(config, "SELECT next_attempt_at FROM sources")[0]
    assert next_at >= NOW + timedelta(seconds=1800)
    requests_before = len(server.requests)
    assert run(config, NOW + timedelta(minutes=10)) == 0  # still backing off: not asked again
    assert len(server.requests) == requests_before
    out = capsys.readouterr().out
    assert "1 backing off" in out


def test_a_mere_edit_raises_no_second_alert(tmp_path, server, capsys):
    body = {"now": rss([MEETING])}
    server.route("/feed", lambda h: respond(h, 200, body["now"]))
    config = write_config(tmp_path, server, ["feed"])
    assert run(config) == 0
    alerts = query(config, "SELECT count(*) FROM alerts")[0][0]
    edited = dict(MEETING, body=MEETING["body"].replace("the ministry said", "the ministry said in a statement"))
    body["now"] = rss([edited])
    assert run(config, NOW + timedelta(minutes=10)) == 0
    assert query(config, "SELECT count(*) FROM items")[0][0] == 1
    assert "statement" in query(config, "SELECT summary FROM items")[0][0]
    assert query(config, "SELECT count(*) FROM alerts")[0][0] == alerts


def test_suspect_dates_are_null_flagged_and_never_a_meeting_date(tmp_path, server, capsys):
    entries = [dict(MEETING, guid=f"s{i}", pubDate=d) for i, d in enumerate(
        ["Thu, 01 Jan 2099 00:00:00 GMT", "Thu, 01 Jan 1970 00:00:00 GMT", "Mon, 07 Jul 2025 10:00:00 +9900"])]
    server.route("/feed", lambda h: respond(h, 200, rss(entries)))
    config = write_config(tmp_path, server, ["feed"])
    assert run(config) == 0
    rows = query(config, "SELECT published_at, date_suspect FROM items")
    assert len(rows) == 3 and all(p is None and s for p, s in rows)
    assert query(config, "SELECT count(*) FROM meetings WHERE year(meeting_date) NOT BETWEEN 2025 AND 2026")[0][0] == 0


def test_a_huge_feed_is_worked_off_in_bounded_runs(tmp_path, server, capsys):
    entries = [{"guid": f"g{i}", "title": f"Market report {i}", "body": f"Shares moved in session {i}.",
                "published": NOW - timedelta(minutes=i)} for i in range(2_000)]
    payload = rss(entries)
    server.route("/feed", lambda h: respond(h, 200, payload))
    config = write_config(tmp_path, server, ["feed"], extra="max_items_per_source = 800")
    assert run(config) == 0
    assert "1200 deferred to the next run" in capsys.readouterr().out
    assert query(config, "SELECT count(*) FROM items")[0][0] == 800
    # the newest 800, each row with its own text (the deferred rows were left out of the batch's table too)
    with connection.writer(tmp_path / "tw.duckdb") as con:
        assert con.execute("SELECT max(CAST(substr(guid, 2) AS INT)) FROM core.items").fetchone()[0] == 799
        rows = [item_store.item_from_row(r) for r in con.execute(f"SELECT {item_store.ITEM_COLUMNS} FROM core.items").fetchall()]
    assert len(rows) == 800 and all(it.body == f"Shares moved in session {it.guid[1:]}."
                                    and it.title == f"Market report {it.guid[1:]}" for it in rows)
    assert run(config, NOW + timedelta(minutes=10)) == 0
    assert run(config, NOW + timedelta(minutes=20)) == 0
    assert query(config, "SELECT count(*), count(DISTINCT item_id) FROM items")[0] == (2_000, 2_000)
    # every request re-read the whole feed while work was deferred (no stale validators)
    assert all("If-None-Match" not in headers for _, headers in server.requests)


def test_a_full_disk_fails_cleanly_and_commits_nothing_half_way(tmp_path, server, capsys):
    """RLIMIT_FSIZE makes the warehouse's files unable to grow, like a full disk."""
    server.route("/feed", lambda h: respond(h, 200, rss([MEETING])))
    config = write_config(tmp_path, server, ["feed"])
    assert run(config) == 0
    items_before = query(config, "SELECT count(*) FROM items")[0][0]
    many = [{"guid": f"big{i}", "title": f"Long report {i}", "body": "Tariff talks " * 2000} for i in range(200)]
    server.route("/feed", lambda h: respond(h, 200, rss(many)))
    warehouse = tmp_path / "tw.duckdb"
    script = textwrap.dedent(f"""
        import resource, signal, sys
        from datetime import datetime
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        from records.config import load_config
        from tasks.cycle.sources import sync_sources
        from tasks.sources.poll import poll
        from tasks.sources.store import store_polled
        from warehouse.errors import WarehouseError
        config = load_config({str(config)!r})
        now = datetime.fromisoformat({(NOW + timedelta(minutes=10)).isoformat()!r})
        states = sync_sources(config)
        polled = [poll(s, states.get(s.id), config, now) for s in config.sources]
        # no file may grow past 1 MB (the write-ahead log starts empty; the store writes megabytes to it)
        limit = min({warehouse.stat().st_size}, 1 << 20) + 64 * 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        try:
            store_polled(config, polled, now)
        except WarehouseError as exc:
            print("clean failure:", exc)
            sys.exit(3)
        except Exception as exc:
            print("raw failure:", type(exc).__name__, exc)
            sys.exit(4)
        print("no failure")
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "nothing from this step was committed" in proc.stdout
    # the warehouse still opens and holds exactly what it held before
    snapshot.publish_snapshot(warehouse)
    assert query(config, "SELECT count(*) FROM items")[0][0] == items_before
