"""feedparser's internals that the lxml fast path (tasks/sources/fastfeed.py) uses to build entries exactly as
feedparser 6.0.x does: its date parser, its UTF-8/Latin-1 and cp1252 repairs, its URL joining and its charset
rules. None is public API, so they are imported here only; pyproject pins feedparser to 6.0.x, and
tests/tasks/sources/test_feedparser_compat.py fails loudly if a release moves or changes one of them."""

from __future__ import annotations

from feedparser.datetimes import _parse_date as parse_date
from feedparser.encodings import RE_XML_PI_ENCODING as XML_PI_ENCODING
from feedparser.encodings import parse_content_type
from feedparser.html import _cp1252 as CP1252_TABLE  # noqa: N811 - a constant
from feedparser.urls import _urljoin as urljoin
from feedparser.urls import make_safe_absolute_uri

__all__ = ["CP1252_TABLE", "XML_PI_ENCODING", "make_safe_absolute_uri", "parse_content_type", "parse_date", "urljoin"]
