"""Pure formatting: Block Kit + fallback text for each alert kind, hostile text, limits."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest

from tasks.alerts import format as fmt
from tasks.alerts.format import Evidence

MEETING = {
    "kind": "new_meeting",
    "event_kind": "meeting",
    "event_id": "m1",
    "item_id": "i1",
    "event": {
        "parties": ["KR", "US"],
        "meeting_date": "2025-04-24",
        "date_precision": "day",
        "location": "Washington",
        "format": "2+2",
        "status": "scheduled",
        "officials": ["Choi Sang-mok", "Scott Bessent"],
    },
    "change": {},
    "reports": 12,
}
DEADLINE_MOVED = {
    "kind": "deadline_change",
    "event_kind": "deadline",
    "event_id": "d1",
    "item_id": "i9",
    "event": {
        "subject": "reciprocal tariff rates take effect",
        "countries": ["US"],
        "due_date": "2025-08-01",
        "due_at": "2025-08-01T04:01:00+00:00",
    },
    "change": {"old_date": "2025-07-09", "new_date": "2025-08-01"},
    "reports": 3,
}
T0 = datetime(2025, 4, 20, tzinfo=UTC)


def ev(item_id, source_id, url, kind="feed", title=None, day=20):
    return Evidence(
        item_id=item_id,
        title=title or f"Report {item_id}",
        url=url,
        source_id=source_id,
        source_kind=kind,
        published_at=T0.replace(day=day),
    )


def all_text(msg: fmt.SlackMessage) -> str:
    return json.dumps(list(msg.blocks), ensure_ascii=False) + msg.text


def assert_within_limits(msg: fmt.SlackMessage) -> None:
    assert len(msg.text) <= 4000 and len(msg.blocks) <= 50
    for b in msg.blocks:
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= 150
        elif b["type"] == "section":
            assert len(b["text"]["text"]) <= 3000
            assert not re.search(r"&(?!amp;|lt;|gt;)", b["text"]["text"])


@pytest.mark.parametrize(
    ("value", "precision", "expected"),
    [
        ("2025-04-24", "day", "Thu 24 Apr 2025"),
        ("2025-04-28", "week", "week of 28 Apr 2025"),
        ("2025-07-01", "month", "July 2025"),
        (date(2025, 7, 9), None, "Wed 9 Jul 2025"),
        (None, "day", "date not announced"),
    ],
)
def test_dates_are_shown_with_their_precision(value, precision, expected):
    assert fmt.format_date(value, precision) == expected


def test_parties_get_flag_emoji_and_odd_codes_stay_text():
    assert fmt.parties_text(["KR", "US", "EU"]) == "🇰🇷 KR – 🇺🇸 US – 🇪🇺 EU"
    assert fmt.flag("<!here>") == "<!here>"  # not a code: cleaned text, escaped where it is rendered


def test_new_meeting_shows_what_who_when_where_format_status_officials_and_evidence():
    msg = fmt.alert_message(MEETING, [ev("i1", "yonhap", "https://en.yna.co.kr/1")], reports=12)
    header = msg.blocks[0]["text"]["text"]
    assert header == "🤝 New meeting: 🇰🇷 KR – 🇺🇸 US"
    body = all_text(msg)
    for part in (
        "*When:* Thu 24 Apr 2025",
        "*Where:* Washington",
        "*Format:* 2+2",
        "*Status:* scheduled",
        "*Officials:* Choi Sang-mok, Scott Bessent",
        "*Evidence* (12 reports)",
        "<https://en.yna.co.kr/1|Report i1> — yonhap",
        "• +11 more",
    ):
        assert part in body
    assert msg.text.startswith("🤝 New meeting: 🇰🇷 KR – 🇺🇸 US\n")


def test_primary_sources_come_first_then_outlets():
    evidence = [
        ev("a", "yonhap", "https://en.yna.co.kr/a", day=22),
        ev("b", "ustr-press", "https://ustr.gov/b", kind="ustr", day=1),
        ev("c", "google", "https://www.whitehouse.gov/briefings/c", day=2),
        ev("d", "herald", "https://koreaherald.com/d", day=23),
        ev("e", "fr", "https://www.federalregister.gov/e", kind="federal_register", day=3),
    ]
    lines = fmt.evidence_lines(evidence)
    order = [re.search(r"Report (\w)", line).group(1) for line in lines[1:]]
    assert order == ["e", "c", "b", "d", "a"]  # primaries newest first, then outlets newest first
    assert all(line.startswith("• 🏛️") for line in lines[1:4]) and "🏛️" not in lines[4]


def test_official_host_detection():
    assert fmt.is_primary("feed", "https://www.motie.go.kr/x")
    assert fmt.is_primary("feed", "https://policy.trade.ec.europa.eu/news")
    assert fmt.is_primary("feed", None, "https://www.gov.uk/feed")
    assert not fmt.is_primary("feed", "https://ustr.gov.evil.example/x")
    assert not fmt.is_primary("feed", "https://ustr-gov.example/x")
    assert fmt.is_primary("feed", "https://www.agency.gov/x")  # .gov is only for governments


def test_deadline_moved_shows_old_and_new_date():
    msg = fmt.alert_message(DEADLINE_MOVED, [])
    body = all_text(msg)
    assert msg.blocks[0]["text"]["text"] == "📆 Deadline moved: reciprocal tariff rates take effect"
    assert "*Due:* ~Wed 9 Jul 2025~ → *Fri 1 Aug 2025, 04:01 UTC*" in body
    assert body.count("*Due:*") == 2  # once in the blocks, once in the fallback text: not again as a fact
    assert "🇺🇸 US" in body


def test_meeting_update_lists_the_changes():
    payload = {
        **MEETING,
        "kind": "meeting_update",
        "change": {
            "status": {"old": "scheduled", "new": "held"},
            "meeting_date": {"old": "2025-04-24", "new": "2025-04-25"},
        },
    }
    body = all_text(fmt.alert_message(payload, []))
    assert "*Status:* scheduled → held" in body and "*Date:* Thu 24 Apr 2025 → Fri 25 Apr 2025" in body


def test_thread_reply_carries_the_change_and_the_triggering_report():
    payload = {
        **MEETING,
        "kind": "meeting_update",
        "item_id": "i2",
        "change": {"status": {"old": "scheduled", "new": "held"}},
    }
    msg = fmt.thread_reply(
        payload,
        [
            ev("i1", "yonhap", "https://a.example/1"),
            ev("i2", "ustr-press", "https://ustr.gov/2", kind="ustr", title="USTR"),
        ],
    )
    assert "*Status:* scheduled → held" in msg.text
    assert "*Source:* <https://ustr.gov/2|USTR> — ustr-press" in msg.text
    assert "a.example" not in msg.text


def test_current_state_of_a_parent_shows_the_event_now():
    event = {
        "parties": ["KR", "US"],
        "meeting_date": date(2025, 4, 28),
        "date_precision": "week",
        "location": None,
        "format": None,
        "status": "postponed",
        "officials": [],
    }
    msg = fmt.current_state("meeting", "m1", event, [], changed="24 Apr 2025 12:00 UTC")
    body = all_text(msg)
    assert "*When:* week of 28 Apr 2025" in body and "*Status:* postponed" in body and "Where" not in body
    assert "updated 24 Apr 2025 12:00 UTC" in body


def test_source_alerts_show_source_url_and_error():
    payload = {
        "kind": "source_down",
        "event_kind": "source",
        "event_id": "yonhap",
        "event": {
            "source_id": "yonhap",
            "url": "https://en.yna.co.kr/RSS/news.xml",
            "error": "http_503 <b>down</b>",
            "error_streak": 4,
        },
    }
    body = all_text(fmt.alert_message(payload, []))
    assert "⚠️ Source down: yonhap" in body and "*Failures in a row:* 4" in body
    assert "http_503 &lt;b&gt;down&lt;/b&gt;" in body


@pytest.mark.parametrize(
    "hostile",
    [
        "<!channel>",
        "<!everyone>",
        "<!here>",
        "<@U123>",
        "<https://evil|click>",
        "<!subteam^S1>",
        "a\u202ereversed\x00\x1b[2J",
    ],
)
def test_hostile_text_is_inert_everywhere(hostile):
    payload = {
        **MEETING,
        "event": {
            **MEETING["event"],
            "location": hostile,
            "officials": [hostile],
            "format": hostile,
            "parties": ["KR", hostile],
        },
    }
    msg = fmt.alert_message(payload, [ev("i1", hostile, "javascript:alert(1)", title=hostile)])
    received = all_text(msg)
    assert re.findall(r"<[^>]*>", received) == []
    assert "javascript" not in received
    assert not re.search("[\x00-\x1f\u202e]", received.replace("\n", ""))


def test_links_only_for_http_urls_and_the_url_cannot_break_out():
    assert fmt.link("javascript:alert(1)", "click") == "click"
    assert fmt.link("data:text/html,hi", "x") == "x"
    assert fmt.link("https://ustr.gov@evil.example/", "x") == "x"  # user-info disguises the host
    assert fmt.link("https://a.example/p?q=1&r=2|<x>", "t") == "<https://a.example/p?q=1&amp;r=2%7C%3Cx%3E|t>"
    assert fmt.link("https://a.example/", "<b>&") == "<https://a.example/|&lt;b&gt;&amp;>"


def test_bare_broadcast_words_are_defused():
    assert fmt.clean("hello @channel and @Here") == "hello @\u2060channel and @\u2060Here"


def test_a_10kb_title_is_cut_cleanly_within_block_kit_limits():
    huge = ("Tariffs & <trade> " * 600)[:10_000]
    payload = {**MEETING, "event": {**MEETING["event"], "location": huge, "officials": [huge] * 100}}
    evidence = [ev(f"i{n}", huge, f"https://example.org/{n}?" + "a=1&" * 300, title=huge) for n in range(60)]
    for msg in (
        fmt.alert_message(payload, evidence),
        fmt.alert_message(
            {**DEADLINE_MOVED, "event": {**DEADLINE_MOVED["event"], "subject": huge}}, evidence
        ),
        fmt.thread_reply({**payload, "item_id": "i3"}, evidence),
        fmt.current_state("meeting", "m1", payload["event"], evidence),
        fmt.flood_digest([huge] * 20_000, 20_000),
    ):
        assert_within_limits(msg)
        assert "…" in all_text(msg)


def test_mrkdwn_never_cuts_inside_an_escape():
    for n in range(5, 40):
        out = fmt.mrkdwn("&" * 100, n)
        assert len(out) <= n and out.endswith("…") and re.fullmatch(r"(&amp;)*…", out)


def test_flood_digest_summarises_instead_of_flooding():
    msg = fmt.flood_digest([f"new meeting {i}" for i in range(200)], 200)
    assert msg.blocks[0]["text"]["text"] == "📋 200 new events (too many to post one by one)"
    body = all_text(msg)
    assert "new meeting 99" in body and "new meeting 100" not in body and "+100 more" in body


def test_console_text_is_plain():
    text = fmt.console_text(
        DEADLINE_MOVED,
        [ev("i9", "fr", "https://www.federalregister.gov/x", kind="federal_register", title="A & <B>")],
    )
    assert "Due: Wed 9 Jul 2025 → Fri 1 Aug 2025" in text
    assert "[official] A & <B> (fr) https://www.federalregister.gov/x" in text


def test_a_url_that_would_escape_to_an_oversize_line_is_not_a_link():
    assert fmt.link("https://a.example/?" + "&" * 1400, "title") == "title"


def test_new_event_alerts_say_how_well_the_event_is_told():
    told = {**MEETING, "event": {**MEETING["event"], "evidence_level": "confirmed", "reports": 3, "official": True}}
    body = all_text(fmt.alert_message(told, []))
    assert "*Evidence:* confirmed: 3 independent reports, a primary source" in body
    one = {**MEETING, "event": {**MEETING["event"], "evidence_level": "reported", "reports": 1, "official": False}}
    assert "*Evidence:* reported: 1 independent report" in all_text(fmt.alert_message(one, []))
    assert "*Evidence:* " not in all_text(fmt.alert_message(MEETING, []))  # an alert decided before levels existed
