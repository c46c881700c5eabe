"""The digest is posted once per day and channel, fails in one line, and shows the warehouse as of its instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from flows.cli import main
from records.config import SlackConfig
from tasks.alerts.digest import build_digest
from tasks.alerts.digest_delivery import deliver_digest
from tests.support.fake_slack import TOKEN, FakeSlack
from warehouse import connection
from warehouse.snapshot import publish_snapshot

NOW = datetime(2025, 7, 2, 9, 0, tzinfo=UTC)  # a Wednesday
SLACK = SlackConfig(channel="#trade-watch")


@pytest.fixture
def fake():
    fake = FakeSlack().start()
    fake.add_channel("#trade-watch")
    yield fake
    fake.stop()


@pytest.fixture
def warehouse(tmp_path) -> Path:
    path = tmp_path / "tw.duckdb"
    with connection.writer(path) as con:
        add_deadline(con, "d1", "reciprocal tariff rates take effect", date(2025, 7, 9), NOW - timedelta(days=3))
    return path


def add_deadline(con, did, label, due, first_seen, updated=None):
    con.execute("INSERT INTO core.deadlines (deadline_id, subject, subject_label, countries, due_date,"
                " first_seen_at, updated_at) VALUES (?, ?, ?, ['US'], ?, ?, ?)",
                [did, did, label, due, first_seen, updated or first_seen])
    con.execute("INSERT INTO core.deadline_values (deadline_id, action, due_date, item_id, seen_at)"
                " VALUES (?, 'new', ?, 'i0', ?)", [did, due, first_seen])


def add_meeting(con, mid, parties, day, status, first_seen, updated=None):
    con.execute("INSERT INTO core.meetings (meeting_id, parties, meeting_date, date_precision, format, status,"
                " officials, first_seen_at, updated_at) VALUES (?, ?, ?, 'day', 'ministerial', ?, [], ?, ?)",
                [mid, parties, day, status, first_seen, updated or first_seen])


def post(warehouse, fake, as_of=NOW, token=TOKEN):
    with connection.writer(warehouse) as con:
        blocks, text = build_digest(con, as_of)
    return deliver_digest(warehouse, blocks, text, slack=SLACK, as_of=as_of, token=token, base_url=fake.base_url)


def test_a_second_call_the_same_day_posts_nothing(warehouse, fake):
    first = post(warehouse, fake)
    again = post(warehouse, fake, NOW + timedelta(hours=3))
    assert first.state == "posted" and again.state == "already_posted" and again.ts == first.ts
    assert len(fake.history("#trade-watch")) == 1
    assert "already posted to #trade-watch" in again.line()
    assert post(warehouse, fake, NOW + timedelta(days=1)).state == "posted"  # the next day's
    assert len(fake.history("#trade-watch")) == 2


def test_a_post_whose_answer_is_lost_is_found_in_the_channel_not_posted_again(warehouse, fake):
    fake.drop_next(method="chat.postMessage")  # Slack posts it; the answer never arrives
    first = post(warehouse, fake)
    assert first.state == "failed" and "Slack may have posted it" in first.error
    second = post(warehouse, fake)
    (msg,) = fake.history("#trade-watch")
    assert second.state == "posted" and second.ts == msg["ts"]
    assert len(fake.calls("chat.postMessage")) == 1
    assert post(warehouse, fake).state == "already_posted"


def test_a_bad_token_is_one_line_and_the_digest_goes_out_once_fixed(warehouse, fake):
    fake.auth_error = "invalid_auth"
    failed = post(warehouse, fake)
    assert failed.state == "failed"
    assert failed.line() == ("digest for 2025-07-02 not posted to #trade-watch: invalid_auth (the token is wrong: "
                             "check SLACK_BOT_TOKEN (or slack.token_secret_block))")
    fake.auth_error = None
    assert post(warehouse, fake).state == "posted"
    assert len(fake.history("#trade-watch")) == 1


def test_as_of_shows_the_warehouse_as_it_stood_then(tmp_path):
    path = tmp_path / "tw.duckdb"
    before, moved = NOW - timedelta(days=2), NOW + timedelta(days=2)
    with connection.writer(path) as con:
        # the then-current deadline moved later (9 Jul → 1 Aug): as of NOW it was due on 9 Jul
        add_deadline(con, "d1", "reciprocal tariff rates take effect", date(2025, 8, 1), before, moved)
        con.execute("UPDATE core.deadline_values SET due_date = DATE '2025-07-09' WHERE deadline_id = 'd1'")
        con.execute("INSERT INTO core.deadline_values (deadline_id, action, old_date, due_date, item_id, seen_at)"
                    " VALUES ('d1', 'change', DATE '2025-07-09', DATE '2025-08-01', 'i9', ?)", [moved])
        # a meeting reported only later is not known yet; one held later was still scheduled
        add_meeting(con, "m-later", ["JP", "US"], date(2025, 7, 3), "scheduled", NOW + timedelta(hours=5))
        add_meeting(con, "m-held", ["KR", "US"], date(2025, 7, 4), "held", before, moved)
        con.execute("INSERT INTO core.meeting_changes (meeting_id, changed_at, field, old_value, new_value,"
                    " item_id) VALUES ('m-held', ?, 'status', 'scheduled', 'held', 'i8')",
                    [moved])
        blocks, text = build_digest(con, NOW)
    body = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert "*Wed 9 Jul 2025* (in 7 days) — reciprocal tariff rates take effect" in body
    assert "🇰🇷 KR – 🇺🇸 US (ministerial, scheduled)" in body
    assert "JP" not in body and "held" not in body


@pytest.mark.usefixtures("prefect_harness")
def test_the_digest_command_says_what_it_did_and_fails_in_one_line(warehouse, fake, monkeypatch, capsys):
    publish_snapshot(warehouse)
    config = warehouse.parent / "tradewatch.toml"
    config.write_text('[warehouse]\npath = "tw.duckdb"\n[slack]\nchannel = "#trade-watch"\n')
    monkeypatch.setenv("SLACK_API_URL", fake.base_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-wrong")
    assert main(["digest", "--config", str(config), "--as-of", NOW.isoformat()]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "not posted to #trade-watch: not_authed" in err
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    assert main(["digest", "--config", str(config), "--as-of", NOW.isoformat()]) == 0
    assert capsys.readouterr().out.startswith("digest for 2025-07-02 posted to #trade-watch (ts ")
    assert main(["digest", "--config", str(config), "--as-of", NOW.isoformat()]) == 0
    assert "already posted" in capsys.readouterr().out
    assert len(fake.history("#trade-watch")) == 1
