"""deliver_pending against a fake Slack over real HTTP on 127.0.0.1; assertions on messages and outbox rows."""

from __future__ import annotations

import io
import json
import re
import time
from datetime import UTC, date, datetime, timedelta

import pytest

from records.config import Route, SlackConfig
from tasks.alerts.delivery import CrashInjected, deliver_pending
from tests.support.fake_slack import TOKEN, FakeSlack
from warehouse.connection import connect, writer

NOW = datetime(2025, 4, 24, 12, 0, tzinfo=UTC)
SLACK = SlackConfig(channel="#trade-watch", pace_s=0)


@pytest.fixture
def fake():
    f = FakeSlack().start()
    f.add_channel("#trade-watch")
    f.add_channel("#korea")
    yield f
    f.stop()


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "tw.duckdb"
    con = connect(path)
    con.executemany(
        "INSERT INTO core.sources (source_id, kind, url) VALUES (?, ?, ?)",
        [
            ("ustr-press", "ustr", "https://ustr.gov/press"),
            ("yonhap", "feed", "https://en.yna.co.kr/RSS/news.xml"),
            ("reuters", "feed", "https://example.org/reuters.xml"),
        ],
    )
    con.close()
    return path


# ---------------------------------------------------------------- rows


def add_item(path, item_id, source_id="yonhap", title="Korea and US to hold 2+2 talks", url=None, extra=()):
    with writer(path) as con:
        con.execute(
            "INSERT INTO core.items (item_id, source_id, url, title, summary, body, published_at, content_hash,"
            " first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, '', '', ?, 'h', ?, ?)",
            [item_id, source_id, url or f"https://example.org/{item_id}", title, NOW, NOW, NOW],
        )
        for sql, params in extra:
            con.execute(sql, params)


def add_meeting(
    path,
    meeting_id="m1",
    parties=("KR", "US"),
    status="scheduled",
    day=date(2025, 4, 24),
    location="Washington",
    item_id="i1",
    source_id="yonhap",
    title=None,
    url=None,
):
    add_item(
        path,
        item_id,
        source_id,
        title or f"Talks {meeting_id}",
        url,
        extra=[
            (
                "INSERT INTO core.meetings (meeting_id, parties, meeting_date, date_precision, location, format, status,"
                " officials, first_seen_at, updated_at) VALUES (?, ?, ?, 'day', ?, '2+2', ?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                [
                    meeting_id,
                    list(parties),
                    day,
                    location,
                    status,
                    ["Choi Sang-mok", "Scott Bessent"],
                    NOW,
                    NOW,
                ],
            ),
            ("INSERT INTO core.mentions (item_id, event_kind, event_id, evidence) VALUES (?, 'meeting', ?, 'evidence')", [item_id, meeting_id]),
        ],
    )


def meeting_payload(
    kind, meeting_id, item_id, *, parties=("KR", "US"), status="scheduled", location="Washington", change=None
):
    return {
        "kind": kind,
        "event_kind": "meeting",
        "event_id": meeting_id,
        "item_id": item_id,
        "event": {
            "parties": list(parties),
            "meeting_date": "2025-04-24",
            "date_precision": "day",
            "location": location,
            "format": "2+2",
            "status": status,
            "officials": ["Choi Sang-mok", "Scott Bessent"],
        },
        "change": change or {},
        "reports": 1,
    }


def add_alert(path, alert_id, payload, *, created_at=NOW, state="pending"):
    with writer(path) as con:
        con.execute(
            "INSERT INTO core.alert_outbox (alert_id, kind, event_kind, event_id, created_at, state, text, payload)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                alert_id,
                payload["kind"],
                payload["event_kind"],
                payload["event_id"],
                created_at,
                state,
                f"{payload['kind']} {payload['event_id']}",
                json.dumps(payload),
            ],
        )


def new_meeting(path, meeting_id="m1", item_id="i1", alert_id=None, **kw):
    add_meeting(
        path,
        meeting_id,
        item_id=item_id,
        **{
            k: v for k, v in kw.items() if k in ("parties", "status", "location", "source_id", "title", "url")
        },
    )
    add_alert(
        path,
        alert_id or f"a-new-{meeting_id}",
        meeting_payload(
            "new_meeting",
            meeting_id,
            item_id,
            **{k: v for k, v in kw.items() if k in ("parties", "status", "location")},
        ),
    )


def outbox(path):
    with writer(path) as con:
        cur = con.execute(
            "SELECT alert_id, state, attempts, channel, slack_ts, last_error, text "
            "FROM core.alert_outbox ORDER BY created_at, alert_id"
        )
        names = [d[0] for d in cur.description]
        return {r[0]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def threads(path):
    with writer(path) as con:
        return con.execute(
            "SELECT event_id, channel, ts FROM core.event_threads ORDER BY event_id"
        ).fetchall()


def deliver(path, fake, slack=SLACK, **kw):
    kw.setdefault("sleep", lambda s: None)
    return deliver_pending(path, slack=slack, now=NOW, token=TOKEN, base_url=fake.base_url, **kw)


def alert_ids(messages):
    return [(m.get("metadata") or {}).get("event_payload", {}).get("alert_id") for m in messages]


# ---------------------------------------------------------------- one message per event


def test_new_meeting_posts_one_parent_with_alert_metadata_and_records_its_thread(db, fake):
    new_meeting(db)
    report = deliver(db, fake)

    msgs = fake.history("#trade-watch")
    assert len(msgs) == 1 and "thread_ts" not in msgs[0]
    assert msgs[0]["metadata"] == {
        "event_type": "tradewatch_alert",
        "event_payload": {"alert_id": "a-new-m1"},
    }
    assert "🇰🇷 KR" in msgs[0]["blocks"][0]["text"]["text"]
    row = outbox(db)["a-new-m1"]
    assert (row["state"], row["channel"], row["slack_ts"], row["attempts"]) == (
        "delivered",
        "#trade-watch",
        msgs[0]["ts"],
        1,
    )
    assert threads(db) == [("m1", "#trade-watch", msgs[0]["ts"])]
    assert (report.delivered, report.failed, report.pending_left, report.errors, report.console) == (
        1,
        0,
        0,
        {},
        False,
    )


def test_running_twice_posts_nothing_twice(db, fake):
    new_meeting(db)
    deliver(db, fake)
    report = deliver(db, fake)
    assert len(fake.history("#trade-watch")) == 1
    assert report.delivered == 0 and len(fake.calls("chat.postMessage")) == 1


def test_update_replies_in_the_thread_and_edits_the_parent_to_the_current_state(db, fake):
    new_meeting(db)
    deliver(db, fake)
    with writer(db) as con:
        con.execute(
            "UPDATE core.meetings SET status = 'held', updated_at = ? WHERE meeting_id = 'm1'",
            [NOW + timedelta(hours=2)],
        )
    add_item(db, "i2", "ustr-press", "USTR statement on the 2+2", "https://ustr.gov/news/2")
    with writer(db) as con:
        con.execute("INSERT INTO core.mentions (item_id, event_kind, event_id, evidence) VALUES ('i2', 'meeting', 'm1', 'e')")
    add_alert(
        db,
        "a-upd-m1",
        meeting_payload(
            "meeting_update",
            "m1",
            "i2",
            status="held",
            change={"status": {"old": "scheduled", "new": "held"}},
        ),
        created_at=NOW + timedelta(hours=2),
    )
    deliver(db, fake)

    parent, reply = fake.history("#trade-watch")
    assert reply["thread_ts"] == parent["ts"]
    assert alert_ids([parent, reply]) == ["a-new-m1", "a-upd-m1"]
    assert "scheduled → held" in reply["text"]
    assert "ustr.gov/news/2" in json.dumps(reply["blocks"])
    # the parent now shows the current state, with the new official evidence first
    assert "edited" in parent
    state = json.dumps(parent["blocks"], ensure_ascii=False)
    assert "*Status:* held" in state and "2 reports" in state
    assert state.index("ustr.gov/news/2") < state.index("example.org/i1")
    assert len(fake.calls("chat.update")) == 1
    assert outbox(db)["a-upd-m1"]["slack_ts"] == reply["ts"]


def test_repeated_new_alert_for_an_event_with_a_thread_replies_instead_of_a_second_parent(db, fake):
    new_meeting(db)
    deliver(db, fake)
    add_alert(db, "a-new-m1-again", meeting_payload("new_meeting", "m1", "i1"), created_at=NOW + timedelta(1))
    deliver(db, fake)
    parent, reply = fake.history("#trade-watch")
    assert reply["thread_ts"] == parent["ts"]


# ---------------------------------------------------------------- exactly once


def test_accept_then_dropped_connection_ends_with_exactly_one_copy(db, fake):
    new_meeting(db)
    fake.drop_next(method="chat.postMessage")
    deliver(db, fake)
    deliver(db, fake)

    msgs = fake.history("#trade-watch")
    assert alert_ids(msgs) == ["a-new-m1"]
    row = outbox(db)["a-new-m1"]
    assert row["state"] == "delivered" and row["slack_ts"] == msgs[0]["ts"]
    history = fake.calls("conversations.history")
    assert history and history[0].params["include_all_metadata"] in ("1", True)
    assert threads(db) == [("m1", "#trade-watch", msgs[0]["ts"])]


def test_ambiguous_failure_leaves_row_inflight_and_the_next_run_reconciles(db, fake):
    new_meeting(db)
    fake.drop_next(method="chat.postMessage")
    fake.fail_next(500, count=10, method="conversations.history")  # reconcile impossible in this run
    report = deliver(db, fake)
    row = outbox(db)["a-new-m1"]
    assert row["state"] == "inflight" and "ambiguous" in row["last_error"]
    assert report.pending_left == 1 and "ambiguous" in report.errors["#trade-watch"]

    fake._failures.clear()
    deliver(db, fake)
    assert alert_ids(fake.history("#trade-watch")) == ["a-new-m1"]
    assert outbox(db)["a-new-m1"]["state"] == "delivered"
    assert len(fake.calls("chat.postMessage")) == 1


def test_crash_after_post_then_rerun_delivers_exactly_once(db, fake, monkeypatch):
    new_meeting(db)
    monkeypatch.setenv("TRADEWATCH_CRASH_AT", "after_post")
    with pytest.raises(CrashInjected):
        deliver(db, fake)
    assert outbox(db)["a-new-m1"]["state"] == "inflight"
    assert threads(db) == []

    monkeypatch.delenv("TRADEWATCH_CRASH_AT")
    deliver(db, fake)
    msgs = fake.history("#trade-watch")
    assert alert_ids(msgs) == ["a-new-m1"]
    assert len(fake.calls("chat.postMessage")) == 1
    assert outbox(db)["a-new-m1"]["slack_ts"] == msgs[0]["ts"]
    assert threads(db) == [("m1", "#trade-watch", msgs[0]["ts"])]  # the thread is recovered too


def test_crash_after_a_thread_reply_is_reconciled_in_the_thread(db, fake, monkeypatch):
    new_meeting(db)
    deliver(db, fake)
    add_alert(
        db,
        "a-upd-m1",
        meeting_payload(
            "meeting_update",
            "m1",
            "i1",
            status="held",
            change={"status": {"old": "scheduled", "new": "held"}},
        ),
    )
    monkeypatch.setenv("TRADEWATCH_CRASH_AT", "after_post")
    with pytest.raises(CrashInjected):
        deliver(db, fake)
    monkeypatch.delenv("TRADEWATCH_CRASH_AT")
    deliver(db, fake)
    assert alert_ids(fake.history("#trade-watch")) == ["a-new-m1", "a-upd-m1"]
    assert fake.calls("conversations.replies")
    assert outbox(db)["a-upd-m1"]["state"] == "delivered"


# ---------------------------------------------------------------- rate limits and errors


def test_rate_limit_honours_retry_after(db, fake):
    new_meeting(db)
    fake.fail_next(429, retry_after=1, method="chat.postMessage")
    waits: list[float] = []
    report = deliver(db, fake, sleep=waits.append)
    assert len(fake.calls("chat.postMessage")) == 2  # refused, then posted again after the wait it asked for
    assert len(waits) == 1 and 0.9 < waits[0] <= 1.0
    assert report.delivered == 1 and len(fake.history("#trade-watch")) == 1


def test_server_error_is_retried(db, fake):
    new_meeting(db)
    fake.fail_next(500, method="chat.postMessage")
    report = deliver(db, fake)
    assert report.delivered == 1 and report.errors == {}
    assert len(fake.calls("chat.postMessage")) == 2
    assert alert_ids(fake.history("#trade-watch")) == ["a-new-m1"]


def test_invalid_auth_stops_delivery_keeps_rows_pending_and_reports_it(db, fake):
    new_meeting(db, "m1", "i1")
    new_meeting(db, "m2", "i2", parties=("EU", "US"))
    fake.auth_error = "invalid_auth"
    report = deliver(db, fake)

    assert report.errors == {"*": "invalid_auth"}
    assert (report.delivered, report.failed, report.pending_left) == (0, 1, 2)
    rows = outbox(db)
    assert rows["a-new-m1"]["state"] == "pending" and rows["a-new-m1"]["attempts"] == 1
    assert rows["a-new-m1"]["last_error"] == "invalid_auth"
    assert rows["a-new-m2"]["attempts"] == 0  # not even tried
    assert len(fake.calls("chat.postMessage")) == 1

    fake.auth_error = None
    assert deliver(db, fake).delivered == 2


def test_channel_not_found_on_a_routed_channel_stops_only_that_channel(db, fake):
    slack = SlackConfig(
        channel="#trade-watch", pace_s=0, routes=(Route(channel="#nowhere", countries=("KR",)),)
    )
    new_meeting(db, "m1", "i1")
    new_meeting(db, "m2", "i2", parties=("EU", "US"))
    new_meeting(db, "m3", "i3", parties=("JP", "KR"))
    report = deliver(db, fake, slack)

    assert report.errors == {"#nowhere": "channel_not_found"}
    rows = outbox(db)
    assert rows["a-new-m2"]["state"] == "delivered"
    assert rows["a-new-m1"]["state"] == "pending" and rows["a-new-m1"]["last_error"] == "channel_not_found"
    assert rows["a-new-m3"]["state"] == "pending" and rows["a-new-m3"]["attempts"] == 0
    assert alert_ids(fake.history("#trade-watch")) == ["a-new-m2"]
    assert [c.params["channel"] for c in fake.calls("chat.postMessage")] == ["#nowhere", "#trade-watch"]


# ---------------------------------------------------------------- hostile text and limits


HOSTILE = "<!channel> <!everyone> <!here> <@U123> <https://evil.example|click> & @channel"


def test_hostile_titles_reach_slack_as_inert_text(db, fake):
    new_meeting(db, "m1", "i1", title=HOSTILE, url="javascript:alert(1)", location="<!here> Geneva")
    add_item(db, "i2", "reuters", HOSTILE + " 2", "https://example.org/a?x=1&y=<2>|z")
    with writer(db) as con:
        con.execute("INSERT INTO core.mentions (item_id, event_kind, event_id, evidence) VALUES ('i2', 'meeting', 'm1', 'e')")
    deliver(db, fake)

    (post,) = fake.calls("chat.postMessage")
    body = json.loads(post.raw)
    received = json.dumps(body, ensure_ascii=False)
    links = re.findall(r"<[^>]*>", received)
    assert links == [
        "<https://example.org/a?x=1&amp;y=%3C2%3E%7Cz|&lt;!channel&gt; &lt;!everyone&gt; &lt;!here&gt; "
        "&lt;@U123&gt; &lt;https://evil.example|click&gt; &amp; @\u2060channel 2>"
    ]
    for token in ("<!", "<@", "<https://evil", "<javascript", "|javascript"):
        assert token not in received
    assert "javascript:alert(1)" not in received  # a non-http link is shown as its title only
    assert "*Where:* &lt;!here&gt; Geneva" in body["text"]
    assert all("<" not in b["text"]["text"] for b in body["blocks"] if b["type"] == "header")
    assert all(b["text"].get("verbatim") for b in body["blocks"] if b["type"] == "section")


def test_block_kit_limits_hold_for_a_10kb_title(db, fake):
    huge = ("Tariffs & <trade> " * 600)[:10_000]
    new_meeting(db, "m1", "i1", title=huge, location=huge, parties=("KR", "US"))
    add_alert(
        db,
        "a-dl",
        {
            "kind": "new_deadline",
            "event_kind": "deadline",
            "event_id": "d1",
            "item_id": "i1",
            "event": {"subject": huge, "countries": ["US"], "due_date": "2025-08-01", "due_at": None},
            "reports": 1,
        },
    )
    report = deliver(db, fake)
    assert report.delivered == 2
    for call in fake.calls("chat.postMessage"):
        body = json.loads(call.raw)
        assert len(body["text"]) <= 4000 and len(body["blocks"]) <= 50
        for block in body["blocks"]:
            if block["type"] == "header":  # plain_text: no escapes, no angle brackets
                assert len(block["text"]["text"]) <= 150 and "<" not in block["text"]["text"]
                continue
            text = block["text"]["text"] if "text" in block else block["elements"][0]["text"]
            assert len(text) <= 3000
            assert not re.search(r"&(?!amp;|lt;|gt;)", text)  # never cut inside an escape
        assert "…" in json.dumps(body, ensure_ascii=False)


# ---------------------------------------------------------------- console, routing, tokens, pacing, flood


def test_console_notifier_without_a_token_prints_and_marks_delivered(db, monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    new_meeting(db, title="Seoul and Washington agree to talks \x1b[31mred")
    out = io.StringIO()
    report = deliver_pending(db, slack=SLACK, now=NOW, out=out)
    printed = out.getvalue()
    assert "New meeting: 🇰🇷 KR – 🇺🇸 US" in printed and "Washington" in printed
    assert "Seoul and Washington agree to talks [31mred" in printed and "\x1b" not in printed
    row = outbox(db)["a-new-m1"]
    assert (row["state"], row["channel"]) == ("delivered", "console")
    assert report.console and report.delivered == 1 and report.pending_left == 0


def test_token_and_api_url_come_from_the_environment(db, fake, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_API_URL", fake.base_url)
    new_meeting(db)
    report = deliver_pending(db, slack=SLACK, now=NOW, sleep=lambda s: None)
    assert not report.console and report.delivered == 1
    assert len(fake.history("#trade-watch")) == 1


def test_routing_by_country_and_by_source(db, fake):
    fake.add_channel("#desk")
    slack = SlackConfig(
        channel="#trade-watch",
        pace_s=0,
        routes=(Route(channel="#korea", countries=("KR",)), Route(channel="#desk", sources=("ustr-press",))),
    )
    new_meeting(db, "m1", "i1", parties=("KR", "US"), source_id="ustr-press")  # both match: first route wins
    new_meeting(db, "m2", "i2", parties=("EU", "US"), source_id="ustr-press")
    new_meeting(db, "m3", "i3", parties=("EU", "US"))
    deliver(db, fake, slack)
    assert alert_ids(fake.history("#korea")) == ["a-new-m1"]
    assert alert_ids(fake.history("#desk")) == ["a-new-m2"]
    assert alert_ids(fake.history("#trade-watch")) == ["a-new-m3"]
    assert {r["channel"] for r in outbox(db).values()} == {"#korea", "#desk", "#trade-watch"}


def test_posts_to_one_channel_are_paced(db, fake):
    for i in range(3):
        new_meeting(db, f"m{i}", f"i{i}")
    waits: list[float] = []
    deliver(db, fake, SlackConfig(channel="#trade-watch", pace_s=0.5), sleep=waits.append)
    assert len(waits) == 2 and all(0 < w <= 0.5 for w in waits)


def test_pacing_counts_from_the_last_accepted_post_and_a_429_holds_the_channel(db):
    """Slack enforcing its rate (fake: one post per channel per 0.3 s) and one 429 to begin with (someone
    else posted): that one is the only 429. Paced from the start of the previous attempt, every post after
    the retried one went out at once and met a 429 of its own (issue 17: 56 of 57)."""
    fake = FakeSlack(post_interval_s=0.3).start()
    try:
        fake.add_channel("#trade-watch")
        for i in range(5):
            new_meeting(db, f"m{i}", f"i{i}")
        fake.fail_next(429, retry_after=1, method="chat.postMessage")
        report = deliver(db, fake, SlackConfig(channel="#trade-watch", pace_s=0.3), sleep=time.sleep)
        assert report.delivered == 5 and len(fake.history("#trade-watch")) == 5
        assert len(fake.rate_limited) == 1 and len(fake.calls("chat.postMessage")) == 6
    finally:
        fake.stop()


def test_a_thread_starts_with_its_new_event_whatever_the_alert_ids_of_one_cycle(db, fake):
    """One cycle's alerts share created_at: they are sent in the order the outbox received them (the order of
    the changes), not by alert id: here the update's id sorts first, and it must still be the reply."""
    new_meeting(db, "m1", "i1", alert_id="z-new-m1")
    add_alert(db, "a-upd-m1", meeting_payload("meeting_update", "m1", "i1", status="held",
                                              change={"status": {"old": "scheduled", "new": "held"}}))
    add_alert(db, "0-upd-m1", meeting_payload("meeting_update", "m1", "i1", status="postponed",
                                              change={"status": {"old": "held", "new": "postponed"}}))
    deliver(db, fake)
    parent, *replies = fake.history("#trade-watch")
    assert alert_ids([parent, *replies]) == ["z-new-m1", "a-upd-m1", "0-upd-m1"]
    assert "thread_ts" not in parent and all(r["thread_ts"] == parent["ts"] for r in replies)


def test_more_new_events_than_the_bound_become_one_digest_message(db, fake):
    for i in range(5):
        new_meeting(db, f"m{i}", f"i{i}")
    report = deliver(db, fake, max_new_per_channel=3)
    (msg,) = fake.history("#trade-watch")
    assert "5 new events" in msg["text"]
    rows = outbox(db).values()
    assert {r["state"] for r in rows} == {"delivered"} and {r["slack_ts"] for r in rows} == {msg["ts"]}
    assert all(r["text"].startswith("[digest digest-") for r in rows)
    assert report.delivered == 5
    assert deliver(db, fake, max_new_per_channel=3).delivered == 0


def test_a_crash_during_a_digest_is_reconciled(db, fake, monkeypatch):
    for i in range(4):
        new_meeting(db, f"m{i}", f"i{i}")
    monkeypatch.setenv("TRADEWATCH_CRASH_AT", "after_post")
    with pytest.raises(CrashInjected):
        deliver(db, fake, max_new_per_channel=3)
    monkeypatch.delenv("TRADEWATCH_CRASH_AT")
    start = time.monotonic()
    report = deliver(db, fake, max_new_per_channel=3)
    assert time.monotonic() - start < 5
    assert len(fake.history("#trade-watch")) == 1 and report.delivered == 4


def test_a_reply_to_a_deleted_parent_starts_a_new_thread(db, fake):
    new_meeting(db)
    deliver(db, fake)
    fake.messages[fake.channels["trade-watch"]].clear()  # someone deleted the parent in Slack
    add_alert(
        db,
        "a-upd-m1",
        meeting_payload(
            "meeting_update",
            "m1",
            "i1",
            status="held",
            change={"status": {"old": "scheduled", "new": "held"}},
        ),
    )
    deliver(db, fake)
    assert outbox(db)["a-upd-m1"]["state"] == "pending" and threads(db) == []
    deliver(db, fake)
    (msg,) = fake.history("#trade-watch")
    assert alert_ids([msg]) == ["a-upd-m1"] and "thread_ts" not in msg
    assert threads(db) == [("m1", "#trade-watch", msg["ts"])]


@pytest.mark.slow
def test_token_from_a_prefect_secret_block(prefect_harness, db, fake, monkeypatch):
    from prefect.blocks.system import Secret

    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    Secret(value=TOKEN).save("tradewatch-slack-test", overwrite=True)
    new_meeting(db)
    slack = SlackConfig(channel="#trade-watch", pace_s=0, token_secret_block="tradewatch-slack-test")
    report = deliver_pending(db, slack=slack, now=NOW, base_url=fake.base_url, sleep=lambda s: None)
    assert not report.console and report.delivered == 1
