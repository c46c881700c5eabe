"""Exact pre-checks: cheap tests that tell when a pattern cannot match, so the pattern need not run.

Most sentences of an item have no meeting word, no title, no surname; a big case-insensitive alternation
tried at every position of a text costs 5-60 us to say so, a few substring tests well under one.

Needles. Every match of a case-insensitive pattern made of ASCII words contains one of a few words (its
needles): if the lower-cased text holds none of them, the pattern cannot match. `str.lower` and re.I agree on
ASCII letters; the only other characters re.I matches to ASCII letters are İ ı ſ K (U+0130, U+0131, U+017F,
U+212A; checked over all of Unicode for Python 3.11): a text holding one of those gets no pre-check.

Leftmost start. A pattern whose every match begins with one of a set of literal words (a look-behind before
it aside) cannot match before the leftmost place any of those words occurs; a plain case-sensitive
alternation of the literals (gazetteer.trie_pattern, no look-around) finds that place fast: the regex engine
skips to the possible first characters.
Searching from there finds exactly what searching from 0 finds (look-behinds and \\b still see the text
before the starting position).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator

_ASCII_LOOKALIKES = ("\u0130", "\u0131", "\u017f", "\u212a")


def lowered(text: str) -> str | None:
    """`text` lower-cased for `may_contain`; None when it holds a character re.I equates with an ASCII letter."""
    if text.isascii() or not any(ch in text for ch in _ASCII_LOOKALIKES):
        return text.lower()
    return None


def may_contain(low: str | None, needles: tuple[str, ...]) -> bool:
    """False only if `low` (from `lowered`) holds none of the (lower-case) needles."""
    if low is None:
        return True
    for needle in needles:  # noqa: SIM110 (a plain loop: a quarter faster than any() over a generator)
        if needle in low:
            return True
    return False


def search_from_first(pattern: re.Pattern, starts: re.Pattern, text: str) -> re.Match | None:
    """pattern.search(text), where every match of `pattern` begins with a match of `starts`."""
    first = starts.search(text)
    return pattern.search(text, first.start()) if first else None


def finditer_from_first(pattern: re.Pattern, starts: re.Pattern, text: str) -> Iterator[re.Match]:
    """pattern.finditer(text), where every match of `pattern` begins with a match of `starts`."""
    first = starts.search(text)
    return pattern.finditer(text, first.start()) if first else iter(())


def search_if_needles(
    pattern: re.Pattern, needles: tuple[str, ...], text: str, low: str | None
) -> re.Match | None:
    """pattern.search(text) for whether and where it matches, or None at once when `low` (lowered(text)) holds
    none of the pattern's needles. An ASCII text is searched in `low` where that is exact (see _lower_twin)."""
    if not may_contain(low, needles):
        return None
    twin = _lower_twin(pattern)
    if twin is not None and low is not None and text.isascii():
        return twin.search(low)
    return pattern.search(text)


def search_at_starts(pattern: re.Pattern, starts: tuple[str, ...], text: str) -> bool:
    """Whether pattern.search(text) finds a match, trying the pattern only where one of `starts` occurs: exact
    when every match of the (case-insensitive) pattern begins with one of these lower-case words. Offsets of an
    ASCII text and its lower-cased form are the same; other texts are searched whole."""
    if not text.isascii():
        return pattern.search(text) is not None
    low = text.lower()
    for start in starts:
        at = low.find(start)
        while at >= 0:
            if pattern.match(text, at):
                return True
            at = low.find(start, at + 1)
    return False


# pattern id → (pattern, its twin): keyed by identity, as hashing a compiled pattern hashes all its code (~1 us
# for the big ones, on every call); the pattern is kept so its id is not reused. A handful of module-level ones.
_TWINS: dict[int, tuple[re.Pattern, re.Pattern | None]] = {}


def _lower_twin(pattern: re.Pattern) -> re.Pattern | None:
    """The same pattern lower-cased, without re.I, if that means the same on lower-cased ASCII text: an ASCII
    pattern setting no flags inline, with no escape that changes meaning in lower case (\\S \\W \\B \\D \\A \\Z),
    no named group, no character range with a capital letter at one end only ([A-Z] becomes [a-z]: under
    re.I both take every ASCII letter). On lower-cased ASCII text it matches exactly where the original
    matches the text, and 2-5x faster (re.I reads every character through its lower case)."""
    entry = _TWINS.get(id(pattern))
    if entry is None or entry[0] is not pattern:
        if len(_TWINS) > 1024:  # only patterns made at run time could get here: keep the memo bounded
            _TWINS.clear()
        entry = _TWINS[id(pattern)] = (pattern, _make_twin(pattern))
    return entry[1]


_CASE_BOUND = re.compile(
    r"\(\?[a-z-]"  # (?i), (?-i:...) and the like
    r"|\\[A-Z]"  # an escape that means something else in lower case
    r"|\(\?P"  # a named group or a reference to one: (?P must stay as written
    r"|[A-Z]-[^A-Z]|[^A-Z]-[A-Z]")  # a range from a capital to another kind of character, or back


def _make_twin(pattern: re.Pattern) -> re.Pattern | None:
    source = pattern.pattern
    if not pattern.flags & re.I or not source.isascii() or _CASE_BOUND.search(source):
        return None
    return re.compile(source.lower(), pattern.flags & ~re.I)


def lower_finditer(pattern: re.Pattern, text: str) -> Iterator[re.Match]:
    """pattern.finditer(text) for the positions of the matches (their text is lower-cased on the fast path)."""
    twin = _lower_twin(pattern)
    if twin is not None and text.isascii():
        return twin.finditer(text.lower())
    return pattern.finditer(text)


def lower_search(pattern: re.Pattern, text: str) -> re.Match | None:
    """pattern.search(text) for whether and where it matches (its text is lower-cased on the fast path)."""
    twin = _lower_twin(pattern)
    if twin is not None and text.isascii():
        return twin.search(text.lower())
    return pattern.search(text)


def count_matches(pattern: re.Pattern, text: str) -> int:
    """len(pattern.findall(text)), on the fast path where it applies (see _lower_twin)."""
    twin = _lower_twin(pattern)
    if twin is not None and text.isascii():
        return len(twin.findall(text.lower()))
    return len(pattern.findall(text))


class TextTests:
    """Whether patterns occur in one text, each searched at most once (a clause is tested against the same
    dozen patterns several times over), on the lower-cased text where that is exact (see _lower_twin)."""

    __slots__ = ("text", "_low", "_found")

    def __init__(self, text: str) -> None:
        self.text = text
        self._low = text.lower() if text.isascii() else None
        self._found: dict[int, bool] = {}  # by id(pattern): module-level patterns, alive all along

    def has(self, pattern: re.Pattern) -> bool:
        """bool(pattern.search(self.text))"""
        found = self._found.get(id(pattern))
        if found is None:
            twin = _lower_twin(pattern)
            if twin is not None and self._low is not None:
                found = twin.search(self._low) is not None
            else:
                found = pattern.search(self.text) is not None
            self._found[id(pattern)] = found
        return found


class NeedleIndex:
    """Which of several texts (an item's sentences) may hold one of a set of needles: the texts where
    may_contain(lowered(text), needles) is true, and maybe a few more. Found with one substring scan per
    needle over all the lowered texts joined (~4 KB), instead of one per needle and sentence (~40 sentences
    by 20 needles). A needle in a text is found in the join; one spanning the join of two texts only adds
    a text, which then gets its own tests."""

    def __init__(self, lows: list[str | None]) -> None:
        self._unknown = [i for i, low in enumerate(lows) if low is None]  # not lowered: never ruled out
        self._joined = "\n".join(low or "" for low in lows)
        self._ends: list[int] = []  # where each text ends in the join
        end = -1
        for low in lows:
            end += 1 + len(low or "")
            self._ends.append(end)
        self._memo: dict[tuple[str, ...], frozenset[int]] = {}

    def holders(self, needles: tuple[str, ...]) -> frozenset[int]:
        """Indices of the texts that may hold one of `needles` (lower case)."""
        found = self._memo.get(needles)
        if found is None:
            out = set(self._unknown)
            joined, ends = self._joined, self._ends
            for needle in needles:
                at = joined.find(needle)
                while at >= 0:
                    i = bisect_right(ends, at)  # the text it begins in (a text's end is its separator)
                    out.add(i)
                    at = joined.find(needle, ends[i] + 1) if i + 1 < len(ends) else -1
            found = self._memo[needles] = frozenset(out)
        return found
