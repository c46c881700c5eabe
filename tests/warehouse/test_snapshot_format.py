"""The published snapshot opens in the tools the README names (the duckdb CLI 1.5.x, an older duckdb), holds
every view's rows, and other users can read it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from warehouse import connection, snapshot
from warehouse.snapshot_copy import STORAGE_VERSION

NOW = datetime(2025, 7, 8, tzinfo=UTC)
DUCKDB_CLI = Path(sys.executable).with_name("duckdb")  # duckdb-cli 1.5.x, a dev dependency
VIEWS = ("items", "meetings", "deadlines", "deadline_changes", "deadline_history", "mentions", "sources",
         "alerts", "ops_alerts")


@pytest.fixture
def warehouse(tmp_path) -> Path:
    path = tmp_path / "tw.duckdb"
    with connection.writer(path) as con:
        con.execute("INSERT INTO core.sources (source_id, kind, url) VALUES ('wire', 'feed', 'https://x.example/rss')")
        for n in range(3):
            con.execute(
                "INSERT INTO core.items (item_id, source_id, title, summary, body, content_hash, first_seen_at,"
                " last_seen_at, published_at) VALUES (?, 'wire', ?, 's', ?, ?, ?, ?, ?)",
                [f"i{n}", f"title {n}", b"\x28\xb5\x2f\xfd" * 4, f"h{n}", NOW, NOW, NOW])
        con.execute("INSERT INTO core.meetings (meeting_id, parties, meeting_date, date_precision, location, format,"
                    " status, officials, first_seen_at, updated_at, end_date, evidence_level, evidence, revision)"
                    " VALUES ('m1', ['KR', 'US'], DATE '2025-07-10', 'day', 'Seoul',"
                    " 'ministerial', 'scheduled', ['Ahn Duk-geun'], ?, ?, NULL, 'reported', NULL, 0)", [NOW, NOW])
        con.execute("INSERT INTO core.mentions (item_id, event_kind, event_id, evidence, detail)"
                    " VALUES ('i0', 'meeting', 'm1', 'met', NULL)")
        con.execute("INSERT INTO core.story_bands VALUES (0, 1, 'i0', 'i0', ?)", [NOW])
    return path


def test_the_snapshot_opens_in_the_duckdb_cli_users_have(warehouse):
    target = snapshot.publish_snapshot(warehouse)
    proc = subprocess.run([str(DUCKDB_CLI), "-readonly", "-csv", str(target), "-c",
                           "SELECT count(*) AS n, max(m.parties[1]) AS p FROM items, meetings m"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["n,p", "3,KR"]


def test_the_snapshot_is_written_in_duckdb_1_0s_storage_format(warehouse):
    for n in range(3):  # written whole, then each of the two files brought up to date in place
        with connection.writer(warehouse) as con:
            con.execute("UPDATE core.items SET title = title || ? ", [str(n)])
        target = snapshot.publish_snapshot(warehouse)
        con = duckdb.connect(str(target), read_only=True)
        try:
            (tags,) = con.execute("SELECT tags FROM duckdb_databases() WHERE path = ?",
                                  [str(target.resolve())]).fetchone()
        finally:
            con.close()
        assert tags["storage_version"] == STORAGE_VERSION + "+"


def test_every_view_has_the_live_warehouses_rows(warehouse):
    with connection.writer(warehouse) as con:
        live = {v: sorted(map(str, con.execute(f"SELECT * FROM {v}").fetchall())) for v in VIEWS}
    snapshot.publish_snapshot(warehouse)
    con = snapshot.open_snapshot(warehouse)
    try:
        published = {v: sorted(map(str, con.execute(f"SELECT * FROM {v}").fetchall())) for v in VIEWS}
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'core'")
                  .fetchall()}
        item_columns = {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE schema_name = "
                                                  "'core' AND table_name = 'items'").fetchall()}
    finally:
        con.close()
    assert published == live and live["items"] and live["meetings"]
    # what only the writer reads stays behind: the near-duplicate index and the compressed bodies
    assert "story_bands" not in tables and "item_signatures" not in tables and "meetings" in tables
    assert "body" not in item_columns and "body_z" not in item_columns and "title" in item_columns


def test_other_users_can_read_the_snapshot(warehouse):
    mask = os.umask(0o022)
    try:
        target = snapshot.publish_snapshot(warehouse)
    finally:
        os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o644
    assert not list(target.parent.glob("*.tmp")) and not list(target.parent.glob("*.wal"))


def test_a_second_publish_replaces_the_snapshot_with_the_new_state(warehouse):
    snapshot.publish_snapshot(warehouse)
    with connection.writer(warehouse) as con:
        con.execute("DELETE FROM core.mentions")
    con = snapshot.open_snapshot(warehouse)
    try:
        assert con.execute("SELECT reports FROM meetings").fetchall() == [(1,)]
    finally:
        con.close()
    snapshot.publish_snapshot(warehouse)
    con = snapshot.open_snapshot(warehouse)
    try:
        assert con.execute("SELECT reports FROM meetings").fetchall() == [(0,)]
    finally:
        con.close()
