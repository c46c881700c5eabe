"""The resolver loads only the known meetings a batch's mentions may join (apply.resolver_for): for every
mention, deciding against those gives what deciding against every meeting of its parties gives — dated and
undated, by day, week and month, multi-day meetings, meetings whose date moved away from the one in their id."""

from __future__ import annotations

import contextlib
import itertools
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import duckdb

from records.events import MeetingEvent
from records.findings import Findings, MeetingMention, Official
from tasks.events.apply import AlertPolicy, resolver_for
from tasks.events.decide import meeting_id_for, resolve_meeting
from warehouse import connection
from warehouse import events as event_store
from warehouse.transaction import transaction

NOW = datetime(2025, 6, 2, 9, tzinfo=UTC)
DAY0 = date(2025, 6, 10)
FORMATS = [None, "ministerial", "call", "summit", "working-level"]
PEOPLE = [(), ("Yeo Han-koo",), ("Yeo Han-koo", "Jamieson Greer"), ("Ahn Duk-geun", "Howard Lutnick")]


def dated(r: random.Random) -> tuple[date | None, str | None, date | None]:
    if r.random() < 0.15:
        return None, None, None
    day = DAY0 + timedelta(days=r.randint(-120, 120))
    precision = r.choice(["day", "day", "week", "month"])
    end = day + timedelta(days=r.randint(1, 20)) if precision == "day" and r.random() < 0.2 else None
    return day, precision, end


def meetings(r: random.Random, n: int) -> list[MeetingEvent]:
    out = []
    for k in range(n):
        day, precision, end = dated(r)
        parties = r.choice([("KR", "US"), ("JP", "US")])
        people, fmt = r.choice(PEOPLE), r.choice(FORMATS)
        first = day if r.random() < 0.8 else day and day - timedelta(days=r.randint(30, 90))  # refined later
        out.append(MeetingEvent(f"{meeting_id_for(parties, first, fmt, people)}{'-2' if k % 7 == 0 else ''}",
                                parties, day, precision, r.choice([None, "Seoul", "Washington"]), fmt,
                                r.choice(["scheduled", "held"]), people, NOW, end_date=end))
    return out


def mentions(r: random.Random, n: int) -> list[MeetingMention]:
    out = []
    for _ in range(n):
        day, precision, end = dated(r)
        out.append(MeetingMention(("KR", "US"), day, precision, None, r.choice([None, "Seoul", "Washington"]),
                                  r.choice(FORMATS), tuple(Official(p) for p in r.choice(PEOPLE)),
                                  r.choice(["scheduled", "held"]), "met", end_date=end))
    return out


@contextlib.contextmanager
def warehouse_with(path, known: list[MeetingEvent]) -> Iterator[duckdb.DuckDBPyConnection]:
    with connection.writer(path) as con:
        with transaction(con):
            event_store.upsert_meetings(con, list({m.meeting_id: m for m in known}.values()), now=NOW)
        yield con


def test_deciding_against_the_loaded_meetings_is_deciding_against_all(tmp_path):
    r = random.Random(15)
    with warehouse_with(tmp_path / "w.duckdb", meetings(r, 400)) as con:
        stored = event_store.load_meetings(con)  # in stored order, as the resolver sees them
        same_parties = [m for m in stored if m.parties == ("KR", "US")]
        checked = 0
        for mention in mentions(r, 300):
            batch = Findings("i1", True, "talks", ("KR", "US"), (mention,))
            loaded = list(resolver_for(con, [batch], now=NOW, policy=AlertPolicy()).meetings.values())
            assert len(loaded) <= len(same_parties)
            assert resolve_meeting(mention, NOW, loaded) == resolve_meeting(mention, NOW, same_parties)
            checked += mention.date is not None and len(loaded) < len(same_parties)
    assert checked > 200  # most mentions loaded fewer meetings than all of their parties'


def test_a_batch_loads_the_union_of_what_its_mentions_need(tmp_path):
    r = random.Random(16)
    with warehouse_with(tmp_path / "w.duckdb", meetings(r, 200)) as con:
        batch = mentions(r, 5)
        each = [set(resolver_for(con, [Findings("i", True, "t", (), (m,))], now=NOW, policy=AlertPolicy()).meetings)
                for m in batch]
        together = resolver_for(con, [Findings("i", True, "t", (), tuple(batch))], now=NOW, policy=AlertPolicy())
    assert set(together.meetings) == set(itertools.chain(*each))
