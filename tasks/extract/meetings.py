"""Meetings between governments, as one item tells them.

Per sentence: find meeting words ("met", "talks", "phone call", "2+2", "technical talks"), split the
sentence where it joins two encounters ("... before Akazawa held talks with ..."), read parties,
officials, date, format, status and location for each piece, then cluster the pieces of the item
into one mention per meeting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from records.findings import MeetingMention, Official
from tasks.extract.context import ItemContext
from tasks.extract.dates import DateRef, find_dates, monday, sentence_tense, tense_before
from tasks.extract.gazetteer import PACT_AFTER_NAME
from tasks.extract.officials import OfficialMention
from tasks.extract.precheck import TextTests, lower_finditer, lower_search, lowered, may_contain
from tasks.extract.sentences import Sentence, fold, name_key

CALL = re.compile(
    r"\b(?:phone|telephone|video)[\s-]+(?:call|calls|conversation|conversations|talks|link)\b"
    r"|\b(?:spoke|speak|speaks|talked|talk|talks|spoken)\s+(?:by|over the|on the)\s+(?:phone|telephone)\b"
    r"|\b(?:spoke|speak|speaks|spoken|speaking)\s+(?:with|to)\b(?!\s+(?:the\s+)?(?:reporters|journalists|press|media|"
    r"lawmakers|parliament|broadcasters?|television|radio|students|investors|supporters|crowds?|audiences?|"
    r"BBC|CNN|CNBC|Fox|Bloomberg|Reuters|AFP|Sky|Al\s+Jazeera|NHK|Nikkei|Xinhua|newspapers?|podcasts?|"
    r"[\w-]+\s+(?:newspaper|broadcaster|television|radio|daily|magazine))\b)"
    r"|\b(?:a|good|in a|after a|during a|held|hold|holds|had)\s+(?:phone\s+|brief\s+|separate\s+)?calls?\b"
    r"|\bcalls?\s+with\b|\bby phone\b|\b(?:phoned|telephoned)\b"
    # a meeting by video is a call: "held a video conference", "a videoconference", "met virtually" (a "virtual
    # summit" stays a summit)
    r"|\bvideo[\s-]?conferenc\w*|\bvirtual(?:ly)?\s+(?:meeting|meetings|talks|call)\b|\bmet\s+virtually\b",
    re.I,
)
# every alternative of CALL contains one of these words (any case): a text without them has no call (precheck)
CALL_NEEDLES = ("phone", "video", "spoke", "speak", "call", "virtual")
MEET = re.compile(
    r"\b(?:met|meet|meets|meeting|meetings|sat down|sit down|sits down|sees|seeing|received|receive|receives|"
    r"hosted|hosts|talks|negotiations|consultations|discussions|session|sessions|summit|round|visit|visited|"
    r"visits|2\+2|two[- ]plus[- ]two|face-to-face|signing|signatures|signed|signs|inked|inks|ink|consultation|"
    r"joint\s+(?:news|press)\s+conference|video[\s-]?conferenc\w*|virtual(?:ly)?\s+(?:meeting|meetings|talks|summit|session|"
    r"met|meet))\b"
    # "announced the substantial conclusion of the FTA negotiations": said together, at an encounter
    r"|\b(?:conclusion\s+of|conclude[ds]?|concluding)\s+(?:the\s+)?(?:[\w.-]+\s+){0,8}?(?:negotiations|talks)\b"
    # "see" an official, not "see whether a deal works"
    r"|\bsee\b(?!\s+(?:whether|if|how|what|why|when|where|that|it|this|more|some|no|any|signs?|progress|a|an|the)\b)",
    re.I,
)
# every alternative of MEET contains one of these words (any case; "meet" for "meeting", "sign" for "signed")
MEET_NEEDLES = (
    "met", "meet", "sat down", "sit down", "sits down", "see", "receiv", "host", "talks", "negotiations",
    "consultation", "discussions", "session", "summit", "round", "visit", "2+2", "two", "face-to-face", "sign",
    "conference", "conclu", "ink", "virtual",
)  # fmt: skip
# words that name an encounter only together with a verb or a format marker ("the talks" alone is the process)
WEAK = re.compile(
    r"\b(?:talks|negotiations|consultations|discussions|round|session|sessions|visit|signing|signatures|signed|signs)\b",
    re.I,
)
# "signed an order" is no encounter; "Starmer and Trump signed a pact" is one (officials of two governments)
SIGNED = re.compile(r"\b(?:signed|signs)\b", re.I)
# governments signing a pact together: a signing ceremony ("EFTA and Mercosur today signed a free trade agreement",
# "ASEAN, China ink upgraded pact")
SIGNED_PACT = re.compile(
    r"\b(?:signed|signs|sign|inked|inks|ink)\s+(?:off\s+)?(?:a|an|the|their)?\s*"
    r"(?:(?!(?:executive\s+)?(?:orders?|decrees?|laws?|bills?|proclamations?|legislation)\b)[\w.-]+\s+){0,6}?"
    r"(?:agreement|pact|deal|protocol|treaty|accord|FTA|CEPA|TEPA|EPA|CECA|joint\s+statement|memorandum|MoU)\b", re.I)
# meeting people who are not another government: "due to meet business leaders on Tuesday"
NON_GOVERNMENT = re.compile(
    r"\b(?:meet|meets|met|meeting|meetings|sees|see|visit|visits|visited)\s+(?:with\s+)?(?:(?:local|business|industry|"
    r"corporate|company|union|opposition|party|community|farm|tech)\s+)?(?:leaders|executives|CEOs|chief executives|lawmakers|"
    r"legislators|reporters|journalists|students|workers|troops|sailors|soldiers|residents|voters|investors|farmers|"
    r"supporters|members|employees|the press|the media)\b",
    re.I,
)
# a deal signed with businesses, not a government: "signed a deal with American suppliers for wheat"
SIGNED_WITH_BUSINESS = re.compile(
    r"\b(?:signed|signs|sign|inked|inks)\b[^.;]{0,60}?\bwith\s+(?:(?:[A-Z][\w.-]*|US|U\.S\.)\s+)?(?:suppliers|"
    r"companies|firms|exporters|importers|producers|traders|buyers|growers|manufacturers|businesses|lenders|banks)\b",
    re.I,
)
STRONG_CONTEXT = re.compile(
    r"\b(?:held|hold|holds|holding|met|meet|meets|meeting|sat|sit|open|opens|opened|begin|begins|began|start|starts|"
    r"took\s+place|take\s+place|takes\s+place|hosted|"
    r"started|resume|resumes|resumed|conclude|concluded|wrap(?:ped)? up|set for|scheduled|due|join|joined|attend|"
    r"attended|took part|take part|face|faced|visit(?:ed|s)?|arrive[sd]?|ceremony|round of|first round|second round|"
    r"third round|next round|another round|high-level|ministerial|2\+2|two[- ]plus[- ]two|technical|working[- ]level|"
    r"spent|ended|end|ends|(?:two|three|four|five|several|\d+)[- ](?:days?|hours?) of)\b",
    re.I,
)
# a round of a negotiation told by its number: one concrete encounter, whose other side the item names
# ("the sixth round of negotiations with Switzerland took place ...", "Round 9 is set for January")
NUMBERED_ROUND = re.compile(
    r"\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|\d{1,2}(?:st|nd|rd|th))"
    r"\s+(?:negotiating\s+|formal\s+)?round\b|\bround\s+\d{1,2}\b", re.I)
NEGATED = re.compile(
    r"\b(?:has not met|have not met|had not met|did not meet|never met|not (?:expected|going|due) to (?:meet|attend|join)|no (?:meeting|talks) (?:was|were|is|are) (?:held|planned|scheduled)|without meeting)\b",
    re.I,
)
REPORTING = re.compile(  # ("told the Sunday Express yesterday": the day of the interview)
    r"\b(?:said|says|say|told(?:\s+\w+){0,3}|announced|added|stated|wrote|posted|confirmed|reported|released|"
    r"statement|readout|briefed|briefing|interview|decided|signed|approved|adopted"
    # "released a joint fact sheet Friday": the day of a publication, not of a meeting
    r"|(?:released|published|issued|unveiled)(?:\s+(?!on\b)[\w-]+){1,4})\s+(?:on\s+|late\s+|early\s+|in\s+a\s+\w+\s+)?$",
    re.I,
)
TRAVEL = re.compile(
    r"\b(?:flew|fly|flies|flying|fly out|left|leaves|leave|leaving|depart(?!ment)\w*|arriv\w*|land\w*|touched down|heads?|"
    r"heading|headed|travel\w*|returned|returning|boarded|boarding|is in|was in|visiting|is due in|due in|landed)\b[^.;]{0,45}$",
    re.I,
)
TWO_PLUS_TWO = re.compile(r"2\+2|two[- ]plus[- ]two", re.I)
WORKING = re.compile(
    r"\b(?:technical|working[- ]level|working groups?|negotiating teams|technical teams|expert-level)\b", re.I
)
WORKING_NEEDLES = ("technical", "working", "negotiating teams", "expert-level")  # one in every WORKING match
ENCOUNTER_NEEDLES = CALL_NEEDLES + MEET_NEEDLES + WORKING_NEEDLES  # a text without them has no _triggers
MULTILATERAL = re.compile(
    r"\b(?:APEC|Asia-Pacific Economic Cooperation|G7|G-7|G20|G-20|Group of Seven|Group of 20|OECD|WTO|IMF|"
    r"World Bank|NATO|BRICS|World Economic Forum|United Nations|U\.N\.|ministers' meeting|ministerial meeting|"
    r"Ministers Responsible for Trade|spring meetings)\b"
)
BILATERAL = re.compile(
    r"\b(?:sidelines|margins|bilateral|one-on-one|meet again|hold talks|talks with|meet with|meeting between|"
    r"meeting with|high-level (?:talks|discussions|meetings))\b",
    re.I,
)
SEPARATE = re.compile(r"\b(?:separate|separately|one-on-one|of their own|on their own)\b", re.I)
POSTPONED = re.compile(r"\b(?:postponed|put off|delayed|pushed back|rescheduled)\b", re.I)
CANCELLED = re.compile(r"\b(?:cancel(?:l)?ed|called off|scrapped)\b", re.I)
ONGOING = re.compile(
    r"\b(?:under way|underway|are meeting|are holding|are already in|continue(?:d)? their discussions|are in)\b",
    re.I,
)
HEADLINE_FUTURE = re.compile(r"\b(?:to|will|set|eyes?|plans?|heads?|ahead of|readies|near)\b", re.I)
SPLIT = re.compile(
    r",?\s+\b(?:before|after|while|whereas|hours after|shortly after|then|followed by|since|unlike)\b\s+|;\s+"
    r"|\s+\bto meet\b\s+|,?\s+and\s+(?:said|says|added|that|to|will|would|agreed)\b\s*|\s+and\s+(?=with\b)"
    r"|,\s+with\s+(?=(?:technical|working|further|more)\b)|,\s+as\s+|,\s+but\s+"
    r"|\s+(?:agreed|reached|launched|struck|sealed)\s+(?:at|during|in)\s+"
    r"(?=(?:last\s+(?:week|month)'s|(?:the|their|its)\s+(?:earlier|previous|first|last)\b))",
    re.I,
)
GENERIC = re.compile(
    r"\b(?:in the near future|near future|will continue|to continue|continue negotiating|keep talking|keep negotiating|"
    r"stay in (?:close|constant) contact|further ministerial meetings|contacts will continue)\b",
    re.I,
)
# "talks in Washington from Monday", "a visit from Friday to Monday": when the encounter starts
STARTS_FROM = re.compile(
    r"\b(?:talks|round|meeting|meetings|negotiations|visit|session|sessions|consultations)\b[^.;]{0,60}\bfrom\s+(?:\w+day,?\s+)?$",
    re.I,
)
# "left for Washington on Tuesday for talks": the destination's government is a party
DESTINATION = re.compile(
    r"\b(?:left|leaves?|leaving|flew|fl(?:y|ies|ying)|travel\w*|head(?:s|ed|ing)?|arriv\w*|went|going|bound)\s+(?:for|to|in)\s+$",
    re.I,
)
VAGUE_BY = re.compile(r"\b(?:by|before|until|till|within)\s+(?:the\s+end\s+of\s+)?$", re.I)
PLACES_PHRASE = re.compile(
    r"\b(?:the\s+)?(U\.S\.|American|Japanese|Korean|South Korean|Chinese|British|European|Indian|Canadian|Mexican|Swiss|Vietnamese)\s+capital\b"
)

FORMAT_RANK = {"2+2": 5, "call": 5, "summit": 4, "working-level": 4, "bilateral": 3, "ministerial": 2}


@dataclass
class Piece:
    parties: frozenset[str]
    date: date | None
    precision: str | None
    date_text: str | None
    location: str | None
    format: str | None
    officials: list[Official]
    status: str
    evidence: str
    separate: bool
    sentence: int
    sides: int  # how many parties the officials themselves cover
    plural_calls: bool = False
    extra: dict = field(default_factory=dict)
    end_date: date | None = None  # the last day of a multi-day encounter
    signals: frozenset[str] = frozenset()  # what the text says for it (records.findings.MeetingMention.signals)


def extract_meetings(ctx: ItemContext) -> list[MeetingMention]:
    pieces: list[Piece] = []
    may_meet = ctx.sentences_holding(ENCOUNTER_NEEDLES)
    for s in ctx.sentences:
        if s.index in may_meet:  # (the others have no meeting word: no piece)
            pieces.extend(_pieces_in_sentence(ctx, s))
    clusters = _cluster(pieces)
    return [_to_mention(c) for c in clusters]


_RELATIVE = re.compile(r"(?P<who>[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*){0,3}),\s+who\s+(?P<clause>[^,;]+),")


def _segments(text: str) -> list[tuple[int, str, str]]:
    """(offset, text, connector before it) for each part of a sentence that may tell its own encounter.

    "Cheong, who met Greer on Tuesday, called ..." gives "Cheong ... met Greer on Tuesday" on its own."""
    extra = []
    for m in _RELATIVE.finditer(text) if "who" in text else ():  # (case-sensitive: every match holds "who")
        extra.append(
            (0, text[: m.end("who")] + " " * (m.start("clause") - m.end("who")) + m.group("clause"), "")
        )
        text = (
            text[: m.start("clause")] + " " * (m.end("clause") - m.start("clause")) + text[m.end("clause") :]
        )
    out = []
    last, conn = 0, ""
    for m in lower_finditer(SPLIT, text):  # (only the connector's lower case is read)
        if "to meet" in m.group(0).lower() and not lower_search(CALL, text[last : m.start()]):
            continue
        out.append((last, text[last : m.start()], conn))
        conn = m.group(0).strip(" ,").lower()
        last = m.start() + m.group(0).lower().index("to meet") if "to meet" in m.group(0).lower() else m.end()
    out.append((last, text[last:], conn))
    return [(o, t, c) for o, t, c in out + extra if t.strip()]


SHARED_SUBJECT = {"and will", "and would"}
SUBORDINATE = {"after", "before", "while", "hours after", "shortly after"}
POSSESSIVE_ENCOUNTER = re.compile(
    r"\s*(?:his|her)\s+(?:[\w-]+\s+)?(?:talks|meeting|meetings|summit|call|visit)\s+with\b", re.I
)
GERUND = re.compile(r"\s*(?:meeting|speaking|talking|holding|calling|sitting down|visiting)\b", re.I)


def _subject_head(ctx: ItemContext, first: str) -> str:
    """The officials named at the start of a sentence (its subject), as text."""
    ends = [m.end for m in ctx.officials_in(first) if m.start < 60 and not m.background]
    return first[: max(ends)] if ends else ""


# one body's own meeting, not an encounter of governments: "at its meeting on Friday, the Federal Council adopted",
# "the cabinet meeting", "a board meeting"
DOMESTIC_MEETING = re.compile(
    r"\b(?:its|(?:cabinet|federal\s+council|council\s+of\s+ministers|state\s+council|parliament(?:ary)?|committee|"
    r"board|senate|congress(?:ional)?|assembly|politburo|caucus|shareholders'?|party)(?:'s)?)\s+(?:[\w-]+\s+)?$", re.I)


def _triggers(seg: str) -> list[re.Match]:
    """The meeting words of a text; most sentences have none, and a substring test says so (precheck)."""
    return _encounter_words(seg)[1]


def _encounter_words(seg: str) -> tuple[bool, list[re.Match]]:
    """(whether `seg` tells a call, its meeting words): the same as (bool(CALL.search(seg)), _triggers(seg))
    from one pass of the three patterns. The words are read on the lower-cased text where that is exact
    (lower_finditer): their users read positions and test the words with case-insensitive patterns only."""
    low = lowered(seg)
    calls = list(lower_finditer(CALL, seg)) if may_contain(low, CALL_NEEDLES) else []
    meets = lower_finditer(MEET, seg) if may_contain(low, MEET_NEEDLES) else ()
    working = lower_finditer(WORKING, seg) if may_contain(low, WORKING_NEEDLES) else ()
    meets = [m for m in meets if not (m.group(0).lower().startswith("meeting")
                                      and DOMESTIC_MEETING.search(seg, max(0, m.start() - 60), m.start()))]
    return bool(calls), [*calls, *meets, *working]


@dataclass(frozen=True)
class _Reading:
    """One sentence being read for encounters: its folded text, tense and dates."""

    ctx: ItemContext
    sentence: Sentence
    text: str
    tense: str | None
    dates: list[DateRef]

    def dates_in(self, start: int, end: int) -> list[DateRef]:
        return [d for d in self.dates if start <= d.start < end]


CARRIES_DATE = {"before", "after", "then", "hours after", "shortly after", "followed by", *SHARED_SUBJECT}


def _pieces_in_sentence(ctx: ItemContext, s: Sentence) -> list[Piece]:
    """The encounters one sentence tells, part by part (see _segments)."""
    text = fold(s.text)
    sentence_words = _encounter_words(text)
    if not sentence_words[1]:
        return []
    tense = sentence_tense(text, s.headline)
    reading = _Reading(ctx, s, text, tense, find_dates(text, ctx.ref, None if s.headline else tense))
    out: list[Piece] = []
    segments = _segments(text)
    prev: tuple[int, str, list[DateRef]] | None = None
    for off, seg, conn in segments:
        seg_dates = reading.dates_in(off, off + len(seg))
        told = _told_with_subject(ctx, segments[0][1], seg, conn, prev)
        fan = _fan_out(ctx, s, seg) if told is None and (off == 0 or conn == "") else None
        if fan is not None:
            out += _fanned_pieces(reading, off, seg, fan)
        else:
            piece_text = told if told is not None else seg
            # most sentences are one segment: their words are the sentence's
            is_call, triggers = sentence_words if piece_text == text else _encounter_words(piece_text)
            inherited = prev[2] if prev is not None and conn in CARRIES_DATE else []
            if triggers and not lower_search(NEGATED, piece_text) and (seg_dates or not lower_search(GENERIC, seg)):
                piece = _piece(reading, off, piece_text, seg_dates, inherited, is_call,
                               triggers, shifted=told is not None)
                if piece:
                    out.append(piece)
        prev = (off, seg, seg_dates)
    return out


def _told_with_subject(ctx: ItemContext, first: str, seg: str, conn: str, prev) -> str | None:
    """The text of a part that needs words of the part before it to tell its encounter, or None:
    "... talks with A, and with B" (the head before "with"), "He will visit X from Friday and will hold talks
    with Y" (the same subject, the same trip), "Trump signed an order after meeting Starmer" (the subject of the
    sentence is the one meeting)."""
    if prev is None:
        return None
    if conn == "and" and seg.lstrip().lower().startswith("with "):
        p_seg = prev[1]
        head = p_seg[: p_seg.lower().find(" with ")] if " with " in p_seg.lower() else ""
        return head + " " + seg
    if conn in SHARED_SUBJECT and _triggers(seg):
        return _subject_head(ctx, first) + " " + seg
    if conn in SUBORDINATE and (GERUND.match(seg) or POSSESSIVE_ENCOUNTER.match(seg)):
        return _subject_head(ctx, first) + " " + seg
    return None


def _fanned_pieces(reading: _Reading, off: int, seg: str, fan) -> list[Piece]:
    """ "Trump spoke with A and B": one piece per counterpart, each with the head's words and dates."""
    (head, head_start, head_end), parts = fan
    out = []
    for a, b in parts:
        part_text = head + seg[a:b]
        part_dates = reading.dates_in(off + head_start, off + head_end) + reading.dates_in(off + a, off + b)
        part_dates.sort(key=lambda d: d.start)
        piece = _piece(reading, off, part_text, part_dates, [], *_encounter_words(part_text), shifted=True)
        if piece:
            out.append(piece)
    return out


EFFECT_BEFORE = re.compile(
    r"\b(?:(?:take|takes|took|taking)\s+effect|(?:kick|kicks|kicked)\s+in|(?:come|comes|came|go|goes|went)\s+into\s+"
    r"(?:force|effect)|effective|as\s+of|expires?|expired|expiring|lapses?|appl(?:y|ies)|in\s+force\s+since)\s+"
    r"(?:on\s+|from\s+)?(?:\w+day,?\s+)?$",
    re.I,
)

# "the pact will be signed on Thursday": a planned signing is dated by its own day, not a report's
FUTURE_SIGNING = re.compile(r"\b(?:will|would|to|shall)\s+be\s+(?:formally\s+)?signed\s+(?:on\s+)?$", re.I)


# what _usable reads before a date (patterns ending in $) and after it (patterns beginning with ^: only there)
BOUND_BEFORE = re.compile(
    r"\b(?:since|until|till|through|from|by|before|to|than|ahead of)\s+(?:the\s+)?(?:\w+day,?\s+)?$", re.I
)
HELD_FROM = re.compile(r"\b(?:(?:took|take|takes|taking)\s+place|held|run|ran|runs|convened|met|meet|meets|meeting|sat)"
                       r"\b(?:\s+(?!from\b|between\b)[\w,'-]+){0,5}\s+(?:from|between)\s+$", re.I)
TRIP_BEFORE = re.compile(r"\b(?:visit|trip)\b[^.;]{0,40}$", re.I)
UNTIL_AFTER = re.compile(r"^\s*(?:to|through|until|till)\s+", re.I)
TALKS_RIGHT_BEFORE = re.compile(r"\b(?:talks|meet|meets|meeting|call|summit)\b[^.;,]{0,40}$", re.I)
WHEN_AFTER = re.compile(r"^\s*,\s*when\b", re.I)
OTHER_EVENT_AFTER = re.compile(
    r"^(?:\s*(?:,\s*)?(?:when|the day|the last day|\(?tariff\)?\s+deadline|deadline|election|vote|inauguration|national day)"
    r"|\s+(?:tariffs?|duties|duty|levy|rates?|deadline)\b)",
    re.I,
)
TARIFF_DATE_BEFORE = re.compile(r"\b(?:deadline|pause|tariffs?|duties|levy|rates?)\b[^.;,]{0,45}$", re.I)
MEETING_NEAR_BEFORE = re.compile(r"\b(?:talks|meeting|call)\b[^.;,]{0,25}$", re.I)
ENCOUNTER_NEAR_BEFORE = re.compile(r"\b(?:meet|met|talks|see|call|session|sat)\b[^.;]{0,30}$", re.I)


# after the day of an arrival, the talks of the same clause: "on Saturday for a working visit and held talks with"
ARRIVED_AND_MET = re.compile(r"[^.;]{0,50}?\band\s+(?:then\s+)?(?:held|holds|will\s+hold|met|meets|will\s+meet)\s+"
                             r"(?:talks\s+with|with|[A-Z])", re.I)


def _usable(d: DateRef, text: str) -> str | None:
    """'ok', 'travel' (the date of a trip, so only the week is known) or None (not the meeting's date)."""
    before = TextTests(text[max(0, d.start - 60) : d.start]).has
    after = TextTests(text[d.end : d.end + 40]).has
    if d.last is not None and before(TRIP_BEFORE) and not before(HELD_FROM):
        return "travel"  # "will visit Spain from Friday to Wednesday and hold talks": the trip, not the talks
    if before(HELD_FROM):
        return "ok"  # "the round took place from 29 January to 9 February"
    if before(BOUND_BEFORE) and not before(STARTS_FROM):
        return None
    if before(STARTS_FROM) and before(TRIP_BEFORE) and after(UNTIL_AFTER):
        return (
            "travel"  # "will visit Spain from Friday to Wednesday and hold talks": the talks' day is unknown
        )
    # "hold talks with Modi on Monday, when trade will top the agenda": the date of the talks themselves
    if after(WHEN_AFTER) and before(TALKS_RIGHT_BEFORE):
        pass
    elif after(OTHER_EVENT_AFTER):
        return None
    if before(TARIFF_DATE_BEFORE) and not before(MEETING_NEAR_BEFORE):
        return None
    if before(REPORTING) and not before(FUTURE_SIGNING):
        return None
    if before(EFFECT_BEFORE):
        return None  # "the 25% tariff set to take effect Aug. 1", "as of November 1st"
    if before(TRAVEL) and not before(ENCOUNTER_NEAR_BEFORE):
        # "arrived in Ankara on Saturday for a working visit and held talks with": the talks of that day
        return "ok" if ARRIVED_AND_MET.match(text, d.end) else "travel"
    return "ok"


# what a speaker said at the encounter: "said at the news conference that ...", "told reporters after the talks that"
REPORTED_CLAUSE = re.compile(r"\b(?:said|says|told(?:\s+\w+){0,2}|announced|added|stated|noted)\b[^.;]{0,40}?\bthat\b",
                             re.I)


def _pick_date(
    dates: list[DateRef], inherited: list[DateRef], text: str, triggers: list[re.Match], base: int
) -> tuple[DateRef | None, bool]:
    """The date nearest a meeting word (more precise first among near ones); (date, from travel)."""
    pos = [base + m.start() for m in triggers]
    best, best_key, travel = None, None, False
    for pool, penalty in ((dates, 0), (inherited, 200)):
        for d in pool:
            kind = _usable(d, text)
            if kind is None:
                continue
            if pos and any(all(p < m.end() for p in pos) for m in REPORTED_CLAUSE.finditer(text, 0, d.start)):
                continue  # "said at a joint news conference that they agreed a deal in May": the deal's date
            distance = min(abs(d.start - p) for p in pos) if pos else 0
            key = (
                distance
                + penalty
                + (100 if kind == "travel" else 0)
                + {"day": 0, "week": 40, "month": 80}.get(d.precision or "", 120)
                + (60 if d.vague else 0)
            )
            if best_key is None or key < best_key:
                best, best_key, travel = d, key, kind == "travel"
    return best, travel


def _location(ctx: ItemContext, seg: str) -> str | None:
    m = PLACES_PHRASE.search(seg) if "capital" in seg else None  # (every match ends in "capital")
    if m:
        code = ctx.countries_in(m.group(1))
        if code:
            return ctx.gaz.capital(code[0].code)
    if ("White House" in seg or "Oval Office" in seg) and re.search(r"\bWhite House\b|\bOval Office\b", seg):
        return "Washington"
    for c in ctx.countries_in(seg):
        before = seg[max(0, c.start - 25) : c.start]
        if c.kind in ("capital", "city", "name") and re.search(
            r"\b(?:in|at|on|to)\s+(?:the\s+)?(?:[a-z]+\s+){0,3}$", before
        ):
            if c.kind == "name" and c.code in ("EU",):
                continue
            return c.text
    return None


SPEAKER = re.compile(
    r"(?:'s\s+office)?\s*,?\s+(?:also\s+)?(?:said|says|told|tells|added|wrote|writes|posted|announced|confirmed)\b"
)
BARE_TITLE = re.compile(r"\b[Tt]he (president|prime minister|premier|chancellor)\b(?!\s+(?:of\b|[A-Z]))")


def _bare_title_leaders(ctx: ItemContext, seg: str, officials) -> list[OfficialMention]:
    """ "the president signed the order during a meeting with Starmer": the item's only leader with that title."""
    out = []
    named = {name_key(m.official.name) for m in officials}
    for m in BARE_TITLE.finditer(seg):
        title = m.group(1).lower()
        leaders = [
            o
            for o, lead in ctx.registry.people.values()
            if lead and (o.role or "").lower() == title and o.country
        ]
        if len(leaders) == 1 and name_key(leaders[0].name) not in named:
            out.append(OfficialMention(leaders[0], m.start(), m.end(), True, False))
            named.add(name_key(leaders[0].name))
    return out


def _other_side(ctx: ItemContext, sentence: str, officials: list[OfficialMention]) -> list[OfficialMention]:
    """ "Deputy Prime Minister Tran held talks with Israeli Prime Minister Cohen ... after the Vietnam-Israel pact
    was signed": Tran, whose country the text does not give, was put with the item's most named government,
    Cohen's; at an encounter with Cohen he is the other side the sentence names."""
    told = {m.official.country for m in officials if not m.guessed and m.official.country}
    if not told or not any(m.guessed and m.official.country in told for m in officials):
        return officials
    named = {c.code for c in ctx.countries_in(sentence)} - told
    other = next((c for c in ctx.main_countries(8) if c in named), None)
    if other is None and not named:  # the sentence names no other government: the item's next most named one
        other = next((c for c in ctx.main_countries(3) if c not in told and c not in ctx.gaz.blocs), None)
    return [replace(m, official=replace(m.official, country=other), guessed=True)
            if m.guessed and m.official.country in told and other else m for m in officials]


def _participants(officials, triggers, is_call: bool, seg: str = ""):
    """Officials taking part: not "Trump's tariffs", not "..., Sheinbaum told reporters"; for calls and
    leaders, only those near the meeting words."""
    out = []
    for m in officials:
        if m.background:
            continue
        if re.match(
            r"(?:'s office)?\s+(?:said|says|told|tells|added|wrote|posted|announced)\b",
            seg[m.end : m.end + 25],
        ) and re.search(r",\s*$", seg[max(0, m.start - 40) : m.start]):
            continue
        near = any(m.end >= t.start() - 110 and m.start <= t.end() + 110 for t in triggers)
        if (is_call or m.leader) and not near:
            continue
        out.append(m)
    return out


def _piece(reading: _Reading, off: int, seg: str, seg_dates: list[DateRef], inherited: list[DateRef],
           is_call: bool, triggers: list[re.Match], *, shifted: bool = False) -> Piece | None:
    """One encounter as a part of a sentence tells it (`off`: where the part starts in the sentence, unless
    `shifted`: its text was put together from several places): its parties, format, date and status; None when
    the part tells no encounter between governments."""
    ctx, s, text = reading.ctx, reading.sentence, reading.text
    bilateral = lower_search(BILATERAL, seg)
    if MULTILATERAL.search(seg) and not bilateral:
        return None
    all_officials = ctx.officials_in(seg)
    officials = _participants(all_officials, triggers, is_call, seg)
    officials = _other_side(ctx, text, officials + _bare_title_leaders(ctx, seg, officials))
    sides = _Sides.of(ctx, seg, officials)
    with_business = bool(SIGNED_WITH_BUSINESS.search(seg))
    signing = bool(SIGNED_PACT.search(seg)) and len(sides.text | sides.officials) >= 2 and not with_business
    if len(sides.officials) < 2 and not signing and (
        all(SIGNED.fullmatch(t.group(0)) for t in triggers) or NON_GOVERNMENT.search(seg) or with_business
    ):
        return None  # "Trump signed an order", "Lee was due to meet business leaders"
    strong_words = [t for t in triggers if not WEAK.fullmatch(t.group(0)) or (signing and SIGNED.fullmatch(t.group(0)))]
    if (not strong_words and not lower_search(STRONG_CONTEXT, seg) and not bilateral
            and len(sides.officials) < 2 and not sides.destination):
        return None
    fmt = _format(seg, officials, sides.officials, is_call, bilateral)
    strong = (fmt in ("call", "2+2", "working-level") or bool(bilateral) or bool(sides.destination)
              or bool(lower_search(NUMBERED_ROUND, seg)))
    parties = _parties(ctx, sides, officials, strong=strong, strong_words=bool(strong_words))
    if parties is None:
        return None
    strong_triggers = strong_words or triggers
    d, travel = _pick_date(seg_dates, inherited, text, strong_triggers, 0 if shifted else off)
    if d is not None and fmt == "call" and len(strong_triggers) > 1 and not shifted:
        nearest = min(strong_triggers, key=lambda t: abs(off + t.start() - d.start))
        if not CALL.fullmatch(nearest.group(0)) and not CALL.search(nearest.group(0)):
            fmt = "ministerial" if officials else None
    sep = bool(lower_search(SEPARATE, seg))
    location = _location(ctx, seg)
    when = _when(ctx, s, text, seg, None if lower_search(READOUT, seg) else d, travel, fmt, reading.tense,
                 location, reading.dates)
    n_sides = len(sides.officials & parties)
    if when.date is None and n_sides < 2 and not sep:
        return None
    signals = set()
    if strong_words or bilateral or strong or signing or len(sides.officials & parties) >= 2:
        signals.add("meeting-words")  # an encounter in so many words, or people of both sides at it
    if len((sides.officials | sides.text) & parties) >= 2:
        signals.add("parties-together")  # both sides named here, not borrowed from the rest of the item
    parties = ctx.gaz.expand(parties, ctx.ref)  # a bloc meets as its members
    if len(parties) < 2:
        return None
    return Piece(
        parties=frozenset(parties),
        date=when.date,
        precision=when.precision,
        date_text=when.text,
        location=location,
        format=fmt,
        officials=[m.official for m in officials],
        status=when.status,
        evidence=s.text,
        separate=sep,
        sentence=s.index,
        sides=n_sides,
        plural_calls=fmt == "call" and bool(re.search(r"\b(?:calls|conversations)\b", seg, re.I)),
        extra={"ref": ctx.ref},
        end_date=when.end_date,
        signals=frozenset(signals),
    )


# a bloc named as one side: "ASEAN-Canada", "Canada-ASEAN", "the ASEAN Economic Ministers", "between X and ASEAN"
BLOC_SIDE_AFTER = re.compile(r"\s*(?:\)\s*)?(?:-|–|\s+and\s+[A-Z]|\s+(?:Economic\s+|Trade\s+|Foreign\s+)?"
                             r"(?:Ministers|ministers|leaders|Leaders|member\s+states|Secretary-General|secretariat))")
BLOC_VENUE = re.compile(r"(?:\s+(?:leaders'?|economic|foreign|regional))?\s+(?:[Ss]ummits?|[Mm]eetings?|[Ff]orum|"
                        r"[Cc]onference|[Gg]athering)\b(?!\s+(?:with|between))")
HELD_IN = re.compile(r"\b(?:took\s+place|held|convened|met|hosted|opened|began|ended|concluded)\s+in\s+(?:the\s+)?$", re.I)
WITH_PARTNER = re.compile(r"\bwith\s+(?:the\s+)?[A-Z]")
INVITED_TO = re.compile(r"\binvit(?:e|es|ed|ing)\s+(?:[\w.'-]+\s+){0,4}?to\s+(?:attend\s+)?(?:the\s+)?[^.;]{0,60}$", re.I)
BLOC_SIDE_BEFORE = re.compile(r"(?:[-–]|\b(?:and|between|with)\s+(?:the\s+)?)$")


@dataclass(frozen=True)
class _Sides:
    """The governments a part of a sentence names: through its officials, as governments in the text, and as
    the destination of a trip for talks ("left for Washington for talks")."""

    officials: frozenset[str]
    text: frozenset[str]
    destination: frozenset[str]
    bloc_sides: frozenset[str] = frozenset()  # blocs named as a side of the encounter ("the ASEAN-Canada talks")
    aside: bool = False  # told as an encounter on the sidelines of something else
    listed: frozenset[str] = frozenset()  # a list of governments after "with": each one a side

    @classmethod
    def of(cls, ctx: ItemContext, seg: str, officials: list[OfficialMention]) -> _Sides:
        official_countries = frozenset(m.official.country for m in officials if m.official.country)
        text_countries = {c.code for c in ctx.party_countries(seg)}
        found = ctx.countries_in(seg)
        destination = {
            c.code
            for c in found
            if c.kind in ("capital", "city", "name") and DESTINATION.search(seg[max(0, c.start - 30) : c.start])
        } - official_countries
        if official_countries and destination and re.search(r"\b(?:talks|meeting|meetings|negotiations)\b", seg, re.I):
            text_countries |= destination
        else:
            destination = set()
        # talks "with Switzerland" that "took place in London": the host city's government is the other side
        host = {c.code for c in found
                if c.kind in ("capital", "city") and HELD_IN.search(seg, max(0, c.start - 40), c.start)}
        if len(text_countries) == 1 and host - text_countries and WITH_PARTNER.search(seg):
            destination = set(host - text_countries)
            text_countries |= destination
        aside = bool(lower_search(BILATERAL, seg))
        # "invited him to the ASEAN-Korea Summit": a gathering still to come, another encounter than this one
        invited = [c for c in found if c.kind == "bloc" and INVITED_TO.search(seg, 0, c.start)]
        blocs = frozenset() if aside else frozenset(
            c.code for c in found
            if c.kind == "bloc" and c not in invited
            and (BLOC_SIDE_BEFORE.search(seg, 0, c.start) or BLOC_SIDE_AFTER.match(seg, c.end)))
        # "the sidelines of the ASEAN summit", "a visit to the ASEAN summit": the bloc hosts, it is no side
        venues = {c.code for c in found if c.kind == "bloc" and (BLOC_VENUE.match(seg, c.end) or c in invited)
                  } - blocs
        if len(official_countries) >= 2 and not SIGNED.search(seg):
            # "Ahn met Saudi minister Al-Kassabi ... on the review of the Korea-GCC agreement": two governments met;
            # the bloc names the pact they discussed (unless they sign it: "the Malaysia-EFTA agreement was signed by")
            pact = {c.code for c in found if c.kind == "bloc" and PACT_AFTER_NAME.match(seg, c.end)}
            blocs, venues = blocs - pact, venues | pact
        return cls(official_countries, frozenset(text_countries - venues), frozenset(destination), blocs, aside,
                   _listed_after_with(found, seg))


LIST_JOINT = re.compile(r"\s*(?:,\s*(?:and\s+)?|\s+and\s+)(?:the\s+)?")
WITH_BEFORE = re.compile(r"\bwith\s+(?:the\s+)?$", re.I)


def _listed_after_with(found: list, seg: str) -> frozenset[str]:
    """The governments of a list of three or more names after "with" ("signed the pact with Costa Rica, El Salvador,
    Panama, Honduras and Nicaragua"): the other sides of one encounter, all of them."""
    runs: list[list] = []  # names joined by commas and "and", each run a list
    for c in (c for c in found if c.kind in ("name", "bloc")):
        if runs and LIST_JOINT.fullmatch(seg, runs[-1][-1].end, c.start):
            runs[-1].append(c)
        else:
            runs.append([c])
    run = next((r for r in runs if len(r) >= 3 and WITH_BEFORE.search(seg, 0, r[0].start)), [])
    return frozenset(c.code for c in run)


def _format(seg: str, officials: list[OfficialMention], official_countries: frozenset[str], is_call: bool,
            bilateral) -> str | None:
    if is_call:
        return "call"
    two_plus_two = lower_search(TWO_PLUS_TWO, seg)
    working = lower_search(WORKING, seg)
    if two_plus_two and not (working and working.start() < two_plus_two.start()):
        return "2+2"
    if working:
        return "working-level"
    if (
        (any(m.leader for m in officials) and len(official_countries) >= 2)
        # "his meeting with Xi": a leader's meeting (not "Trump says officials will meet")
        or (officials and all(m.leader and not SPEAKER.match(seg, m.end) for m in officials))
        or (bilateral and not officials and re.search(r"\bsummit\b", seg, re.I))
    ):
        return "summit"
    if lower_search(SEPARATE, seg) and len(officials) >= 2:
        return "bilateral"
    return "ministerial" if officials else None


def _parties(ctx: ItemContext, sides: _Sides, officials: list[OfficialMention], *, strong: bool,
             strong_words: bool) -> set[str] | None:
    """The two (or more) governments that meet, or None: one government among itself, or no second side."""
    parties = {p for p in sides.officials | sides.text if p}
    blocs = sides.bloc_sides if len(parties) <= 2 or sides.aside else [p for p in parties if p in ctx.gaz.blocs]
    for code in blocs:
        # "the ASEAN-Canada consultation, co-chaired by Laos's minister": a member's official speaks for the bloc
        parties -= set(ctx.gaz.blocs[code].members)
    if len(parties) > 2:  # "talks with Argentina, Brazil, Paraguay and Uruguay" in a story about Mercosur: the bloc
        bloc = next((b for b in ctx.country_counts if b in ctx.gaz.blocs
                     and parties <= {b, *ctx.gaz.blocs[b].members}), None)
        if bloc is not None:
            parties = {bloc}
    if (len(officials) >= 2 and len(sides.officials) == 1 and not sides.text - sides.officials
            and not all(m.guessed for m in officials)):
        return None  # people of one government among themselves (not: two whose country the text never gives)
    if len(parties) < 2:
        if not strong and not (sides.officials and strong_words):
            return None
        for code in ctx.main_countries(3):  # the item's most named governments
            if len(parties) >= 2:
                break
            parties.add(code)
    if len(parties) > 2 and sides.listed and len(parties - sides.listed) == 1 and not sides.aside:
        pass  # "Singapore signed the pact with Argentina, Brazil, Paraguay and Uruguay": one encounter of five
    elif len(parties) > 2:
        if len(sides.officials) >= 2:
            parties = set(sides.officials)
        else:
            ranked = [c for c in ctx.main_countries(6) if c in parties]
            parties = set(ranked[:2]) | sides.officials
    if len(parties) < 2:
        return None
    if ctx.config.watched_countries and not any(ctx.config.watches(p) for p in parties):
        return None
    return parties


@dataclass(frozen=True)
class _When:
    date: date | None
    precision: str | None
    text: str | None
    status: str
    end_date: date | None = None


def _when(ctx: ItemContext, s: Sentence, text: str, seg: str, d: DateRef | None, travel: bool, fmt: str | None,
          default_tense, location: str | None, all_dates) -> _When:
    """The encounter's date (and its precision) and status, from the date picked for it and the tense."""
    status = _status(s, seg, d, ctx.ref, default_tense)
    if d is not None and travel:
        status = "scheduled"
    if d is not None and d.date is not None:
        lo, hi = _window_of(d.date, d.precision)
        if (status == "held" and lo > ctx.ref) or (status == "scheduled" and hi < ctx.ref - timedelta(days=1)):
            d = None  # "hold 2nd round, aim for leaders' deal in June": the date is not this meeting's
    at_dateline = _at_dateline(ctx, location)
    if d is None and all_dates is not None and status == "held" and (fmt == "call" or at_dateline):
        reported = _reported_day(ctx, text, all_dates, at_dateline)
        if reported is not None and reported.date <= ctx.ref:
            d = reported
    date_value, precision, date_text = (d.date, d.precision, d.text) if d else (None, None, None)
    if d is not None and travel and precision == "day":
        # a trip's talks fall on its working days: a visit "from Saturday to Tuesday" meets from Monday
        first = d.date
        while first.weekday() >= 5 and d.last is not None and first < d.last:
            first += timedelta(days=1)
        date_value, precision = monday(first), "week"
    if d is not None and precision == "day" and status == "held" and ENDED_BEFORE.search(text[: d.start]):
        # "the week-long round that ended on Friday": a multi-day round is dated by its first day
        days = _duration_days(seg) or next((n for x in ctx.sentences if (n := _duration_days(fold(x.text)))), None)
        if days:
            date_value = date_value - timedelta(days=days - 1)
    if d is None and ONGOING.search(seg) and fmt == "working-level":
        date_value, precision, date_text, status = monday(ctx.ref), "week", None, "held"
    return _When(date_value, precision, date_text, status, _end_date(ctx, seg, d, date_value, precision))


def _end_date(ctx: ItemContext, seg: str, d: DateRef | None, first: date | None, precision: str | None
              ) -> date | None:
    """The last day of a multi-day encounter: the end of the span the date was read from ("talks from May 4 to
    7"), else the first day plus the told length ("a five-day round from March 9")."""
    if first is None or precision != "day":
        return None
    if d is not None and d.last is not None and d.last > first:
        return d.last if (d.last - first).days <= 31 else None
    days = _duration_days(seg)
    return first + timedelta(days=days - 1) if days and days > 1 else None


# a report of the encounter ("a readout of the call"): its date is not the encounter's
READOUT = re.compile(r"\b(?:readout|briefed|briefing|debrief)\b", re.I)
# (the place may come between: "the round wraps up in Moscow on Wednesday after three days of talks")
ENDED_BEFORE = re.compile(r"\b(?:ended|ending|ends|wrapped\s+up|wraps\s+up|closed|closes|concluded|concludes)\s+"
                          r"(?:in\s+[A-Z][\w-]*(?:\s+[A-Z][\w-]*)?\s+)?(?:on\s+)?$", re.I)
DURATION = re.compile(
    r"\b(?:(?P<n>two|three|four|five|six|[2-6])[- ]day|(?P<week>week-long|weeklong))\s+(?:[\w-]+\s+){0,2}?"
    r"(?:talks|round|negotiations|meetings|sessions|consultations)\b"
    r"|\bafter\s+(?P<n2>two|three|four|five|six|[2-6])\s+days\s+of\s+(?:talks|negotiations|meetings|consultations)\b",
    re.I,
)
_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def _duration_days(text: str) -> int | None:
    m = DURATION.search(text)
    if m is None:
        return None
    if m.group("week"):
        return 5
    n = (m.group("n") or m.group("n2")).lower()
    return _NUMBERS.get(n) or int(n)


def _at_dateline(ctx: ItemContext, location: str | None) -> bool:
    return bool(
        location and ctx.dateline_place and fold(location).lower() == fold(ctx.dateline_place).lower()
    )


def _reported_day(ctx: ItemContext, text: str, dates: list[DateRef], lead_ok: bool) -> DateRef | None:
    """ "Trump said on Tuesday ... after he hosted Marcos at the White House" (a Washington story), "said on
    Saturday he had spoken by phone with ...": an encounter told without its own date happened by the day it
    was reported. The sentence's reporting day, else (for an encounter at the dateline's place) the lead's."""
    for d in dates:
        if (
            d.precision == "day"
            and d.date is not None
            and REPORTING.search(text[max(0, d.start - 60) : d.start])
        ):
            return d
    if not lead_ok or dates:
        return (
            None  # a sentence that dates things itself ("held on April 16, when ...") is not the lead's news
        )
    return _lead_report_day(ctx)


def _lead_report_day(ctx: ItemContext) -> DateRef | None:
    lead = next((x for x in ctx.sentences if x.paragraph >= 2), None)
    if lead is None:
        return None
    text = fold(lead.text)
    for d in find_dates(text, ctx.ref, sentence_tense(text)):
        if (
            d.precision == "day"
            and d.date is not None
            and REPORTING.search(text[max(0, d.start - 60) : d.start])
        ):
            return d
    return None


PRONOUN = re.compile(r"\s*(He|She)\s")
FAN_HEAD = re.compile(
    r"\b(?:with|meets?|met|meeting|sees?|saw|hosts?|hosted|receives?|received|called|phoned|telephoned)\s+(?:both\s+)?"
)


def _previous_subject(ctx: ItemContext, s: Sentence) -> Official | None:
    if s.index == 0 or (ctx.sentences[s.index - 1].paragraph < 2 <= s.paragraph):
        return None  # the sentence before the body's first is the title or summary
    prev = fold(ctx.sentences[s.index - 1].text)
    first = next((m for m in ctx.officials_in(prev) if not m.background and m.start < 40), None)
    return first.official if first and first.official.country else None


def _fan_out(ctx: ItemContext, s: Sentence, seg: str):
    """ "Trump spoke with A and B", "He meets A on Tuesday and B on Thursday": one encounter per counterpart
    government. Returns ((head text, head start, head end), [(part start, part end), ...]) or None."""
    ms = [m for m in ctx.officials_in(seg) if not m.background and m.official.country]
    if len({m.official.country for m in ms}) < 2:
        return None
    pron = PRONOUN.match(seg)
    if pron:
        subject = _previous_subject(ctx, s)
        if subject is None:
            return None
        subject_country = subject.country
    elif ms[0].start <= 60:
        subject_country = ms[0].official.country
    else:
        return None
    groups: list[list] = []  # [country, first start, last end]
    for m in ms:
        if m.official.country == subject_country:
            if groups:
                return None  # the subject's side named again among the counterparts: not a plain list
            continue
        if groups and groups[-1][0] == m.official.country:
            groups[-1][2] = m.end
        elif any(g[0] == m.official.country for g in groups):
            return None
        else:
            groups.append([m.official.country, m.start, m.end])
    if len(groups) < 2:
        return None
    heads = list(FAN_HEAD.finditer(seg, 0, groups[0][1]))
    if not heads:
        return None
    head_end = heads[-1].end()
    cuts = []
    for g_prev, g in zip(groups, groups[1:], strict=False):
        conns = list(re.finditer(r",?\s+and\s+|,\s+", seg[g_prev[2] : g[1]]))
        if not conns:
            return None
        cuts.append(g_prev[2] + conns[-1].start())
    head = seg[:head_end]
    if pron:
        head = subject.name + head[pron.end(1) :]
    bounds = [head_end, *cuts, len(seg)]
    return (head, 0, head_end), [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]


PAST_TRIGGER = re.compile(r"met|held|hosted|received|visited|signed|sat down|talked|spoke", re.I)
ENCOUNTER_CANCELLED = re.compile(
    r"\b(?:meeting|talks|visit|trip|call|summit)\b[^.;,]{0,30}\b(?:cancel(?:l)?ed|called off|scrapped)\b"
    r"|\b(?:cancel(?:l)?ed|called off|scrapped)\s+(?:the\s+|a\s+|an\s+|his\s+|her\s+|their\s+|its\s+)?(?:[\w-]+\s+){0,2}(?:meeting|talks|visit|trip|call|summit)\b",
    re.I,
)
CANCELLED_NEEDLES = ("cancel", "called off", "scrapped")  # one in every match of ENCOUNTER_CANCELLED
ENCOUNTER_POSTPONED = re.compile(
    r"\b(?:meeting|talks|visit|trip|summit)\b\s+(?:was|were|has been|have been|had been)?\s*(?:postponed|put off|delayed|pushed back|rescheduled)",
    re.I,
)
FUTURE_AFTER_TRIGGER = re.compile(
    r"\b(?:will|to be held|is set|are set|is due|are due|scheduled|expected|planned|plans|is to|are to)\b",
    re.I,
)
WAS_DUE = re.compile(r"\b(?:had been|was|were) (?:due|scheduled|set|planned|expected)\b", re.I)


def _status(s: Sentence, seg: str, d: DateRef | None, ref: date, default_tense: str | None) -> str:
    if may_contain(lowered(seg), CANCELLED_NEEDLES) and lower_search(ENCOUNTER_CANCELLED, seg):
        return "cancelled"
    if lower_search(POSTPONED, seg) and lower_search(ENCOUNTER_POSTPONED, seg):
        return "postponed"
    if s.headline:
        tense = "future" if HEADLINE_FUTURE.search(seg) else "past"
    else:
        # (the first meeting word, else the first call word: where it is and, case aside, what it says)
        trig = lower_search(MEET, seg) or lower_search(CALL, seg)
        tense_at_trigger = tense_before(seg, trig.start() if trig else len(seg), None)
        tense = tense_at_trigger or default_tense
        if trig and PAST_TRIGGER.fullmatch(trig.group(0)) and tense_at_trigger != "future":
            tense = "past"  # "X met Y on Monday to discuss the tariff due to take effect on Friday"
        if trig and lower_search(FUTURE_AFTER_TRIGGER, seg[trig.start() : trig.start() + 80]):
            tense = "future"
        if lower_search(WAS_DUE, seg):
            tense = "past" if d is None or (d.date is not None and d.date <= ref) else "future"
    if d is not None and d.date is not None and d.precision == "day":
        if d.date > ref:
            return "scheduled"
        if d.date < ref and tense != "future":
            return "held"
    return "scheduled" if tense == "future" else "held"


# ------------------------------------------------------------------ clustering within one item


def _compatible_format(a: str | None, b: str | None) -> bool:
    if a is None or b is None or a == b:
        return True
    pair = {a, b}
    if "call" in pair:
        return False
    if pair == {"2+2", "bilateral"}:
        return False
    if "summit" in pair and pair & {"ministerial", "bilateral", "2+2", "working-level"}:
        return False
    return "working-level" not in pair


def _keys(officials: list[Official]) -> set[str]:
    return {name_key(o.name) for o in officials}


def _counterparts_conflict(a: list[Official], b: list[Official]) -> bool:
    """Two calls that name different people on the same side are different calls."""
    by_country_a: dict[str, set[str]] = {}
    by_country_b: dict[str, set[str]] = {}
    for o in a:
        by_country_a.setdefault(o.country or "?", set()).add(name_key(o.name))
    for o in b:
        by_country_b.setdefault(o.country or "?", set()).add(name_key(o.name))
    return any(not by_country_a[c] & by_country_b[c] for c in by_country_a.keys() & by_country_b.keys())


def _explode_calls(p: Piece) -> list[Piece]:
    """ "held phone calls with Lutnick and Greer": one call per counterpart."""
    if not p.plural_calls:
        return [p]
    by_country: dict[str, list[Official]] = {}
    for o in p.officials:
        by_country.setdefault(o.country or "?", []).append(o)
    multi = [c for c, os in by_country.items() if len({name_key(o.name) for o in os}) > 1]
    single = [c for c, os in by_country.items() if len({name_key(o.name) for o in os}) == 1]
    if len(multi) != 1 or not single:
        return [p]
    out = []
    seen = set()
    for o in by_country[multi[0]]:
        if name_key(o.name) in seen:
            continue
        seen.add(name_key(o.name))
        others = [x for c in single for x in by_country[c]]
        out.append(Piece(**{**p.__dict__, "officials": others + [o], "plural_calls": False}))
    return out


def _same_time(a: Piece, b: Piece) -> bool:
    if a.date is None or b.date is None:
        return True
    if a.precision == "day" and b.precision == "day" and a.end_date is None and b.end_date is None:
        return a.date == b.date
    lo, hi = _window(a)
    lo2, hi2 = _window(b)
    return lo <= hi2 and lo2 <= hi


def _window_of(d: date, precision: str | None) -> tuple[date, date]:
    if precision == "week":
        return d - timedelta(days=1), d + timedelta(
            days=7
        )  # a day of slack: "the summit that opens on Sunday"
    if precision == "month":
        nxt = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
        return d, nxt - timedelta(days=1)
    return d, d


def _window(p: Piece) -> tuple[date, date]:
    if p.end_date is not None:
        return p.date, p.end_date
    if p.precision == "week":
        return p.date - timedelta(days=1), p.date + timedelta(days=7)
    if p.precision == "month":
        nxt = (p.date.replace(day=28) + timedelta(days=4)).replace(day=1)
        return p.date, nxt - timedelta(days=1)
    return p.date, p.date


def _cluster(pieces: list[Piece]) -> list[list[Piece]]:
    expanded = [q for p in pieces for q in _explode_calls(p)]
    dated = sorted(
        [p for p in expanded if p.date],
        key=lambda p: ({"day": 0, "week": 1, "month": 2}.get(p.precision, 3), p.sentence),
    )
    undated = [p for p in expanded if not p.date]
    clusters: list[list[Piece]] = []
    for p in dated + undated:
        best, best_score = None, -1.0
        for c in clusters:
            score = _fit(c, p)
            if score > best_score:
                best, best_score = c, score
        if best is not None and best_score >= 0:
            best.append(p)
        elif p.date is None and p.separate:
            # "Ahn and Greer will hold talks of their own": the same day as the joint meeting
            joint = [
                c
                for c in clusters
                if c[0].parties == p.parties and c[0].date and _fmt(c) in ("2+2", "ministerial", "summit")
            ]
            if joint:
                q = Piece(
                    **{
                        **p.__dict__,
                        "date": joint[0][0].date,
                        "precision": joint[0][0].precision,
                        "format": "bilateral",
                    }
                )
                clusters.append([q])
        elif p.date is not None or p.location or p.sides >= 2:
            clusters.append([p])
    # no time anchor, no meeting: undated pieces only enrich the dated ones
    return [c for c in clusters if any(x.date for x in c)]


def _fmt(cluster: list[Piece]) -> str | None:
    fmts = [p.format for p in cluster if p.format]
    return max(fmts, key=lambda f: FORMAT_RANK.get(f, 0)) if fmts else None


def _fit(cluster: list[Piece], p: Piece) -> float:
    head = cluster[0]
    if head.parties != p.parties:
        return -1
    if not all(_same_time(q, p) for q in cluster):
        return -1
    fmt = _fmt(cluster)
    if not _compatible_format(fmt, p.format) and not (
            # "concluded the talks on Tuesday, Ebrard announced after a video conference with Hogan": one sentence
            # tells the encounter twice, once without its medium
            {fmt, p.format} == {"call", "ministerial"} and any(q.sentence == p.sentence for q in cluster)):
        return -1
    if p.separate and fmt in ("2+2", "summit") and p.format != fmt:
        return -1
    officials = [o for q in cluster for o in q.officials]
    if "call" in (fmt, p.format) and _counterparts_conflict(officials, p.officials):
        return -1
    overlap = len(_keys(officials) & _keys(p.officials))
    if p.date is None:
        # an undated piece joins only a meeting it shares people or a format with, at a consistent time
        if not overlap and not (p.format and p.format == fmt and p.format != "ministerial"):
            return -1
        cdate = next((q.date for q in cluster if q.date), None)
        if (
            cdate
            and p.status == "held"
            and all(q.status == "scheduled" for q in cluster)
            and cdate > p.extra.get("ref", cdate)
        ):
            return -1
        if cdate and p.status == "scheduled" and all(q.status == "held" for q in cluster):
            return -1
    return overlap + (1 if fmt == p.format else 0) + (0.5 if p.date is None else 0)


def _to_mention(cluster: list[Piece]) -> MeetingMention:
    with_date = [p for p in cluster if p.date]
    rank = {"day": 0, "week": 1, "month": 2}
    best = min(with_date, key=lambda p: (rank.get(p.precision, 3), p.sentence)) if with_date else cluster[0]
    spans = [p for p in with_date if p.end_date is not None and p.precision == "day"]
    if spans:  # a multi-day meeting is dated by its first day, whatever day a report gives
        span = min(spans, key=lambda p: p.date)
        if all(span.date <= p.date <= span.end_date for p in with_date if p.precision == "day"):
            best = span
    officials: dict[str, Official] = {}
    for p in cluster:
        for o in p.officials:
            officials.setdefault(name_key(o.name), o)
    statuses = {p.status for p in cluster}
    if "cancelled" in statuses:
        status = "cancelled"
    elif "postponed" in statuses:
        status = "postponed"
    elif "held" in statuses and not (
        best.status == "scheduled"
        and best.precision == "day"
        and best.date
        and any(q.status == "scheduled" and q.date == best.date for q in cluster)
        and not any(q.status == "held" and q.date for q in cluster)
    ):
        status = "held"
    else:
        status = "scheduled"
    fmt = _fmt(cluster)
    location = next((p.location for p in sorted(cluster, key=lambda p: p.sentence) if p.location), None)
    if fmt == "call":
        location = None
    evidence = " ".join(dict.fromkeys(p.evidence for p in sorted(cluster, key=lambda p: p.sentence)))
    ends = [p.end_date for p in cluster if p.end_date is not None and best.date and p.end_date > best.date]
    return MeetingMention(
        parties=tuple(sorted(best.parties)),
        date=best.date,
        date_precision=best.precision if best.date else None,
        date_text=best.date_text,
        location=location,
        format=fmt,
        officials=tuple(officials.values()),
        status=status,
        evidence=evidence[:1000],
        end_date=max(ends) if ends else None,
        signals=tuple(sorted(set().union(*(p.signals for p in cluster)))),
    )
