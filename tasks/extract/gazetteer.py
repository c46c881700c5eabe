"""Curated reference data (tasks/extract/data/gazetteer.toml) and the matchers built from it."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from tasks.extract.precheck import finditer_from_first
from tasks.extract.sentences import fold, name_key

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "gazetteer.toml"


@dataclass(frozen=True)
class KnownOfficial:
    name: str
    role: str
    country: str
    surname: str
    aliases: tuple[str, ...]
    bare: bool  # the surname alone identifies the person
    leader: bool


@dataclass(frozen=True)
class CountryMention:
    code: str
    start: int
    end: int
    kind: str  # "name" | "adjective" | "capital" | "agency" | "city" | "bloc" (code: the bloc's, e.g. "GCC")
    text: str


# what follows a government's or a bloc's name when the name is part of a pact's: "(the EU-Vietnam) Free Trade
# Agreement", "(the India-Mauritius) CECPA", "(the Korea-GCC) free trade agreement"
PACT_AFTER_NAME = re.compile(
    r"\s+(?:(?:[A-Z][\w-]+|and)\s+){0,6}?(?:FTA|CEPA|CECPA|CECA|EPA|TEPA|Agreement|Pact|Treaty|Accord|"
    r"(?i:(?:free\s+trade\s+|trade\s+|economic\s+partnership\s+)?(?:agreement|pact|deal|accord|treaty|fta|epa|cepa)))\b")


@dataclass(frozen=True)
class Bloc:
    """A group that negotiates trade as one party, and who takes part in its negotiations when."""

    code: str
    members: tuple[str, ...]
    since: dict[str, date]  # recent members: from when
    left: dict[str, date]  # recent leavers: until when
    aside: frozenset[str]  # members that take no part in its external talks (suspended, acceding)

    def negotiating(self, on: date | None) -> tuple[str, ...]:
        """The members that negotiate on `on` (today's members when no date is known)."""
        out = {m for m in self.members if m not in self.aside and (on is None or self.since.get(m, on) <= on)}
        out |= {m for m, until in self.left.items() if on is not None and on < until}
        return tuple(sorted(out))


@dataclass(frozen=True)
class Title:
    text: str
    leader: bool
    default_country: str | None


class Gazetteer:
    def __init__(self, data: dict):
        self.countries: dict[str, dict] = {c["code"]: c for c in data.get("country", [])}
        self.tz: dict[str, str] = {c["code"]: c["tz"] for c in data.get("country", []) if c.get("tz")}
        terms: dict[str, tuple[str, str]] = {}  # folded surface → (code, kind)
        self.places: dict[str, str] = {}  # folded lower place → country code
        for c in data.get("country", []):
            for kind, key in (
                ("city", "cities"),
                ("capital", "capitals"),
                ("adjective", "adjectives"),
                ("name", "names"),
            ):
                for surface in c.get(key, []):
                    terms[fold(surface)] = (c["code"], kind)
                    if kind in ("city", "capital"):
                        self.places[fold(surface).lower()] = c["code"]
            for name in c.get("names", []):
                self.places.setdefault(fold(name).lower(), c["code"])
        for a in data.get("agency", []):
            for surface in a.get("names", []):
                terms[fold(surface)] = (a["country"], "agency")
        self.blocs: dict[str, Bloc] = {}
        for b in data.get("bloc", []):
            self.blocs[b["code"]] = Bloc(
                b["code"], tuple(b["members"]),
                {m: date.fromisoformat(d) for m, d in b.get("members_since", {}).items()},
                {m: date.fromisoformat(d) for m, d in b.get("left", {}).items()},
                frozenset(b.get("suspended", [])) | frozenset(b.get("acceding", [])))
            for surface in b.get("names", []):
                terms[fold(surface)] = (b["code"], "bloc")
        self._terms = terms
        # surfaces too ambiguous to name a government alone ("Georgia", "Jordan"): read only in an item that names
        # that government otherwise too (its capital, a city, its full name), see `supported_weak`
        weak: dict[str, list[tuple[str, str]]] = {}
        for c in data.get("country", []):
            for surface in c.get("weak_names", []):
                weak.setdefault(fold(surface), []).append((c["code"], "name"))
        for b in data.get("bloc", []):
            for surface in b.get("weak_names", []):
                weak.setdefault(fold(surface), []).append((b["code"], "bloc"))
        self._weak = weak
        self.weak_codes = frozenset(code for found in weak.values() for code, _ in found)
        self._weak_re = re.compile(r"(?<![A-Za-z0-9.])(" + trie_pattern(weak) + r")(?![A-Za-z0-9])") if weak else None
        self._found: dict[
            str, tuple[CountryMention, ...]
        ] = {}  # memo: the same sentences are read many times
        self._country_re = re.compile(r"(?<![A-Za-z0-9.])(" + trie_pattern(terms) + r")(?![A-Za-z0-9])")
        # the terms without look-arounds: where a match of _country_re can start (found fast, see precheck.py)
        self._term_starts = re.compile(trie_pattern(terms))
        self.officials: tuple[KnownOfficial, ...] = tuple(
            KnownOfficial(
                name=o["name"],
                role=o.get("role", ""),
                country=o["country"],
                surname=o.get("surname") or _default_surname(o["name"]),
                aliases=tuple(o.get("aliases", [])),
                bare=bool(o.get("bare", False)),
                leader=bool(o.get("leader", False)),
            )
            for o in data.get("official", [])
        )
        self.by_key: dict[str, KnownOfficial] = {}
        for o in self.officials:
            for n in (o.name, *o.aliases):
                self.by_key[name_key(n)] = o
        self.titles: tuple[Title, ...] = tuple(
            Title(w, bool(t.get("leader", False)), t.get("default_country"))
            for t in data.get("title", [])
            for w in t.get("words", [])
        )

    def find_countries(self, text: str, weak: frozenset[str] = frozenset()) -> list[CountryMention]:
        """Country mentions in `text` (names, adjectives, capitals, agencies, cities), longest first; with `weak`,
        also the ambiguous surfaces of those governments ("Georgia" in an item that names Tbilisi)."""
        found = self._found.get(text)
        if found is None:
            if len(self._found) > 4096:
                self._found.clear()
            found = self._found[text] = tuple(self._find_countries(text))
        if weak and self._weak_re is not None and (extra := self._weak_mentions(text, found, weak)):
            return sorted([*found, *extra], key=lambda c: c.start)
        return list(found)

    def _weak_mentions(self, text: str, found, weak: frozenset[str]) -> list[CountryMention]:
        out = []
        for m in self._weak_re.finditer(fold(text)):
            codes = [(code, kind) for code, kind in self._weak[m.group(1)] if code in weak]
            if len(codes) == 1 and not any(c.start < m.end() and m.start() < c.end for c in found):
                out.append(CountryMention(codes[0][0], m.start(), m.end(), codes[0][1], text[m.start() : m.end()]))
        return out

    def supported_weak(self, texts, place: str | None = None) -> frozenset[str]:
        """The governments with ambiguous names that an item also names otherwise (or whose city is its
        dateline): there, their ambiguous names are read too."""
        named = {c.code for t in texts for c in self.find_countries(t)}
        if place and (code := self.place_country(place)):
            named.add(code)
        return frozenset(named & self.weak_codes)

    def _find_countries(self, text: str) -> list[CountryMention]:
        folded = fold(text)
        out = []
        for m in finditer_from_first(self._country_re, self._term_starts, folded):
            surface = m.group(1)
            code, kind = self._terms[surface]
            before = folded[max(0, m.start() - 8) : m.start()]
            if surface in ("America", "American") and re.search(r"(North|South|Latin|Central) $", before):
                continue
            if surface == "Europe" and folded[m.end() : m.end() + 1] == "a":
                continue
            if surface == "the bloc":  # anaphoric: the bloc the sentence has just named ("Japan and the GCC agreed
                # ..., after its minister met the bloc's secretary-general"); the EU's byname otherwise
                named = next((c for c in reversed(out) if c.kind == "bloc"), None)
                if named is not None:
                    code, kind = named.code, "bloc"
            out.append(CountryMention(code, m.start(), m.end(), kind, text[m.start() : m.end()]))
        return out

    def expand(self, codes, on: date | None) -> set[str]:
        """Governments, with each bloc replaced by its negotiating members on `on`."""
        out: set[str] = set()
        for code in codes:
            bloc = self.blocs.get(code)
            out.update(bloc.negotiating(on) if bloc else (code,))
        return out

    def place_country(self, place: str) -> str | None:
        return self.places.get(fold(place).strip().lower())

    def zone_for_place(self, place: str | None, region: str | None = None) -> str | None:
        for p in (place, region):
            if p:
                code = self.place_country(p)
                if code and code in self.tz:
                    return self.tz[code]
        return None

    def country_name(self, code: str) -> str:
        c = self.countries.get(code)
        return c["names"][0] if c and c.get("names") else code

    def capital(self, code: str) -> str | None:
        c = self.countries.get(code)
        return c["capitals"][0] if c and c.get("capitals") else None


def trie_pattern(words) -> str:
    """One regex for many literal words, as a trie: shared prefixes are matched once, so a text is scanned
    ~6x faster than with a flat alternation of hundreds of terms. Longer words are tried first at every branch
    (greedy optional groups), so it matches exactly what the length-sorted alternation matched."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict) -> str:
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch != ""]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return "(?:" + body + ")?" if "" in node else body

    return build(trie)


def _default_surname(name: str) -> str:
    parts = name.split()
    if len(parts) >= 2 and "-" in parts[-1]:  # Korean order: family name first ("Ahn Duk-geun")
        return parts[0]
    return parts[-1]


def surname_of(name: str) -> str:
    return _default_surname(name)


@cache
def load_gazetteer(path: str | None = None) -> Gazetteer:
    with open(path or DEFAULT_PATH, "rb") as fh:
        return Gazetteer(tomllib.load(fh))
