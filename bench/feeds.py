"""Synthetic feeds for the benchmark: realistic news items, generated deterministically, served on loopback.

Each item has a ~4 KB body of wire-style English. About one in ten is about trade talks between the US and
a partner (named officials, a meeting date, a tariff deadline), so extraction and resolution do real work;
about one in ten is a lightly edited copy of another outlet's item (a wire copy: the same story); the rest
are ordinary news (earnings, weather, sport, local politics), some naming countries. The prose is built
word by word from a few hundred words, so two unrelated items share few word 3-grams, as real news does.

    corpus = make_corpus(feeds=200, items_per_feed=50, seed=8)
    with FeedServer(corpus.bodies()) as server:
        server.url("wire-000")      # ETag on every 200; If-None-Match → 304
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flows.feedserver import LoopbackFeedServer, TimelineItem, render_rss, strong_etag

AS_OF = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)  # a Monday: the benchmark's "now"

# (country, adjective, capital, dateline, minister, minister's title) — names as the gazetteer knows them
PARTNERS = [
    ("South Korea", "South Korean", "Seoul", "SEOUL", "Yeo Han-koo", "Trade Minister"),
    ("Japan", "Japanese", "Tokyo", "TOKYO", "Ryosei Akazawa", "Economic Revitalization Minister"),
    ("Vietnam", "Vietnamese", "Hanoi", "HANOI", "Nguyen Hong Dien", "Industry and Trade Minister"),
    ("India", "Indian", "New Delhi", "NEW DELHI", "Piyush Goyal", "Commerce and Industry Minister"),
    ("Switzerland", "Swiss", "Bern", "BERN", "Guy Parmelin", "Economic Affairs Minister"),
    ("Britain", "British", "London", "LONDON", "Jonathan Reynolds", "Business and Trade Secretary"),
    (
        "Canada",
        "Canadian",
        "Ottawa",
        "OTTAWA",
        "Dominic LeBlanc",
        "Minister responsible for Canada-U.S. Trade",
    ),
    ("Mexico", "Mexican", "Mexico City", "MEXICO CITY", "Marcelo Ebrard", "Economy Secretary"),
    (
        "Malaysia",
        "Malaysian",
        "Kuala Lumpur",
        "KUALA LUMPUR",
        "Tengku Zafrul Aziz",
        "Investment, Trade and Industry Minister",
    ),
    (
        "Indonesia",
        "Indonesian",
        "Jakarta",
        "JAKARTA",
        "Airlangga Hartarto",
        "Coordinating Minister for Economic Affairs",
    ),
    ("Australia", "Australian", "Canberra", "CANBERRA", "Don Farrell", "Trade Minister"),
    ("Singapore", "Singaporean", "Singapore", "SINGAPORE", "Gan Kim Yong", "Trade and Industry Minister"),
]
US_SIDE = [
    ("Trade Representative", "Jamieson Greer"),
    ("Commerce Secretary", "Howard Lutnick"),
    ("Treasury Secretary", "Scott Bessent"),
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# --- words for the prose -----------------------------------------------------------------------------


def _words(text: str, sep: str | None = None) -> list[str]:
    return [w.strip() for w in text.split(sep) if w.strip()]


_W = {
    "adj": _words("""new local regional national annual early late small large major minor public private rural urban
        coastal northern southern eastern western quiet busy modest sharp steady strong weak cautious bold
        senior junior former current leading rival independent municipal federal provincial historic modern
        seasonal temporary permanent digital medical academic cultural industrial agricultural financial
        environmental electric popular costly cheap fresh heavy light rapid slow unusual familiar crowded
        remote nearby broader narrow"""),
    "noun": _words("""council school hospital bridge highway museum festival stadium harbor river factory warehouse
        library station airport market village district county province committee board union survey report
        study program project budget plan proposal schedule contract license permit museum gallery concert
        season match tournament team club coach player striker keeper fan ticket crowd storm flood drought
        heatwave forecast rainfall snowfall wildfire harvest crop orchard vineyard fishery herd bakery cafe
        restaurant hotel resort cinema theater orchestra choir novel author film director actor singer
        startup bank insurer retailer carmaker airline shipper refinery mine utility network platform app
        device battery chip software server satellite rocket telescope vaccine clinic patient doctor nurse
        teacher student parent resident tenant landlord driver pilot farmer worker volunteer mayor governor
        senator judge court jury lawyer police officer firefighter inspector auditor regulator scientist
        researcher engineer architect designer chef critic reporter editor"""),
    "verb": _words("""announced approved rejected delayed opened closed expanded reduced raised lowered launched
        completed postponed reviewed examined praised criticized welcomed questioned funded renovated
        restored replaced upgraded reported recorded measured predicted warned urged asked hired appointed
        dismissed signed extended shortened moved doubled halved cleared blocked resumed suspended
        celebrated honored visited toured inspected tested released published filed settled won lost tied
        scored hosted attracted drew"""),
    "prep": _words(
        "in near across along beyond inside outside after before during despite under over around"
    ),
    "det": _words("the a its their this one another every"),
    "time": _words(
        """on Monday|on Tuesday|on Wednesday|on Thursday|on Friday|over the weekend|last week|this month|
        earlier this year|late last year|in the spring|by the end of the year|in recent weeks|overnight""",
        "|",
    ),
    "source": _words(
        """officials said|a spokesperson said|the company said|organizers said|local media reported|
        according to a statement|residents said|analysts said|the report found|police said""",
        "|",
    ),
    "name": _words(
        """Maria Lopez|James Carter|Anna Novak|David Kim|Sarah Okafor|Peter Lindqvist|Laura Rossi|
        Thomas Becker|Elena Petrova|Michael Chen|Grace Mensah|Lucas Martin|Hannah Weber|Omar Haddad|
        Julia Santos|Robert Walsh|Nina Horvat|Samuel Adeyemi|Claire Dubois|Victor Alvarez""",
        "|",
    ),
    "place": _words(
        """Springfield|Riverton|Lakeside|Fairview|Georgetown|Millbrook|Ashford|Cedar Falls|Port Allen|
        Westbury|Kingsley|Oakridge|Brookhaven|Stonebridge|Clearwater|Redmond Hills|Bayside|Elmwood""",
        "|",
    ),
    "company": _words(
        """Northwind Foods|Aster Motors|Bluewave Energy|Crestline Bank|Delta Forge|Evergreen Retail|
        Falcon Airways|Granite Software|Harbor Logistics|Ironclad Insurance|Juniper Pharma|Keystone Mining|
        Lumen Telecom|Meridian Chemicals|Nimbus Cloud|Orion Steelworks""",
        "|",
    ),
}


def _sentence(r: random.Random) -> str:
    w = _W
    pick = r.choice
    patterns = (
        lambda: (
            f"{pick(w['det']).capitalize()} {pick(w['adj'])} {pick(w['noun'])} {pick(w['verb'])} "
            f"{pick(w['det'])} {pick(w['noun'])} {pick(w['prep'])} {pick(w['place'])} {pick(w['time'])}, "
            f"{pick(w['source'])}."
        ),
        lambda: (
            f"{pick(w['name'])}, a {pick(w['adj'])} {pick(w['noun'])} from {pick(w['place'])}, said the "
            f"{pick(w['noun'])} had {pick(w['verb'])} {r.randint(2, 90)} {pick(w['noun'])}s {pick(w['time'])}."
        ),
        lambda: (
            f"{pick(w['company'])} {pick(w['verb'])} a {pick(w['adj'])} {pick(w['noun'])} worth "
            f"{r.randint(2, 900)} million dollars {pick(w['prep'])} {pick(w['place'])}, {pick(w['source'])}."
        ),
        lambda: (
            f"{pick(w['det']).capitalize()} {pick(w['noun'])} {pick(w['prep'])} {pick(w['det'])} "
            f"{pick(w['adj'])} {pick(w['noun'])} {pick(w['verb'])} about {r.randint(3, 99)} percent of "
            f"{pick(w['det'])} {pick(w['noun'])}s."
        ),
        lambda: (
            f"The {pick(w['noun'])} {pick(w['verb'])} {pick(w['det'])} {pick(w['adj'])} "
            f"{pick(w['noun'])} after {pick(w['name'])} {pick(w['verb'])} {pick(w['det'])} {pick(w['noun'])}."
        ),
    )
    return pick(patterns)()


def _paragraphs(r: random.Random, chars: int) -> list[str]:
    out, size = [], 0
    while size < chars:
        para = " ".join(_sentence(r) for _ in range(r.randint(3, 5)))
        out.append(para)
        size += len(para) + 2
    return out


def _on(d: date) -> str:
    return f"{d:%B} {d.day}"


def _trade_item(r: random.Random, published: datetime, body_chars: int) -> tuple[str, str, list[str]]:
    country, adj, capital, dateline, minister, title = r.choice(PARTNERS)
    us_title, us_name = r.choice(US_SIDE)
    meeting = (AS_OF + timedelta(days=r.randint(1, 20))).date()
    deadline = date(2025, 7, 9) if r.random() < 0.7 else date(2025, 8, 1)
    rate = r.choice([10, 15, 20, 24, 25, 26, 32, 46])
    head = r.choice(
        [
            f"{adj} trade minister to meet U.S. {us_title.lower()} {us_name.split()[-1]} on tariffs",
            f"{country} and U.S. to hold trade talks in Washington ahead of tariff deadline",
            f"{capital} seeks tariff deal as {_on(deadline)} deadline nears",
        ]
    )
    lead = (
        f"{dateline} -- {country}'s {title} {minister} will meet U.S. {us_title} {us_name} in Washington on "
        f"{WEEKDAYS[meeting.weekday()]}, {_on(meeting)}, to negotiate over the {rate} percent tariff on "
        f"{adj} goods, the ministry said on {WEEKDAYS[published.weekday()]}."
    )
    second = (
        f"The higher reciprocal tariff rate on {adj} goods is scheduled to take effect on {_on(deadline)} "
        f"unless the two sides reach a trade deal, officials in {capital} said."
    )
    third = (
        f"{minister} said {country} hoped to conclude a package covering shipbuilding, energy purchases and "
        f"investment before the deadline, and that working-level negotiations would continue in {capital}."
    )
    paras = [lead, second, third] + _paragraphs(r, body_chars - len(lead) - len(second) - len(third))
    return head, lead, paras


def _other_item(r: random.Random, body_chars: int) -> tuple[str, str, list[str]]:
    w = _W
    kind = r.random()
    if kind < 0.3:
        company = r.choice(w["company"])
        head = f"{company} quarterly profit {r.choice(['rises', 'falls', 'beats forecasts', 'misses estimates'])}"
        lead = (
            f"{company} reported quarterly earnings of {r.randint(10, 900)} million dollars on "
            f"{r.choice(WEEKDAYS[:5])}, as revenue {r.choice(['rose', 'fell'])} {r.randint(1, 30)} percent."
        )
    elif kind < 0.5:
        place = r.choice(w["place"])
        head = f"{r.choice(['Storm', 'Heatwave', 'Flooding', 'Snow'])} expected in {place} this week"
        lead = f"Forecasters expect {r.choice(w['adj'])} weather in {place} through {r.choice(WEEKDAYS)}."
    elif kind < 0.7:
        head = f"{r.choice(w['place'])} {r.choice(['beat', 'edge', 'draw with'])} {r.choice(w['place'])} in league match"
        lead = f"{r.choice(w['name'])} scored twice as the home side won {r.randint(1, 4)}-{r.randint(0, 3)}."
    elif kind < 0.85:
        country = r.choice(PARTNERS)[0]
        head = f"{country} central bank holds key rate as inflation eases"
        lead = f"{country}'s central bank left its key rate unchanged, citing slower inflation and steady growth."
    else:
        place = r.choice(w["place"])
        head = f"{place} council {r.choice(w['verb'])} {r.choice(w['adj'])} {r.choice(w['noun'])} plan"
        lead = f"The {place} council {r.choice(w['verb'])} the plan after a {r.choice(w['adj'])} debate."
    return head, lead, [lead] + _paragraphs(r, body_chars - len(lead))


@dataclass(frozen=True)
class Corpus:
    feeds: dict[str, list[TimelineItem]]  # source id → items, newest first
    trade_items: int
    copies: int

    @property
    def items(self) -> int:
        return sum(len(v) for v in self.feeds.values())

    def bodies(self) -> dict[str, bytes]:
        """Source id → the RSS document (the project's own renderer)."""
        return {source: render_rss(source, items) for source, items in self.feeds.items()}


def make_corpus(
    feeds: int = 200,
    items_per_feed: int = 50,
    *,
    seed: int = 8,
    body_chars: int = 4000,
    trade_share: float = 0.1,
    copy_share: float = 0.1,
    prefix: str = "wire",
) -> Corpus:
    """Deterministic for given arguments. Items are published in the 48 hours before AS_OF."""
    r = random.Random(seed)
    out: dict[str, list[TimelineItem]] = {}
    made: list[TimelineItem] = []
    trade = copies = 0
    for f in range(feeds):
        source = f"{prefix}-{f:03d}"
        items = []
        for n in range(items_per_feed):
            published = AS_OF - timedelta(minutes=r.randint(5, 48 * 60))
            roll = r.random()
            if roll < copy_share and made:
                original = r.choice(made)
                paras = original.body.split("\n\n")
                paras[-1] = " ".join(_sentence(r) for _ in range(3))  # a light edit: a new closing paragraph
                title, summary = (
                    original.title + r.choice(["", " - update", " (corrected)"]),
                    original.summary,
                )
                copies += 1
            elif roll < copy_share + trade_share:
                title, summary, paras = _trade_item(r, published, body_chars)
                trade += 1
            else:
                title, summary, paras = _other_item(r, body_chars)
            item = TimelineItem(
                source=source, guid=f"{source}-{n:04d}", url=f"https://news.example.com/{source}/{n}",
                title=title, published=published, summary=summary, body="\n\n".join(paras),
            )  # fmt: skip
            items.append(item)
            made.append(item)
        out[source] = sorted(items, key=lambda i: i.published, reverse=True)
    return Corpus(out, trade, copies)


# --- the loopback server ---------------------------------------------------------------------------------


class FeedServer(LoopbackFeedServer):
    """Serves /feeds/<source>.xml from pre-rendered bytes (ETags computed once, not per request)."""

    def __init__(self, bodies: dict[str, bytes], host: str = "127.0.0.1", port: int = 0) -> None:
        self.set_bodies(bodies)
        super().__init__(host, port)

    def set_bodies(self, bodies: dict[str, bytes]) -> None:
        self._docs = {s: (b, strong_etag(b)) for s, b in bodies.items()}

    def document(self, source: str) -> tuple[bytes, str] | None:
        return self._docs.get(source)

    @property
    def sources(self) -> list[str]:
        return sorted(self._docs)


def write_config(path, server: FeedServer, warehouse, *, extra: str = "") -> None:
    """A tradewatch.toml polling every feed of the server, alerts to no Slack (the bench runs --no-alerts)."""
    lines = [
        "[warehouse]", f'path = "{warehouse}"', "",
        "[fetch]", f'allow_hosts = ["{server.host_port}"]', "",
        "[slack]", 'channel = "#bench"', "",
        "[alerts]", "max_item_age_hours = 72", "",
    ]  # fmt: skip
    for source in server.sources:
        lines += ["[[sources]]", f'id = "{source}"', 'kind = "feed"', f'url = "{server.url(source)}"', ""]
    path.write_text("\n".join(lines) + extra, encoding="utf-8")
