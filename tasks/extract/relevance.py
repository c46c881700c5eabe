"""Is an item about trade talks or trade deadlines between governments? Transparent and configurable."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tasks.extract.context import ItemContext

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


def judge(ctx: ItemContext, n_meetings: int, n_deadlines: int) -> Relevance:
    headline = ctx.item.title + " " + (ctx.item.summary or "")
    terms = TALK_TERMS + [re.escape(t) for t in ctx.config.extra_talk_terms]
    off_terms = OFFTOPIC_TERMS + [re.escape(t) for t in ctx.config.extra_offtopic_terms]
    talk_head = sorted({m.group(0).lower() for t in terms for m in re.finditer(rf"\b{t}\b", headline, re.I)})
    off_head = sorted({m.group(0) for t in off_terms for m in re.finditer(rf"\b{t}\b", ctx.item.title)})
    watched = [c for c in ctx.main_countries(4) if ctx.config.watches(c)]
    countries = ",".join(ctx.main_countries(3))
    found = f"{n_meetings} meeting(s), {n_deadlines} deadline(s)"
    if off_head and len(off_head) >= len([t for t in talk_head if t not in ("tariff", "tariffs")]):
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
