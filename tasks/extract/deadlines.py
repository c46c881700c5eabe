"""Trade deadlines as one item states them: what takes effect or expires, for whom, and when.

Each day-precise date in a sentence is classified by the words around it (its clause): the end of
a pause on higher tariffs, the end of a suspension of countermeasures, a threatened tariff on a
named partner, a sector tariff change, an agreed rate applying (often retroactively), or a
negotiation target. Vague dates ("early July", "90 days") and old values ("had been due on
July 9", "to Aug. 1 from July 9") give none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from records.findings import DeadlineMention
from tasks.extract.context import ItemContext
from tasks.extract.dates import DateRef, find_dates, sentence_tense
from tasks.extract.precheck import TextTests, lower_search, lowered, may_contain, search_if_needles
from tasks.extract.sentences import Sentence, fold

PAUSE = re.compile(
    r"\b(?:pause[sd]?|pausing|suspension|suspended|suspend|freeze|froze|frozen|on hold|on ice|grace period|reprieve|halt|truce)\b",
    re.I,
)
COUNTER = re.compile(
    r"\b(?:countermeasures?|counter-measures?|(?<!not )(?<!never )retaliat\w*|rebalancing measures|counter-tariffs?)\b",
    re.I,
)
END = re.compile(
    r"\b(?:ends?|ended|ending|expires?|expired|expiry|expiration|runs? out|until|till|through|last day|lapses?|"
    r"due to end|would have expired|remains? suspended|runs until|deadline)\b",
    re.I,
)
APPLY = re.compile(
    r"\b(?:take effect|takes effect|took effect|taking effect|kick in|kicks in|kicked in|into force|apply|applies|"
    r"applied|would apply|effective|come into effect|starting|beginning|from|as of|on or after|date for|deadline|"
    r"be charged|will pay|to pay|face|faces|facing|retroactive\w*|backdated|reaches back|in effect|impose|go into effect|"
    r"would be charged|drops? to|falls? to|lower\w*|cut\w*|(?:be|been) (?:taken|implemented|put in place) by)\b",
    re.I,
)
RECIPROCAL = re.compile(
    r"\b(?:reciprocal|higher (?:country-specific )?(?:tariff )?rates|higher rates|country-specific tariffs|add-on)\b",
    re.I,
)
RECIPROCAL_NEEDLES = ("reciprocal", "higher", "country-specific", "add-on")  # one in every match (precheck)
THREAT = re.compile(
    r"\b(?:threat\w*|warn\w*|ultimatum|avert\w*|avoid|would face|will face|faces|facing|face)\b", re.I
)
THREAT_NEEDLES = ("threat", "warn", "ultimatum", "avert", "avoid", "face", "facing")  # one in every match
TARGET = re.compile(
    r"\b(?:target|targets|targeting|aim(?:s|ed|ing)? (?:to|for)|goal|wrap up|complete[d]?|finish|conclude|"
    r"package (?:deal )?to be completed|keep negotiating until|negotiate until|reach (?:a|an) (?:deal|agreement)|"
    # a trade pact's agreed review ("must hold the first joint review on July 1, 2026")
    r"(?:joint|formal|mandatory|scheduled)\s+review\s+(?:(?:is\s+)?(?:due|set|scheduled)\s+)?(?:on|by|for)?\s*"
    r"(?:\w+day,?\s+)?(?=Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|\d))\b",
    re.I,
)
DEAL = re.compile(
    r"\b(?:retroactive\w*|backdated|reaches back|refund\w*|modified|under the (?:agreement|deal|order)|relief|treatment)\b",
    re.I,
)
OLD = re.compile(
    r"(?:\b(?:had been|was|were)\s+(?:due|set|scheduled|slated|expected)\b[^.;]{0,40}$|\boriginal(?:ly)?\b[^.;]{0,25}$"
    r"|\bprevious(?:ly)?\b[^.;]{0,20}$|\b(?:to|until)\s+[A-Z][a-z]{2,8}\.?\s+\d{1,2}\s+from\s+(?:\w+day,?\s+)?$"
    r"|\bsince\s+$|\bin place since\s+$|\bwould have\s+\w+\s+$"
    # "in seven days rather than on Friday", "from August 7 and not from Friday", "instead of Aug. 1"
    r"|\b(?:rather than|instead of|and not|not)\s+(?:on\s+|from\s+)?(?:\w+day,?\s+)?$)",
    re.I,
)
SECTORS = [
    ("mfn-only", re.compile(r"\b(?:most-favou?red-nation|MFN)\b")),
    ("auto", re.compile(r"\b(?:cars?|autos?|automobiles?|auto parts|car parts|vehicles|automotive)\b", re.I)),
    ("steel-aluminum", re.compile(r"\b(?:steel|alumin(?:i)?um)\b", re.I)),
    ("pharmaceutical", re.compile(r"\b(?:pharmaceuticals?|drugs?|medicines?)\b", re.I)),
    ("semiconductor", re.compile(r"\b(?:semiconductors?|chips?)\b", re.I)),
    ("lumber", re.compile(r"\b(?:lumber|timber)\b", re.I)),
    ("copper", re.compile(r"\bcopper\b", re.I)),
]
_CNAME = r"[A-Z][\w.]+(?:\s[A-Z][\w.]+){0,2}"
TARGET_NP = re.compile(
    rf"\b(?:on|against)\s+(?:the\s+)?(?:(?:imports?|goods|products)\s+from\s+)?(?:the\s+)?(?:most\s+)?(?P<c>{_CNAME})(?!\s+(?:[\w\"']+\s+)?(?:tariffs?|duties|duty|levies|levy|reciprocal|rates?)\b)"
    rf"|\b(?:imports?|goods|products|exports?)\s+from\s+(?:the\s+)?(?P<c2>{_CNAME})"
    rf"|\bfor\s+(?:the\s+)?(?P<c3>{_CNAME})(?:'s)?\s+(?:goods|products|imports|exports)?"
    r"|(?P<adj>[A-Z][\w.]+(?:\s[A-Z][\w.]+)?)(?:'s)?\s+(?:goods|products|imports|exports|cars|autos|automobiles|vehicles|carmakers|automakers|companies)"
)

LABELS = {
    "reciprocal-tariffs-apply": "higher reciprocal tariff rates apply (pause ends)",
    "countermeasures-suspension-ends": "countermeasures suspension ends",
    "tariff-threat": "threatened tariff on a partner takes effect",
    "negotiation-target": "negotiation target date",
    "deal-rate-applies": "agreed tariff rate applies",
    "tariff-pause-ends": "suspension of higher tariffs on a partner (truce) ends",
    "additional-tariff": "additional tariff on a partner takes effect",
}
# several partners at once: the general rates, not one partner's
MANY_PARTNERS = re.compile(
    r"\b(?:dozens of|scores of|many|several|some|most|all|other|\d+)\s+(?:other\s+)?(?:countries|trading partners|economies|nations)\b",
    re.I,
)
ADDITIONAL = re.compile(
    r"\b(?:additional|extra|further|secondary|penalty)\s+(?:[\w%.-]+\s+){0,3}?(?:tariffs?|dut(?:y|ies)|levy|levies)\b",
    re.I,
)
ADDITIONAL_NEEDLES = ("additional", "extra", "further", "secondary", "penalty")  # every match starts with one
# "The changes take effect on Wednesday" after a sentence about tariff cuts
CHANGE_WORDS = re.compile(r"\b(?:changes|cuts|reductions|measures|actions|new rates|lower rates)\b", re.I)
CHANGE_NEEDLES = ("changes", "cuts", "reductions", "measures", "actions", "rates")  # one in every match
AGREED_CUT = re.compile(
    r"\b(?:agree[sd]?|agreement|deal|accord)\b[^.;]{0,40}\b(?:cut|cuts|slash\w*|lower\w*|reduc\w*)\b", re.I
)
TARIFF_WORDS = re.compile(r"\b(?:tariffs?|duties|duty|levy|levies|rates?)\b", re.I)
TARIFF_NEEDLES = ("tariff", "duties", "duty", "levy", "levies", "rate")  # one in every match (precheck)
SOUGHT = re.compile(
    r"\b(?:seek\w*|sought|ask\w*|press\w*|push\w*|hop\w*|want\w*|urg\w*|lobb\w*)\s+(?:for\s+)?relief\b", re.I
)
EFFECT = re.compile(
    r"\b(?:take effect|takes effect|taking effect|kick in|kicks in|into force|go into effect|effective|apply|applies)\b",
    re.I,
)
CUT = re.compile(r"\b(?:lower\w*|cut|cuts|cutting|reduc\w*|halv\w*|slash\w*)\b", re.I)
# the general rates for every partner: "rates for trading partners", "for its trading partners"
TRADING_PARTNERS = re.compile(r"\b(?:for|to|on)\s+(?:its\s+|their\s+|all\s+)?trading partners\b", re.I)


@dataclass(frozen=True)
class _Found:
    subject: str
    countries: tuple[str, ...]
    ref: DateRef
    sentence: Sentence
    equivalent: tuple
    priority: int  # lower = more newsworthy (title, lead)


def subject_label(subject: str) -> str:
    if subject in LABELS:
        return LABELS[subject]
    if subject.endswith("-tariff-change"):
        return f"{subject[: -len('-tariff-change')].replace('-', ' ')} tariff change takes effect"
    return subject.replace("-", " ")


EVENT_DATE_BEFORE = re.compile(
    r"\b(?:said|says|told|announced|added|wrote|posted|confirmed|agreed|reached|struck|sealed|signed|unveiled|"
    r"published|dated|released|met|meet|meeting|talks|spoke|call|statement|readout|of|since|in place since|"
    r"sworn|elected|approved|adopted|decided|due out|out|publishes|agreement|deal|accord|authori[sz]ed)\s+(?:on\s+|late\s+|early\s+)?(?:the\s+)?$"
    r"|\b(?:told|tells|said|says|wrote)\s+(?:reporters|journalists|lawmakers|legislators|parliament|the press|"
    r"the media|in a (?:statement|post|briefing|interview)|at a (?:news|press) conference|on X|on social media)\s+(?:on\s+)?$",
    re.I,
)
EVENT_VERB_AFTER = re.compile(
    r"^\s*,?\s*(?:(?:[A-Z][\w.]*|the|a|an)\s+){0,4}(?:formally\s+)?(?:put|paused|suspended|froze|announced|unveiled|signed|said|"
    r"posted|wrote|agreed|decided|imposed|slapped|raised|hiked|approved|adopted|called|threatened|told|met|"
    r"spoke|held|issued|published|released|ordered|delayed|pushed|extended|sent|set|welcomed|hailed|praised|authori[sz]ed|"
    r"criticised|criticized|condemned|rejected|urged|warned|vowed|pledged|stressed|expressed|noted)\b"
)
MEETING_AFTER = re.compile(
    r"^\s*(?:'s\s+)?(?:date\s+for\s+)?(?:[\w+\-\"']+\s+){0,4}(?:talks|meeting|negotiations|summit|call|session|visit)\b",
    re.I,
)


# a leader who sets tariffs: "Trump's 25% tariff", "Trump imposed a 30% tariff"; not "To Lam, that would set"
SETTER_AFTER = re.compile(
    r"(?:'s\s|\s+(?:has\s+|had\s+|have\s+|will\s+|would\s+)?(?:impos|set|slap|announc|threaten|rais|hik|levi|order|sign|unveil)\w*)",
    re.I,
)
# one in every match of SETTER_AFTER (any case; precheck)
SETTER_NEEDLES = (
    "'s", "impos", "set", "slap", "announc", "threaten", "rais", "hik", "levi", "order", "sign", "unveil",
)  # fmt: skip


def tariff_setter(ctx: ItemContext) -> str | None:
    """The country whose tariffs the item is about: most often named right before tariff words."""
    counts: dict[str, int] = {}
    may_name_tariffs = ctx.sentences_holding(TARIFF_NEEDLES)
    for s in ctx.sentences:
        if s.index not in may_name_tariffs:
            continue  # no tariff word (most sentences): nothing to count
        text = fold(s.text)
        for m in TARIFF_WORDS.finditer(text):
            start = max(0, m.start() - 40)
            window = text[start : m.start()]
            # read with the tariff word, so "higher U.S. tariffs" is attributive; count only what precedes it
            for c in (c for c in ctx.party_countries(text[start : m.end()]) if c.end <= len(window)):
                tail = window[c.end :]
                if re.match(r"\s+(?:goods|products|imports|exports|cars)", tail):
                    continue
                if c.kind == "name" and tail.startswith("'s"):
                    continue  # "Japan's 24 percent tariff" may be the tariff on Japan
                if not re.fullmatch(r"(?:'s)?\s*(?:[\w%.-]+\s+){0,4}", tail):
                    continue
                if re.search(
                    r"\b(?:face[sd]?|facing|pays?|paid|hit|gets?|receive[sd]?|be charged)\b", tail, re.I
                ):
                    continue  # "Vietnam had faced a 46% rate": the partner, not the setter
                counts[c.code] = counts.get(c.code, 0) + 1
            if not may_contain(lowered(window), SETTER_NEEDLES):
                continue  # no setter's verb (or "'s") in the window: no official in it sets the tariff
            for o in ctx.officials_in(window):
                if o.official.country and o.leader and SETTER_AFTER.match(window, o.end):
                    counts[o.official.country] = counts.get(o.official.country, 0) + 1
    return max(counts, key=lambda c: counts[c]) if counts else None


def extract_deadlines(ctx: ItemContext) -> list[DeadlineMention]:
    found: list[_Found] = []
    setter = tariff_setter(ctx)
    previous = ""
    may_date = ctx.sentences_holding(_DEADLINE_NEEDLES + CHANGE_NEEDLES)
    for s in ctx.sentences:
        if s.index in may_date:  # (the others name no tariff, deal, pause or change: _in_sentence skips them)
            found.extend(_in_sentence(ctx, s, setter, previous))
        previous = fold(s.text) if s.paragraph >= 1 else ""
    # one value per deadline per item: the news (title and lead first), not the background
    best: dict[tuple[str, tuple[str, ...]], _Found] = {}
    for f in found:
        key = (f.subject, f.countries)
        cur = best.get(key)
        if cur is None or (f.priority, -f.ref.date.toordinal()) < (cur.priority, -cur.ref.date.toordinal()):
            best[key] = f
    out = []
    # the general deadlines first: a partner's rate on the same day is then read as part of them (resolve)
    for f in sorted(best.values(), key=lambda f: (len(f.countries) > 1, f.sentence.index)):
        out.append(
            DeadlineMention(
                subject=f.subject,
                subject_label=subject_label(f.subject),
                countries=f.countries,
                due_date=f.ref.date,
                due_at=f.ref.at,
                text=f.sentence.text,
                equivalent_dates=f.equivalent,
            )
        )
    return out


_CLAUSE_BREAK = r"[;]|,\s+(?:but|while|and)\s+|\b(?:but|while)\b|\s+and\s+(?=(?:use|keep|will|would|is|are|has|have|set|put|make|give|said|says|agreed|signed|to)\b)"


def _clause(text: str, start: int, end: int) -> tuple[str, str]:
    """The words before and after a date, within its clause."""
    before = text[max(0, start - 140) : start]
    before = re.split(_CLAUSE_BREAK, before)[-1]
    if len(before.split()) <= 3:  # the date opens the sentence: its clause is what follows
        return before, text[end : end + 200]
    after = text[end : end + 70]
    after = re.split(_CLAUSE_BREAK + r"|,\s+as\s+", after)[0]
    return before, after


def _sector_text(before: str, after: str) -> str:
    if len(before.split()) <= 3:
        return before + " " + after
    m = re.match(r"\s*,\s*(?:the day|when)\b[^,]*", after)
    return before + " " + (m.group(0) if m else "")


_DEADLINE_WORDS = re.compile(
    r"\b(?:tariffs?|duties|duty|levy|levies|rates?|countermeasures?|package|deal|agreement|pause|suspension|truce|"
    r"negotiat(?:e|es|ed|ing|ions?))\b",
    re.I,
)
_DEADLINE_NEEDLES = (  # one in every match of _DEADLINE_WORDS (precheck)
    "tariff", "duties", "duty", "levy", "levies", "rate", "countermeasure", "package", "deal", "agreement",
    "pause", "suspension", "truce", "negotiat",
)  # fmt: skip


def _in_sentence(ctx: ItemContext, s: Sentence, setter: str | None, previous: str) -> list[_Found]:
    text = fold(s.text)
    low = lowered(text)
    if not search_if_needles(_DEADLINE_WORDS, _DEADLINE_NEEDLES, text, low) and not (
        search_if_needles(CHANGE_WORDS, CHANGE_NEEDLES, text, low)
        and APPLY.search(text)
        and TARIFF_WORDS.search(previous)
    ):
        return []  # the cheap test first: most sentences of an item name no tariff, deal or pause
    dates = [
        d
        for d in find_dates(text, ctx.ref, sentence_tense(text, s.headline))
        if d.precision == "day" and not d.vague
    ]
    if not dates:
        return []
    out = []
    for d in dates:
        before, after = _clause(text, d.start, d.end)
        if OLD.search(before) and not re.search(r"\b(?:to|until|till)\s+$", before):
            continue
        if re.match(
            r"\s*(?:election|vote|announcement|inauguration|agreement was|deal was|national day)\b",
            after,
            re.I,
        ):
            continue
        if (
            lower_search(MEETING_AFTER, after)  # (the same as .match: the pattern begins with ^)
            or lower_search(EVENT_DATE_BEFORE, before)
            or EVENT_VERB_AFTER.match(after)
        ):
            continue
        meeting_before = re.search(
            r"\b(?:meet|met|meeting|talks|call|spoke|speak|talk|sit down)\s+((?:[\w.'-]+\s+){0,12})(?:on\s+)?$",
            before,
            re.I,
        )
        if (
            meeting_before
            and d.kind == "weekday"
            and not (END.search(meeting_before.group(1)) or APPLY.search(meeting_before.group(1)))
        ):
            continue  # "a call between X and Y on Thursday": the meeting's date
        window = before + " " + d.text + " " + after
        wide = previous[-200:] + " " + text[max(0, d.start - 160) : d.end + 100]
        if re.match(
            r"\s*(?:framework|agreement|deal|joint statement|statement|order|executive order|letter|accord|phone call|call|meeting|talks)\b",
            after,
            re.I,
        ):
            continue
        ahead = text[d.end : d.end + 120]
        subjects = [
            _refine(ctx, subj, window, wide, setter, ahead)
            for subj in _classify(window, wide, _sector_text(before, after), _reciprocal_item(ctx))
        ]
        for subject in dict.fromkeys(subjects):
            countries = _countries(ctx, subject, text[max(0, d.start - 160) : d.end + 100], setter)
            if not countries:
                continue
            equivalent: tuple = ()
            if (
                subject
                in ("reciprocal-tariffs-apply", "countermeasures-suspension-ends", "tariff-pause-ends")
                and d.date
            ):
                if re.search(r"last day", window, re.I):
                    equivalent = (d.date + timedelta(days=1),)
                elif re.search(r"\b(?:ends?|expires?|runs? out|until|till|through|lapses?)\b", window, re.I):
                    equivalent = (d.date - timedelta(days=1), d.date + timedelta(days=1))
                elif re.search(r"\b(?:kick in|take effect|apply|applies)\b", window, re.I):
                    equivalent = (d.date - timedelta(days=1),)
            priority = 0 if s.paragraph <= 2 else 1
            out.append(_Found(subject, countries, d, s, equivalent, priority))
    return out


def _refine(
    ctx: ItemContext, subject: str, window: str, wide: str, setter: str | None, ahead: str = ""
) -> str:
    """Generic subjects by what the clause says about partners: one partner, several, or a partner's truce."""
    partner_in_clause = bool(_targets(ctx, window) - {setter})
    many = MANY_PARTNERS.search(window) or MANY_PARTNERS.search(ahead)
    if subject == "tariff-threat" and many and not partner_in_clause:
        return "reciprocal-tariffs-apply"
    if subject == "reciprocal-tariffs-apply":
        if RECIPROCAL.search(window) or many:
            return subject
        if (
            PAUSE.search(window)
            and not RECIPROCAL.search(wide)
            and (
                re.search(r"\btruce\b", wide, re.I)
                or (_targets(ctx, wide) - {setter} and not _reciprocal_item(ctx))
            )
        ):
            return "tariff-pause-ends"
        return subject
    if subject == "tariff-threat" and ADDITIONAL.search(window):
        return "additional-tariff"
    if subject == "tariff-threat" and AGREED_CUT.search(window):
        return "deal-rate-applies"  # "China, U.S. agree to slash tariffs from Wednesday"
    if (
        subject == "tariff-threat"
        and CUT.search(window)
        and not THREAT.search(window)
        and EFFECT.search(window)
    ):
        return "deal-rate-applies"  # "will lower the tariffs on Chinese imports ..., effective November 10"
    if (
        subject == "deal-rate-applies"
        and RECIPROCAL.search(window)
        and not partner_in_clause
        and (many or TRADING_PARTNERS.search(window))
    ):
        return "reciprocal-tariffs-apply"  # "modified reciprocal tariff rates for trading partners, effective ..."
    return subject


def _reciprocal_item(ctx: ItemContext) -> bool:
    """An item about the general "reciprocal" rates that threatens nobody ("seek an exemption from the reciprocal
    tariffs ... The 25 percent duty on Korean goods takes effect on April 9"): a partner's rate it dates is
    that partner's rate under the general deadline."""
    if ctx._reciprocal is None:
        ctx._reciprocal = _any_sentence(ctx, RECIPROCAL, RECIPROCAL_NEEDLES) and not (
            _any_sentence(ctx, THREAT, THREAT_NEEDLES) or _any_sentence(ctx, ADDITIONAL, ADDITIONAL_NEEDLES)
        )
    return ctx._reciprocal


def _any_sentence(ctx: ItemContext, pattern: re.Pattern, needles: tuple[str, ...]) -> bool:
    """Whether `pattern` occurs in a sentence of the item; tried only in those that may hold its needles."""
    holders = ctx.sentences_holding(needles)
    return any(
        search_if_needles(pattern, needles, text, lowered(text))
        for text in (fold(s.text) for s in ctx.sentences if s.index in holders)
    )


# words of _classify, beside the module's patterns
RELIEF = re.compile(r"\b(?:relief|refunds?|treatment|reaches back)\b", re.I)
TALKS_WORDS = re.compile(r"\b(?:package|deal|agreement|negotiat\w*|talks)\b", re.I)
RATE_WORDS = re.compile(r"\b(?:tariff|rate|duty|duties)\b", re.I)
IN_FORCE = re.compile(
    r"\b(?:went into force|entered into force|took effect|kicked in|came into effect)\b", re.I
)


def _classify(window: str, wide: str, sector_text: str, reciprocal_item: bool = False) -> list[str]:
    subjects: list[str] = []
    # whether a pattern occurs in the clause, and in the text around it
    near, far = TextTests(window).has, TextTests(wide).has
    if near(RELIEF) and not near(SOUGHT) and near(APPLY):
        return ["deal-rate-applies"]
    in_sector_text = TextTests(sector_text).has
    sector = next((name for name, rx in SECTORS if in_sector_text(rx)), None)
    if (near(COUNTER) or (far(COUNTER) and near(PAUSE))) and (near(PAUSE) or near(END)):
        return ["countermeasures-suspension-ends"]
    if (
        near(TARGET)
        and far(TALKS_WORDS)
        and not (sector and near(APPLY))
        # "talks aimed to head off the threatened tariff, due to take effect on Nov. 1": the threat's date
        and not (near(THREAT) and near(TARIFF_WORDS) and near(EFFECT))
    ):
        subjects.append("negotiation-target")
    reciprocal_near = (
        near(RECIPROCAL)
        or (far(RECIPROCAL) and not near(THREAT))
        or (reciprocal_item and not sector and not near(CUT))
    )
    deal = _deal(window)
    if ((near(PAUSE) and near(END)) or (reciprocal_near and near(APPLY) and not deal)) and (
        not sector or sector == "mfn-only"
    ):
        subjects.append("reciprocal-tariffs-apply")
        return subjects
    if sector and near(APPLY):
        subjects.append(f"{sector}-tariff-change" if sector != "mfn-only" else "mfn-only-tariff-change")
        return subjects
    if deal and near(APPLY) and far(RATE_WORDS):
        subjects.append("deal-rate-applies")
        return subjects
    if not near(TARIFF_WORDS) and near(CHANGE_WORDS) and near(APPLY) and far(TARIFF_WORDS):
        return ["deal-rate-applies"]
    if not subjects and near(TARIFF_WORDS) and (far(THREAT) or near(APPLY)):
        subjects.append(
            "reciprocal-tariffs-apply" if near(IN_FORCE) and not near(THREAT) else "tariff-threat"
        )
    return subjects


def _deal(window: str) -> bool:
    """Words of an agreed rate; "seeks relief from the tariff" asks for one."""
    return any(
        not (m.group(0).lower() == "relief" and SOUGHT.search(window[: m.end()]))
        for m in DEAL.finditer(window)
    )


def _targets(ctx: ItemContext, wide: str) -> set[str]:
    out = set()
    for m in TARGET_NP.finditer(wide):
        chunk = m.group("c") or m.group("c2") or m.group("c3") or m.group("adj") or ""
        for c in ctx.gaz.find_countries(chunk):
            if c.start == 0:
                out.add(c.code)
    return out


def _setter(ctx: ItemContext, wide: str, targets: set[str], item_setter: str | None = None) -> str | None:
    if item_setter and item_setter not in targets:
        return item_setter
    mentioned = [c.code for c in ctx.party_countries(wide)] + [
        m.official.country for m in ctx.officials_in(wide) if m.official.country
    ]
    candidates = [c for c in mentioned if c not in targets]
    ranked = ctx.main_countries(6)
    if "US" in candidates:
        return "US"
    if candidates:
        return candidates[0]
    rest = [c for c in ranked if c not in targets]
    return "US" if "US" in rest else (rest[0] if rest else None)


def _countries(ctx: ItemContext, subject: str, wide: str, item_setter: str | None) -> tuple[str, ...]:
    targets = _targets(ctx, wide)
    if subject == "countermeasures-suspension-ends":
        own = re.search(
            r"(?P<c>[A-Z][\w.]+(?:\s[A-Z][\w.]+)?)(?:'s)?\s+(?:own\s+)?(?:first\s+)?(?:package of\s+)?(?:countermeasures|retaliat)",
            wide,
        )
        if own:
            cs = ctx.gaz.find_countries(own.group("c"))
            if cs:
                return (cs[-1].code,)
        others = [c for c in ctx.main_countries(4) if c != item_setter]
        return (others[0],) if others else ()
    if subject == "negotiation-target":
        parties = {c.code for c in ctx.party_countries(wide)} | {
            m.official.country for m in ctx.officials_in(wide) if m.official.country
        }
        for c in ctx.main_countries(2):
            if len(parties) >= 2:
                break
            parties.add(c)
        if len(parties) > 2:
            parties = set(ctx.main_countries(2))
        return tuple(sorted(p for p in parties if p)) if len(parties) >= 2 else ()
    setter = _setter(ctx, wide, targets, item_setter)
    if (
        subject == "reciprocal-tariffs-apply"
        and not item_setter
        and ("US" in ctx.country_counts or not setter)
    ):
        setter = "US"  # "Korea will use the pause, which ends July 8": the pause of the US reciprocal rates
    if not setter:
        return ()
    if subject == "reciprocal-tariffs-apply" or subject == "steel-aluminum-tariff-change":
        return (setter,)
    partners = {t for t in targets if t != setter}
    if not partners:  # the partner is the item's other country
        others = [c for c in ctx.main_countries(3) if c != setter]
        if not others:
            return (setter,) if subject.endswith("-tariff-change") else ()
        partners = {others[0]}
    if ctx.config.watched_countries and not any(ctx.config.watches(c) for c in partners | {setter}):
        return ()
    return tuple(sorted(partners | {setter}))
