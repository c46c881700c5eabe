"""Is an item about trade talks or trade deadlines between governments? Transparent and configurable."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from records.findings import ExtractConfig
from records.items import Item
from tasks.extract.context import ItemContext
from tasks.extract.dates import MONTH_NAME
from tasks.extract.precheck import lower_finditer, lowered, search_at_starts

TALK_TERMS = [
    r"tariff talks",
    r"trade talks",
    r"negotiat\w*",
    r"trade deal",
    r"trade agreement",
    r"trade pact",
    r"free[- ]trade",
    r"economic partnership",
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
    r"agreement|framework|pause|truce|USTR|export controls?|imports?|exports?|importers?|exporters?|sanctions?|pact|"
    r"accord|quotas?|deforestation|CBAM|EUDR|AGOA|[A-Z]{0,6}FTA|CEPA|EPA|consultations?|negotiators?|"
    r"rules\s+of\s+origin|safeguards?|(?:phyto)?sanitary|customs)\b",
    re.I,
)
# every match of TRADE_VOCABULARY begins with one of these (any case): the only places it needs trying
_VOCABULARY_STARTS = (
    "tariff", "trade", "dut", "lev", "countermeasure", "retaliat", "negotiat", "talks", "deal", "agreement",
    "framework", "pause", "truce", "ustr", "export", "import", "sanction", "pact", "accord", "quota", "deforestation",
    "cbam", "eudr", "agoa", "fta", "cepa", "epa", "consultation", "rules", "safeguard", "phytosanitary", "sanitary",
    "customs",
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
                if not BACKGROUND.search(title, 0, m.start())
            }
        )
    return tuple(talk_head), tuple(off_head)


# what comes right before another topic's word in a headline and makes it background, not the topic: "meets X
# after election win", "amid earnings season", "ratified in the second quarter"
BACKGROUND = re.compile(r"(?:\b(?:after|amid|despite|ahead\s+of|following)\s+(?:[\w'-]+\s+){0,2}|"
                        r"\b(?:in|by)\s+(?:the\s+)?(?:first|second|third|fourth|last|final|next)\s+)$", re.I)


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


# --- the verdict on the whole item: its own evidence ---------------------------------------------------------

# trade negotiations, by words that say trade
TRADE_TALK = re.compile(
    r"\b(?:(?:economic\s+and\s+)?trade\s+(?:talks|negotiations?|consultations?|deal|pact|agreement|accord|framework|"
    r"truce|war|envoy|delegation|chief|ministers?|representative|secretary|commissioner|mechanism|relations|ties|"
    r"issues|dispute|partnership|cooperation)|tariff\s+(?:talks|negotiations|deal|cuts?|truce|reductions?|relief|"
    r"exemptions?|rates?)|free[- ]trade|economic\s+partnership|comprehensive\s+economic|market\s+access|"
    r"chief\s+negotiators?|minist(?:er|ry)\s+(?:of\s+state\s+)?(?:of|for)\s+(?:international\s+|foreign\s+)?"
    r"(?:trade|commerce)|"
    r"commerce\s+(?:secretary|minister|ministry)|reciprocal\s+(?:trade|tariffs?)|preferential\s+trade|"
    r"customs\s+union|trade\s+and\s+investment|"
    # barriers between two governments, and their removal: "trade impediments", "lift the ban on lobster imports",
    # "the resumption of the lobster trade", "exports to restart", "cooperation in trade"
    r"trade\s+(?:impediments|barriers|restrictions|irritants|curbs|bans?)|(?:cooperation|cooperate)\s+(?:in|on)\s+trade|"
    # the instruments of a trade relationship besides tariffs: rules of origin, food-safety (SPS) controls on
    # imports, safeguards and trade remedies
    r"rules\s+of\s+origin|trade\s+and\s+cooperation\s+agreement|trade\s+remed(?:y|ies)|"
    r"(?:sanitary\s+and\s+phytosanitary|SPS|veterinary)\s+(?:agreement|deal|controls|checks|rules|measures|area)|"
    r"safeguard\s+(?:measures?|duties|quotas?|review|investigation)|(?:steel|trade)\s+safeguards?|"
    r"import\s+(?:checks|controls)|(?:checks|controls)\s+on\s+(?:[\w-]+\s+){0,3}imports|"
    r"(?:lift|lifts|lifted|lifting|remove|removes|removed|removing|ease|eases|eased|end|ends|ended)\s+(?:the\s+|its\s+|a\s+)?"
    r"(?:[\w-]+\s+){0,3}(?:bans?|curbs|impediments|barriers)|(?:bans?|curbs|impediments|barriers)\s+(?:\w+\s+){0,2}"
    r"(?:had\s+|have\s+|has\s+)?(?:been\s+)?(?:lifted|removed|ended|eased)|"
    r"(?:resum\w+|restart\w*)\s+(?:of\s+)?(?:the\s+)?(?:[\w-]+\s+){0,3}(?:trade|exports|imports|shipments)|"
    r"(?:trade|exports|imports|shipments)\s+(?:(?:to|with)\s+[A-Z]\w+\s+)?(?:to\s+|can\s+|will\s+)?(?:resume|restart)"
    r")\b|\b(?:[A-Z]{0,6}FTA|CEPA|CECA|EPA|TEPA|USTR|MOFCOM|AGOA)\b", re.I)
# negotiation words of any kind: trade evidence only beside trade words
NEGOTIATION = re.compile(
    r"\b(?:negotiat\w+|(?:negotiating|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|next|new|"
    r"another|latest|final)\s+round|round\s+of\s+(?:talks|negotiations)|talks|joint\s+statement|ratif\w+|"
    r"(?:entry|enters?|entered)\s+into\s+force|signing|signed|consultations?)\b", re.I)
MEASURE = re.compile(
    r"\b(?:tariffs?|duties|levy|levies|countermeasures?|retaliat\w+|quotas?|anti-?dumping|"
    r"safeguard\s+duties|trade\s+preferences|"
    # a government's own controls on goods crossing its border: "export ban", "import licensing", "a 20% export
    # duty", "ban on ore exports", "restricted imports of laptops", "will stop exporting bauxite"
    r"(?:export|import)\s+(?:bans?|halts?|dut(?:y|ies)|tax(?:es)?|levy|levies|permits?|licen[cs](?:e|es|ing)|quotas?|"
    r"restrictions?|curbs|controls?|checks|certificates|authori[sz]ations?|management\s+system)|"
    r"(?:bans?|dut(?:y|ies)|tax|levy|curbs|restrictions?)\s+on\s+(?:[\w-]+\s+){0,3}(?:exports|imports)|"
    r"(?:bans?|dut(?:y|ies)|tax|levy|curbs|restrictions|quotas?)\s+on\s+(?:the\s+)?(?:exports?|imports?)\s+of|"
    r"(?:ban|bans|banned|banning|restrict|restricts|restricted|restricting|curb|curbs|curbed|stop|stops|stopped|"
    r"cap|caps|capped|capping|"
    r"halt|halts|halted)\s+(?:the\s+|all\s+)?(?:[\w,-]+\s+){0,3}(?:exports|imports|(?:export|import)\s+of)|"
    r"(?:ban|bans|banned|banning|stop|stops|stopped|halt|halts|halted)\s+(?:exporting|importing)|"
    # "halts new rice export contracts", "barred from import till mid-July"
    r"(?:ban|bans|banned|halt|halts|halted|suspend|suspends|suspended|stop|stops|stopped)\s+(?:on\s+)?(?:new\s+)?"
    r"(?:[\w-]+\s+){0,2}(?:export|import)\s+(?:contracts|shipments|licen[cs]es|permits|registrations?)|"
    r"(?:barred|banned|prohibited)\s+from\s+(?:import|export|being\s+(?:imported|exported))|"
    r"\d+(?:\.\d+)?\s*(?:%|per\s*cent|pc)\s+(?:export\s+|import\s+|customs\s+)?(?:duty|tax|levy)|"
    r"(?:permits?|licen[cs]es?|approvals?|authori[sz]ations?)\s+to\s+(?:export|import)|"
    r"(?:permits?|licen[cs]es?)\s+for\s+(?:[\w-]+\s+){0,2}(?:exports?|imports?)\b|"
    r"rules\s+of\s+origin|tariff-rate\s+quotas?|health\s+certificat\w+|customs\s+declarations|deforestation\s+(?:law|rules|"
    r"regulation)|carbon\s+border|EUDR|CBAM)\b", re.I)
# a measure's date moving, told in the headline: "EU delays deforestation rules", "postpones CBAM certificate sales"
MOVED = re.compile(r"\b(?:delay\w*|postpon\w*|extend\w*|extension|push\w*\s+back|defer\w*|brought\s+forward|"
                   r"suspend\w*|pause[sd]?)\b", re.I)
# when a measure applies, told in the headline: "ban from June 2023", "duty till October 16", "curbs with immediate
# effect", "ban starts", "permit until May"
TIMED = re.compile(
    rf"\b(?:(?:from|until|till|through|to|by|beyond|before)\s+(?:(?:the\s+)?end[- ](?:\w+)|(?:next\s+)?{MONTH_NAME}"
    rf"(?:\s+\d{{1,2}})?|\d{{1,2}}\s+{MONTH_NAME}|next\s+(?:year|month|week)|(?:19|20)\d\d)|with\s+immediate\s+effect|"
    r"takes?\s+effect|comes?\s+into\s+force|starts|begins|(?:starting|beginning)\s+(?:in|on|from)|expires|"
    r"indefinitely)(?!\w)", re.I)
# other news, told with words of its own (a match says what the item is about)
OFF_TOPIC = re.compile(
    r"\b(?:interest\s+rates?|monetary\s+policy|inflation|central\s+bank|rate\s+cuts?|football|soccer|cricket|"
    r"wickets|league|transfer\s+(?:window|deadline|talks|fee)|tournament|striker|goalkeeper|champions|semi-?final|"
    r"nuclear\s+(?:talks|programme|program|deal)|enrichment|ceasefire|peace\s+(?:talks|deal|process|agreement)|"
    r"hostages?|climate\s+(?:talks|finance|summit)|COP\d+|emissions|plastics\s+treaty|defen[cs]e\s+ministers?|"
    r"military|troops|earnings|net\s+profit|revenue|quarterly|shares\s+(?:rose|fell|jumped)|OPEC\+?|output\s+"
    r"(?:cuts?|policy|levels)|oil\s+prices|corporate\s+tax|tax\s+(?:return|registration|penalty|penalties)|"
    r"court|judges?|justices|lawsuit|ruling|on\s+strike|strike\s+(?:action|vote)|cabin\s+crew|"
    r"union\s+(?:members|leaders)|election|polls|ballot|vote\s+count|coalition|beats?\s+(?:estimates|forecasts)|"
    r"(?:swings?|swung)\s+to\s+(?:a\s+)?(?:loss|profit)|trade\s+(?:deficit|surplus|data|figures)|"
    r"(?:exports|imports|shipments)\s+(?:rose|fell|grew|jumped|surged?|slumped|declined|increased|dropped)|"
    r"record\s+(?:high|low)|all-time\s+high|forecasts?\s+(?:cut|raised)|guidance|penalty\s+waiver|"
    r"late\s+registration)\b", re.I)


def _distinct(pattern: re.Pattern, text: str) -> set[str]:
    return {" ".join(m.group(0).lower().split()) for m in lower_finditer(pattern, text)} if text else set()


@dataclass(frozen=True)
class TopicEvidence:
    """What an item says of trade talks, and of other things, by where it says it."""

    trade_head: frozenset[str]  # trade-talk words of the title and summary
    trade_lead: frozenset[str]  # of the first paragraph
    trade_body: frozenset[str]  # of the whole body
    negotiation_head: frozenset[str]  # negotiation words of any kind
    negotiation_body: frozenset[str]
    measure_head: frozenset[str]
    measure_body: frozenset[str]
    off_head: frozenset[str]  # other news' words in the title
    off_body: frozenset[str]
    moved_head: bool = False  # the headline tells a measure's date moving
    timed_head: bool = False  # the headline tells when a measure applies

    @property
    def trade(self) -> int:
        score = (3 * min(len(self.trade_head), 2) + 2 * min(len(self.trade_lead), 2)
                 + min(len(self.trade_body - self.trade_lead), 3) + 2 * min(len(self.measure_head), 1)
                 + min(len(self.measure_body), 2) + 2 * ((self.moved_head or self.timed_head) and bool(self.measure_head)))
        if score:  # negotiation words count beside trade words only: talks of other things are other news
            score += 2 * min(len(self.negotiation_head), 1) + min(len(self.negotiation_body), 2)
        return score

    @property
    def other(self) -> int:
        return 3 * min(len(self.off_head), 2) + min(len(self.off_body), 4)


def topic_evidence(item: Item, config: ExtractConfig) -> TopicEvidence:
    head = item.title + " " + (item.summary or "")
    paragraphs = [p for p in item.body.split("\n\n") if p.strip()]
    lead, rest = (paragraphs[0], " ".join(paragraphs[1:])) if paragraphs else ("", "")
    extra = tuple(t for t in config.extra_talk_terms if t)
    body = lead + " " + rest
    trade_head, trade_lead, trade_body = (_distinct(TRADE_TALK, t) | _extra(extra, t) for t in (head, lead, body))
    off_extra = tuple(t for t in config.extra_offtopic_terms if t)
    return TopicEvidence(
        frozenset(trade_head), frozenset(trade_lead), frozenset(trade_body),
        frozenset(_distinct(NEGOTIATION, head)), frozenset(_distinct(NEGOTIATION, body)),
        frozenset(_distinct(MEASURE, head)), frozenset(_distinct(MEASURE, body)),
        frozenset(_foreground(OFF_TOPIC, item.title) | _extra(off_extra, item.title)),
        frozenset(_distinct(OFF_TOPIC, lead + " " + rest)), bool(MOVED.search(head)), bool(TIMED.search(head)))


def _foreground(pattern: re.Pattern, title: str) -> set[str]:
    """The words of `pattern` in a headline, except those told as background ("after election win")."""
    return {" ".join(m.group(0).lower().split()) for m in pattern.finditer(title)
            if not BACKGROUND.search(title, 0, m.start())}


def _extra(terms: tuple[str, ...], text: str) -> set[str]:
    low = text.lower()
    return {t.lower() for t in terms if t.lower() in low}


TRADE_THRESHOLD = 4  # trade evidence an item needs: a negotiation word in its title and one more anywhere


def judge(ctx: ItemContext, n_meetings: int, n_deadlines: int) -> Relevance:
    """Relevant when the item is about trade talks between governments by its own words: trade-negotiation
    language where it counts (title, lead), measures, and a government that takes part; the meetings and
    deadlines found in it support the verdict, they never make it."""
    ev = topic_evidence(ctx.item, ctx.config)
    watched = [c for c in ctx.main_countries(4) if ctx.config.watches(c)]
    countries = ",".join(ctx.main_countries(3))
    found = f"{n_meetings} meeting(s), {n_deadlines} deadline(s)"
    words = sorted(ev.trade_head | ev.trade_lead | ev.measure_head)
    if not watched:
        return Relevance(False, f"no watched country; countries {countries}")
    support = 2 * bool(n_meetings or n_deadlines or ctx.background_measures)
    score = ev.trade + support
    if (ev.other and ev.other >= score) or (ev.off_head and ev.trade < 2 * TRADE_THRESHOLD and not ev.trade_head):
        return Relevance(False, f"other news: {', '.join(sorted(ev.off_head | ev.off_body))}; {found}; "
                                f"countries {countries}")
    # one government alone is domestic news unless the headline names a measure on goods crossing its border
    alone = len(ctx.main_countries(2)) < 2 and not ev.measure_head
    if score >= TRADE_THRESHOLD + alone:
        return Relevance(True, f"trade evidence {score} ({', '.join(words) or 'body'}); {found}; countries {countries}")
    return Relevance(False, f"trade evidence {score} below {TRADE_THRESHOLD}; {found}; countries {countries}")
