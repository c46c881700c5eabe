"""The CLI end to end: real flow runs against a loopback feed server, a real DuckDB file, the console notifier."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flows.cli import main
from flows.demo import load_timeline
from flows.feedserver import TimelineServer, write_config
from warehouse import connection, snapshot
from warehouse.lock import run_lock

pytestmark = pytest.mark.usefixtures("prefect_harness")

TIMELINE = load_timeline()
APRIL_25 = datetime(2025, 4, 25, 0, 0, tzinfo=UTC)  # after the 2+2 talks were first reported


@pytest.fixture
def server():
    with TimelineServer(TIMELINE) as srv:
        yield srv


@pytest.fixture
def config(tmp_path, server) -> Path:
    path = tmp_path / "tradewatch.toml"
    write_config(path, server, "tw.duckdb")
    return path


def run_cli(*args: str, capsys) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def count(config: Path, sql: str) -> int:
    con = snapshot.open_snapshot(config.parent / "tw.duckdb")
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def test_run_stores_items_and_prints_a_summary(config, server, capsys):
    server.now = APRIL_25
    code, out, _ = run_cli("run", "--config", str(config), "--as-of", APRIL_25.isoformat(), capsys=capsys)
    assert code == 0
    visible = sum(1 for i in TIMELINE if i.published <= APRIL_25)
    assert f"{visible} new" in out
    assert count(config, "SELECT count(*) FROM items") == visible
    assert count(config, "SELECT count(*) FROM sources WHERE last_error IS NULL") == len(server.sources)


def test_running_the_same_cycle_twice_stores_and_alerts_nothing_twice(config, server, capsys):
    server.now = APRIL_25
    for _ in range(2):
        assert run_cli("run", "--config", str(config), "--as-of", APRIL_25.isoformat(), capsys=capsys)[0] == 0
    assert count(config, "SELECT count(*) - count(DISTINCT item_id) FROM items") == 0
    assert count(config, "SELECT count(*) FROM items") == sum(1 for i in TIMELINE if i.published <= APRIL_25)
    # the second poll was conditional: every feed answered 304
    assert server.not_modified == len(server.sources)
    alerts = count(config, "SELECT count(*) FROM alerts")
    distinct = count(config, "SELECT count(DISTINCT (kind, event_id, text)) FROM alerts")
    assert alerts == distinct > 0


def test_no_alerts_records_decisions_without_sending(config, server, capsys):
    server.now = APRIL_25
    code, out, _ = run_cli("run", "--config", str(config), "--as-of", APRIL_25.isoformat(), "--no-alerts",
                           capsys=capsys)
    assert code == 0
    assert count(config, "SELECT count(*) FROM alerts WHERE state = 'suppressed'") > 0
    assert count(config, "SELECT count(*) FROM alerts WHERE state <> 'suppressed'") == 0
    assert "New meeting" not in out


def test_old_items_update_the_warehouse_but_raise_no_alert(config, server, capsys):
    server.now = APRIL_25
    later = APRIL_25 + timedelta(days=30)  # a first run over a full feed, a month later
    assert run_cli("run", "--config", str(config), "--as-of", later.isoformat(), capsys=capsys)[0] == 0
    assert count(config, "SELECT count(*) FROM meetings") > 0
    assert count(config, "SELECT count(*) FROM alerts WHERE state <> 'suppressed'") == 0


def test_a_failing_source_is_recorded_and_the_run_goes_on(config, server, capsys):
    text = config.read_text() + (
        f'\n[[sources]]\nid = "broken"\nkind = "feed"\nurl = "http://{server.host_port}/feeds/missing.xml"\n'
    )
    config.write_text(text)
    server.now = APRIL_25
    code, out, _ = run_cli("run", "--config", str(config), "--as-of", APRIL_25.isoformat(), capsys=capsys)
    assert code == 0
    assert "broken: http_404" in out
    assert count(config, "SELECT error_streak FROM sources WHERE source_id = 'broken'") == 1
    assert count(config, "SELECT count(*) FROM items") > 0


def test_sql_formats(config, server, capsys):
    server.now = APRIL_25
    run_cli("run", "--config", str(config), "--as-of", APRIL_25.isoformat(), capsys=capsys)
    code, out, _ = run_cli("sql", "--config", str(config), "SELECT source_id, count(*) AS n FROM items GROUP BY 1",
                           "--format", "csv", capsys=capsys)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["source_id"] for r in rows} <= set(server.sources) and sum(int(r["n"]) for r in rows) > 0
    code, out, _ = run_cli("sql", "--config", str(config), "SELECT parties, meeting_date FROM meetings",
                           "--format", "json", capsys=capsys)
    data = json.loads(out)
    assert code == 0 and all(isinstance(r["parties"], list) for r in data)
    code, _, err = run_cli("sql", "--config", str(config), "COPY (SELECT 1) TO '/tmp/tw-leak.csv'", capsys=capsys)
    assert code == 1 and "query failed" in err and not os.path.exists("/tmp/tw-leak.csv")


def test_an_api_server_that_does_not_answer_is_a_clear_error_and_touches_nothing(config, server, capsys):
    import socket

    from prefect.settings import PREFECT_API_URL, temporary_settings

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/api"
    with temporary_settings(updates={PREFECT_API_URL: dead}):
        code, out, err = run_cli("run", "--config", str(config), capsys=capsys)
    assert code == 5 and out == ""
    assert f"the Prefect API at {dead} (PREFECT_API_URL) does not answer" in err and "Traceback" not in err
    assert not (config.parent / "tw.duckdb").exists() and not server.requests  # no run was started


def test_a_second_run_on_a_held_warehouse_fails_cleanly(config, server, capsys):
    server.now = APRIL_25
    with run_lock(config.parent / "tw.duckdb"):
        code, _, err = run_cli("run", "--config", str(config), "--as-of", APRIL_25.isoformat(), capsys=capsys)
    assert code == 4 and "another tradewatch run holds" in err


def run_crashing_at(point: str, config, capsys, monkeypatch) -> None:
    """One `tradewatch run` at APRIL_25 that dies at this crash point (tasks.faults.crash_point)."""
    monkeypatch.setenv("TRADEWATCH_CRASH_AT", point)
    with pytest.raises(SystemExit, match="crash injected"):
        main(["run", "--config", str(config), "--as-of", APRIL_25.isoformat()])
    capsys.readouterr()
    monkeypatch.delenv("TRADEWATCH_CRASH_AT")


def test_a_crash_after_commit_then_a_rerun_delivers_every_alert_once(config, server, capsys, monkeypatch):
    server.now = APRIL_25
    run_crashing_at("after_commit", config, capsys, monkeypatch)
    with connection.writer(config.parent / "tw.duckdb") as con:
        pending = con.execute("SELECT count(*) FROM core.alert_outbox WHERE state = 'pending'").fetchone()[0]
    assert pending > 0  # committed with the events, not yet delivered
    code, out, _ = run_cli("run", "--config", str(config), "--as-of", APRIL_25.isoformat(), capsys=capsys)
    assert code == 0
    snapshot.publish_snapshot(config.parent / "tw.duckdb")
    assert count(config, "SELECT count(*) FROM alerts WHERE state = 'delivered'") == pending
    code, out, _ = run_cli("run", "--config", str(config), "--as-of", APRIL_25.isoformat(), capsys=capsys)
    assert count(config, "SELECT count(*) FROM alerts WHERE state = 'delivered'") == pending


def test_bad_config_exits_2_with_the_key_named(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[sources]]\nid = "x"\nkind = "feed"\nurl = "file:///etc/passwd"\n')
    exe = Path(sys.executable).with_name("tradewatch")
    proc = subprocess.run([str(exe), "run", "--config", str(bad)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "sources[0].url: not an http(s) URL" in proc.stderr


def test_init_writes_a_valid_starter_config(tmp_path, capsys):
    from records.config import load_config

    path = tmp_path / "tradewatch.toml"
    assert run_cli("init", str(path), capsys=capsys)[0] == 0
    assert len(load_config(path).sources) >= 7
    assert run_cli("init", str(path), capsys=capsys)[0] == 1  # never overwrites silently


def test_demo_runs_and_shows_the_deadline_move(shared_demo):
    out = (shared_demo / "demo-output.txt").read_text(encoding="utf-8")  # (the session's one demo run)
    assert "Try these yourself" in out
    con = snapshot.open_snapshot(shared_demo / "demo" / "demo.duckdb")
    moved_to = {r[0] for r in con.execute("SELECT new_date FROM deadline_changes").fetchall()}
    assert datetime(2025, 8, 1).date() in moved_to
    assert con.execute("SELECT count(*) FROM alerts WHERE state = 'delivered'").fetchone()[0] > 0
    # the three outlets' copies of the 2+2 wire story are one story; an unrelated item is its own
    stories = dict(con.execute("SELECT url, story_id FROM items").fetchall())
    copies = {stories[u] for u in stories if u.endswith("0425-2plus2")}
    assert len(copies) == 1
    assert stories["https://demo.tradewatch.invalid/reuters/0710-oil"] not in copies


def test_readers_and_runs_never_block_each_other(config, server, capsys):
    """A reader in another process keeps the snapshot open and queries in a loop while runs write and publish."""
    server.now = APRIL_25
    assert run_cli("run", "--config", str(config), "--as-of", APRIL_25.isoformat(), capsys=capsys)[0] == 0
    reader = subprocess.Popen(
        [sys.executable, "-c", (
            "import sys, time\nfrom warehouse import snapshot\n"
            f"con = snapshot.open_snapshot({str(config.parent / 'tw.duckdb')!r})\n"
            "print('open', flush=True)\nerrors = n = 0\nend = time.monotonic() + 8\n"
            "while time.monotonic() < end:\n"
            "    try:\n        con.execute('SELECT count(*) FROM items, sources').fetchall(); n += 1\n"
            "    except Exception as exc:\n        errors += 1; print(exc, file=sys.stderr)\n"
            "print(n, errors, flush=True)\n")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "open"
        later = APRIL_25 + timedelta(days=80)
        server.now = later
        assert run_cli("run", "--config", str(config), "--as-of", later.isoformat(), capsys=capsys)[0] == 0
        code, out, _ = run_cli("sql", "--config", str(config), "SELECT count(*) AS n FROM items", "--format",
                               "json", capsys=capsys)
        assert code == 0 and json.loads(out)[0]["n"] == len(TIMELINE)  # new readers see the new snapshot
        queries, errors = map(int, reader.communicate(timeout=60)[0].split())
    finally:
        reader.kill()
    assert errors == 0 and queries > 0


def test_items_stored_by_a_run_that_stopped_before_resolving_are_read_by_the_next(config, server, capsys,
                                                                                   monkeypatch):
    """Stopped after the store commit, before the story step: the next run (all feeds unchanged) gives the
    items their stories, as an uninterrupted run would have, and extracts and resolves them."""
    server.now = APRIL_25
    code, _, _ = run_cli("run", "--config", str(config), "--as-of", APRIL_25.isoformat(), capsys=capsys)
    reference = stories_of(config.parent / "tw.duckdb")  # the same cycle, not interrupted
    (config.parent / "tw.duckdb").unlink()
    (config.parent / "tw.snapshot.duckdb").unlink()
    run_crashing_at("after_store", config, capsys, monkeypatch)
    with connection.writer(config.parent / "tw.duckdb") as con:
        stored, unread = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE extracted_at IS NULL) FROM core.items").fetchone()
        assert stored > 0 and unread == stored and con.execute("SELECT count(*) FROM core.meetings").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM core.item_signatures").fetchone()[0] == 0  # no story step yet
    later = (APRIL_25 + timedelta(minutes=10)).isoformat()  # the feeds answer 304 now: nothing new to store
    code, out, _ = run_cli("run", "--config", str(config), "--as-of", later, capsys=capsys)
    assert code == 0 and "0 new" in out
    assert stories_of(config.parent / "tw.duckdb") == reference and len(set(reference.values())) < len(reference)
    snapshot.publish_snapshot(config.parent / "tw.duckdb")
    assert count(config, "SELECT count(*) FROM items WHERE relevant IS NULL") == 0
    assert count(config, "SELECT count(*) FROM meetings") > 0


def stories_of(warehouse) -> dict[str, str]:
    """Each stored item's story (as the items view shows it), every item indexed (its signature, 32 bands)."""
    with connection.writer(warehouse) as con:
        assert con.execute("SELECT count(*) FROM core.items i ANTI JOIN core.item_signatures USING (item_id)"
                           ).fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM core.story_bands").fetchone()[0] == 32 * con.execute(
            "SELECT count(*) FROM core.items").fetchone()[0]
        return dict(con.execute("SELECT url, story_id FROM items").fetchall())
