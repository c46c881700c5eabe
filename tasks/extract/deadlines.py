"""Trade deadlines as one item states them: a measure, and the date the text ties to it.

A measure is what takes effect or ends: its kind (a tariff, countermeasures, an agreement entering into force, a
regulation applying, a program expiring, a quota, export controls, a negotiation's target date, a review), who
imposes it, on whom (one partner, or every partner) and on which goods. A pause, a suspension or a truce is the
measure it holds back: "the pause on the higher rates ends July 8" dates the higher rates.

A date belongs to a measure only when the text ties them: the date is the object of "takes effect on", "enters
into force on", "expires", "until", "by", "from", "extended to" (a link), and the measure is the head of the same
clause. A date that is merely near a measure (a meeting's day, the day a deal was struck, a dateline, "since
the March 3 announcement") is not its date; a date already past needs words that say so ("took effect on").
Words that tie an old value to a new one ("extended to", "pushed back", "instead of") make a move; the resolver
(tasks/events) decides what a different value without them means.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from records.findings import DeadlineMention
from tasks.extract.context import ItemContext
from tasks.extract.dates import DateRef, find_dates, sentence_tense
from tasks.extract.gazetteer import PACT_AFTER_NAME
from tasks.extract.precheck import lowered, may_contain
from tasks.extract.sentences import Sentence, fold

# --- the measures -------------------------------------------------------------------------------------------

# kind → its head nouns (the order decides between heads found at the same place: first wins)
_HEADS = [
    ("countermeasure", r"(?i:countermeasures?|counter-measures?|counter-tariffs?|retaliatory\s+(?:tariffs?|duties|"
                       r"levies|measures|action)|rebalancing\s+measures)"),
    ("export-control", r"(?i:export\s+(?:controls?|restrictions|bans?|curbs|prohibition|"
                       r"licen[cs]ing(?:\s+requirements?)?)|"
                       r"(?:bans?|curbs|restrictions|prohibition)\s+on\s+(?-i:(?:[a-z][\w-]*\s+){0,3})exports|"
                       # "the ban on the export of rice", "a ban on exporting broiler chickens"
                       r"(?:bans?|curbs|restrictions|prohibition)\s+on\s+(?:the\s+)?(?:exports?\s+of|exporting)|"
                       r"(?:banned|banning|halted|halting|suspended|suspending)\s+(?:the\s+)?exports?\s+of)"),
    ("quota", r"(?i:(?:tariff-rate\s+)?quotas?)"),
    ("program", r"AGOA|GSP|(?i:African\s+Growth\s+and\s+Opportunity\s+Act|Generali[sz]ed\s+System\s+of\s+"
                r"Preferences|trade\s+preferences?|preference\s+(?:program|programme|scheme))"),
    ("regulation", r"(?i:regulations?|rules|law|requirements|regime|mechanism|obligations|directive)|"
                   r"(?!(?:FTA|CEPA|CECA|EPA|TEPA)\b)"  # (an agreement's acronym is never a regulation's)
                   r"[A-Z]{3,6}(?=\s*(?:'s\s+)?(?i:rules|regulation|requirements|obligations|applies|will\s+apply|"
                   r"takes\s+effect|enters|comes|kicks|starts?)\b)"),
    ("review", r"(?i:(?:joint|formal|mandatory|scheduled|first)\s+review)"),
    # controls on imports: "physical checks at the border", "health certificates", "safety and security declarations"
    ("controls", r"(?i:(?:(?:import|border|physical|documentary|identity|customs|sanitary|phytosanitary|SPS|food|"
                 r"veterinary)\s+)+(?:checks|controls|inspections)|health\s+certificat(?:es|ion)|"
                 r"(?:safety\s+and\s+security\s+|customs\s+)declarations|"
                 # licences to import: "import licensing", "a licensing requirement for imports of laptops"
                 r"import\s+(?:licen[cs](?:e|es|ing)|authori[sz]ations?|management\s+system|restrictions?|curbs)|"
                 r"(?:restrictions?|curbs)\s+on\s+(?:the\s+)?imports\s+of|"
                 # a stop to imports: "the rice import ban", "a ban on imports of wheat", "the suspension of rice imports"
                 r"import\s+(?:bans?|prohibition|suspension|halt)|"
                 r"(?:bans?|prohibition)\s+on\s+(?:the\s+)?(?:imports?\s+of|importing|(?-i:(?:[a-z][\w-]*\s+){0,3})imports)|"
                 r"(?:suspension\s+of|halt\s+to)\s+(?-i:(?:[a-z][\w-]*\s+){0,4})imports|"
                 r"(?:banned|banning|halted|halting|suspended|suspending)\s+(?:the\s+)?imports?\s+of|"
                 r"licen[cs]ing\s+(?:requirements?|regime|system)\s+(?:for|on)\s+(?:[\w-]+\s+){0,3}imports)"),
    # (not a category of partners: "goods from non-FTA countries", "countries without a trade agreement")
    ("agreement", r"(?<![Nn]on-)(?<!\bwithout\s)(?<!\bwithout\sa\s)(?<!\bwithout\sany\s)"
                  r"(?:FTA|CEPA|CECA|EPA|TEPA|(?i:(?:free\s+trade|trade|partnership|economic\s+partnership|investment)"
                  r"\s+(?:agreement|pact|deal|accord)|agreement|pact|accord|treaty|protocol|trade\s+deal))"),
    ("tariff", r"(?i:tariffs?|duties|duty|levy|levies|surcharges?|(?:reciprocal|higher|country-specific|new|baseline)"
               r"\s+rates?|rates?)"),
]
_HEAD = re.compile(r"\b(?:" + "|".join(f"(?P<{k.replace('-', '_')}>{rx})" for k, rx in _HEADS) + r")\b")
_NEGOTIATION = re.compile(r"\b(?:talks|negotiat\w+|deal|agreement|package|accord|pact)\b", re.I)
_IMMEDIATE = re.compile(r"\b(?:with\s+immediate\s+effect|effective\s+immediately|with\s+effect\s+from\s+today)\b", re.I)
# a clause that names its measure by pointing back: "The changes take effect on Wednesday", "They apply from"
_ANAPHOR = re.compile(r"^\s*(?:the\s+(?:changes|cuts|reductions|new\s+rates|new\s+duties|measures|increases|hikes)|"
                      r"they|it|these|those|both)\b", re.I)
_TIME_TAIL = re.compile(r"\s+(?:at\s+)?\d{1,2}(?::\d{2})?\s*(?:a\.m\.|p\.m\.|am|pm)(?:\s+(?:[A-Z]{2,4}|local\s+time|GMT"
                        r"|Eastern\s+time))?(?:\s+on)?\s+$")
# what a pause holds back, when it is named by the pause alone
# ("a stay", "the court's stay of": the noun; "he will stay in Washington until" is a visit)
_PAUSE = re.compile(r"\b(?:pause[sd]?|suspension|suspended|reprieve|truce|moratorium|exemptions?|waiver|"
                    r"grace\s+period|(?:(?<=\ba\s)|(?<=\bthe\s)|(?<=\bits\s)|(?<='s\s))stay|stay\s+of|freeze|halt)\b",
                    re.I)
# every measure head, pause and negotiation word holds one of these (lower case): the precheck of a sentence
MEASURE_NEEDLES = (
    "countermeasure", "counter-", "retaliat", "rebalancing", "export", "quota", "agoa", "african growth", "gsp",
    "generali", "preference", "regulation", "rules", "law", "requirement", "regime", "mechanism", "obligation",
    "directive", "review", "agreement", "pact", "deal", "fta", "cepa", "ceca", "epa", "accord", "treaty",
    "protocol", "tariff", "dut", "lev", "surcharge", "rate", "pause", "suspen", "reprieve", "truce", "moratorium",
    "exemption", "waiver", "grace", "stay", "freeze", "halt", "talks", "negotiat", "package", "comply",
    "checks", "controls", "inspections", "certificat", "declarations", "licen", "authori", "management", "restriction", "curbs",
    "import",  # "the wheat import ban", "a ban on imports of rice"
    "effect",  # "The changes take effect on Wednesday": a measure named in the sentence before (_ANAPHOR)
    "small", "micro",  # "Micro and small enterprises have until June 30": the rules' date for them (_FIRMS)
)  # fmt: skip

# qualifiers that tell two measures of one kind apart ("the additional 25% tariff" is not the 25% tariff)
_QUALIFIERS = [
    # a cut a deal brings ("lower tariffs on British cars apply from June 30") is not the rate it replaces
    ("reduced", re.compile(r"\b(?:lower|lowered|reduced|reduce|reduces|reducing|cut|cuts|slash|slashes|slashed|"
                           r"slashing|lowering|cancel|cancels|cancelled|canceled|scrap|"
                           r"scraps|scrapped)\b(?!\s+(?:off|short)\b)", re.I)),
    ("reciprocal", re.compile(r"\breciprocal\b|\bcountry-specific\b|\bhigher\s+(?:tariff\s+)?rates\b", re.I)),
    ("additional", re.compile(r"\b(?:additional|extra|secondary|penalty|punitive)\b", re.I)),
    # a scheduled step up of a rate in force is not the rate ("moves the scheduled increases from January 1")
    ("increase", re.compile(r"\b(?:scheduled|planned|further)\s+(?:tariff\s+)?(?:increases?|hikes?)\b", re.I)),
    ("fentanyl", re.compile(r"\bfentanyl\b", re.I)),
    ("section-232", re.compile(r"\bSection\s+232\b", re.I)),
    ("section-301", re.compile(r"\bSection\s+301\b", re.I)),
    ("anti-dumping", re.compile(r"\banti-?dumping\b|\bcountervailing\b", re.I)),
    ("safeguard", re.compile(r"\bsafeguards?\b", re.I)),
    # a duty on goods leaving the country is not a duty on goods coming in
    ("export", re.compile(r"\bexport\s+(?:dut(?:y|ies)|tax(?:es)?|levy|levies|tariffs?)\b|"
                          # (goods, not a country: "the duty on Bangladeshi exports" is the buyer's tariff)
                          r"\b(?:dut(?:y|ies)|tax|levy)\s+on\s+(?-i:(?:[a-z][\w-]*\s+){0,3})exports\b|"
                          r"\b(?:dut(?:y|ies)|tax|levy)\s+on\s+(?:the\s+)?exports?\s+of\b", re.I)),
    ("de-minimis", re.compile(r"\bde\s+minimis\b", re.I)),
]


_EXPORT_DUTY = dict(_QUALIFIERS)["export"]  # a duty on the government's own goods leaving the country


def _qualifier(words: str) -> str | None:
    return next((name for name, rx in _QUALIFIERS if rx.search(words)), None)


# product scope (the first that the clause names; else every good)
SECTORS = [
    ("mfn-only", re.compile(r"\b(?:most-favou?red-nation|MFN)\b")),
    ("autos", re.compile(r"\b(?:cars?|autos?|automobiles?|auto\s+parts|car\s+parts|passenger\s+vehicles|"
                         r"vehicles|automotive)\b", re.I)),
    ("trucks", re.compile(r"\b(?:trucks?|buses|heavy-duty)\b", re.I)),
    ("steel-aluminum", re.compile(r"\b(?:steel|alumin(?:i)?um)\b", re.I)),
    ("pharmaceuticals", re.compile(r"\b(?:pharmaceuticals?|drugs?(?!\s+(?:cartels?|trafficking|smuggling|flows?|"
                                   r"traffickers|gangs?|crisis|overdoses?|lords?))|medicines?)\b", re.I)),
    ("semiconductors", re.compile(r"\b(?:semiconductors?|chips?)\b", re.I)),
    ("lumber-furniture", re.compile(r"\b(?:lumber|timber|softwood|furniture|(?:kitchen\s+)?cabinets?|vanities)\b",
                                    re.I)),
    ("copper", re.compile(r"\bcopper\b", re.I)),
    ("minerals", re.compile(r"\b(?:bauxite|nickel|ores?|minerals?|concentrates?|coal|lithium|cobalt|tin)\b", re.I)),
    ("agriculture", re.compile(r"\b(?:agricultural|farm\s+goods|beef|pork|rice|dairy|soybeans?|coffee|cocoa)\b",
                               re.I)),
]
# a regulation's name: "the EU deforestation regulation", "the carbon border adjustment mechanism", "CBAM"
_REGULATION_NAME = re.compile(r"\b(?P<acr>[A-Z]{3,6})\b|\b(?P<words>(?:[A-Za-z]+-)?[A-Za-z]+(?:\s+[A-Za-z]+)?)\s+"
                              r"(?i:regulation|rules|law|requirements|regime|mechanism|directive)\b")
# the stage of import controls a phrase names, its first one (restricted imports need a licence)
_CONTROL_STAGE = re.compile(r"\b(?:(?P<certificates>certificat\w+)|(?P<declarations>declarations)|"
                            r"(?P<checks>checks|controls|inspections)|(?P<authorisations>authori[sz]ations?)|"
                            r"(?P<licensing>licen[cs]\w+|management\s+system|restrictions?|curbs)|"
                            r"(?P<ban>bans?|banned|banning|prohibit\w*|suspen\w*|halt\w*))\b", re.I)
# rules named by what follows them: "the rules of origin", "rules on deforestation"
_NAMED_AFTER = re.compile(
    r"\b(?i:rules|regulations?|requirements)\s+(?:of|on)\s+(?P<of>origin|[a-z]{4,}(?<!the)(?<!its))\b")
# "the EU Deforestation Regulation (EUDR)": an acronym defined in the text names what it follows
_ACRONYM_DEFINED = re.compile(r"\b(?P<words>(?:[A-Za-z]+-)?[A-Za-z]+(?:\s+[A-Za-z]+){0,4})\s+\((?P<acr>[A-Z]{3,6})\)")
_NOT_A_NAME = {"for", "of", "on", "to", "with", "from", "by", "in", "under", "and", "the", "new", "trade", "its", "their", "these", "those", "such", "current", "existing", "eu", "us",
               "same", "this", "that", "global", "import", "export", "tariff", "customs", "related", "key", "final"}
# who a regulation applies to, when a text gives two dates by firm size ("from Dec. 30 for large companies")
_FIRMS = re.compile(r"\b(?P<who>(?:(?:large|big|medium(?:-sized)?|small|micro|smaller)(?:\s*(?:and|,|or)\s*)?){1,3})"
                    r"\s*(?:-sized\s+)?(?:companies|firms|businesses|operators|enterprises|traders|producers)\b", re.I)
_RATE = re.compile(r"(?<![\d.])(?P<n>\d{1,3}(?:\.\d{1,2})?)\s?(?:%|percent\b|per\s+cent\b)", re.I)

# --- the links between a measure and its date ----------------------------------------------------------------

_ON = (r"(?:\s+(?:again|only|fully|automatically|retroactively|formally|officially))?"
       r"(?:\s+(?:on|from|as\s+of|starting|beginning|at|by))?(?:\s+(?:the\s+)?\w+day,?)?\s+(?:the\s+)?$")
LINKS = [  # (class, words right before the date)
    ("effect", re.compile(
        r"\b(?:(?:take|takes|took|taking|taken)\s+effect|(?:come|comes|came|coming)\s+into\s+(?:force|effect)|"
        r"(?:enter|enters|entered|entering)\s+into\s+force|(?:go|goes|went|going|gone)\s+into\s+(?:effect|force)|"
        r"(?:kick|kicks|kicked|kicking)\s+in|(?:become|becomes|became)\s+(?:applicable|effective)|"
        r"(?:apply|applies|applied|applying)|(?:be|been|being|is|are|was|were)\s+(?:applied|imposed|implemented|"
        r"enforced|levied|collected|charged)|in\s+(?:force|effect)|(?:start|starts|started|begin|begins|began)"
        r"(?:\s+to\s+apply)?|(?:rise|rises|rose|climb|climbs|jump|jumps|increase|increases|drop|drops|fall|falls|"
        r"fell)\s+(?:to\s+[\d.]+\s?(?:%|percent|per\s+cent))?|(?:(?:have|has|had|must|will\s+have)\s+to\s+)?"
        r"comply(?:\s+with\s+(?:the\s+)?\w+(?:\s+\w+)?)?)" + _ON, re.I)),
    ("effect", re.compile(r"\b(?:effective|as\s+of|starting|beginning)(?:\s+(?:on|from))?(?:\s+\w+day,?)?\s+$",
                          re.I)),
    # customs wording: "applies to goods entered for consumption on or after Sept. 16"
    ("effect", re.compile(r"\b(?:entered|withdrawn|imported|shipped|exported)\b[^.;]{0,40}?\bon\s+or\s+after\s+$", re.I)),
    # an obligation with its day: "must hold a joint review on March 1", "are required to comply by"
    ("due", re.compile(r"\b(?:must|shall|(?:is|are)\s+required\s+to|(?:has|have)\s+to)\s+(?:[\w-]+\s+){1,6}?"
                       r"(?:on|by|before)(?:\s+\w+day,?)?\s+$", re.I)),
    ("from", re.compile(r"\bfrom(?:\s+\w+day,?)?\s+$", re.I)),
    ("end", re.compile(
        r"\b(?:expire|expires|expired|expiring|end|ends|ended|ending|lapse|lapses|lapsed|run|runs|ran)"
        r"(?:\s+out)?" + _ON + r"|\b(?:until|till|through|to\s+run\s+until|valid\s+until|last\s+day\s+(?:is|of))"
        r"(?:\s+\w+day,?)?\s+$|\b(?:due|set|scheduled)\s+to\s+(?:expire|end|lapse)" + _ON, re.I)),
    ("due", re.compile(
        r"\b(?:due|set|scheduled|slated|planned|timed)(?:\s+to\s+(?:take\s+effect|start|begin|apply|"
        r"come\s+into\s+force|enter\s+into\s+force))?(?:\s+(?:for|on|from))?(?:\s+\w+day,?)?\s+$|"
        r"\bdeadline\s+(?:of|is|on|for)?(?:\s+\w+day,?)?\s+$", re.I)),
    ("by", re.compile(r"\b(?:by|before)(?:\s+\w+day,?)?\s+$", re.I)),
]
# a move: the verb and the new value ("extended to", "pushed back to Aug. 1", "delayed by a year to")
CHANGE = re.compile(
    r"\b(?:extend|extends|extended|extending|extension|push|pushes|pushed|pushing|delay|delays|delayed|delaying|"
    r"postpone|postpones|postponed|postponing|postponement|defer|defers|deferred|deferring|move|moves|moved|moving|"
    r"bring|brings|brought|bringing|advance|advances|advanced|reschedul\w+|shift|shifts|shifted|prolong\w*|"
    r"roll(?:ed|s)?\s+over|renew\w*|put(?:s|ting)?\s+off)\b", re.I)
_CHANGE_TO = re.compile(
    r"(?P<verb>\b(?:extend\w*|extension|push\w*\s+back|delay\w*|postpone\w*|postponement|defer\w*|"
    r"put(?:s|ting)?\s+off|"
    r"mov\w*(?:\s+(?:back|up|forward))?|brought\s+forward|bring\w*\s+forward|advance\w*|reschedul\w+|shift\w*|"
    r"prolong\w*|roll\w*\s+over|renew\w*)\b)(?:(?!(?<![A-Z])\.\s)[^;]){0,80}?\b(?:to|until|till|through|for|into)"
    r"(?:\s+\w+day,?)?\s+(?:the\s+)?$", re.I)
_INSTEAD_OF = re.compile(r"\b(?:instead\s+of|rather\s+than|and\s+not|not)\s+(?:on\s+|from\s+)?(?:\w+day,?\s+)?$", re.I)
_NOW_NEW = re.compile(r"\b(?:now|newly|new\s+(?:deadline|date|start\s+date)\s+(?:of|is))(?:\s+\w+){0,4}\s+$", re.I)
# a date told as an old value ("originally due on Aug. 1", "had been set to take effect on", "since March 3")
OLD = re.compile(
    r"(?:\b(?:had\s+been|was|were)\s+(?:originally\s+)?(?:due|set|scheduled|slated|expected|planned)\b[^.;]{0,40}$"
    r"|\boriginal(?:ly)?\b[^.;]{0,30}$|\bprevious(?:ly)?\b[^.;]{0,25}$|\bearlier\s+(?:deadline|date)\b[^.;]{0,20}$"
    r"|\bsince\s+(?:the\s+)?$|\bin\s+place\s+since\s+$|\bwould\s+have\s+\w+\s+(?:on\s+)?$)", re.I)
# tentative: proposed, possible, floated
TENTATIVE = re.compile(
    r"\b(?:could|may|might|possibly|proposes?|proposed|proposal|propose|floated?|floats|mull\w*|weigh\w*|"
    r"considering|consider|seeks?\s+to|seeking\s+to|wants?\s+to|would\s+(?:like|prefer)|if\b|unless\b|"
    r"rumou?r\w*|speculat\w*|reportedly)\b", re.I)
# "would" in an item that reports a proposal or a bill ("House votes to revive ...", "Commission publishes
# proposal"): what the text would do if adopted, not what applies
_WOULD = re.compile(r"\bwould\s+(?:only\s+|still\s+|also\s+|now\s+|then\s+)?(?!have\b)\w+", re.I)
_PROPOSED = re.compile(r"\b(?:propos\w*|bills?|draft|votes?|voted|passes|passed|approves?|considers?|plans?)\b", re.I)
# a date that names an event, not a measure's due day ("the July 22 deal", "the May 12 truce", "the Aug. 1 meeting")
EVENT_AFTER = re.compile(
    # (not "from Oct. 1 under the deal": a preposition starts another phrase)
    r"^\s*(?:'s\s+)?(?!(?:under|in|with|by|after|as|from|for|of|per|through)\b)(?:[\w+\"'-]+\s+){0,2}?"
    r"(?:meeting|talks|negotiations|summit|call|session|visit|election|vote|"
    r"announcement|statement|joint\s+statement|letter|order|executive\s+order|proclamation|deal|agreement|accord|"
    r"truce|framework|signing|ceremony|conference|speech|ruling|hearing|decision|report)\b", re.I)
EVENT_BEFORE = re.compile(
    r"\b(?:said|says|told|announced|added|wrote|posted|confirmed|agreed|reached|struck|sealed|signed|unveiled|"
    r"published|dated|released|issued|met|meet|meeting|talks|spoke|call|statement|readout|sworn|elected|approved|"
    r"adopted|decided|voted|ruled|launched|concluded|held|hosted|brokered)\s+(?:on\s+|late\s+|early\s+)?(?:the\s+)?$",
    re.I)
# how far back a date the text says took effect is still news: a measure that took effect months before the report
# is its background (no labelled set gives a measure's value first more than four weeks after it)
HISTORY = timedelta(days=60)
# what a date already past needs to be one of the measure's values
PAST_EFFECT = re.compile(
    r"\b(?:took\s+effect|entered\s+into\s+force|came\s+into\s+(?:force|effect)|went\s+into\s+(?:effect|force)|"
    r"kicked\s+in|became\s+(?:applicable|effective)|(?:has|have|had)\s+(?:applied|been\s+in\s+(?:force|effect))|"
    r"retroactive\w*|backdated|reach(?:es|ing)?\s+back|expired|ended|lapsed|ran\s+out)\b", re.I)
_CLAUSE_BREAK = re.compile(r"[;]|,\s+(?:but|while|whereas|although)\b|\s+but\s+|\s+while\s+|\s+whereas\s+"
                           r"|,\s+(?:and\s+)?(?:which|who)\b|\s+and\s+(?=(?:the|a|an|it|they|he|she|its|their)\s)")
_FOR_WHOM = re.compile(r"\s*,?\s*for\s+[^,;]{1,60}", re.I)  # "on Dec. 30, 2025, for large companies"
# a country's rate: "Japan's 24 percent reciprocal tariff" is the rate on Japan when another country sets tariffs
_POSSESSIVE_RATE = re.compile(r"[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+)?'s\s+(?:[\w%.-]+\s+){0,4}?(?:tariffs?|rates?|duty)\b")
# a date the sentence goes on to tie to a measure: "by July 8, when the U.S. pause on reciprocal tariffs ends"
_WHEN = re.compile(r"\s*,\s*(?:the\s+day\s+)?when\s+(?P<clause>[^,;]{3,120}?)\s+(?P<verb>(?:is|are)\s+(?:set|due|scheduled)\s+to\s+"
                   r"(?:expire|end|lapse|apply|take\s+effect)|ends|expires|lapses|runs\s+out|takes\s+effect|kicks\s+in|"
                   r"applies|apply|come\s+into\s+force|comes\s+into\s+force|enters\s+into\s+force)\b", re.I)
# a condition the date hangs on, told after it: "on Aug. 8 if approved by Congress"
_CONDITION_AFTER = re.compile(r"\s*,?\s*(?:if|unless|subject\s+to|pending|provided\s+that)\b", re.I)
_RELATIVE = re.compile(r",\s+(?:and\s+)?(?:which|who)", re.I)
_NAME_NEXT = re.compile(r"the\s+[A-Z]")
_BETWEEN_FIRST = re.compile(r"\bbetween\s+(?:the\s+)?[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*){0,3}$")
_TARGET = re.compile(
    # (not "the pause on U.S. reciprocal duties": a country before the measure's noun owns it)
    r"\b(?:on|against|to)\s+(?:the\s+)?(?:(?:imports?|goods|products|shipments|exports)\s+(?:from|of)\s+)?(?:the\s+)?"
    r"(?P<c>[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,2})(?!\s+(?:[\w-]+\s+)?(?:tariffs?|duties|levies|rates?)\b)"
    r"|\b(?:imports?|goods|products|exports|shipments)\s+from\s+(?:the\s+)?(?P<c2>[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,2})"
    r"|\bfor\s+(?:the\s+)?(?P<c3>[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,2})"
    r"|(?P<adj>[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+)?)(?:'s)?\s+(?:goods|products|imports|exports|shipments|cars|autos|"
    r"steel|companies|carmakers|automakers|businesses)\b"
    r"|(?P<subj>[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+)?)\s+(?:will|would|could|now)?\s*(?:face|faces|faced|facing|pay|pays)\b")
_EVERY_PARTNER = re.compile(
    r"\b(?:all|every|most|other|dozens\s+of|scores\s+of|a\s+dozen|many|several|\d+)\s+(?:other\s+)?(?:countries|trading\s+"
    r"partners|economies|nations|imports|partners)\b|\btrading\s+partners\b|\bglobal(?:ly)?\b|\bworldwide\b"
    r"|\bimports?\s+from\s+(?:all|every)\b|\bon\s+all\s+imports\b"
    # a class of partners: "countries without trade agreements with Mexico", "goods from non-FTA countries",
    # "Asian imports" (a region's, not one partner's: "European" is the EU's)
    r"|\b(?:Asian|African|Latin\s+American|South\s+American|Middle\s+Eastern|foreign|overseas)\s+(?:imports|goods|"
    r"products|countries|nations|economies|suppliers|exporters)\b"
    r"|\b(?:countries|nations|economies|partners)\s+(?:without|lacking|that\s+(?:lack|do\s+not\s+have|have\s+no))\s+"
    r"(?:a\s+|any\s+)?(?:free[- ])?trade\s+(?:agreements?|pacts?|deals?|treaties)|\bnon-(?:FTA|free[- ]trade)\b", re.I)
# four or more things listed: "autos, auto parts, textiles, clothing and steel"
_LONG_LIST = re.compile(r"(?:\b[a-z][\w-]*(?:\s+[a-z][\w-]*)?\s*,\s+){3,}(?:and\s+|or\s+)?[a-z][\w-]*")
# the government whose pacts define the class: "countries without trade agreements with Mexico"
_CLASS_OF = re.compile(r"\bwithout\s+(?:a\s+|any\s+)?(?:free[- ])?trade\s+(?:agreements?|pacts?|deals?|treaties)\s+with\s+"
                       r"(?P<who>[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+)?)")
# partners named as examples of a class: "goods from China and other Asian countries", "partners including Japan"
_EXAMPLES = re.compile(
    r"(?P<named>(?:[A-Z][\w.'-]+\s+){1,3})and\s+other\s+(?:[\w-]+\s+){0,2}(?:countries|nations|economies|partners|"
    r"exporters|suppliers|imports|goods|products)\b"
    r"|\b(?:countries|nations|economies|partners|exporters|suppliers)\s*,?\s+(?:including|such\s+as|notably|"
    r"among\s+them)\s+(?P<listed>[^,;]{2,80})")

LABELS = {
    "tariff": "tariff takes effect", "countermeasure": "countermeasures take effect",
    "agreement": "agreement enters into force", "regulation": "rules apply", "program": "program expires",
    "quota": "quota applies", "export-control": "export controls take effect", "negotiation": "negotiation target",
    "review": "review due", "controls": "import controls start",
}


@dataclass(frozen=True)
class Measure:
    kind: str
    imposer: tuple[str, ...]  # who sets it (for an agreement or a negotiation: every party)
    target: tuple[str, ...]  # the partner(s) it is aimed at; () = every partner
    scope: str  # "all" goods, a sector, or the name of a regulation or program
    qualifier: str | None

    @property
    def subject(self) -> str:
        return ":".join(p for p in (self.kind, self.scope, self.qualifier) if p)

    @property
    def countries(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.imposer) | set(self.target)))

    def label(self) -> str:
        what = LABELS.get(self.kind, self.kind)
        scope = "" if self.scope in ("all", "") else f" ({self.scope.replace('-', ' ')})"
        qualifier = f"{self.qualifier.replace('-', ' ')} " if self.qualifier else ""
        return f"{qualifier}{what}{scope}"


@dataclass(frozen=True)
class _Found:
    mention: DeadlineMention
    priority: int  # lower = more newsworthy (title, lead)


def extract_deadlines(ctx: ItemContext) -> list[DeadlineMention]:
    """The deadlines one item states, one value per measure (the news before the background)."""
    found: list[_Found] = []
    setter = tariff_setter(ctx)
    may = ctx.sentences_holding(MEASURE_NEEDLES)
    previous = ""
    for s in ctx.sentences:
        if s.index in may:
            found.extend(_in_sentence(ctx, s, setter, previous))
        previous = fold(s.text)
    found = _main_application(_one_measure_per_name(found))
    best: dict[tuple[str, tuple[str, ...]], _Found] = {}
    for f in found:
        key = (f.mention.subject, f.mention.countries)
        cur = best.get(key)
        if cur is None or _rank(f) < _rank(cur):
            best[key] = f
    kept = [f for f in best.values() if not _part_of_a_pact(f.mention, best.values())]
    return [f.mention for f in sorted(kept, key=lambda f: f.priority)]


def _part_of_a_pact(m: DeadlineMention, found) -> bool:
    """ "Duty-free access from today" in an item on a pact entering into force today: the pact's own terms, not a
    measure of its own."""
    return m.subject.startswith("tariff:") and any(
        f.mention.subject.startswith("agreement:") and f.mention.due_date == m.due_date
        and set(m.countries) <= set(f.mention.countries) for f in found)


def _main_application(found: list[_Found]) -> list[_Found]:
    """Rules that give small firms a later date apply to the others on the date told without a firm size: in an
    item that names a small-firm date, the unqualified date of the same rules is the large firms' date."""
    small = {(f.mention.subject.rsplit(":", 1)[0], f.mention.countries) for f in found
             if f.mention.subject.startswith("regulation:") and f.mention.subject.endswith(":small-firms")}
    out = []
    for f in found:
        m = f.mention
        if m.subject.startswith("regulation:") and m.subject.count(":") == 1 and (m.subject, m.countries) in small:
            f = _Found(replace(m, subject=m.subject + ":large-firms", subject_label=m.subject_label + " (large firms)"),
                       f.priority)
        out.append(f)
    return out


def _one_measure_per_name(found: list[_Found]) -> list[_Found]:
    """An item that names a measure once with its qualifier ("the higher reciprocal tariffs") and once without
    ("the higher tariffs"), with the same date or a move, speaks of one measure: the unqualified mentions take the
    qualified subject, when only one qualified measure of that kind, scope and governments is named."""
    qualified: dict[tuple, set[str]] = {}
    for f in found:
        kind, scope, *rest = f.mention.subject.split(":") + ["all"]
        if len(f.mention.subject.split(":")) > 2:
            qualified.setdefault((kind, scope, f.mention.countries), set()).add(f.mention.subject)
    out = []
    for f in found:
        parts = f.mention.subject.split(":")
        key = (parts[0], parts[1] if len(parts) > 1 else "all", f.mention.countries)
        subjects = qualified.get(key, set())
        if len(parts) <= 2 and len(subjects) == 1 and "reduced" not in next(iter(subjects)):
            subject = next(iter(subjects))
            other = next(x for x in found if x.mention.subject == subject)
            same_value = abs((other.mention.due_date - f.mention.due_date).days) <= 1 or f.mention.change
            if same_value:  # (another date is another measure, or a move the resolver weighs)
                f = _Found(replace(f.mention, subject=subject, subject_label=other.mention.subject_label),
                           f.priority)
        out.append(f)
    return out


def _rank(f: _Found) -> tuple:
    """A move first (it is the news), then the title and lead, then the later value."""
    return (f.mention.change is None, f.priority, -f.mention.due_date.toordinal())


# "into force on Dec. 30 for large companies and on June 30 for small ones": the second date shares the link
_COORDINATED = re.compile(r"^\s*(?:,?\s*for\s+[^,;.]{1,60}?)?,?\s+(?:and|or)\s+(?:on|from|by|as\s+of)?\s*(?:the\s+)?$",
                          re.I)


def _in_sentence(ctx: ItemContext, s: Sentence, setter: str | None, previous: str) -> list[_Found]:
    text = fold(s.text)
    if not may_contain(lowered(text), MEASURE_NEEDLES):
        return []
    if now := _IMMEDIATE.search(text):
        # "banned the import of luxury items with immediate effect": the day of the report, told as the day it
        # takes effect (read as "... effective <that day>")
        text = f"{text[: now.start()].rstrip()} effective {ctx.ref:%B} {ctx.ref.day}, {ctx.ref.year}{text[now.end() :]}"
    dates = [d for d in find_dates(text, ctx.ref, sentence_tense(text, s.headline))
             if d.precision == "day" and not d.vague and d.date is not None]
    out = []
    last: tuple[DateRef, DeadlineMention] | None = None
    for d in dates:
        for value, old in _values(d, text):
            mention = _read(ctx, s, text, d, value, old, setter, previous)
            if mention is None and last is not None and _COORDINATED.match(text[last[0].end : d.start]):
                mention = _coordinated(ctx, s, text, d, value, last[1], setter, previous)
            if mention is not None:
                out.append(_Found(mention, 0 if s.paragraph <= 2 else 1))
                last = (d, mention)
            when = _WHEN.match(text, d.end)
            if when and old is None:  # "by July 8, when the pause on reciprocal tariffs ends": that measure too
                said = f"{when.group('clause')} {when.group('verb')} on "
                told = _read(ctx, s, said + d.text, replace(d, start=len(said), end=len(said) + len(d.text)),
                             value, None, setter, previous)
                if told is not None and (mention is None or told.subject != mention.subject):
                    out.append(_Found(replace(told, text=s.text), 0 if s.paragraph <= 2 else 1))
    return out


def _coordinated(ctx: ItemContext, s: Sentence, text: str, d: DateRef, value: date, first: DeadlineMention,
                 setter: str | None, previous: str) -> DeadlineMention | None:
    """The second of two dates one link governs: the same kind of measure, read for its own clause (its firm
    size, its partner)."""
    after = text[d.end : d.end + 80].split(",")[0]
    kind = first.subject.split(":")[0]
    measure = _measure(ctx, kind, after + " " + first.text[:0], text, setter, previous)
    if measure is None:
        return None
    if kind == "regulation" and measure.qualifier is None:
        return None
    return replace(first, subject=measure.subject, subject_label=measure.label(),
                   countries=tuple(sorted(ctx.gaz.expand(measure.countries, ctx.ref))),
                   due_date=value, due_at=None, rate=_rate(after) or None, moved_from=None, change=first.change)


def _values(d: DateRef, text: str) -> list[tuple[date, date | None]]:
    """The values a date expression gives: one day, or for a span read as a move ("pushed back from Aug. 1 to
    Aug. 7") the new day with the old one."""
    if d.last is None:
        return [(d.date, None)]
    before = text[max(0, d.start - 80) : d.start]
    if CHANGE.search(before) and re.search(r"\bfrom\s+$", before):
        return [(d.last, d.date)]
    return [(d.date, None)]  # a span ("from March 3 to 5"): a meeting's, not a deadline's


def _clause(text: str, start: int, end: int) -> tuple[str, str]:
    """The words before a date and after it, within its clause."""
    before = text[max(0, start - 220) : start]
    # (a relative clause the date sits in keeps its antecedent: "the Regulation (EUDR), which begins to apply on")
    cut = [m for m in _CLAUSE_BREAK.finditer(before) if not _RELATIVE.fullmatch(m.group(0))
           # "between Jordan and the United Arab Emirates": one phrase, two names
           and not (_BETWEEN_FIRST.search(before, 0, m.start()) and _NAME_NEXT.match(before, m.end()))]
    if cut:
        before = before[cut[-1].end() :]
    after = text[end : end + 160]
    m = _CLAUSE_BREAK.search(after)
    return before, after[: m.start()] if m else after


def _read(ctx: ItemContext, s: Sentence, text: str, d: DateRef, value: date, old: date | None,
          setter: str | None, previous: str) -> DeadlineMention | None:
    """The deadline this date gives, if the text ties it to a measure."""
    before, after = _clause(text, d.start, d.end)
    before = _TIME_TAIL.sub(" ", before)  # "until 12:01 a.m. EST on Nov. 10": the link is before the time
    if EVENT_AFTER.match(after) or EVENT_BEFORE.search(before[-60:]) or OLD.search(before[-80:]):
        return None
    if _INSTEAD_OF.search(before[-40:]):
        return None  # "instead of Aug. 1": the old value (read with the new one)
    opening = len(before.split()) <= 3  # "From Aug. 1, a 25% tariff will apply to ...": the clause follows
    link = _link(before, after, opening)
    if link is None:
        return None
    kind_words = before if not opening else before + " " + after
    if (link[0] in ("end", "effect", "from") or (link[0] == "due" and link[1] != "deadline")) and \
            _MEETING_SUBJECT.search(before.rstrip()[: len(before.rstrip()) - len(link[1])]):
        return None  # "sessions scheduled to run through Oct. 10", "the round that ended on Friday": a meeting's
    head = _head(kind_words, link)
    anaphor = head is None and _ANAPHOR.search(before) and previous
    if anaphor:  # "The changes take effect on Wednesday": the measures the sentence before names
        head = _head(previous, link)
        if head is not None:
            before = previous + " " + before
    if head is None:
        return None
    kind, at = head
    if _PROBE_OF.search(kind_words[max(0, at - 120) : at]):
        return None  # "an investigation into Mexico's tariff increases, effective the same day": the probe's day
    if kind == "pause":  # "That suspension now runs until Aug. 6" after "delayed the countermeasures": those
        held = _head(previous, ("end", "until")) if previous else None
        kind = held[0] if held is not None and held[0] not in ("pause", "negotiation") else "tariff"
    if kind == "agreement" and link[0] in ("by", "due") and _NEGOTIATION.search(kind_words):
        kind = "negotiation"  # "aim to sign the agreement by December 31": the talks' target
    if kind in ("agreement", "negotiation") and link[0] == "from":
        return None  # "the pact from July": too loose for a pact
    if kind == "negotiation" and link[0] == "due" and "deadline" not in link[1].lower():
        return None  # "talks with the USTR are scheduled for Tuesday": the talks' own day, a meeting's
    if kind in ("agreement", "negotiation") and re.match(r"end", link[1], re.I):
        return None  # "the round of talks on the agreement that ended on Friday": a pact does not "end" on a day
    change, moved_from = _change(before, text, d, old)
    past = value < ctx.ref - timedelta(days=1)
    if past and not PAST_EFFECT.search(before[-120:] + " " + after[:40]) and change is None:
        return None  # a day gone by is not a due date unless the text says it took effect then
    if value < ctx.ref - HISTORY and change is None:
        ctx.background_measures += 1  # "the pact, in force since July 2003": background, not a date anyone watches
        return None
    clause = before + " " + d.text + " " + after
    # the words that name the measure: from a little before its head noun to the end of the date's phrase,
    # without what the clause gives as a reason ("in response to US tariffs on steel")
    named = (before[max(0, at - 50) :] if not opening else before) + " " + d.text + " " + after.split(",")[0]
    phrase = _REASON.split(named)[0] if at < len(before) else clause
    for_whom = _FOR_WHOM.match(after)
    measure = _measure(ctx, kind, clause, text, setter, previous, phrase, for_whom.group(0) if for_whom else None)
    if measure is None and (anaphor or _PAUSE.search(before)) and previous:
        # "the suspension stays in place until Nov. 10" after "a pause on tariffs on Chinese goods"
        measure = _measure(ctx, kind, previous + " " + clause, text, setter, previous, previous + " " + phrase)
    if measure is None:
        return None
    # (what comes before a colon is another statement: "the original proposal stands: the law will apply on")
    certainty = "tentative" if (TENTATIVE.search(before[-140:].rsplit(":", 1)[-1]) or _CONDITION_AFTER.match(after)
                                or (_WOULD.search(before[-80:]) and _PROPOSED.search(ctx.item.title))) else "definite"
    rate = _rate(phrase) or _rate(clause)
    countries = tuple(sorted(ctx.gaz.expand(measure.countries, ctx.ref)))  # a bloc's pact binds its members
    return DeadlineMention(
        subject=measure.subject, subject_label=measure.label(), countries=countries, due_date=value,
        due_at=d.at if d.last is None else None, text=s.text, equivalent_dates=_equivalents(link[0], clause, value),
        rate=rate, moved_from=moved_from, change=change, certainty=certainty, link=link[1],
        in_effect=past and change is None)


_OPENING = re.compile(r"^\s*(?:(?P<effect>from|as\s+of|starting|beginning|effective)|(?P<end>until|till|through)"
                      r"|(?P<on>on|by|as\s+from))(?:\s+(?:the\s+)?\w+day,?)?\s*(?:the\s+)?$", re.I)
_FORCE = re.compile(r"\binto\s+force\b|\bapplicable\b|\bratif\w+", re.I)  # said of agreements and laws


def _link(before: str, after: str, opening: bool) -> tuple[str, str] | None:
    """(class, words) of the link that ties the date to a measure: the words right before it; for a clause the
    date opens ("From Aug. 1, a 25% tariff will apply"), its preposition and the verb after it."""
    tail = before[-90:]
    for name, rx in LINKS:
        m = rx.search(tail)
        if m:
            return name, " ".join(m.group(0).split())
    m = _CHANGE_TO.search(tail)
    if m:
        return "change", " ".join(m.group(0).split())
    if opening:
        o = _OPENING.match(before)
        if o and o.group("effect"):
            return "effect", o.group(0).strip()
        if o and o.group("end"):
            return "end", o.group(0).strip()
        if o:
            verb = re.search(r"\b(?:take|takes|will\s+take)\s+effect|into\s+(?:force|effect)|kicks?\s+in|"
                             r"(?:will\s+)?(?:apply|applies|rise|rises|increase|increases|climb|jump|fall|drop)\b"
                             r"|(?P<end>expire|expires|ends?|lapses?|runs?\s+out)\b", after, re.I)
            if verb:
                return ("end" if verb.group("end") else "effect"), " ".join(verb.group(0).split())
    if re.match(r"\s*(?:deadline|start\s+date|due\s+date|cutoff|cut-off|target)\b", after):
        return "due", "deadline"
    if not before.strip() and _LISTED.match(after):
        return "effect", "listed"  # a timetable's line: "31 January 2024: health certification on imports of"
    return None


# a line of a timetable, the date first: "31 January 2024: health certification on imports ...", unless the line
# is an encounter ("12 June: ministers meet in Geneva", "3 March: second round of talks")
_LISTED = re.compile(r"\s*[:–—-]\s+(?![^.;]{0,60}\b(?:meet|meets|talks|round|visit|summit|meeting|call|conference)\b)",
                     re.I)


# an aside between commas before the verb ("The countermeasures, covering EUR 21 billion of U.S. goods in response
# to the steel tariffs, had been suspended until"): its nouns are not the subject
_ASIDE = re.compile(r",[^,;]{3,160},(?=\s+(?:had|has|have|was|were|is|are|will|would|remain\w*|now|also|still|"
                    r"take|takes|took|enter\w*|come|comes|came|expire\w*|end\w*|run\w*)\b)", re.I)
# the first word of a compound that names something else: "tariff talks", "trade deal negotiations"
_COMPOUND_TAIL = re.compile(r"\s*['\"]?(?:talks|negotiations?|negotiators?|meetings?|discussions|summit|dispute|package|"
                            r"deal|"
                            r"consultations|teams?|officials?|chief|envoys?|revenue|income)\b", re.I)
# the object of a negotiation ("a deal on tariffs", "talks over the levies")
_ABOUT = re.compile(r"\b(?:on|over|about|regarding|concerning)\s+(?:the\s+|its\s+|their\s+)?(?:[\w'.%-]+\s+){0,3}$",
                    re.I)
# a meeting the date belongs to: "sessions scheduled to run through", "the round that ended on"
_MEETING_SUBJECT = re.compile(r"\b(?:sessions?|talks|round|rounds|meetings?|visit|summit|conference|negotiations)"
                              r"(?:\s+(?:that|which|is|are|was|were|had|have|has|been|scheduled|set|due|planned|"
                              r"expected|to|will|would|formally|finally|officially|run|runs|last|lasts|continue|"
                              r"continues))*\s*$", re.I)
# a measure named as what an inquiry looks into: the date is the inquiry's
_PROBE_OF = re.compile(r"\b(?:investigation|probe|inquiry|enquiry)\s+(?:into|of|on)\b(?![^,;]*\b(?:tariffs?|duties|levies)"
                       r"\s+(?:take|takes|took|will\s+take)\b)", re.I)
# what the clause gives as a reason, not as the measure's goods
_REASON = re.compile(r"\b(?:in\s+response\s+to|in\s+retaliation\s+(?:for|against)|to\s+protest|over\s+(?:the|its|"
                     r"their)\b|(?<=countermeasures\s)against\b)", re.I)
# a head noun inside a modifier ("goods not covered by the USMCA trade pact", "cuts agreed in the deal"): the
# object of a preposition, not the subject the link is said of
_GOVERNED = re.compile(r"\b(?:by|under|in|within|outside|with|of|through|per|against)\s+(?:the\s+|a\s+|an\s+|its\s+|their\s+)?"
                       r"(?:[\w'.-]+\s+){0,3}$", re.I)


def _head(words: str, link: tuple[str, str]) -> tuple[str, int] | None:
    """The kind of the measure the link belongs to, and where its head noun is: the head noun nearest before the
    link, not one inside a modifier (a prepositional object, an aside between commas, the first word of a
    compound such as "tariff talks"); for "enters into force" the agreement or law, whatever else the clause
    names. A pause names the measure it holds back; "rates" alone counts only with tariff words around."""
    words = _ASIDE.sub(lambda m: " " * len(m.group(0)), words)
    heads = [(m, next(g.replace("_", "-") for g, v in m.groupdict().items() if v)) for m in _HEAD.finditer(words)
             if not _COMPOUND_TAIL.match(words, m.end())]
    if _FORCE.search(link[1]):
        forced = [h for h in heads if h[1] in ("agreement", "regulation", "program")]
        heads = forced or heads
    end = len(words)
    if not heads:
        if link[0] in ("by", "due") and _NEGOTIATION.search(words):
            return "negotiation", end
        if "comply" in link[1].lower() or _FIRMS.search(words):
            # "operators would have to comply from Dec. 30", "small firms have until June 30": the item's rules
            return "regulation", end
        if _PAUSE.search(words):
            return "pause", end  # "the 90-day pause ends on July 8": the measure it holds back (_read)
        return None
    free = [h for h in heads if not _GOVERNED.search(words[max(0, h[0].start() - 40) : h[0].start()])]
    if link[0] in ("by", "due"):
        # "a package deal on tariffs by July 8": the talks' target, not the tariffs'
        subject = [h for h in free if not _ABOUT.search(words[max(0, h[0].start() - 30) : h[0].start()])]
        deal = _NEGOTIATION.search(words)
        if not subject and deal and all(h[0].start() > deal.start() for h in heads):
            return "negotiation", deal.start()
        free = subject or free
    m, kind = (free or heads)[-1]
    if kind == "tariff" and m.group(0).lower() in ("rate", "rates") and not re.search(
            r"\b(?:tariffs?|duties|duty|levy|reciprocal)\b", words, re.I):
        return None  # "interest rates", "the exchange rate"
    return kind, m.start()


_FROM_OLD = re.compile(r"\bfrom\s+(?:the\s+)?(?P<old>[^;]{3,40}?)\s+(?:to|until|till)\s+(?:\w+day,?\s+)?(?:the\s+)?$",
                       re.I)


def _change(before: str, text: str, d: DateRef, old: date | None) -> tuple[str | None, date | None]:
    """The words that tell a move to this date, and the value it moved from when the text gives it."""
    m = _CHANGE_TO.search(before[-110:])
    words = " ".join(m.group("verb").split()).lower() if m else None
    if words is None and _NOW_NEW.search(before[-60:]):
        words = "now"
    if old is not None:
        return words or "moved", old
    told = _FROM_OLD.search(before[-70:]) if words else None
    if told:  # "moves the increases from January 1, 2026 to January 1, 2027": the value it moves from
        prior = [x for x in find_dates(told.group("old"), d.date) if x.precision == "day"]
        if prior:
            return words, prior[-1].date
    if words is None:
        after = text[d.end : d.end + 60]
        if re.match(r"\s*(?:,\s*)?(?:instead\s+of|rather\s+than)\b", after):
            words = "instead of"
        elif re.match(r"\s*(?:,\s*)?from\b", after) and CHANGE.search(before):
            words = "moved"
        else:
            return None, None
    # the old value: "from Aug. 1 to Aug. 7" (read as a span), "to Aug. 7 from Aug. 1", "instead of Aug. 1"
    after = text[d.end : d.end + 60]
    m_old = re.match(r"\s*(?:,\s*)?(?:instead\s+of|rather\s+than|from)\s+(?:the\s+)?(?:\w+day,?\s+)?", after)
    if m_old:
        later = [x for x in find_dates(text[d.end + m_old.end() :], d.date) if x.start == 0 and x.precision == "day"]
        if later:
            return words, later[0].date
    return words, None


def _measure(ctx: ItemContext, kind: str, clause: str, text: str, setter: str | None,
             previous: str, phrase: str | None = None, for_whom: str | None = None) -> Measure | None:
    """Who imposes the measure, on whom, on which goods (read in `phrase`, the words that name the measure,
    when given: the clause up to the first comma after the date; the rest says why or what else)."""
    qualifier = _qualifier(phrase or clause)
    if kind in ("agreement", "negotiation", "review"):
        parties = _parties(ctx, clause, text)
        if len(parties) < 2:
            return None
        return Measure(kind, parties, (), "all", None)
    if kind == "regulation":
        name = _regulation_name(clause, _acronyms(ctx), ctx.gaz.places) or _item_regulation(ctx)
        regulator = (_owner(ctx, clause) or _owner(ctx, text) or setter or _only_government(ctx)
                     or _regulator_of(ctx, name))
        if not name or not regulator:
            return None
        # (the firm size may follow the date: "on Dec. 30, 2025, for large companies")
        firms = _FIRMS.search(phrase or clause) or (_FIRMS.search(for_whom) if for_whom else None)
        size = None
        if firms:
            who = firms.group("who").lower()
            size = "small-firms" if ("small" in who or "micro" in who) else "large-firms"
        return Measure(kind, (regulator,), (), name, size)
    scope = _scope(kind, phrase or clause, clause)
    if scope == "all" and qualifier is None and _POINTS_BACK.match(phrase or clause):
        # "The duty was imposed on August 25 till October 16": the duty the item has named ("a 20% export duty
        # on parboiled rice"), when it names one of this kind
        scope, qualifier = _named_before(ctx, kind) or (scope, qualifier)
    targets = _targets(ctx, clause)
    examples = _examples(ctx, clause)
    if examples:  # the class is the target, whoever is named as one of it
        targets = set()
    aimed_at = targets | examples
    imposer = _owner(ctx, clause, exclude=aimed_at) or _class_owner(ctx, clause) or (
        setter if setter not in aimed_at else None)
    if imposer and setter and imposer != setter and kind == "tariff" and _POSSESSIVE_RATE.search(
            phrase or clause):
        targets, imposer = targets | {imposer}, setter  # "Japan's 24 percent tariff" in a story of US tariffs
    if imposer is None:
        others = [c for c in ctx.main_countries(4) if c not in aimed_at]
        border = kind in ("controls", "export-control")  # a government's own border: no default to US tariffs
        imposer = "US" if "US" in others and not border else (others[0] if others else None)
    if imposer is None:
        return None
    targets.discard(imposer)
    if qualifier == "reciprocal" and not targets:
        pass  # the general rates for every partner
    elif _EVERY_PARTNER.search(clause):
        targets = set() if not targets or kind == "program" else targets
    elif not targets and not examples and kind in ("tariff", "countermeasure", "quota") and (
            scope == "all" or qualifier == "reduced") and not _EXPORT_DUTY.search(phrase or clause):
        # "the 25% tariff takes effect on Aug. 1", about one partner: that partner (a government's own border
        # controls hold for every destination or origin the text does not name)
        partners = [c for c in ctx.main_countries(3) if c != imposer]
        if partners and not _EVERY_PARTNER.search(text):
            targets = {partners[0]}
    if ctx.config.watched_countries and not any(ctx.config.watches(c) for c in {imposer} | targets):
        return None
    return Measure(kind, (imposer,), tuple(sorted(targets)), scope, qualifier)


def _scope(kind: str, phrase: str, clause: str) -> str:
    """What a measure covers: the sector its words name (one or two; a sector inside a long list of goods is a
    broad measure: "autos, auto parts, textiles, clothing, plastics and steel"), else "all"; for import controls,
    their stage (certificates, checks, declarations: each its own measure)."""
    if kind == "controls":
        stage = _CONTROL_STAGE.search(phrase)
        return stage.lastgroup if stage else "checks"
    sectors = [name for name, rx in SECTORS if rx.search(phrase)]
    listed = any(rx.search(m.group(0)) for m in _LONG_LIST.finditer(clause) for _, rx in SECTORS)
    return sectors[0] if len(sectors) in (1, 2) and not listed else "all"


def _regulator_of(ctx: ItemContext, name: str | None) -> str | None:
    """Whose rules these are, from another sentence of the item that names them ("the European Union's
    Deforestation Regulation")."""
    if not name:
        return None
    acronyms = _acronyms(ctx)
    for s in ctx.sentences:
        text = fold(s.text)
        if _regulation_name(text, acronyms) == name:
            owner = _owner(ctx, text)
            if owner:
                return owner
    return None


def _regulation_name(clause: str, acronyms: dict[str, str] | None = None, places=()) -> str | None:
    """The name of the regulation a clause speaks of, as a key: its content words ("deforestation"), or an
    acronym (the name it stands for, when the item defines it); never a place ("Brussels rules")."""
    named_after = _NAMED_AFTER.search(clause)
    if named_after:  # "the rules of origin", "requirements on deforestation": the word after names them
        return named_after.group("of").lower()
    for m in _REGULATION_NAME.finditer(clause):
        acr = m.group("acr")
        if acr and acr not in ("EU", "US", "UK", "USA", "WTO", "FTA", "GDP", "CEO"):
            return (acronyms or {}).get(acr, acr.lower())
        words = [w.lower().removeprefix("anti-") for w in (m.group("words") or "").split()]
        words = [w for w in words if w not in _NOT_A_NAME and w not in places]
        if words:
            return words[-1]  # "delay and weaken deforestation law": the word that names it is the last
    return None


# a measure named by pointing back at it: "The duty was imposed", "this ban", "the 20% levy"
_POINTS_BACK = re.compile(r"\s*(?:the|this|that)\s+(?:\d+(?:\.\d+)?\s*(?:%|per\s*cent|pc)\s+)?(?:dut(?:y|ies)|"
                          r"tariffs?|levy|levies|tax|bans?|curbs|restrictions)\b", re.I)


def _named_before(ctx: ItemContext, kind: str) -> tuple[str, str | None] | None:
    """(scope, qualifier) of the one measure of this kind the item names, when it names one: every mention of
    the kind that does not point back names the same goods."""
    named = set()
    for s in ctx.sentences:
        text = fold(s.text)
        for m in _HEAD.finditer(text):
            if m.lastgroup == kind.replace("-", "_"):
                clause = text[max(0, m.start() - 60) : m.end() + 60]
                scope = _scope(kind, clause, clause)
                if scope == "all" and _POINTS_BACK.match(text, max(0, m.start() - 22)):
                    continue
                named.add((scope, _qualifier(clause)))
    scope, qualifier = named.pop() if len(named) == 1 else ("all", None)
    return (scope, qualifier) if scope != "all" else None


def _item_regulation(ctx: ItemContext) -> str | None:
    """The regulation an item is about: the name it gives most often."""
    acronyms = _acronyms(ctx)
    counts: dict[str, int] = {}
    for s in ctx.sentences:
        name = _regulation_name(fold(s.text), acronyms, ctx.gaz.places)
        if name:
            counts[name] = counts.get(name, 0) + 1
    return max(counts, key=lambda n: counts[n]) if counts else None


def _acronyms(ctx: ItemContext) -> dict[str, str]:
    out = {}
    for s in ctx.sentences:
        for m in _ACRONYM_DEFINED.finditer(fold(s.text)):
            name = _regulation_name(m.group("words") + " regulation")
            if name:
                out[m.group("acr")] = name
    return out


def _only_government(ctx: ItemContext) -> str | None:
    main = ctx.main_countries(2)
    return main[0] if len(main) == 1 else None


def _owner(ctx: ItemContext, clause: str, exclude: set[str] | None = None) -> str | None:
    """The government a measure belongs to: named right before it ("U.S. tariffs", "the EU's countermeasures",
    "China's export controls") or as the subject of imposing it."""
    exclude = exclude or set()
    m = re.search(r"(?P<who>[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+)?)(?:'s)?\s+(?:own\s+)?(?:\w+\s+){0,3}?" + _HEAD.pattern,
                  clause)
    if m:
        for c in ctx.party_countries(m.group("who")):
            if c.code not in exclude:
                return c.code
    m = re.search(r"(?P<who>[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+)?)\s+(?:will|would|has|had|plans\s+to|is\s+set\s+to)?\s*"
                  r"(?:impose|imposed|imposes|imposing|slap|slaps|slapped|levy|levies|levied|raise|raises|raised|set|sets|"
                  r"announce|announces|announced|threaten|threatens|threatened|threatening)\b",
                  clause)
    if m:
        codes = [c.code for c in ctx.party_countries(m.group("who"))]
        codes += [o.official.country for o in ctx.officials_in(m.group("who")) if o.official.country]
        for code in codes:
            if code not in exclude:
                return code
    return None


def _targets(ctx: ItemContext, clause: str) -> set[str]:
    out = set()
    for m in _TARGET.finditer(clause):
        chunk = next((g for g in m.groups() if g), "")
        for c in ctx.countries_in(chunk):
            if c.start == 0:
                out.add(c.code)
    return out


def _class_owner(ctx: ItemContext, clause: str) -> str | None:
    """The government whose pacts define the class a measure is aimed at ("countries without trade agreements
    with Mexico": Mexico), the one that imposes it."""
    m = _CLASS_OF.search(clause)
    found = ctx.countries_in(m.group("who")) if m else []
    return found[0].code if found else None


def _examples(ctx: ItemContext, clause: str) -> set[str]:
    """The partners a clause names only as examples of the class a measure is aimed at."""
    out = set()
    for m in _EXAMPLES.finditer(clause):
        out |= {c.code for c in ctx.countries_in(m.group("named") or m.group("listed"))}
    return out


def _named_pair(ctx: ItemContext, clause: str) -> tuple[str, ...]:
    """The two sides an agreement's name gives ("the EU-Vietnam Free Trade Agreement"), when the clause names one
    such agreement."""
    found = ctx.countries_in(clause)
    pairs = {tuple(sorted((a.code, b.code))) for a, b in itertools.pairwise(found)
             if a.code != b.code and re.fullmatch(r"\s*[-–]\s*", clause[a.end : b.start]) and
             PACT_AFTER_NAME.match(clause, b.end)}
    return pairs.pop() if len(pairs) == 1 else ()


def _parties(ctx: ItemContext, clause: str, text: str) -> tuple[str, ...]:
    """The governments of an agreement or a negotiation: the two its name gives ("the EU-Vietnam agreement"), else
    those the clause names, else the sentence's, else the item's two most named."""
    if named := _named_pair(ctx, clause):
        return named
    for words in (clause, text):
        found = {c.code for c in ctx.party_countries(words)}
        found |= {m.official.country for m in ctx.officials_in(words) if m.official.country}
        if len(found) >= 2:
            return tuple(sorted(found))
    found = set(found) | set(ctx.main_countries(2))
    return tuple(sorted(found)) if len(found) >= 2 else ()


def _rate(clause: str) -> str | None:
    m = _RATE.search(clause)
    return f"{m.group('n')}%" if m else None


def _equivalents(link: str, clause: str, value: date) -> tuple[date, ...]:
    """Other spellings of the same value: the last day of a pause and the first day of what it held back."""
    if link == "end" and re.search(r"\blast\s+day\b", clause, re.I):
        return (value + timedelta(days=1),)
    if link == "end" and _PAUSE.search(clause):
        return (value - timedelta(days=1), value + timedelta(days=1))
    if link in ("effect", "from") and _PAUSE.search(clause):
        return (value - timedelta(days=1),)
    return ()


# a leader who sets tariffs: "Trump's 25% tariff", "Trump imposed a 30% tariff"; not "To Lam, that would set"
SETTER_AFTER = re.compile(
    r"(?:'s\s|\s+(?:has\s+|had\s+|have\s+|will\s+|would\s+)?(?:impos|set|slap|announc|threaten|rais|hik|levi|order|sign|unveil)\w*)",
    re.I,
)
TARIFF_WORDS = re.compile(r"\b(?:tariffs?|duties|duty|levy|levies|rates?)\b", re.I)
TARIFF_NEEDLES = ("tariff", "duties", "duty", "levy", "levies", "rate")


def tariff_setter(ctx: ItemContext) -> str | None:
    """The country whose tariffs the item is about: most often named right before tariff words."""
    counts: dict[str, int] = {}
    may_name_tariffs = ctx.sentences_holding(TARIFF_NEEDLES)
    for s in ctx.sentences:
        if s.index not in may_name_tariffs:
            continue
        text = fold(s.text)
        for m in TARIFF_WORDS.finditer(text):
            start = max(0, m.start() - 40)
            window = text[start : m.start()]
            for c in (c for c in ctx.party_countries(text[start : m.end()]) if c.end <= len(window)):
                tail = window[c.end :]
                if re.match(r"\s+(?:goods|products|imports|exports|cars)", tail):
                    continue
                if c.kind == "name" and tail.startswith("'s"):
                    continue  # "Japan's 24 percent tariff" may be the tariff on Japan
                if not re.fullmatch(r"(?:'s)?\s*(?:[\w%.-]+\s+){0,4}", tail):
                    continue
                if re.search(r"\b(?:face[sd]?|facing|pays?|paid|hit|gets?|receive[sd]?|be charged)\b", tail, re.I):
                    continue  # "Vietnam had faced a 46% rate": the partner, not the setter
                counts[c.code] = counts.get(c.code, 0) + 1
            for o in ctx.officials_in(window):
                if o.official.country and o.leader and SETTER_AFTER.match(window, o.end):
                    counts[o.official.country] = counts.get(o.official.country, 0) + 1
    return max(counts, key=lambda c: counts[c]) if counts else None
