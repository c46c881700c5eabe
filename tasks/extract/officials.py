"""Who: officials with role and country, from the gazetteer and from titles in context.

Two passes per item: `collect_registry` finds full names (gazetteer names, "Trade Minister Yeo
Han-koo", "Rajesh Agrawal, India's chief negotiator"); `find_officials` then also matches the
surnames of those people ("Yeo said ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache, lru_cache

from records.findings import Official
from tasks.extract.gazetteer import Gazetteer, surname_of, trie_pattern
from tasks.extract.precheck import finditer_from_first, lowered, may_contain
from tasks.extract.sentences import fold, name_key

_NAME_TOKEN = r"(?:[A-Z][a-z]+(?:-[a-z]+)?(?:-[A-Z][a-z]+)?|[A-Z]\.|[A-Z][a-z]*[A-Z][a-z]+|Jr\.)"
_NAME = rf"(?:{_NAME_TOKEN}(?:\s+(?:von der|van der|von|van|de|da|bin|{_NAME_TOKEN})){{0,3}})"
_STOP = {
    "the",
    "on",
    "in",
    "and",
    "of",
    "for",
    "to",
    "at",
    "with",
    "by",
    "said",
    "says",
    "will",
    "has",
    "had",
    "was",
    "is",
    "office",
    "department",
    "ministry",
    "council",
    "house",
    "white",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "trade",
    "minister",
    "secretary",
    "president",
    "commissioner",
    "representative",
    "ambassador",
    "greer's",
    "this",
    "that",
    "it",
    "he",
    "she",
    "they",
    "who",
    "which",
    "but",
    "as",
    "after",
    "before",
    "since",
    "when",
    "while",
    "also",
    "then",
    "told",
    "agreed",
    "met",
    "called",
    "added",
    "expected",
    "his",
    "her",
    "its",
    "their",
    "our",
    "meet",
    "meets",
    "calls",
    "call",
    "sees",
    "hold",
    "holds",
    "agree",
    "agrees",
    "set",
    "visit",
    "visits",
    "heads",
    "talks",
    "urges",
    "vows",
    "signs",
    "hails",
    "welcomes",
    "tells",
    "warns",
    "eyes",
    "seeks",
    "wants",
    "economic",
    "finance",
    "industry",
    "commerce",
    "treasury",
    "state",
    "affairs",
    "energy",
}


@dataclass(frozen=True)
class OfficialMention:
    official: Official
    start: int
    end: int
    leader: bool
    background: bool  # "Trump's tariffs", "the administration of President Trump": not a participant
    guessed: bool = False  # the country is the item's most named, not one the text gives for this person


class Registry:
    """The people one item names, so a surname alone can find them again. Change `people` through `add` only
    (it drops the memos of what the people's surnames are)."""

    def __init__(self) -> None:
        self.people: dict[str, tuple[Official, bool]] = {}  # name key → (official, leader)
        self._by_surname: dict[str, tuple[Official, bool]] | None = None  # memo of by_surname()
        self._surnames: tuple[Gazetteer, _Surnames] | None = None  # memo of _surnames_for(gaz, self)

    def add(self, official: Official, leader: bool) -> Official:
        self._by_surname = self._surnames = None
        key = name_key(official.name)
        if key in self.people:
            old, old_leader = self.people[key]
            merged = Official(old.name, old.role or official.role, old.country or official.country)
            self.people[key] = (merged, old_leader or leader)
            return merged
        # a short form ("Minister Ahn") of someone already known by full name
        for _k, (o, _lead) in self.people.items():
            if name_key(surname_of(o.name)) == key:
                return o
        self.people[key] = (official, leader)
        return official

    def by_surname(self) -> dict[str, tuple[Official, bool]]:
        if self._by_surname is None:  # asked for every sentence, changed by a few (add)
            out: dict[str, tuple[Official, bool]] = {}
            for o, lead in self.people.values():
                if " " in o.name:
                    out[surname_of(o.name)] = (o, lead)
            self._by_surname = out
        return dict(self._by_surname)


@cache
def _title_regex(gaz_id: int, titles: tuple[str, ...]) -> re.Pattern:
    # the titles as a trie (~4x faster than a flat alternation of 77 titles): at every position it tries the
    # titles that match there longest first, as the length-sorted alternation did, so it finds the same names
    title = trie_pattern({fold(t).lower() for t in titles})  # lower case: the same titles under (?i:)
    return re.compile(rf"(?P<title>(?i:{title}))\s+(?P<name>{_NAME})")


@cache
def _appositive_regex(gaz_id: int, titles: tuple[str, ...]) -> re.Pattern:
    alts = sorted({fold(t) for t in titles}, key=len, reverse=True)
    title = "|".join(re.escape(t) for t in alts)
    return re.compile(
        rf"(?P<name>{_NAME}),\s+(?P<pre>(?:the\s+)?(?:[A-Z][\w.]*(?:\s[A-Z][\w.]*){{0,3}}'s\s+|[A-Z][\w.]+\s+)?(?:(?:[a-z]+|[A-Z][a-z]+)\s+){{0,2}}?)(?P<title>(?i:{title}))\b"
    )


@cache
def _known_regex(gaz_id: int, names: tuple[str, ...]) -> re.Pattern:
    alts = sorted({fold(n) for n in names}, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(n) for n in alts) + r")(?![\w-])")


@cache
def _known_names_regex(gaz: Gazetteer) -> re.Pattern:
    return _known_regex(id(gaz), tuple(n for o in gaz.officials for n in (o.name, *o.aliases)))


@cache
def _known_name_starts(gaz: Gazetteer) -> re.Pattern:
    """The names of _known_names_regex without look-arounds: where its first match can start (precheck)."""
    return re.compile(trie_pattern({fold(n) for o in gaz.officials for n in (o.name, *o.aliases)}))


@cache
def _title_texts(gaz: Gazetteer) -> tuple[str, ...]:
    return tuple(t.text for t in gaz.titles)


@cache
def _title_starts(gaz: Gazetteer) -> re.Pattern | None:
    """The titles in lower case, without look-arounds. None (see _first_title) if a title is not ASCII, or
    holds none of _TITLE_WORDS (the title-word filter would skip its sentences: keep doing so)."""
    titles = {fold(t).lower() for t in _title_texts(gaz)}
    if all(t.isascii() and any(w in t for w in _TITLE_WORDS) for t in titles):
        return re.compile(trie_pattern(titles))
    return None


@cache
def _bare_surnames(gaz: Gazetteer) -> tuple[tuple[str, tuple[Official, bool]], ...]:
    return tuple(
        (fold(o.surname), (Official(o.name, o.role, o.country), o.leader)) for o in gaz.officials if o.bare
    )


@lru_cache(maxsize=1024)
def _surname_regex(surnames: tuple[str, ...]) -> re.Pattern:
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(s) for s in surnames) + r")(?![\w-])")


@dataclass(frozen=True)
class _Surnames:
    """The surnames find_officials looks for: folded surname → (official, leader), and the order the surname
    pattern tries them in (longest first)."""

    people: dict[str, tuple[Official, bool]]
    ordered: tuple[str, ...]
    others: tuple[str, ...]  # the surnames that are not the gazetteer's bare ones (the registry's)

    def pattern_for(self, folded: str, bare_found: bool) -> re.Pattern | None:
        """The surname pattern for one text, of the surnames that occur in it (in the same order): one that
        does not occur cannot match, so this finds what the pattern of all of them finds. A pattern of the
        few names a sentence holds is compiled (and memoised) fast; one of ~40 costs ~280 us, and a
        registry with new people needed a new one. `bare_found`: _Scan.bare_surname of the text."""
        if not bare_found and not any(sur in folded for sur in self.others):
            return None  # most sentences
        present = tuple(sur for sur in self.ordered if sur in folded)
        return _surname_regex(present) if present else None


@cache
def _bare_surname_pattern(gaz: Gazetteer) -> re.Pattern:
    return re.compile(trie_pattern({sur for sur, _ in _bare_surnames(gaz)}))


@cache
def _bare_surname_set(gaz: Gazetteer) -> frozenset[str]:
    return frozenset(sur for sur, _ in _bare_surnames(gaz))


def _make_surnames(gaz: Gazetteer, people: dict[str, tuple[Official, bool]]) -> _Surnames:
    bare = _bare_surname_set(gaz)
    others = tuple(sur for sur in people if sur not in bare)
    return _Surnames(people, tuple(sorted(people, key=len, reverse=True)), others)


@cache
def _gazetteer_surnames(gaz: Gazetteer) -> _Surnames:
    return _make_surnames(gaz, dict(_bare_surnames(gaz)))


def _surnames_for(gaz: Gazetteer, registry: Registry | None) -> _Surnames:
    """Gazetteer `bare` people anywhere, and the people the registry holds: the same for all the sentences
    read with one registry, so made once per registry (until it grows)."""
    if registry is None:
        return _gazetteer_surnames(gaz)
    if registry._surnames is None or registry._surnames[0] is not gaz:
        people = dict(_bare_surnames(gaz))
        for sur, (o, lead) in registry.by_surname().items():
            people[fold(sur)] = (o, lead)
        registry._surnames = (gaz, _make_surnames(gaz, people))
    return registry._surnames[1]


def _clean_name(raw: str) -> str | None:
    tokens = raw.split()
    kept: list[str] = []
    for t in tokens:
        if t.lower().rstrip(".") in _STOP or t.lower() in _STOP:
            break
        kept.append(t)
    while kept and kept[-1].lower() in ("von", "van", "de", "da", "bin", "der"):
        kept.pop()
    if not kept:
        return None
    name = " ".join(kept)
    if name.endswith("'s"):
        name = name[:-2]
    return name or None


def _title_info(gaz: Gazetteer, title: str) -> tuple[bool, str | None]:
    t = fold(title).lower()
    for ti in gaz.titles:
        if fold(ti.text).lower() == t:
            return ti.leader, ti.default_country
    return False, None


def _country_before(gaz: Gazetteer, text: str, pos: int) -> str | None:
    """A country adjective or possessive directly before a title: "U.S. Commerce Secretary", "India's chief negotiator"."""
    window = text[max(0, pos - 45) : pos]
    mentions = gaz.find_countries(window)
    if not mentions:
        return None
    last = mentions[-1]
    gap = window[last.end :]
    if re.fullmatch(
        r"(?:'s)?\s*(?:(?:top|chief|new|acting|former|visiting|then|own|deputy|senior|lead)\s+)*", gap, re.I
    ):
        return last.code
    return None


# "Trump's tariffs" is background; "Carney's meeting with Trump" names a participant
_POSSESSIVE_BACKGROUND = re.compile(
    r"(?:'s|’s)\s+(?!office|team|delegation|side|cabinet|envoy|negotiator|meeting|talks|call|visit|trip|summit|"
    r"phone|video|first|second|third)"
)
_ADMINISTRATION_AFTER = re.compile(r"\s+administration")
_BACKGROUND_BEFORE = re.compile(
    r"(?:administration|government|letter|order|policies|policy|threat) (?:of|to|from|by)\s+(?:[A-Z][\w.]*\s+){0,3}$"
)


def _is_background(text: str, start: int, end: int) -> bool:
    after = text[end : end + 16]
    before = text[max(0, start - 30) : start]
    if _POSSESSIVE_BACKGROUND.match(after):
        return True
    if _ADMINISTRATION_AFTER.match(after):
        return True
    return bool(_BACKGROUND_BEFORE.search(before))


def collect_registry(sentences: list[str], gaz: Gazetteer) -> Registry:
    reg = Registry()
    for text in sentences:
        for m in find_officials(text, gaz, reg, register=True):
            reg.add(m.official, m.leader)
    return reg


@dataclass(frozen=True)
class _Scan:
    """What the three big patterns find in one folded text (depends on the text and gazetteer only)."""

    known: tuple[tuple[int, int, str], ...]  # (start, end, name)
    titled: tuple[tuple[int, int, int, str], ...]  # (title start, title end, name start, raw name)
    appositive: tuple[tuple[int, str, str, int, int], ...]  # (name start, raw name, pre, title start, end)
    # whether a gazetteer `bare` surname occurs (no look-arounds: one fast search says "none here"); searched
    # here, once per text, rather than in each registry pass
    bare_surname: bool


@lru_cache(maxsize=16384)
def _scan(folded: str, gaz: Gazetteer) -> _Scan:
    """The same sentences are read several times per item (registry, counts, each segment): scan each once."""
    titles = _title_texts(gaz)
    known = tuple(
        (m.start(), m.end(), m.group(1))
        for m in finditer_from_first(_known_names_regex(gaz), _known_name_starts(gaz), folded)
    )
    titled: tuple = ()
    appositive: tuple = ()
    first_title = _first_title(folded, gaz)
    if first_title is not None:  # no title, no titled name (most segments of most sentences)
        titled = tuple(
            (m.start("title"), m.end("title"), m.start("name"), m.group("name"))
            for m in _title_regex(id(gaz), titles).finditer(folded, first_title)
        )
        if _title_after_comma(folded, gaz):  # "Name, title": the title follows a comma
            appositive = tuple(
                (m.start("name"), m.group("name"), m.group("pre"), m.start("title"), m.end("title"))
                for m in _appositive_regex(id(gaz), titles).finditer(folded)
            )
    bare_surname = _bare_surname_pattern(gaz).search(folded) is not None
    return _Scan(known, titled, appositive, bare_surname)


# every title of the gazetteer contains one of these (any case): a cheap pre-filter. No test checks this; a new
# title without one of these words would never be found.
_TITLE_WORDS = (
    "president", "minister", "premier", "chancellor", "taoiseach", "prince", "secretary", "emperor", "king",
    "representative", "ustr", "commissioner", "general", "negotiator", "envoy", "ambassador", "exchequer",
    "economy", "finance", "state", "commerce", "treasury", "trade",
)  # fmt: skip
_ANY_TITLE_WORD = re.compile("(?i:" + "|".join(_TITLE_WORDS) + ")")


def _has_title_word(folded: str) -> bool:
    """_ANY_TITLE_WORD.search(folded), as substring tests (exact: the pattern is these words, any case)."""
    low = lowered(folded)
    return bool(_ANY_TITLE_WORD.search(folded)) if low is None else may_contain(low, _TITLE_WORDS)


def _title_after_comma(folded: str, gaz: Gazetteer) -> bool:
    """Whether a title may begin after the text's first comma: an appositive ("Name, India's chief
    negotiator") needs one, and its pattern costs ~12 us a sentence to say there is none (see _first_title
    for the exact test on lower-cased ASCII text)."""
    comma = folded.find(",")
    if comma < 0:
        return False
    starts = _title_starts(gaz)
    if starts is None or not folded.isascii():
        return True
    return starts.search(folded.lower(), comma + 1) is not None


def _first_title(folded: str, gaz: Gazetteer) -> int | None:
    """Where the text's first title begins (any case), or None: it has none. A titled name begins with a title,
    an appositive holds one. Found in the lower-cased ASCII text (same offsets); other texts: 0 if they have
    a title word."""
    starts = _title_starts(gaz)
    if starts is None or not folded.isascii():
        return 0 if _has_title_word(folded) else None
    first = starts.search(folded.lower())
    return first.start() if first else None


def find_officials(
    text: str, gaz: Gazetteer, registry: Registry | None = None, register: bool = False
) -> list[OfficialMention]:
    """Officials named in one sentence, in text order."""
    folded = fold(text)
    scan = _scan(folded, gaz)
    surnames = _surnames_for(gaz, registry)
    surname_pattern = surnames.pattern_for(folded, scan.bare_surname)
    if not (scan.known or scan.titled or scan.appositive or surname_pattern):
        return []  # no name, title or surname in it (most sentences)
    out: list[OfficialMention] = []
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    def emit(off: Official, s: int, e: int, leader: bool) -> None:
        if registry is not None and not register:
            key = name_key(off.name)
            if key in registry.people:
                off, leader = registry.people[key][0], registry.people[key][1] or leader
        out.append(OfficialMention(off, s, e, leader, _is_background(folded, s, e)))
        taken.append((s, e))

    # 1. gazetteer names and aliases
    for k_start, k_end, k_name in scan.known:
        o = gaz.by_key[name_key(k_name)]
        if free(k_start, k_end):
            emit(Official(o.name, o.role, o.country), k_start, k_end, o.leader)
    # 2. title + name: "Trade Minister Yeo Han-koo", "U.S. Commerce Secretary Howard Lutnick"
    for t_start, t_end, n_start, raw_name in scan.titled:
        name = _clean_name(raw_name)
        if not name:
            continue
        s, e = n_start, n_start + len(name)
        if not free(s, e):
            continue
        leader, default = _title_info(gaz, folded[t_start:t_end])
        country = _country_before(gaz, folded, t_start) or default
        role = text[t_start:t_end]
        known = gaz.by_key.get(name_key(name))
        if known:
            emit(Official(known.name, known.role, known.country), s, e, known.leader)
            continue
        if registry is not None:
            sur = registry.by_surname()
            if name in sur:
                emit(sur[name][0], s, e, sur[name][1])
                continue
        if " " not in name and registry is None:
            continue
        if any(c.start <= s < c.end for c in gaz.find_countries(folded[s:e]) if c.start == 0):
            continue
        emit(Official(name, _role(role), country), s, e, leader)
    # 3. appositive: "Rajesh Agrawal, India's chief negotiator"
    for n_start, raw_name, pre_text, t_start, t_end in scan.appositive:
        name = _clean_name(raw_name)
        if not name or " " not in name:
            continue
        s = n_start
        e = s + len(name)
        if not free(s, e):
            continue
        if gaz.find_countries(name):
            continue
        leader, default = _title_info(gaz, folded[t_start:t_end])
        pre = gaz.find_countries(pre_text)
        country = pre[-1].code if pre else default
        emit(Official(name, _role(text[t_start:t_end]), country), s, e, leader)
    # 4. surnames of people already named (gazetteer `bare` people anywhere)
    if surname_pattern is not None:
        for m in surname_pattern.finditer(folded):
            if free(m.start(), m.end()):
                o, lead = surnames.people[m.group(1)]
                emit(o, m.start(), m.end(), lead)
    out.sort(key=lambda om: om.start)
    return out


def _role(title: str) -> str:
    words = title.split()
    return " ".join(w if w.isupper() else w[:1].upper() + w[1:] for w in words)


def with_country(official: Official, country: str | None) -> Official:
    return official if official.country or not country else replace(official, country=country)
