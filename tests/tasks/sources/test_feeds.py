"""parse_feed, feedparser-test style: every file in tests/fixtures/feeds carries its own description and
expectations in its first comment, and one parametrised test finds them all. Adding a case is adding a file.

    <!--
    Description: what the file is about
    Content-Type: the HTTP Content-Type to pretend (optional)
    Base-URL: the feed's URL (optional)
    Now: the clock, ISO 8601 (optional; default 2025-07-01T12:00:00+00:00)
    Expect: a Python expression over r (the ParseResult), items, datetime, UTC; one or more lines
    -->

Below the fixture test: the helpers (identity, dates, text, URLs) one behaviour at a time.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from tasks.sources.feeds import ParseResult, parse_date, parse_feed
from tasks.sources.text import canonical_url, html_to_text, strip_controls
from tests.support.feed_fixtures import load_fixture
from tests.support.paths import FIXTURES

FEEDS = FIXTURES / "feeds"
NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)
@pytest.mark.parametrize("path", sorted(FEEDS.iterdir()), ids=lambda p: p.name)
def test_fixture(path):
    body, fields = load_fixture(path)
    now = datetime.fromisoformat(fields["Now"][0]) if "Now" in fields else NOW
    r = parse_feed(
        body,
        source_id="fixture",
        now=now,
        content_type=(fields.get("Content-Type") or [None])[0],
        base_url=(fields.get("Base-URL") or [None])[0],
    )
    namespace = {"r": r, "items": r.items, "datetime": datetime, "UTC": UTC}
    for expectation in fields["Expect"]:
        assert eval(expectation, {}, namespace), (
            f"{fields['Description'][0]}\n  failed: {expectation}\n  got: {r}"
        )


# --- not a feed, without ever touching files or the network ------------------------------------------------


@pytest.mark.parametrize("body", [b"", b"   \n\t ", b"\xef\xbb\xbf"])
def test_empty_or_blank_body_is_not_a_feed(body):
    assert parse_feed(body, source_id="s", now=NOW).error == "not_a_feed"


@pytest.mark.parametrize("body", [b"/etc/passwd", b"http://127.0.0.1:9/feed.xml", b"file:///etc/hostname"])
def test_a_body_that_looks_like_a_path_or_url_is_text_not_a_location(body):
    r = parse_feed(body, source_id="s", now=NOW)
    assert (r.error, r.items) == ("not_a_feed", ())


# --- identity ---------------------------------------------------------------------------------------------


def _rss(*items: str) -> bytes:
    return ('<rss version="2.0"><channel><title>T</title>' + "".join(items) + "</channel></rss>").encode()


def _only(body: bytes, source_id: str = "src") -> ParseResult:
    r = parse_feed(body, source_id=source_id, now=NOW)
    assert r.error is None and len(r.items) == 1, r
    return r


def test_item_id_is_sha256_of_source_and_guid():
    item = _only(_rss("<item><title>A</title><guid>g-1</guid></item>")).items[0]
    assert item.item_id == hashlib.sha256(b"src\x1fguid:g-1").hexdigest()[:32]


def test_item_id_falls_back_to_the_canonical_url():
    item = _only(_rss("<item><title>A</title><link>https://x.org/a?utm_source=t#f</link></item>")).items[0]
    assert item.item_id == hashlib.sha256(b"src\x1furl:https://x.org/a").hexdigest()[:32]


def test_item_id_falls_back_to_title_and_date():
    item = _only(
        _rss("<item><title>A</title><pubDate>Tue, 01 Jul 2025 10:00:00 +0200</pubDate></item>")
    ).items[0]
    expected = hashlib.sha256(b"src\x1fth:A|2025-07-01T08:00:00+00:00").hexdigest()[:32]
    assert item.item_id == expected


def test_item_id_is_stable_across_fetches_and_edits_but_content_hash_is_not():
    before = _only(_rss("<item><title>A</title><guid>g</guid><description>v1</description></item>")).items[0]
    after = _only(_rss("<item><title>A</title><guid>g</guid><description>v2</description></item>")).items[0]
    assert before.item_id == after.item_id
    assert before.content_hash != after.content_hash


def test_the_same_guid_in_two_sources_is_two_items():
    body = _rss("<item><title>A</title><guid>g</guid></item>")
    assert _only(body, "one").items[0].item_id != _only(body, "two").items[0].item_id


def test_naive_now_is_taken_as_utc():
    body = _rss("<item><title>A</title><guid>g</guid><pubDate>Tue, 01 Jul 2025 10:00:00 GMT</pubDate></item>")
    r = parse_feed(body, source_id="s", now=datetime(2025, 7, 1, 12))
    assert r.items[0].published_at == datetime(2025, 7, 1, 10, tzinfo=UTC)


# --- dates ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected", "offset"),
    [
        ("Tue, 01 Jul 2025 10:00:00 +0900", datetime(2025, 7, 1, 1, tzinfo=UTC), 540),
        ("Tue, 01 Jul 2025 10:00:00 -0000", datetime(2025, 7, 1, 10, tzinfo=UTC), None),
        ("2025-07-01T10:00:00Z", datetime(2025, 7, 1, 10, tzinfo=UTC), 0),
        ("2025-07-01T10:00:00.123-03:30", datetime(2025, 7, 1, 13, 30, 0, 123000, tzinfo=UTC), -210),
        ("2025-07-01", datetime(2025, 7, 1, tzinfo=UTC), None),
        ("Tue, 01 Jul 2025 18:00:00 KST", datetime(2025, 7, 1, 9, tzinfo=UTC), 540),
        ("Tue, 01 Jul 2025 10:00:00 +0200 (CEST)", datetime(2025, 7, 1, 8, tzinfo=UTC), 120),
    ],
)
def test_dates_keep_their_offset(raw, expected, offset):
    assert parse_date(raw, None, NOW) == (expected, offset, False)


@pytest.mark.parametrize(
    "raw",
    [
        "Wed, 01 Jul 2099 10:00:00 GMT",
        "1970-01-01T00:00:00Z",
        "0000-01-01",
        "2025-07-01T10:00:00+15:00",
        "nope",
    ],
)
def test_suspect_dates_are_refused(raw):
    assert parse_date(raw, None, NOW) == (None, None, True)


def test_no_date_is_not_suspect():
    assert parse_date(None, None, NOW) == (None, None, False)


def test_feedparser_struct_is_the_fallback_for_formats_we_do_not_read():
    assert parse_date("", (2025, 6, 30, 8, 0, 0, 0, 181, 0), NOW) == (
        datetime(2025, 6, 30, 8, tzinfo=UTC),
        None,
        False,
    )


# --- text and urls ----------------------------------------------------------------------------------------


def test_html_to_text_drops_script_keeps_paragraphs_and_unescapes():
    html = "<div><p>A &amp; B</p><script>x()</script><style>p{}</style><p>C<br>D</p></div>"
    assert html_to_text(html) == "A & B\n\nC\nD"
    assert html_to_text(html, paragraphs=False) == "A & B C D"


def test_html_to_text_void_and_unknown_elements_do_not_swallow_text():
    assert html_to_text("<p>a<embed src=x>b<img src=y>c</p><p>d</p>") == "abc\n\nd"


def test_html_to_text_keeps_text_that_only_looks_like_markup():
    assert (
        html_to_text("Tariffs <10% & R&D, see <!channel>", paragraphs=False)
        == "Tariffs <10% & R&D, see <!channel>"
    )


def test_strip_controls():
    assert strip_controls("a\x00b\x1bc\x7fd\x85e\u202ef\u2067g\tline\nnext") == "abcdefg\tline\nnext"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.COM:443/Path?b=2&a=1&utm_source=x", "https://example.com/Path?a=1&b=2"),
        ("http://example.com:8080", "http://example.com:8080/"),
        ("https://example.com/a?fbclid=1&gclid=2&mc_eid=3", "https://example.com/a"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:text/html,hi", None),
        ("  https://example.com/x y \n", "https://example.com/x%20y"),
        ("https://example.com:notaport/", None),
        ("", None),
    ],
)
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected
