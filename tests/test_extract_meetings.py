from datetime import UTC, date, datetime

import pytest
from fixture_texts import fixture_files, load_fixture

from tasks.extract import extract
from tasks.models import Item


def item(body: str, published: str = "2025-04-24T10:00:00-04:00", title: str = "Trade talks") -> Item:
    ts = datetime.fromisoformat(published)
    return Item(
        "t",
        "test",
        None,
        None,
        title,
        "",
        body,
        ts.astimezone(UTC),
        int(ts.utcoffset().total_seconds() // 60),
    )


def meetings(body: str, **kw):
    return extract(item(body, **kw)).meetings


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.stem)
def test_fixture_meetings(path):
    it, expect = load_fixture(path)
    found = extract(it).meetings
    assert len(found) == len(expect["meetings"]), [(m.parties, m.date, m.format) for m in found]
    for want in expect["meetings"]:
        match = [
            m
            for m in found
            if list(m.parties) == want["parties"]
            and m.date == date.fromisoformat(want["date"])
            and m.date_precision == want["precision"]
            and m.status == want["status"]
            and m.format == want.get("format", m.format)
            and set(want.get("officials", [])) <= {o.name for o in m.officials}
        ]
        assert match, (
            want,
            [(m.parties, m.date, m.date_precision, m.format, m.status, m.officials) for m in found],
        )


def test_held_meeting_with_weekday():
    (m,) = meetings(
        "WASHINGTON -- Japan's Economy Minister Ryosei Akazawa met Commerce Secretary Howard Lutnick on Wednesday."
    )
    assert (m.parties, m.date, m.status) == (("JP", "US"), date(2025, 4, 23), "held")


def test_scheduled_technical_talks_next_week_are_week_precision():
    (m,) = meetings(
        "SEOUL -- South Korea and the United States will hold technical talks next week, the ministry said.",
        published="2025-04-25T10:00:00+09:00",
    )
    assert (m.date, m.date_precision, m.format, m.status) == (
        date(2025, 4, 28),
        "week",
        "working-level",
        "scheduled",
    )


def test_two_plus_two_and_separate_bilateral_are_two_meetings():
    body = (
        "WASHINGTON -- Finance Minister Choi Sang-mok and Industry Minister Ahn Duk-geun met Treasury Secretary "
        'Scott Bessent and Trade Representative Jamieson Greer for "two-plus-two" talks on Thursday. '
        "Ahn met Greer separately on Thursday afternoon."
    )
    found = meetings(body)
    assert sorted(m.format for m in found) == ["2+2", "bilateral"]
    assert {m.date for m in found} == {date(2025, 4, 24)}


def test_attending_a_multilateral_gathering_is_not_a_meeting():
    assert (
        meetings(
            "Greer will attend the APEC trade ministers' meeting on Jeju Island next month.",
            published="2025-04-25T10:00:00+09:00",
        )
        == ()
    )


def test_talks_on_the_margins_of_a_multilateral_gathering_are():
    (m,) = meetings(
        "Greer and Korean ministers will hold talks on the margins of the APEC meeting on May 15.",
        published="2025-04-25T10:00:00+09:00",
    )
    assert m.parties == ("KR", "US") and m.date == date(2025, 5, 15)


def test_generic_statement_without_anchor_is_not_a_meeting():
    assert (
        meetings(
            "Japanese and U.S. officials agreed to hold further ministerial meetings in the near future."
        )
        == ()
    )


def test_travel_date_gives_the_week():
    (m,) = meetings(
        "TOKYO -- Ryosei Akazawa left for Washington on Wednesday for talks with Scott Bessent.",
        published="2025-04-30T15:00:00+09:00",
    )
    assert (m.date, m.date_precision, m.status) == (date(2025, 4, 28), "week", "scheduled")


def test_a_reporting_date_is_not_the_meeting_date():
    (m,) = meetings(
        "The USTR said Friday that Greer and Ahn Duk-geun agreed at their meeting the previous day to move fast.",
        published="2025-04-25T18:00:00-04:00",
    )
    assert m.date == date(2025, 4, 24)


def test_officials_of_one_government_among_themselves_are_not_a_meeting():
    assert (
        meetings("Prime Minister Keir Starmer met Business and Trade Secretary Jonathan Reynolds on Tuesday.")
        == ()
    )


def test_phone_call_and_agreed_meeting_in_one_sentence():
    body = (
        "TOKYO -- Prime Minister Shigeru Ishiba and U.S. President Donald Trump agreed in a phone call on Friday "
        "to meet on the sidelines of the G7 summit in Canada on Monday."
    )
    found = meetings(body, published="2025-06-14T09:00:00+09:00")
    assert sorted((m.format, m.date) for m in found) == [
        ("call", date(2025, 6, 13)),
        ("summit", date(2025, 6, 16)),
    ]
    assert all(m.parties == ("JP", "US") for m in found)
