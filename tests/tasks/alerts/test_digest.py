"""The daily digest: content from real warehouse rows; posting to the fake Slack; console without a token."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from records.config import SlackConfig
from tasks.alerts.digest import build_digest
from tasks.alerts.digest_delivery import deliver_digest
from tests.support.fake_slack import TOKEN, FakeSlack
from warehouse.connection import connect

NOW = datetime(2025, 7, 2, 9, 0, tzinfo=UTC)  # a Wednesday
TODAY = NOW.date()


def meeting(con, mid, parties, day, precision="day", status="scheduled", location=None, first_seen=None):
    first_seen = first_seen or NOW - timedelta(days=10)
    con.execute(
        "INSERT INTO core.meetings (meeting_id, parties, meeting_date, date_precision, location, format, status,"
        " officials, first_seen_at, updated_at) VALUES (?, ?, ?, ?, ?, 'ministerial', ?, [], ?, ?)",
        [mid, parties, day, precision, location, status, first_seen, first_seen],
    )


def deadline(con, did, label, day, first_seen=None, countries=("US",)):
    first_seen = first_seen or NOW - timedelta(days=10)
    con.execute(
        "INSERT INTO core.deadlines (deadline_id, subject, subject_label, countries, due_date, due_at,"
        " first_seen_at, updated_at) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)",
        [did, did, label, list(countries), day, first_seen, first_seen],
    )


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "tw.duckdb")
    yield con
    con.close()


def sections(blocks):
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


def test_deadlines_in_the_next_14_days_only(con):
    deadline(con, "d-past", "expired pause", TODAY - timedelta(days=1))
    deadline(con, "d-today", "today's deadline", TODAY)
    deadline(con, "d-soon", "reciprocal tariff rates take effect", date(2025, 7, 9), countries=("KR", "US"))
    deadline(con, "d-edge", "edge deadline", TODAY + timedelta(days=14))
    deadline(con, "d-far", "far deadline", TODAY + timedelta(days=15))
    blocks, text = build_digest(con, NOW)
    dl = sections(blocks)[0]
    assert "*Wed 9 Jul 2025* (in 7 days) — reciprocal tariff rates take effect — 🇰🇷 KR – 🇺🇸 US" in dl
    assert "today's deadline" in dl and "(today)" in dl and "edge deadline" in dl
    assert "expired" not in dl and "far deadline" not in dl
    assert dl.index("today's deadline") < dl.index("reciprocal") < dl.index("edge deadline")
    assert "3 deadline(s) in the next 14 days" in text


def test_meetings_this_week_and_next(con):
    meeting(con, "m-mon", ["KR", "US"], date(2025, 6, 30), location="Washington")  # Monday of this week
    meeting(con, "m-next", ["EU", "US"], date(2025, 7, 7), precision="week")
    meeting(con, "m-sun", ["JP", "US"], date(2025, 7, 13))  # last day of next week
    meeting(con, "m-later", ["CN", "US"], date(2025, 7, 14))
    meeting(con, "m-before", ["CA", "US"], date(2025, 6, 29))
    meeting(con, "m-month", ["IN", "US"], date(2025, 7, 1), precision="month")
    meeting(con, "m-off", ["MX", "US"], date(2025, 7, 3), status="cancelled")
    blocks, _ = build_digest(con, NOW)
    mt = sections(blocks)[1]
    assert "*Mon 30 Jun 2025* — 🇰🇷 KR – 🇺🇸 US, Washington (ministerial, scheduled)" in mt
    assert "*week of 7 Jul 2025* — 🇪🇺 EU" in mt and "🇯🇵 JP" in mt and "*July 2025* — 🇮🇳 IN" in mt
    assert "CN" not in mt and "CA" not in mt and "MX" not in mt


def test_changes_in_the_last_24_hours(con):
    meeting(con, "m-new", ["KR", "US"], date(2025, 7, 10), first_seen=NOW - timedelta(hours=3))
    meeting(con, "m-old", ["EU", "US"], date(2025, 7, 20))
    con.execute(
        "INSERT INTO core.meeting_changes (meeting_id, changed_at, field, old_value, new_value, item_id)"
        " VALUES ('m-old', ?, 'status', 'scheduled', 'postponed', 'i1')",
        [NOW - timedelta(hours=5)],
    )
    con.execute(
        "INSERT INTO core.meeting_changes (meeting_id, changed_at, field, old_value, new_value, item_id)"
        " VALUES ('m-old', ?, 'location', 'None', 'Brussels', 'i0')",
        [NOW - timedelta(hours=30)],
    )
    con.execute(
        "INSERT INTO core.meeting_changes (meeting_id, changed_at, field, old_value, new_value, item_id)"
        " VALUES ('m-old', ?, 'format', 'None', 'call', 'i0')",
        [NOW - timedelta(hours=6)],
    )
    deadline(con, "d1", "reciprocal tariff rates take effect", date(2025, 8, 1))
    con.execute(
        "INSERT INTO core.deadline_values (deadline_id, action, old_date, due_date, due_at, item_id, seen_at, text)"
        " VALUES ('d1', 'change', ?, ?, NULL, 'i2', ?, 'moved')",
        [date(2025, 7, 9), date(2025, 8, 1), NOW - timedelta(hours=1)],
    )
    deadline(con, "d2", "<!channel> retaliation list", date(2025, 9, 1), first_seen=NOW - timedelta(hours=2))
    blocks, text = build_digest(con, NOW)
    ch = sections(blocks)[2]
    assert "• 🤝 New meeting: 🇰🇷 KR – 🇺🇸 US — Thu 10 Jul 2025" in ch
    assert "• 🔄 🇪🇺 EU – 🇺🇸 US: Status scheduled → postponed" in ch
    assert "Brussels" not in ch  # older than 24 h
    assert "Format — → call" in ch
    assert (
        "• 📆 Deadline moved: reciprocal tariff rates take effect — ~Wed 9 Jul 2025~ → *Fri 1 Aug 2025*" in ch
    )
    assert "• ⏰ New deadline: &lt;!channel&gt; retaliation list — Mon 1 Sep 2025" in ch
    assert (
        ch.index("Format")
        < ch.index("Status")
        < ch.index("New meeting")
        < ch.index("New deadline")
        < ch.index("Deadline moved")
    )
    assert "5 change(s) in the last 24 h" in text


def test_an_empty_warehouse_says_so(con):
    blocks, _ = build_digest(con, NOW)
    assert [s.splitlines()[1] for s in sections(blocks)] == [
        "_no deadline in the next 14 days_",
        "_no meeting known for this week or next_",
        "_nothing changed_",
    ]


def test_digest_posts_to_the_digest_channel(con, tmp_path):
    deadline(con, "d1", "reciprocal tariff rates take effect", date(2025, 7, 9))
    blocks, text = build_digest(con, NOW)
    con.close()
    fake = FakeSlack().start()
    try:
        fake.add_channel("#digest")
        slack = SlackConfig(channel="#trade-watch", digest_channel="#digest")
        outcome = deliver_digest(tmp_path / "tw.duckdb", blocks, text, slack=slack, as_of=NOW, token=TOKEN,
                                 base_url=fake.base_url)
        (msg,) = fake.history("#digest")
        assert outcome.state == "posted" and msg["ts"] == outcome.ts
        assert "reciprocal tariff rates" in json.dumps(msg["blocks"])
    finally:
        fake.stop()


def test_digest_without_a_token_prints(con, monkeypatch, tmp_path):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    deadline(con, "d1", "tariffs & <duties>", date(2025, 7, 9))
    out = io.StringIO()
    outcome = deliver_digest(tmp_path / "tw.duckdb", *build_digest(con, NOW), slack=SlackConfig(channel="#x"),
                             as_of=NOW, out=out)
    assert outcome.state == "printed"
    assert "tariffs & <duties>" in out.getvalue()


@pytest.mark.slow
def test_digest_flow_reads_the_snapshot_and_prints_without_a_token(
    prefect_harness, tmp_path, monkeypatch, capsys
):
    from flows.digest import digest_flow

    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    con = connect(tmp_path / "tw.duckdb")
    deadline(con, "d1", "reciprocal tariff rates take effect", date(2025, 7, 9))
    con.close()
    config = tmp_path / "tradewatch.toml"
    config.write_text('[warehouse]\npath = "tw.duckdb"\n[slack]\nchannel = "#trade-watch"\n')
    from warehouse.snapshot import publish_snapshot

    publish_snapshot(tmp_path / "tw.duckdb")
    assert digest_flow(str(config), as_of=NOW.isoformat()) == "digest for 2025-07-02 printed (no SLACK_BOT_TOKEN: nothing posted)"
    assert "reciprocal tariff rates take effect" in capsys.readouterr().out
