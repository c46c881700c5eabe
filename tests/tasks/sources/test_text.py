"""html_to_text's fast path (simple markup split by a regex, cheaper layout) against the previous
implementation, kept as the oracle in tests/support/text_reference.py: the output must be identical for every input.

Inputs: every string in our fixtures, the benchmark corpus as feedparser hands it over, the demo timeline,
the dev corpus, hostile snippets, and a seeded fuzz over tag/text/entity soup. Some tests also check
which path was taken, so that "identical" is not bought by always declining.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import feedparser
import pytest

from bench.feeds import make_corpus
from flows.feedserver import TimelineItem, render_rss
from tasks.sources.text import html_to_text, takes_fast_path
from tests.support.paths import ROOT
from tests.support.text_reference import html_to_text_reference

FIXTURES = ROOT / "tests" / "fixtures"
DEMO_TIMELINE = ROOT / "flows" / "demo_data" / "timeline.jsonl"
DEV_CORPUS = ROOT.parent / "shared" / "corpus" / "dev" / "items.jsonl"


def assert_same(html: str | None) -> None:
    for paragraphs in (True, False):
        expected = html_to_text_reference(html, paragraphs=paragraphs)
        assert html_to_text(html, paragraphs=paragraphs) == expected, (html, paragraphs)


# --- where the strings come from ----------------------------------------------------------------------


def strings_in(value: object) -> Iterator[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings_in(v)


def feed_strings(body: bytes) -> Iterator[str]:
    """The strings parse_feed hands to html_to_text: titles, summaries, content values."""
    parsed = feedparser.parse(io.BytesIO(body), sanitize_html=False, resolve_relative_uris=False)
    for entry in parsed.entries:
        yield from (s for s in (entry.get("title"), entry.get("summary")) if s)
        yield from (c.get("value") or "" for c in entry.get("content") or ())


def jsonl_strings(path: Path) -> Iterator[str]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            yield from strings_in(json.loads(line))


def as_html(item: dict) -> str:
    """A body the way the feed renderer sends it: one <p> per paragraph, escaped."""
    fields = {name: item[name] for name in ("source", "guid", "url", "title", "summary", "body")}
    timeline_item = TimelineItem(**fields, published=datetime.fromisoformat(item["published"]))
    return render_rss("x", [timeline_item]).split(b"<![CDATA[")[1].split(b"]]>")[0].decode()


def fixture_strings(path: Path) -> Iterator[str]:
    data = path.read_bytes()
    if path.suffix == ".json":
        yield from strings_in(json.loads(data))
    elif path.suffix == ".jsonl":
        yield from jsonl_strings(path)
    else:
        yield data.decode("utf-8", "replace")  # the whole document is markup too
        yield data.decode("latin-1")
    if path.suffix == ".xml":
        yield from feed_strings(data)


FIXTURE_FILES = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix != ".py")


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_string_gives_the_same_text(path):
    strings = list(fixture_strings(path))
    assert strings
    for text in strings:
        assert_same(text)


def test_benchmark_corpus_same_text_and_all_on_the_fast_path():
    bodies = make_corpus(6, 20).bodies()
    strings = [s for body in bodies.values() for s in feed_strings(body)]
    assert len(strings) >= 6 * 20 * 3
    for text in strings:
        assert_same(text)
    marked_up = [s for s in strings if "<" in s]
    assert marked_up and all(takes_fast_path(s) for s in marked_up)


def test_demo_timeline_same_text_raw_and_rendered():
    items = [json.loads(line) for line in DEMO_TIMELINE.read_text(encoding="utf-8").splitlines() if line]
    assert items
    for item in items:
        for text in strings_in(item):
            assert_same(text)
        rendered = as_html(item)
        assert_same(rendered)
        assert takes_fast_path(rendered)


@pytest.mark.skipif(not DEV_CORPUS.exists(), reason="the shared dev corpus is not checked out here")
def test_dev_corpus_same_text_raw_and_rendered():
    items = [json.loads(line) for line in DEV_CORPUS.read_text(encoding="utf-8").splitlines() if line]
    assert items
    for item in items:
        for text in strings_in(item):
            assert_same(text)
        paragraphs = "".join(f"<p>{p}</p>" for p in item["body"].split("\n\n"))
        assert_same(paragraphs)


# --- hostile and odd snippets ---------------------------------------------------------------------------

HOSTILE = [
    "<p>unclosed <b>bold <i>italic",
    "<p>a</p><p>",
    "<p",
    "<p class=",
    "<p class='x",
    "text <",
    "a < b and c > d",
    "Tariffs <10% & R&D, see <!channel>",
    "<!channel> <!here|here> <!subteam^X>",
    "<!-- comment --> after",
    "<!-- unclosed comment",
    "<![CDATA[<p>x</p>]]> y",
    "<!DOCTYPE html><p>x</p>",
    "<?xml version='1.0'?><p>x</p>",
    "&#1;&#x202e;&#xfdd0;&#x01;&#127;&#x85;&#xfeff; entities producing controls",
    "&#x1;<p>&#x2;</p>&#13;&#12;",
    "<script>var a = '<p>';</script>after",
    "<script><script>nested</script>still</script>after",
    "<style>p{}</style><p>x</p>",
    "<svg><title>t</title></svg>visible",
    "<noscript><p>no</p></noscript>yes",
    '<a title="x > y">link</a>',
    "<a title='x > y' href=\"/a\">link</a>",
    '<a title="<b>">link</a>',
    "<P>UPPER</P><BR><Br/>Mixed<DIV>x</DiV>",
    "<br/><br /><br/ ><br  />",
    "<p/><p />x<p/>",
    "</br>x</p>y</div>",
    "<a href=http://x/y/>t</a>",
    "<a href=/>t</a>",
    "<a b=c=d>t</a>",
    "<a\u00a0href=x>nbsp in tag</a>",
    "<p\tclass=x\n>tab</p>",
    "<a href = 'x' >spaced</a>",
    "<a b='1'c='2'>no space between attributes</a>",
    "<1>digits</1>",
    "< p>space after lt</ p>",
    "</>empty end",
    "</ p>",
    "<p>&amp;lt;p&amp;gt; double escaped</p>",
    "&amp &lt &gt &copy &notit; &notin; &#65 &#x41 &# &#x; &",
    "x&amp" + "a" * 40,
    "<p>&nbsp;&nbsp;</p><p>\u00a0\u3000</p>",
    "<p> </p><br><p>\n\t</p>",
    "line1<br>line2<br><br>line3",
    "<p>a<br></p><br><p>b</p>",
    "plain\n\n\nparagraphs\n \nand\nlines",
    "\u202eright-to-left\u202c override",
    "\x00\x01\x02<p>\x1e\x1f</p>\x7f\x85",
    "<textarea><p>x</p></textarea>",
    "<title>a <b> b</title>",
    "<xmp><p>x</p></xmp><plaintext><p>",
    "<iframe src=x>fallback <p>text</p></iframe>",
    "<math><mi>x</mi></math> eq",
    "<template><p>hidden</p></template>shown",
    "<custom-element>x</custom-element>",
    "<o:p>office</o:p>",
    "<p>" * 300 + "deep",
    "<div><div><p>a</p></div></div>b",
    "",
    None,
]


@pytest.mark.parametrize("html", HOSTILE)
def test_hostile_snippets_give_the_same_text(html):
    assert_same(html)


def test_fast_path_declines_what_it_is_not_sure_about():
    for html in (
        "<!-- c --><p>x</p>",
        "<![CDATA[x]]>",
        "<!channel>",
        "a < b <p>x</p>",
        "<script>x</script>",
        "<p>x</p><style>y</style>",
        '<a title="x > y">t</a>',
        "<custom-element>x</custom-element>",
        "<a b='1'c='2'>t</a>",
        "<a\u00a0href=x>t</a>",
        "<br/ >",
        "</p/>",
    ):
        assert not takes_fast_path(html), html


def test_fast_path_accepts_common_markup():
    for html in (
        "<p>a &amp; b</p><p>c<br/>d</p>",
        '<div class="story"><a href="https://x.example/a?b=1&amp;c=2">t</a></div>',
        "<P>UPPER</P><BR>",
        "<ul><li>one</li><li>two</li></ul>",
        "<p/><br />",
    ):
        assert takes_fast_path(html), html


# --- seeded fuzz ------------------------------------------------------------------------------------------

_NAMES = ["p", "br", "div", "a", "b", "span", "li", "h2", "td", "img", "P", "Br", "DIV", "script", "style",
          "svg", "title", "textarea", "custom", "x1", "o:p"]  # fmt: skip
_ATTRS = ["", ' class="c"', " class='c'", " href=x", " a=b/", ' t="a>b"', " t='<'", " disabled", ' a = "1"',
          " a='1'b='2'", "\u00a0x=1", "\tid=i\n", " =x", " a==b"]  # fmt: skip
_TEXT = ["word", "Tariffs", " ", "  ", "\n", "\t", "\n\n", "\u00a0", "\u3000", "\r", "é", "—", "<", ">", "=",
         '"', "'", "/", "a < b", "&", "&amp;", "&lt;", "&gt;", "&nbsp;", "&#65;", "&#x41;", "&#1;", "&#x202e;",
         "&#xfdd0;", "&amp", "&#", "&notit;", "&copy", "\x01", "\x02", "\u202e", "\ufdd0", "\x7f", "\x85"]  # fmt: skip
_ODD = ["<!-- c -->", "<!--", "<!channel>", "<![CDATA[x]]>", "<?pi?>", "<!doctype html>", "</>", "< p>",
        "<1>", "<p", "</p", "<br/ >", "</p/>", "-->"]  # fmt: skip


def _tag(r: random.Random) -> str:
    name = r.choice(_NAMES)
    form = r.random()
    if form < 0.35:
        return f"</{name}{r.choice(['', ' ', chr(10)])}>"
    return f"<{name}{r.choice(_ATTRS)}{r.choice(['', ' ', '/', ' /'])}>"


def soup(r: random.Random, odd: bool) -> str:
    pieces = []
    for _ in range(r.randint(0, 25)):
        roll = r.random()
        if roll < 0.35:
            pieces.append(_tag(r))
        elif odd and roll < 0.42:
            pieces.append(r.choice(_ODD))
        else:
            pieces.append(r.choice(_TEXT))
    return "".join(pieces)


def simple_soup(r: random.Random) -> str:
    """Markup the fast path should take: known tags, plain attributes, text and entities without '<'."""
    tags = ["<p>", "</p>", "<br>", "<br/>", "<b>", "</b>", '<a href="x">', "</a>", "<div class='d'>", "</div>",
            "<LI>", "</Li>", "<p/>"]  # fmt: skip
    text = [t for t in _TEXT if "<" not in t]
    return "".join(r.choice(tags if r.random() < 0.4 else text) for _ in range(r.randint(1, 30)))


@pytest.mark.parametrize("seed", range(4))
def test_fuzz_soup_gives_the_same_text(seed):
    r = random.Random(seed)
    fast = 0
    for n in range(1500):
        html = soup(r, odd=n % 2 == 0)
        assert_same(html)
        fast += takes_fast_path(html)
    assert fast > 100  # the fuzz reaches the fast path, not only the fallback


def test_fuzz_simple_markup_is_on_the_fast_path_and_the_same():
    r = random.Random(99)
    for _ in range(3000):
        html = simple_soup(r)
        assert_same(html)
        assert takes_fast_path(html) or not html.strip(), html
