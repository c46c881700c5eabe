"""Is an item about trade talks or trade deadlines between governments? Transparent and configurable."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from records.findings import ExtractConfig
from records.items import Item
from tasks.extract.context import ItemContext
from tasks.extract.precheck import lowered, search_at_starts

TALK_TERMS = [
    r"tariff talks",
    r"trade talks",
    r"negotiat\w*",
    r"trade deal",
    r"trade agreement",
    r"tariff deal",
    r"package",
    r"reciprocal tariffs?",
    r"countermeasures?",
    r"retaliat\w*",
    r"trade representative",
    r"USTR",
    r"trade minister",
    r"commerce secretary",
    r"2\+2",
    r"two-plus-two",
    r"joint statement",
    r"framework",
    r"executive order",
    r"trade commissioner",
    r"tariffs?",
    r"duties",
    r"levy",
    r"pause",
    r"deadline",
]
OFFTOPIC_TERMS = [
    r"profits?",
    r"earnings",
    r"revenue",
    r"quarterly",
    r"Q[1-4]",
    r"GDP",
    r"economy (?:shrinks|grows|expands|contracts)",
    r"economy expands",
    r"exports? (?:grow|grew|fall|fell|rise|rose|drop|dropped|down|up)",
    r"(?:key|policy|interest|deposit) rate",
    r"rate cuts?",
    r"central bank",
    r"BOK",
    r"BOJ",
    r"ECB",
    r"Fed",
    r"election",
    r"elected",
    r"sworn in",
    r"wins (?:\w+\s+){0,2}(?:race|vote|ballot|runoff)",
    r"nomination",
    r"primary",
    r"coalition",
    r"upper house",
    r"Bundestag",
    r"chancellor",
    r"yokozuna",
    r"sumo",
    r"champions",
    r"league",
    r"debut",
    r"baseball",
    r"football",
    r"soccer",
    r"record (?:sales|revenue)",
    r"inflation",
    r"stocks? (?:rally|fall)",
    r"quarter",
]


@dataclass(frozen=True)
class Relevance:
    relevant: bool
    reason: str


# Without any of these words an item cannot be about trade talks or trade deadlines.
TRADE_VOCABULARY = re.compile(
    r"\b(?:tariffs?|trade|traders?|dut(?:y|ies)|levy|levies|countermeasures?|retaliat\w*|negotiat\w*|talks|deal|"
    r"agreement|framework|pause|truce|USTR|export controls?|imports?|exports?|sanctions?)\b",
    re.I,
)
# every match of TRADE_VOCABULARY begins with one of these (any case): the only places it needs trying
_VOCABULARY_STARTS = (
    "tariff", "trade", "dut", "lev", "countermeasure", "retaliat", "negotiat", "talks", "deal", "agreement",
    "framework", "pause", "truce", "ustr", "export", "import", "sanction",
)  # fmt: skip


_PLAIN = re.compile(r"[A-Za-z0-9 '-]+")  # no character of these is special in a pattern


def _needle(text: str) -> str | None:
    """What a term's pattern cannot match without: the term itself if it is plain text (most are), else None."""
    return text if _PLAIN.fullmatch(text) else None


@cache
def _regexes(extra_talk: tuple[str, ...], extra_off: tuple[str, ...]) -> tuple:
    """One pattern per term: terms may overlap ("tariff talks" and "tariff" both count), each with its needle
    (a quick test that the pattern can match). And one pattern for any of them: most headlines have none, and
    one search says so (a term matches iff the union does)."""
    talk_terms = TALK_TERMS + [re.escape(t) for t in extra_talk]
    off_terms = OFFTOPIC_TERMS + [re.escape(t) for t in extra_off]
    talk_needles = [_needle(t) for t in TALK_TERMS] + [_needle(t) for t in extra_talk]  # extras: escaped text
    off_needles = [_needle(t) for t in OFFTOPIC_TERMS] + [_needle(t) for t in extra_off]
    talk = tuple(
        (re.compile(rf"\b{t}\b", re.I), n and n.lower())
        for t, n in zip(talk_terms, talk_needles, strict=True)
    )
    off = tuple((re.compile(rf"\b{t}\b"), n) for t, n in zip(off_terms, off_needles, strict=True))
    any_talk = re.compile(r"\b(?:" + "|".join(talk_terms) + r")\b", re.I)
    any_off = re.compile(r"\b(?:" + "|".join(off_terms) + r")\b")
    return talk, off, any_talk, any_off


def _headline_terms(item: Item, config: ExtractConfig) -> tuple[list[str], list[str]]:
    """The talk and off-topic terms of an item's title and summary (quick_verdict, then judge, ask)."""
    talk_head, off_head = _terms_in_headline(
        item.title, item.summary, config.extra_talk_terms, config.extra_offtopic_terms
    )
    return list(talk_head), list(off_head)


@lru_cache(maxsize=256)  # small: judge asks again for the item quick_verdict has just read
def _terms_in_headline(
    title: str, summary: str | None, extra_talk: tuple[str, ...], extra_off: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    talk_rx, off_rx, any_talk, any_off = _regexes(extra_talk, extra_off)
    headline = title + " " + (summary or "")
    # one surface per term: "tariff" in the title and "tariffs" in the summary are one term
    # a term is searched only if its needle occurs (talk terms: in any case; a lowered text of None: always)
    talk_head: list[str] = []
    if any_talk.search(headline):
        low = lowered(headline)
        talk_head = sorted(
            {
                m.group(0).lower()
                for rx, needle in talk_rx
                if (needle is None or low is None or needle in low) and (m := rx.search(headline))
            }
        )
    off_head: list[str] = []
    if any_off.search(title):
        off_head = sorted(
            {
                m.group(0)
                for rx, needle in off_rx
                if needle is None or needle in title
                for m in rx.finditer(title)
            }
        )
    return tuple(talk_head), tuple(off_head)


def _other_news(talk_head: list[str], off_head: list[str]) -> bool:
    return bool(off_head) and len(off_head) >= len([t for t in talk_head if t not in ("tariff", "tariffs")])


def quick_verdict(item: Item, config: ExtractConfig) -> Relevance | None:
    """A verdict from the headline and vocabulary alone, before any extraction (most other news stops here)."""
    talk_head, off_head = _headline_terms(item, config)
    if _other_news(talk_head, off_head):
        return Relevance(False, f"other news: headline says {', '.join(off_head)}")
    extra = [t for t in config.extra_talk_terms if t.lower() in item.text.lower()]
    # (a 4 KB text without trade words: ~280 us for the pattern tried at every position)
    if not extra and not search_at_starts(TRADE_VOCABULARY, _VOCABULARY_STARTS, item.text):
        return Relevance(False, "no trade vocabulary")
    return None


def judge(ctx: ItemContext, n_meetings: int, n_deadlines: int) -> Relevance:
    talk_head, off_head = _headline_terms(ctx.item, ctx.config)
    watched = [c for c in ctx.main_countries(4) if ctx.config.watches(c)]
    countries = ",".join(ctx.main_countries(3))
    found = f"{n_meetings} meeting(s), {n_deadlines} deadline(s)"
    if _other_news(talk_head, off_head):
        return Relevance(
            False, f"other news: headline says {', '.join(off_head)}; {found}; countries {countries}"
        )
    if not watched:
        return Relevance(False, f"no watched country; countries {countries}")
    if n_meetings or n_deadlines:
        return Relevance(True, f"{found}; terms {', '.join(talk_head) or '-'}; countries {countries}")
    if ctx.undated_meetings and talk_head:
        return Relevance(
            True, f"undated meeting between officials; terms {', '.join(talk_head)}; countries {countries}"
        )
    if len(talk_head) >= 2 and len(ctx.main_countries(2)) >= 2:
        return Relevance(
            True,
            f"trade-talk terms {', '.join(talk_head)}; countries {countries}; no dated meeting or deadline",
        )
    return Relevance(
        False, f"no meeting or deadline; terms {', '.join(talk_head) or '-'}; countries {countries}"
    )
