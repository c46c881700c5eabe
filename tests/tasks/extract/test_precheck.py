"""The pre-checks find exactly what the patterns they stand in for find: the lower-cased twin of a
case-insensitive pattern, used on lower-cased ASCII text, matches at the same places, capital letters and
[A-Z] ranges in the pattern included; what would change meaning in lower case keeps the pattern itself."""

from __future__ import annotations

import re

import pytest

from tasks.extract.precheck import lower_finditer, lower_search

TEXTS = [
    "The KORUS FTA and the EU's CEPA: Trade Minister Yeo met USTR Greer; shares fell as OPEC+ cut output.",
    "Kelvin \u212a and dotted \u0130stanbul: non-ASCII text is searched as it is. ftA, Fta, CEPA-style.",
    "Nothing here at all, only ordinary words about the weather in Seoul this week.",
]
PATTERNS = [
    re.compile(r"\b(?:[A-Z]{0,6}FTA|CEPA|USTR|OPEC\+?)\b", re.I),  # capitals and a range: given a twin
    re.compile(r"\btrade\s+minister\s+(?P<name>\w+)", re.I),
    re.compile(r"\bK\S+", re.I),  # \S means something else as \s: the pattern itself
    re.compile(r"(?P<Who>\bUSTR\b)", re.I),  # named groups keep the pattern itself
    re.compile(r"[A-z]+", re.I),  # a range across the cases
]


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.pattern[:24])
@pytest.mark.parametrize("text", TEXTS, ids=["ascii", "non-ascii", "none"])
def test_the_fast_path_finds_what_the_pattern_finds(pattern, text):
    assert [m.span() for m in lower_finditer(pattern, text)] == [m.span() for m in pattern.finditer(text)]
    found, fast = pattern.search(text), lower_search(pattern, text)
    assert (fast.span() if fast else None) == (found.span() if found else None)
    if "Who" in pattern.groupindex:
        assert [m.group("Who") for m in lower_finditer(pattern, text)] == [
            m.group("Who") for m in pattern.finditer(text)]
