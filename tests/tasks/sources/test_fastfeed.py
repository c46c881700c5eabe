"""The lxml fast path (tasks/fastfeed.py) against feedparser: parse_feed must give the very same ParseResult
(items, order, ids, hashes, dates, offsets, suspect flags, error, error_detail, skipped) whichever path
reads the document. Also checked: which path was taken, so the fast path is really exercised on the
common feeds and really declines what it does not understand.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

import pytest

from bench.feeds import AS_OF, make_corpus
from flows.feedserver import TimelineItem, render_rss
from tasks.sources import feeds
from tasks.sources.fastfeed import read_entries
from tasks.sources.feeds import parse_feed
from tests.support.feed_fixtures import load_fixture
from tests.support.paths import ROOT

FEEDS = ROOT / "tests" / "fixtures" / "feeds"
SOURCES = ROOT / "tests" / "fixtures" / "sources"
DEMO_TIMELINE = ROOT / "flows" / "demo_data" / "timeline.jsonl"
NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)


@contextmanager
def feedparser_only() -> Iterator[None]:
    original = feeds.read_entries
    feeds.read_entries = lambda *args: None
    try:
        yield
    finally:
        feeds.read_entries = original


def fast_path_taken(body: bytes, content_type: str | None = None, base_url: str | None = None) -> bool:
    mime = feeds.content_type_for(body, content_type)
    if not body.strip() or feeds.declares_entities(body, content_type):
        return False
    return read_entries(body, mime, base_url) is not None


def assert_same(
    body: bytes, *, content_type: str | None = None, base_url: str | None = None, now: datetime = NOW
) -> feeds.ParseResult:
    kwargs = dict(source_id="src", now=now, content_type=content_type, base_url=base_url)
    result = parse_feed(body, **kwargs)
    with feedparser_only():
        expected = parse_feed(body, **kwargs)
    assert repr(result) == repr(expected), body[:3000]
    return result


# --- fixtures -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(FEEDS.iterdir()), ids=lambda p: p.name)
def test_feed_fixtures_same_result(path):
    body, fields = load_fixture(path)
    assert_same(
        body,
        content_type=(fields.get("Content-Type") or [None])[0],
        base_url=(fields.get("Base-URL") or [None])[0],
        now=datetime.fromisoformat(fields["Now"][0]) if "Now" in fields else NOW,
    )


@pytest.mark.parametrize("path", sorted(SOURCES.iterdir()), ids=lambda p: p.name)
@pytest.mark.parametrize("base_url", [None, "https://www.example.gov/feeds/news.xml"])
def test_source_fixtures_same_result(path, base_url):
    assert_same(path.read_bytes(), base_url=base_url, content_type="application/rss+xml")


@pytest.mark.parametrize(
    "name", ["rss20_basic.xml", "atom10_basic.xml", "rdf_rss10.xml", "duplicate_guids.xml"]
)
def test_plain_fixtures_take_the_fast_path(name):
    body, fields = load_fixture(FEEDS / name)
    assert fast_path_taken(body, (fields.get("Content-Type") or [None])[0])


@pytest.mark.parametrize(
    "name",
    ["billion_laughs.xml", "external_entity.xml", "truncated.xml", "utf16_bom.xml", "html_page.html",
     "rss091_netscape_doctype.xml", "charset_latin1_with_cp1252_quotes.xml", "quadratic_blowup.xml"],
)  # fmt: skip
def test_odd_fixtures_decline(name):
    body, fields = load_fixture(FEEDS / name)
    assert not fast_path_taken(body, (fields.get("Content-Type") or [None])[0])


# --- the benchmark corpus and the demo's rendered feeds -------------------------------------------------


def test_benchmark_corpus_same_result_on_the_fast_path():
    for body in make_corpus(6, 20).bodies().values():
        assert fast_path_taken(body, "application/rss+xml")
        result = assert_same(body, content_type="application/rss+xml", now=AS_OF)
        assert len(result.items) == 20


def test_demo_rendered_rss_same_result_on_the_fast_path():
    by_source: dict[str, list[TimelineItem]] = {}
    for line in DEMO_TIMELINE.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            data["published"] = datetime.fromisoformat(data["published"])
            by_source.setdefault(data["source"], []).append(TimelineItem(**data))
    assert by_source
    for source, items in by_source.items():
        body = render_rss(source, items)
        assert fast_path_taken(body)
        result = assert_same(body, now=datetime(2025, 12, 31, tzinfo=UTC))
        assert result.items


# --- hostile documents ----------------------------------------------------------------------------------

HOSTILE = [
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaa">]><rss version="2.0"><channel><item><title>&a;</title></item></channel></rss>',
    b'<!DOCTYPE rss SYSTEM "http://127.0.0.1:9/x.dtd"><rss version="2.0"><channel><item><title>x</title></item></channel></rss>',
    b'<rss version="2.0"><channel><item><title>&nbsp;undefined entity</title></item></channel></rss>',
    b'<rss version="2.0"><channel><item><title>unclosed</title></channel></rss>',
    b'<rss version="2.0"><channel><item><title>a</title></item></channel></rss><rss/>',
    b'<rss version="2.0"><channel><item><x:title>unbound prefix</x:title></item></channel></rss>',
    b'<?xml version="1.1"?><rss version="2.0"><channel><item><title>1.1</title></item></channel></rss>',
    b'<rss version="2.0"><channel><item><title>&#1; control ref</title></item></channel></rss>',
    b'<rss version="2.0"><channel><item><title>\x01 raw control</title></item></channel></rss>',
    b'<rss version="2.0"><channel><item><title>\xff\xfe not utf-8</title></item></channel></rss>',
    b'<rss version="2.0"><channel><item xml:base="http://evil.example/"><link>/a</link></item></channel></rss>',
    b'<rss version="2.0"><channel><item><link base="http://evil.example/">/a</link></item></channel></rss>',
    b'<rss version="2.0"><channel><item><title>a</title></item><image><item><title>nested</title></item></image></channel></rss>',
    b'<rss version="2.0"><channel><item><title>a</title></item></channel><entry><title>stray</title></entry></rss>',
    b'<rss version="2.0"><channel><item><title>t<![CDATA[<b>c</b>]]>&amp;<!-- c -->d</title></item></channel></rss>',
    b'<rss version="2.0"><channel><item><description type="application/octet-stream">aGVsbG8=</description></item></channel></rss>',
    b'<rss version="2.0"><channel><item><title>a</title><title>b</title></item></channel></rss>',
    b'<rss version="2.0"><channel><item><title>a</title><media:title xmlns:media="http://search.yahoo.com/mrss/">m</media:title></item></channel></rss>',
    b'<rss version="2.0"><channel><item><content:encoded xmlns:content="urn:other">fake</content:encoded></item></channel></rss>',
    b"<html><body><p>not a feed</p></body></html>",
    b"<rss/>",
    b'<rss version="2.0"><channel></channel></rss>',
    b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">x<b>y</b></div></title></entry></feed>',
    b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><content src="http://x/"/><id>1</id></entry></feed>',
    b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="image/png">aGVsbG8=</content><id>1</id></entry></feed>',
    b"\xef\xbb\xbf" + b'<rss version="2.0"><channel><item><title>BOM</title></item></channel></rss>',
    b'<rss version="2.0"><channel><item><title>' + b"<b>" * 300 + b"</title></item></channel></rss>",
]


@pytest.mark.parametrize("body", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize(
    "content_type", [None, "application/rss+xml", "text/xml", "text/html; charset=utf-8"]
)
def test_hostile_documents_same_result(body, content_type):
    assert_same(body, content_type=content_type)


def test_hostile_declines():
    for body in HOSTILE[:19]:
        assert not fast_path_taken(body), body


# --- generated variants ---------------------------------------------------------------------------------

_TEXTS = ["Tariff talks", "  padded title  ", "Café naïve — “quotes”", "Ã©migré mojibake", "Ã©migrÃ© fixable mojibake", "C1 \u0080\u0093\u009f",
          "a &amp; b", "<p>html &lt;b&gt;</p>", "", " ", "日本と米国の協議", "emoji 🎉", "x" * 300,
          "line\nbreak", "tab\there", "&amp;lt;double&amp;gt;", "\u202eoverride", "a]]b"]  # fmt: skip
_LINKS = ["https://news.example.com/a?utm_source=x&amp;id=1", "/relative/path", "relative.html", "",
          "  https://padded.example.com/x  ", "http:///triple.example.com/x", "javascript:alert(1)",
          "https://x.example.com/a?b=1&amp;c;=2", "HTTPS://UPPER.EXAMPLE.COM/A#frag", "//proto.example.com/x"]  # fmt: skip
_GUIDS = ["guid-1", "guid-1", "https://x.example.com/g/1", "/g/rel", "", "  spaced  ", "urn:uuid:1234"]


def _dates(r: random.Random) -> str:
    when = AS_OF - timedelta(minutes=r.randint(-5000, 60 * 24 * 400))
    return r.choice(
        [
            format_datetime(when), format_datetime(when.astimezone(UTC), usegmt=True), when.isoformat(),
            when.strftime("%a, %d %b %Y %H:%M:%S KST"), when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            when.strftime("%d %b %Y %H:%M:%S +1500"), "Tue, 01 Jan 1980 00:00:00 GMT", "2099-01-01T00:00:00Z",
            "not a date", "", "  " + format_datetime(when) + "  ", when.strftime("%Y-%m-%d"),
            when.strftime("%a, %d %b %Y %H:%M:%S EST"), when.strftime("%Y%m%dT%H%M%S"),
        ]
    )  # fmt: skip


def _text_element(r: random.Random, tag: str, text: str) -> str:
    if r.random() < 0.3 and "]]>" not in text:
        return f"<{tag}><![CDATA[{text}]]></{tag}>"
    return f"<{tag}>{escape(text)}</{tag}>"


def _rss_item(r: random.Random, n: int) -> str:
    parts = []
    if r.random() < 0.9:
        parts.append(_text_element(r, "title", r.choice(_TEXTS) + f" {n}"))
    if r.random() < 0.8:
        parts.append(f"<link>{r.choice(_LINKS)}</link>")
    if r.random() < 0.8:
        permalink = r.choice(["", ' isPermaLink="false"', ' isPermaLink="true"', ' isPermaLink="True"'])
        parts.append(f"<guid{permalink}>{escape(r.choice(_GUIDS))}</guid>")
    if r.random() < 0.8:
        parts.append(f"<pubDate>{escape(_dates(r))}</pubDate>")
    if r.random() < 0.3:
        parts.append(f"<dc:date>{escape(_dates(r))}</dc:date>")
    if r.random() < 0.7:
        parts.append(_text_element(r, "description", r.choice(_TEXTS)))
    if r.random() < 0.5:
        parts.append(_text_element(r, "content:encoded", "<p>" + r.choice(_TEXTS) + "</p><p>two</p>"))
    if r.random() < 0.3:
        parts.append("<category>trade</category><category>tariffs</category><author>a@b.example (A)</author>")
    if r.random() < 0.2:
        parts.append('<enclosure url="https://x.example.com/a.mp3" length="1" type="audio/mpeg"/>')
    if r.random() < 0.2:
        parts.append('<source url="https://src.example.com/rss">Source</source><dc:creator>C</dc:creator>')
    if r.random() < 0.1:
        parts.append("<comments>https://x.example.com/c</comments>")
    if r.random() < 0.05:
        parts.append(r.choice(["<media:title>m</media:title>", "<title>second</title>", "<foo>bar</foo>"]))
    r.shuffle(parts)
    return "<item>" + "".join(parts) + "</item>"


def rss_document(r: random.Random) -> bytes:
    items = "".join(_rss_item(r, n) for n in range(r.randint(0, 6)))
    declaration = r.choice(['<?xml version="1.0" encoding="utf-8"?>\n', '<?xml version="1.0"?>', ""])
    channel_extra = r.choice(["", "<language>en</language><image><title>i</title><url>https://x/i.png</url></image>",
                              '<atom:link href="https://x/f" rel="self" xmlns:atom="http://www.w3.org/2005/Atom"/>'])  # fmt: skip
    return (
        f'{declaration}<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        f'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/">'
        f"<channel><title>Feed</title><link>https://x.example.com/</link>{channel_extra}{items}</channel></rss>"
    ).encode()


def atom_document(r: random.Random) -> bytes:
    entries = []
    for n in range(r.randint(0, 6)):
        parts = []
        if r.random() < 0.9:
            kind = r.choice(["", ' type="text"', ' type="html"'])
            parts.append(f"<title{kind}>{escape(r.choice(_TEXTS))} {n}</title>")
        for _ in range(r.choice([0, 1, 1, 2])):
            rel = r.choice(["", ' rel="alternate"', ' rel="self"', ' rel="enclosure"', ' rel="ALTERNATE"'])
            link_type = r.choice(["", ' type="text/html"', ' type="application/pdf"', ' type="xhtml"'])
            href = r.choice([h for h in _LINKS if h]).replace("&amp;", "&")
            parts.append(f"<link{rel}{link_type} href={quoteattr(href)}/>")
        if r.random() < 0.8:
            parts.append(f"<id>{escape(r.choice(_GUIDS))}</id>")
        for tag in ("published", "updated"):
            if r.random() < 0.6:
                parts.append(f"<{tag}>{escape(_dates(r))}</{tag}>")
        if r.random() < 0.6:
            parts.append(f'<summary type="{r.choice(["text", "html"])}">{escape(r.choice(_TEXTS))}</summary>')
        if r.random() < 0.5:
            parts.append(f'<content type="html">{escape("<p>" + r.choice(_TEXTS) + "</p>")}</content>')
        if r.random() < 0.3:
            parts.append("<author><name>N</name><email>n@x.example</email><uri>/me</uri></author>")
        if r.random() < 0.2:
            parts.append('<category term="trade"/>')
        r.shuffle(parts)
        entries.append("<entry>" + "".join(parts) + "</entry>")
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>F</title><id>urn:f</id><updated>2025-06-01T00:00:00Z</updated>" + "".join(entries) + "</feed>"
    ).encode()


def rdf_document(r: random.Random) -> bytes:
    items = []
    for n in range(r.randint(0, 6)):
        about = r.choice(["", f' rdf:about="https://x.example.com/{n}"', ' rdf:about="/rel"'])
        parts = [_text_element(r, "title", r.choice(_TEXTS) + f" {n}"), f"<link>{r.choice(_LINKS)}</link>"]
        if r.random() < 0.7:
            parts.append(f"<dc:date>{escape(_dates(r))}</dc:date>")
        if r.random() < 0.7:
            parts.append(_text_element(r, "description", r.choice(_TEXTS)))
        if r.random() < 0.3:
            parts.append(_text_element(r, "content:encoded", "<p>" + r.choice(_TEXTS) + "</p>"))
        r.shuffle(parts)
        items.append(f"<item{about}>" + "".join(parts) + "</item>")
    return (
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        '<channel rdf:about="https://x.example.com/"><title>C</title><link>https://x.example.com/</link>'
        "<description>d</description></channel>" + "".join(items) + "</rdf:RDF>"
    ).encode()


_CONTENT_TYPES = [None, "application/rss+xml", "application/xml; charset=utf-8", "text/xml",
                  "text/xml; charset=UTF-8", "application/atom+xml; charset=iso-8859-1", "text/html"]  # fmt: skip
_BASES = [
    None,
    "https://feeds.example.com/dir/feed.xml",
    "http://127.0.0.1:8080/x/",
    "ftp://x/y",
    "not a url",
]


@pytest.mark.parametrize("make", [rss_document, atom_document, rdf_document], ids=lambda f: f.__name__)
def test_generated_documents_same_result(make):
    r = random.Random(make.__name__)
    fast = 0
    for _ in range(400):
        body = make(r)
        content_type, base_url = r.choice(_CONTENT_TYPES), r.choice(_BASES)
        assert_same(body, content_type=content_type, base_url=base_url, now=AS_OF)
        fast += fast_path_taken(body, content_type, base_url)
    assert fast > 150  # the common shapes go the fast way; odd ones (and empty feeds) decline
