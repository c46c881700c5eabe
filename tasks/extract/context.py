"""Everything extraction needs to know about one item before reading its sentences."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date

from records.findings import ExtractConfig, Official
from records.items import Item
from tasks.extract.dates import reference_date
from tasks.extract.gazetteer import CountryMention, Gazetteer
from tasks.extract.officials import OfficialMention, Registry, collect_registry, find_officials
from tasks.extract.precheck import NeedleIndex, lowered
from tasks.extract.sentences import Sentence, fold, item_sentences, read_dateline

_LOCATIVE = re.compile(
    r"(?:\b(?:in|at|to|into|near|via|for|toward|towards|outside|inside|across|around|visit|visiting|visited|"
    r"island of|capital|arrived in|landed in|returning from)\s+(?:the\s+)?(?:(?!with\b|and\b|talks\b)[a-z]+\s+){0,2}|[A-Z][a-z]+,\s+)$"
)


# "for higher U.S. tariffs", "to Chinese goods": a country word used attributively names a government, not a place
_TRADE_FLOW = re.compile(r"\b(?:imports?|exports?|goods|shipments|products)\s+(?:from|into|to)\s+(?:the\s+)?$", re.I)
_ATTRIBUTIVE = re.compile(
    r"\s+(?:tariffs?|duties|duty|levy|levies|goods|imports|exports|products|officials?|negotiators?|side|team|"
    r"delegation|government|administration|counterparts?|leaders?|president|trade)\b",
    re.I,
)


_TOPIC = re.compile(r"\b(?:covering|about|regarding|concerning|on\s+the\s+(?:situation|crisis|war)\s+in)\s+(?:the\s+)?$", re.I)
_IN_THE = re.compile(r"\b(?:in|at|near|across|on|off|along)\s+the\s+$", re.I)
_PLACE_NOUN = re.compile(
    r"\s+(?:(?!Government|Embassy|Ministry|Foreign|Commerce|Trade|President|Prime|Side)[A-Z][a-z]+\b|capital|city|border|"
    r"coast|resort|mountains|countryside|province|state|region|port)",
)


@dataclass
class ItemContext:
    item: Item
    gaz: Gazetteer
    config: ExtractConfig
    sentences: list[Sentence]
    ref: date
    registry: Registry
    dateline_place: str | None
    country_counts: Counter
    the_bloc: str = "EU"  # what "the bloc" names here: the one bloc the item names, when it never names the EU
    background_measures: int = 0  # measures told with a date long gone (no mention, but evidence of a measure)
    weak_ok: frozenset[str] = frozenset()  # governments whose ambiguous names ("Georgia") the item supports
    _officials: dict | None = None  # memo of officials_in by text
    _named: dict | None = None  # memo of named_officials by text
    _reciprocal: bool | None = None  # memo (deadlines): about the general "reciprocal" rates, no threat
    _needles: NeedleIndex | None = None  # memo of sentences_holding: the sentences' lowered texts, joined

    def sentences_holding(self, needles: tuple[str, ...]) -> frozenset[int]:
        """Indices of the sentences whose folded text may hold one of `needles` (lower case): every sentence
        where may_contain(lowered(fold(s.text)), needles) is true is among them (precheck.NeedleIndex)."""
        if self._needles is None:
            self._needles = NeedleIndex([lowered(fold(s.text)) for s in self.sentences])
        return self._needles.holders(needles)

    def countries_in(self, text: str) -> list[CountryMention]:
        return _bloc_named(self.gaz.find_countries(text, self.weak_ok), self.the_bloc)

    def party_countries(self, text: str) -> list[CountryMention]:
        """Country mentions that name a government, not a place ("in Washington" is a place)."""
        return _bloc_named(party_countries(self.gaz, text, self.weak_ok), self.the_bloc)

    def officials_in(self, text: str) -> list[OfficialMention]:
        if self._officials is None:
            self._officials = {}
        if text not in self._officials:
            self._officials[text] = tuple(self._officials_in(text))
        return list(self._officials[text])

    def _officials_in(self, text: str) -> list[OfficialMention]:
        out = []
        for m in self.named_officials(text):
            out.append(m if m.official.country else _fill_country(m, self))
        return out

    def named_officials(self, text: str) -> tuple[OfficialMention, ...]:
        """find_officials with the item's (complete) registry; memo: build_context reads every sentence, the
        extractors read many of them again."""
        if self._named is None:
            self._named = {}
        if text not in self._named:
            self._named[text] = tuple(find_officials(text, self.gaz, self.registry))
        return self._named[text]

    def main_countries(self, k: int = 2) -> list[str]:
        return [c for c, _ in self.country_counts.most_common(k)]


def _fill_country(m: OfficialMention, ctx: ItemContext) -> OfficialMention:
    """An official whose country the text does not give: the item's most named country that uses such titles."""
    role = (m.official.role or "").lower()
    ranked = [c for c, _ in ctx.country_counts.most_common()]
    for code in ranked:
        if code == "US" and "minister" in role:
            continue
        if code == "EU" and "commissioner" not in role and "president" not in role:
            continue
        official = Official(m.official.name, m.official.role, code)
        return OfficialMention(official, m.start, m.end, m.leader, m.background, guessed=True)
    return m


def _bloc_named(found: list[CountryMention], the_bloc: str) -> list[CountryMention]:
    if the_bloc == "EU":
        return found
    return [replace(c, code=the_bloc, kind="bloc") if c.code == "EU" and c.text.lower() == "the bloc" else c
            for c in found]


def bloc_referent(gaz: Gazetteer, sentences: list[Sentence]) -> str:
    """What "the bloc" names in an item: the one bloc it names (the GCC, ASEAN...) when it never names the EU
    by a name of its own; else the EU, whose byname it is."""
    blocs, eu_named = set(), False
    for s in sentences:
        for c in gaz.find_countries(s.text):
            if c.kind == "bloc":
                blocs.add(c.code)
            elif c.code == "EU" and c.text.lower() != "the bloc":
                eu_named = True
    return blocs.pop() if len(blocs) == 1 and not eu_named else "EU"


def party_countries(gaz: Gazetteer, text: str, weak: frozenset[str] = frozenset()) -> list[CountryMention]:
    """Country mentions that name a government, not a place ("in Washington" is a place)."""
    folded = fold(text)
    out = []
    found = gaz.find_countries(text, weak)
    listed = {c.end for c in found if c.kind in ("name", "bloc")}  # "Argentina, Brazil": a list of governments
    for c in found:
        if c.kind == "city":
            continue
        before = folded[max(0, c.start - 40) : c.start]
        if (
            c.kind in ("capital", "name")
            and _LOCATIVE.search(before)
            and not _ATTRIBUTIVE.match(folded, c.end)
            and not folded.startswith("'s", c.end)  # "to extend the UK's safeguard": an owner, never a place
            and not _TRADE_FLOW.search(before)  # "imports into Great Britain": the government that imports
            and not (before.endswith(", ") and c.start - 2 in listed)
        ):
            continue
        if c.kind == "adjective" and _IN_THE.search(before) and _PLACE_NOUN.match(folded, c.end):
            continue  # "in the Canadian Rockies", "at the Swiss border"
        if _TOPIC.search(before):
            continue  # "talks covering Hong Kong and regional security": what they spoke about, not who spoke
        out.append(c)
    return out


def country_counts(item: Item, gaz: Gazetteer, sentences: list[Sentence],
                   weak: frozenset[str] = frozenset()) -> Counter:
    """How often each government is named (sentences) plus the dateline's country."""
    counts: Counter = Counter()
    for s in sentences:
        for c in party_countries(gaz, s.text, weak):
            counts[c.code] += 1
    dl = read_dateline(item.body)
    if dl:  # the dateline's country: where the story is told from
        code = gaz.place_country(dl.place) or (gaz.place_country(dl.region) if dl.region else None)
        if code:
            counts[code] += 1
    return counts


def build_context(item: Item, gaz: Gazetteer, config: ExtractConfig) -> ItemContext:
    sentences = item_sentences(item.title, item.summary, item.body)
    dl = read_dateline(item.body)
    zone = gaz.zone_for_place(dl.place, dl.region) if dl else None
    ref = reference_date(item.published_at, item.published_offset_min, zone, dl.month_day if dl else None)
    if ref is None:
        ref = date.today()
    registry = collect_registry([s.text for s in sentences], gaz)
    weak = gaz.supported_weak([s.text for s in sentences], dl.place if dl else None)
    counts = country_counts(item, gaz, sentences, weak)
    ctx = ItemContext(item, gaz, config, sentences, ref, registry, dl.place if dl else None, counts,
                      the_bloc=bloc_referent(gaz, sentences), weak_ok=weak)
    for s in sentences:
        for m in ctx.named_officials(s.text):
            if m.official.country and not m.background:
                counts[m.official.country] += 1
    return ctx
