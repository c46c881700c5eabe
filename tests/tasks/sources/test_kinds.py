"""Each source kind, read from a recorded-format fixture (tests/fixtures/sources/; each file says what it mimics
and what it expects) through `tasks.adapters.read_body`, with the real feed parser for the RSS ones."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest

from tasks.sources.feeds import parse_feed
from tasks.sources.kinds import read_body
from tasks.sources.ustr import parse_article, parse_listing
from tests.support.paths import FIXTURES

SOURCES = FIXTURES / "sources"
NOW = datetime(2025, 8, 10, 12, 0, tzinfo=UTC)
USTR_LISTING = "https://ustr.gov/about-us/policy-offices/press-office/press-releases"
USTR_RELEASES = USTR_LISTING + "/2025/april/"


def read(
    kind: str,
    fixture: str,
    *,
    source_id: str = "src",
    base_url: str | None = None,
    now: datetime = NOW,
    content_type: str | None = None,
):
    body = (SOURCES / fixture).read_bytes()
    return read_body(
        kind,
        body,
        source_id=source_id,
        now=now,
        content_type=content_type,
        base_url=base_url,
        parse_feed=parse_feed,
    )


def sha32(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# --- USTR press-release listing ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ustr():
    result = read(
        "ustr",
        "ustr_press_releases.html",
        source_id="ustr-press",
        base_url=USTR_LISTING,
        content_type="text/html; charset=utf-8",
    )
    assert result.error is None, result.error_detail
    return result.items


def test_ustr_listing_gives_one_item_per_release_in_page_order(ustr):
    assert [it.url.removeprefix(USTR_RELEASES) for it in ustr] == [
        "joint-statement-united-states-republic-korea-22-trade-consultations",
        "readout-ambassador-greers-meeting-korean-minister-trade-industry-and-energy-ahn-duk-geun",
        "ustr-announces-public-hearing-proposed-section-301-action-scheduled-may-19-2025",
        "readout-ambassador-jamieson-greers-meeting-japans-minister-akazawa-ryosei",
        "ambassador-greer-statement-upcoming-trade-discussions-india",
    ]


def test_ustr_listing_titles_are_plain_text(ustr):
    assert (
        ustr[0].title == "Joint Statement on the United States\u2013Republic of Korea 2+2 Trade Consultations"
    )
    assert (
        ustr[3].title
        == "Readout of Ambassador Jamieson Greer\u2019s Meeting with Japan\u2019s Minister Akazawa Ryosei"
    )


def test_ustr_listing_bare_dates_are_the_start_of_the_washington_day(ustr):
    assert ustr[0].published_at == datetime(2025, 4, 25, 4, 0, tzinfo=UTC)  # 00:00 EDT
    assert ustr[0].published_offset_min is None  # the page gave no zone; the zone is ours
    assert ustr[4].published_at == datetime(2025, 4, 15, 4, 0, tzinfo=UTC)


def test_ustr_listing_machine_readable_date_keeps_its_offset(ustr):
    assert ustr[1].published_at == datetime(2025, 4, 24, 4, 0, tzinfo=UTC)
    assert ustr[1].published_offset_min == -240


def test_ustr_listing_date_spelled_out_is_read(ustr):
    assert ustr[2].published_at == datetime(2025, 4, 23, 4, 0, tzinfo=UTC)


def test_ustr_listing_a_date_in_the_title_is_not_the_publication_date(ustr):
    assert "May 19, 2025" in ustr[2].title
    assert ustr[2].published_at.date().isoformat() == "2025-04-23"


def test_ustr_listing_ignores_navigation_archive_and_pager_links(ustr):
    assert all(it.url.startswith(USTR_RELEASES) for it in ustr)
    assert not any("page=" in it.url for it in ustr)


def test_ustr_listing_featured_link_to_a_listed_release_is_one_item(ustr):
    assert len({it.item_id for it in ustr}) == len(ustr) == 5  # the featured copy had ?utm_source: same URL


def test_ustr_items_are_identified_like_feed_items(ustr):
    for it in ustr:
        assert it.guid is None
        assert it.item_id == sha32("ustr-press\x1f" + "url:" + it.url)
        assert it.content_hash == sha32("\x1f".join((it.title, it.summary, it.body)))
        assert it.published_at.tzinfo is not None and not it.date_suspect


def test_ustr_listing_read_twice_gives_the_same_items(ustr):
    again = read("ustr", "ustr_press_releases.html", source_id="ustr-press", base_url=USTR_LISTING)
    assert again.items == ustr


def test_ustr_listing_date_far_in_the_future_is_suspect():
    page = (
        b'<ul><li><a href="/about-us/policy-offices/press-office/press-releases/2099/january/x">X</a>'
        b" 01/02/2099</li></ul>"
    )
    (item,) = parse_listing(page, source_id="u", now=NOW, base_url=USTR_LISTING).items
    assert item.date_suspect and item.published_at is None and item.published_offset_min is None


def test_ustr_listing_rows_with_unclosed_list_items_keep_their_own_dates():
    page = (
        b'<ul class="listing">'
        b'<li><a href="/about-us/policy-offices/press-office/press-releases/2025/july/a">A</a> 07/03/2025'
        b'<li><a href="/about-us/policy-offices/press-office/press-releases/2025/july/b">B</a> 07/01/2025'
        b"</ul>"
    )
    items = parse_listing(page, source_id="u", now=NOW, base_url=USTR_LISTING).items
    assert [(it.title, it.published_at.day) for it in items] == [("A", 3), ("B", 1)]


def test_ustr_page_without_release_links_is_an_error_not_an_empty_success():
    blocked = (
        b"<html><head><title>Access Denied</title></head><body><h1>Access Denied</h1>"
        b"You don't have permission to access this server.<p>Reference #18.5c3e1d17</p></body></html>"
    )
    result = parse_listing(blocked, source_id="u", now=NOW, base_url=USTR_LISTING)
    assert result.error == "not_a_feed" and "no press-release links" in result.error_detail


def test_ustr_source_that_serves_a_feed_goes_to_the_feed_parser():
    result = read("ustr", "whitehouse_presidential_actions.xml", base_url=USTR_LISTING)
    assert result.error is None and len(result.items) == 2


def test_ustr_article_text_is_the_release_body_only():
    text = parse_article((SOURCES / "ustr_article.html").read_bytes())
    assert text.startswith("WASHINGTON \u2013 Secretary of the Treasury Scott Bessent")
    assert "before July 8, 2025, when the pause" in text
    assert text.endswith("###")
    assert text.count("\n\n") == 3  # four paragraphs
    for noise in (
        "Skip to main content",
        "About Us",
        "Related Press Releases",
        "600 17th Street",
        "drupalSettings",
    ):
        assert noise not in text


# --- Federal Register documents.json ------------------------------------------------------------------


@pytest.fixture(scope="module")
def federal_register():
    result = read(
        "federal_register",
        "federal_register_documents.json",
        source_id="federal-register",
        content_type="application/json; charset=utf-8",
    )
    assert result.error is None and result.skipped == 0
    return {it.guid: it for it in result.items}


def test_federal_register_one_item_per_document_keyed_by_document_number(federal_register):
    assert list(federal_register) == ["2025-12962", "2025-06921", "2025-14410"]
    for number, it in federal_register.items():
        assert it.item_id == sha32("federal-register\x1f" + "guid:" + number)
        assert it.content_hash == sha32("\x1f".join((it.title, it.summary, it.body)))


def test_federal_register_effective_date_becomes_a_sentence_for_the_extractor(federal_register):
    order = federal_register["2025-12962"]
    assert order.title == "Extending the Modification of the Reciprocal Tariff Rates"
    assert "It takes effect on August 1, 2025." in order.body
    assert "Executive Order 14316." in order.body
    assert "The document was signed on July 7, 2025." in order.body
    assert "It takes effect on August 1, 2025." in order.text


def test_federal_register_document_without_dates_says_nothing_about_them(federal_register):
    notice = federal_register["2025-06921"]
    assert "takes effect" not in notice.body and "signed" not in notice.body
    assert notice.summary.startswith("The Office of the United States Trade Representative (USTR)")
    assert "Agencies: Trade Representative, Office of United States." in notice.body


def test_federal_register_unmatched_agency_is_named_by_its_raw_name(federal_register):
    rule = federal_register["2025-14410"]
    assert (
        "Agencies: Homeland Security Department, U.S. Customs and Border Protection, OFFICE OF TRADE."
        in rule.body
    )
    assert "It takes effect on August 7, 2025." in rule.body


def test_federal_register_publication_date_is_6am_eastern(federal_register):
    it = federal_register["2025-06921"]
    assert it.published_at == datetime(2025, 4, 23, 10, 0, tzinfo=UTC)
    assert it.published_offset_min is None and not it.date_suspect
    assert it.url == (
        "https://www.federalregister.gov/documents/2025/04/23/2025-06921/"
        "notice-of-proposed-action-and-public-hearing-section-301-investigation"
    )


def test_federal_register_no_matches_is_an_empty_success():
    body = json.dumps({"count": 0, "description": "Documents matching your criteria"}).encode()
    result = read_body(
        "federal_register",
        body,
        source_id="fr",
        now=NOW,
        content_type="application/json",
        base_url=None,
        parse_feed=parse_feed,
    )
    assert result.error is None and result.items == ()


@pytest.mark.parametrize("body", [b"<html>Service Unavailable</html>", b"[1, 2]", b'{"results": {"a": 1}}'])
def test_federal_register_body_that_is_not_documents_is_an_error(body):
    result = read_body(
        "federal_register",
        body,
        source_id="fr",
        now=NOW,
        content_type=None,
        base_url=None,
        parse_feed=parse_feed,
    )
    assert result.error == "not_a_feed" and result.items == ()


def test_federal_register_documents_without_number_or_title_are_skipped():
    body = json.dumps(
        {
            "results": [
                {"title": "no number"},
                {"document_number": "2025-1"},
                "junk",
                {"document_number": "2025-2", "title": "Kept", "agencies": None},
            ]
        }
    ).encode()
    result = read_body(
        "federal_register",
        body,
        source_id="fr",
        now=NOW,
        content_type=None,
        base_url=None,
        parse_feed=parse_feed,
    )
    assert [it.title for it in result.items] == ["Kept"] and result.skipped == 3


# --- White House presidential actions (WordPress RSS) -------------------------------------------------


def test_whitehouse_actions_feed_items_keep_guid_link_and_full_text():
    result = read(
        "feed",
        "whitehouse_presidential_actions.xml",
        source_id="whitehouse-actions",
        base_url="https://www.whitehouse.gov/presidential-actions/feed/",
        content_type="application/rss+xml; charset=UTF-8",
    )
    assert result.error is None
    order, proclamation = result.items
    assert order.guid == "https://www.whitehouse.gov/?post_type=presidential-actions&p=62514"
    assert order.url == (
        "https://www.whitehouse.gov/presidential-actions/2025/07/"
        "extending-the-modification-of-the-reciprocal-tariff-rates/"
    )
    assert (
        order.published_at == datetime(2025, 7, 7, 21, 51, 9, tzinfo=UTC) and order.published_offset_min == 0
    )
    assert (
        "12:01 a.m. eastern daylight time on August 1, 2025" in order.body
    )  # content:encoded, not the teaser
    assert proclamation.title == "Adjusting Imports of Copper into the United States"


# --- Google News search RSS ---------------------------------------------------------------------------


def test_google_news_links_are_kept_opaque_and_each_outlet_is_an_item():
    result = read(
        "feed",
        "google_news_search.xml",
        source_id="googlenews-trade-talks",
        base_url="https://news.google.com/rss/search?q=%22trade+talks%22&hl=en-US&gl=US&ceid=US:en",
    )
    assert result.error is None
    assert (
        len(result.items) == 3
    )  # two outlets with the same story stay two items; dedup is by content, later
    for it in result.items:
        assert it.url.startswith("https://news.google.com/rss/articles/CBMi") and it.url.endswith("?oc=5")
        assert it.url.split("/articles/")[1].split("?")[0] == it.guid  # the token, untouched
    assert [it.title.rsplit(" - ", 1)[1] for it in result.items] == [
        "Yonhap News Agency", "Reuters", "The Korea Times",
    ]  # fmt: skip
    assert result.items[0].published_at == datetime(2025, 4, 24, 23, 41, tzinfo=UTC)


def test_ustr_listing_rows_as_nested_divs_keep_their_dates():
    page = b"""<div class="view-content">
      <div class="views-row views-row-1">
        <div class="views-field views-field-title"><span class="field-content">
          <a href="/about-us/policy-offices/press-office/press-releases/2025/july/a">A</a></span></div>
        <div class="views-field views-field-field-date"><div class="field-content">07/03/2025</div></div>
      </div>
      <div class="views-row views-row-2">
        <div class="views-field views-field-title"><span class="field-content">
          <a href="/about-us/policy-offices/press-office/press-releases/2025/july/b">B</a></span></div>
        <div class="views-field views-field-field-date"><div class="field-content">07/01/2025</div></div>
      </div></div>"""
    items = parse_listing(page, source_id="u", now=NOW, base_url=USTR_LISTING).items
    assert [(it.title, it.published_at.day) for it in items] == [("A", 3), ("B", 1)]


def test_ustr_article_with_unclosed_paragraphs_stops_at_the_end_of_the_body():
    page = (
        b'<div class="field field-name-body"><p>First.<p>Second.</div><footer><p>600 17th Street NW</footer>'
    )
    assert parse_article(page) == "First.\n\nSecond."


def test_ustr_listing_read_more_link_does_not_replace_the_title():
    page = (
        b'<li><a href="/about-us/policy-offices/press-office/press-releases/2025/july/a">Real title</a> 07/03/2025'
        b' <a href="/about-us/policy-offices/press-office/press-releases/2025/july/a">Read more</a></li>'
    )
    (item,) = parse_listing(page, source_id="u", now=NOW, base_url=USTR_LISTING).items
    assert item.title == "Real title"
