"""The feedparser internals the fast path mirrors (tasks/sources/feedparser_compat.py) are where they were and
do what the fast path relies on. A feedparser release that moves or changes one fails here, loudly."""

from __future__ import annotations

import feedparser

from tasks.sources import feedparser_compat as compat


def test_the_pinned_release_is_the_one_the_fast_path_mirrors():
    assert feedparser.__version__.startswith("6.0.")


def test_dates_are_parsed_to_utc_struct_times():
    parsed = compat.parse_date("Thu, 24 Apr 2025 10:30:00 +0900")
    assert tuple(parsed[:6]) == (2025, 4, 24, 1, 30, 0)
    assert compat.parse_date("not a date") is None


def test_the_cp1252_table_maps_the_c1_range():
    assert "\x80\x93\x94".translate(compat.CP1252_TABLE) == "\u20ac\u201c\u201d"


def test_urls_are_joined_and_made_safe():
    assert compat.urljoin("https://example.org/news/", "item/1") == "https://example.org/news/item/1"
    assert compat.make_safe_absolute_uri("https://example.org/", "javascript:alert(1)") == ""


def test_charsets_come_from_the_content_type_and_the_xml_declaration():
    assert compat.parse_content_type("application/rss+xml; charset=ISO-8859-1") == ("application/rss+xml",
                                                                                    "ISO-8859-1")
    assert compat.XML_PI_ENCODING.match(b'<?xml version="1.0" encoding="utf-8"?>').group(1) == b"utf-8"
