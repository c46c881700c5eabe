from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from tasks.extract.dates import find_dates, reference_date
from tasks.extract.sentences import read_dateline, strip_dateline

MON = date(2025, 4, 21)  # a Monday


def first(text: str, ref: date = MON, tense: str | None = None):
    found = find_dates(text, ref, tense)
    assert found, text
    return found[0]


def test_dateline_place_sets_the_local_date():
    # Yonhap, Washington dateline, 05:40 KST on April 25 = April 24 in Washington
    published = datetime(2025, 4, 25, 5, 40, tzinfo=timezone(timedelta(hours=9))).astimezone(UTC)
    assert reference_date(published, 540, "America/New_York") == date(2025, 4, 24)


def test_outlet_offset_without_dateline():
    published = datetime(2025, 4, 25, 5, 40, tzinfo=timezone(timedelta(hours=9))).astimezone(UTC)
    assert reference_date(published, 540, None) == date(2025, 4, 25)


def test_dateline_with_its_own_date():
    dl = read_dateline("WASHINGTON, April 24 (Yonhap) -- Seoul and Washington agreed ...")
    assert dl.place == "WASHINGTON" and dl.month_day == (4, 24)


def test_dateline_is_not_a_hyphenated_name():
    assert read_dateline("Acting President Han Duck-soo spent 40 minutes ...") is None


@pytest.mark.parametrize(
    "text,expected",
    [
        ("the ministers met on Thursday", date(2025, 4, 17)),
        ("the ministers will meet on Thursday", date(2025, 4, 24)),
        ("talks will be held on Thursday", date(2025, 4, 24)),
        ("he said Monday", date(2025, 4, 21)),
        ("the duties unveiled last Wednesday", date(2025, 4, 16)),
        ("set to kick in this Wednesday", date(2025, 4, 23)),
    ],
)
def test_weekdays_follow_tense(text, expected):
    assert first(text, tense=None).date == expected


def test_headline_weekday_without_tense_is_the_nearest():
    assert first("Seoul confirms Thursday date for talks").date == date(2025, 4, 24)


@pytest.mark.parametrize(
    "text,expected,precision",
    [
        ("met the previous day", date(2025, 4, 20), "day"),
        ("spoke yesterday", date(2025, 4, 20), "day"),
        ("technical talks next week", date(2025, 4, 28), "week"),
        ("later this week", date(2025, 4, 21), "week"),
        ("last week", date(2025, 4, 14), "week"),
        ("earlier this month", date(2025, 4, 1), "month"),
        ("next month", date(2025, 5, 1), "month"),
    ],
)
def test_relative_expressions(text, expected, precision):
    d = first(text)
    assert (d.date, d.precision) == (expected, precision)


@pytest.mark.parametrize("text", ["by early July", "as early as mid-May", "before April is out"])
def test_vague_month_expressions_are_month_precision_and_vague(text):
    d = first(text)
    assert d.precision == "month" and d.vague


@pytest.mark.parametrize(
    "text,expected",
    [
        ("from Aug. 1", date(2025, 8, 1)),
        ("on July 8", date(2025, 7, 8)),
        ("until 6 August 2025", date(2025, 8, 6)),
        ("by Sept. 16", date(2025, 9, 16)),
        ("till the 1st of August", date(2025, 8, 1)),
    ],
)
def test_calendar_dates(text, expected):
    assert first(text).date == expected


def test_year_is_the_closest_to_publication():
    assert first("on Jan. 3", ref=date(2025, 12, 20)).date == date(2026, 1, 3)


def test_time_with_zone_gives_an_instant():
    d = first("rates apply from 12:01 a.m. EDT on July 9")
    assert d.at == datetime(2025, 7, 9, 0, 1, tzinfo=timezone(timedelta(hours=-4)))


def test_literal_text_is_kept():
    assert first("agreed to hold technical talks next week").text == "next week"


def test_present_tense_of_a_scheduled_change_is_future():
    # Wednesday Aug 6: "the initial rate kicks in on Thursday" is the next day, not last week
    d = first("while the initial 25% rate kicks in on Thursday", ref=date(2025, 8, 6))
    assert d.date == date(2025, 8, 7)


def test_what_something_follows_is_past():
    d = first("The talks follow a phone call between the two leaders on Thursday", ref=date(2025, 6, 9))
    assert d.date == date(2025, 6, 5)


def test_from_a_weekday_is_a_start_in_the_future():
    d = first("Two countries agree to slash tariffs from Wednesday", ref=date(2025, 5, 12), tense="past")
    assert d.date == date(2025, 5, 14)


def test_a_week_before_a_date_is_not_last_week():
    found = find_dates("a week before a July 9 deadline", date(2025, 7, 2))
    assert [d.text for d in found] == ["July 9"]


def test_in_three_weeks_is_a_week():
    d = first("Trump said he would meet Xi in three weeks.", ref=date(2025, 10, 10))
    assert (d.date, d.precision) == (date(2025, 10, 27), "week")


def test_within_two_weeks_is_no_date():
    assert find_dates("The leaders will meet within the next two weeks.", MON) == []


def test_in_ninety_days_is_no_day():
    assert all(d.vague or d.precision != "day" for d in find_dates("The pause ends in 90 days.", MON))


def test_the_same_day_told_in_another_zone_is_skipped():
    found = find_dates("They met on Tuesday (Wednesday in Manila).", date(2025, 7, 22), "past")
    assert [d.date for d in found] == [date(2025, 7, 22)]


def test_present_schedule_and_followed_by_are_ahead():
    assert first("He meets the prime minister on Thursday.", ref=date(2025, 10, 26)).date == date(
        2025, 10, 30
    )
    assert first("Two days at Windsor, followed by talks on Thursday.", ref=date(2025, 9, 15)).date == date(
        2025, 9, 18
    )


@pytest.mark.parametrize("text, place, region, month_day", [
    ("OSLO, Norway, Mar 3 – Norway and Peru will open talks next week.", "OSLO", "Norway", (3, 3)),
    ("Lima [Peru], October 9 (Andina): Peru and Norway agreed on a timetable.", "Lima", "Peru", (10, 9)),
    ("Accra, 14 Jan (GNA): Negotiators met this week.", "Accra", None, (1, 14)),
])
def test_a_dated_dateline_with_a_region_or_a_colon_is_read_and_its_date_is_no_event_date(text, place, region,
                                                                                           month_day):
    dl = read_dateline(text)
    assert (dl.place, dl.region, dl.month_day) == (place, region, month_day)
    body = strip_dateline(text)
    assert body[0].isupper() and not any(r.text.startswith(("Mar 3", "October 9", "14 Jan"))
                                         for r in find_dates(body, MON))


def test_a_heading_with_a_colon_is_no_dateline():
    assert read_dateline("Update: talks resume on May 5 in Lima.") is None


@pytest.mark.parametrize("text, expected", [
    ("the two leaders met in Lima last April", date(2024, 4, 1)),  # MON is 21 April 2025: the April before
    ("talks will resume next March", date(2026, 3, 1)),
    ("the pact is due to be signed this June", date(2025, 6, 1)),
])
def test_last_next_or_this_before_a_month_names_its_year(text, expected):
    d = first(text)
    assert (d.date, d.precision) == (expected, "month")


@pytest.mark.parametrize("text, expected", [
    ("he carried the file to Lima during his June 3-6 visit last year", (date(2024, 6, 3), date(2024, 6, 6))),
    ("the 12 May round of next year", (date(2026, 5, 12), None)),
    ("on May 5, the last year of his term", (date(2025, 5, 5), None)),  # "the last year" names no year
])
def test_last_or_next_year_after_a_date_gives_its_year(text, expected):
    d = first(text)
    assert (d.date, d.last) == expected


def test_a_place_in_capitals_and_a_colon_is_a_dateline():
    assert read_dateline("PORT MORESBY: The ban on exporting logs ends on Friday.").place == "PORT MORESBY"
    assert read_dateline("LUSAKA: The government has lifted the ban.").place == "LUSAKA"
    assert read_dateline("Note: the figures are provisional.") is None


@pytest.mark.parametrize("words,expected", [("in February last year", date(2023, 2, 1)),
                                            ("in October next year", date(2025, 10, 1)),
                                            ("in February this year", date(2024, 2, 1))])
def test_a_month_told_with_its_year_relative_to_the_report(words, expected):
    (d,) = find_dates(f"The delegation came to Lima {words}, officials said.", date(2024, 8, 12), "past")
    assert (d.date, d.precision) == (expected, "month")
