from datetime import UTC, date, datetime

import pytest

from records.items import Item
from tasks.extract import extract
from tests.support.fixture_texts import fixture_files, load_fixture


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


def test_after_speaking_with_is_a_call():
    (m,) = meetings(
        "WASHINGTON -- President Donald Trump said on Tuesday he had reached a trade agreement with Indonesia "
        "after speaking with President Prabowo Subianto on Tuesday.",
        published="2025-07-15T21:00:00-04:00",
    )
    assert (m.parties, m.format, m.date) == (("ID", "US"), "call", date(2025, 7, 15))


def test_speaking_to_reporters_is_not_a_call():
    assert meetings("WASHINGTON -- Ahn spoke to reporters on Wednesday about the reciprocal duties.") == ()


def test_talks_that_start_from_a_weekday():
    (m,) = meetings(
        "NEW DELHI -- An Indian team will hold the fifth round of trade talks with US officials in Washington from Monday.",
        published="2025-07-13T19:00:00+05:30",
    )
    assert (m.parties, m.date, m.status) == (("IN", "US"), date(2025, 7, 14), "scheduled")


def test_a_negated_clause_does_not_cancel_the_meeting():
    (m,) = meetings(
        "WASHINGTON -- Swiss President Karin Keller-Sutter met Secretary of State Marco Rubio on Wednesday, "
        "but left without meeting President Donald Trump.",
        published="2025-08-06T19:30:00-04:00",
    )
    assert m.parties == ("CH", "US") and m.date == date(2025, 8, 6)
    assert "Donald Trump" not in {o.name for o in m.officials}


def test_the_subject_of_after_meeting_takes_part():
    (m,) = meetings(
        "KANANASKIS, Alberta -- President Donald Trump signed an order on Monday after meeting Prime Minister "
        "Keir Starmer on the sidelines of the summit in the Canadian Rockies.",
        published="2025-06-16T20:00:00-06:00",
    )
    assert m.parties == ("GB", "US") and {"Donald Trump", "Keir Starmer"} <= {o.name for o in m.officials}


def test_the_president_without_a_name_is_the_items_president():
    body = (
        "LONDON -- President Donald Trump signed the order in Canada. "
        "The president signed it during a meeting with Prime Minister Keir Starmer on Monday."
    )
    (m,) = meetings(body, published="2025-06-17T08:00:00+01:00")
    assert {"Donald Trump", "Keir Starmer"} <= {o.name for o in m.officials}


def test_travel_to_a_capital_for_talks_makes_its_government_a_party():
    (m,) = meetings(
        "BERN -- Swiss President Karin Keller-Sutter and Economy Minister Guy Parmelin left for Washington on Tuesday "
        "for talks on the tariff.",
        published="2025-08-05T08:30:00+02:00",
    )
    assert (m.parties, m.date, m.date_precision, m.status) == (
        ("CH", "US"),
        date(2025, 8, 4),
        "week",
        "scheduled",
    )


def test_same_subject_after_and_will():
    (m,) = meetings(
        "BEIJING -- Vice Premier He Lifeng will visit Switzerland from Friday and will hold talks with "
        "Treasury Secretary Scott Bessent.",
        published="2025-05-07T09:30:00+08:00",
    )
    assert m.parties == ("CN", "US") and m.date == date(2025, 5, 9)


def test_ending_days_of_talks_is_a_meeting():
    (m,) = meetings(
        "GENEVA -- The United States and China ended two days of trade talks in Geneva on Sunday.",
        published="2025-05-11T20:40:00+02:00",
    )
    assert (m.parties, m.date, m.status) == (("CN", "US"), date(2025, 5, 11), "held")


def test_a_scrapped_tax_does_not_cancel_talks():
    found = meetings(
        "OTTAWA -- Carney met Trump at the G7 summit on Monday. Canada scrapped a digital services tax to revive "
        "talks with Washington.",
        published="2025-06-17T10:00:00-04:00",
    )
    assert all(m.status != "cancelled" for m in found)


# ---------------------------------------------------------------- generalisation (blind set error classes)


def test_the_date_a_tariff_takes_effect_is_not_the_meeting_date():
    found = meetings(
        "OTTAWA -- Trade Minister Dominic LeBlanc met Commerce Secretary Howard Lutnick on Monday to discuss "
        "the 20 percent tariff due to take effect on Friday.",
        published="2025-09-08T18:00:00-04:00",
    )
    assert [(m.date, m.status) for m in found] == [(date(2025, 9, 8), "held")]
    assert (
        meetings(
            "SEOUL -- The minister met the U.S. trade representative to discuss the Aug. 1 tariff.",
            published="2025-07-09T09:00:00+09:00",
        )
        == ()
    )


def test_see_whether_is_not_an_encounter():
    assert (
        meetings(
            'OTTAWA -- "We\'ll see whether a deal is possible," Prime Minister Mark Carney told reporters on Sunday.',
            published="2025-10-06T10:00:00-04:00",
        )
        == ()
    )


def test_meeting_people_who_are_no_government_is_not_a_meeting():
    assert (
        meetings(
            "NEW YORK -- President Lee Jae-myung was due to meet business leaders in New York on Tuesday.",
            published="2025-09-22T10:00:00-04:00",
        )
        == ()
    )


def test_signing_is_an_encounter_only_between_two_governments():
    (m,) = meetings(
        "LONDON -- Prime Minister Keir Starmer and President Donald Trump signed a technology pact on Thursday.",
        published="2025-09-18T18:00:00+01:00",
    )
    assert (m.parties, m.date, m.status) == (("GB", "US"), date(2025, 9, 18), "held")
    assert (
        meetings(
            "WASHINGTON -- President Donald Trump signed an executive order on Thursday raising tariffs on "
            "Indian goods, due to take effect in three weeks.",
            published="2025-08-07T18:00:00-04:00",
        )
        == ()
    )


def test_a_leaders_meeting_told_from_one_side_is_a_summit():
    (m,) = meetings(
        "TOKYO -- Trump is set to travel to Seoul on Wednesday before his talks with Chinese President "
        "Xi Jinping on Thursday.",
        published="2025-10-28T19:00:00+09:00",
    )
    assert (m.parties, m.date, m.format, m.status) == (
        ("CN", "US"),
        date(2025, 10, 30),
        "summit",
        "scheduled",
    )


def test_a_possessive_meeting_names_its_participant():
    (m,) = meetings(
        "OTTAWA -- Officials said talks were close to a deal after Prime Minister Mark Carney's meeting with "
        "President Donald Trump at the White House on Oct. 7.",
        published="2025-10-24T09:00:00-04:00",
    )
    assert {o.name for o in m.officials} == {"Mark Carney", "Donald Trump"} and m.format == "summit"


def test_calls_with_two_counterparts_are_two_calls_on_the_reported_day():
    found = meetings(
        "PALM BEACH -- President Donald Trump said on Saturday he had spoken by phone with Canadian Prime Minister "
        "Mark Carney and Mexican President Claudia Sheinbaum about border tariffs.",
        published="2025-03-01T20:00:00-05:00",
    )
    assert sorted((m.parties, m.date, m.format) for m in found) == [
        (("CA", "US"), date(2025, 3, 1), "call"),
        (("MX", "US"), date(2025, 3, 1), "call"),
    ]


def test_he_meets_two_leaders_on_two_days():
    body = (
        "WASHINGTON -- President Donald Trump leaves for Asia on Friday. He meets Japanese Prime Minister "
        "Sanae Takaichi on Monday and Indian Prime Minister Narendra Modi in New Delhi on Wednesday."
    )
    found = meetings(body, published="2025-11-06T10:00:00-05:00")
    assert sorted((m.parties, m.date, m.status) for m in found) == [
        (("IN", "US"), date(2025, 11, 12), "scheduled"),
        (("JP", "US"), date(2025, 11, 10), "scheduled"),
    ]


def test_encounter_at_the_datelines_place_happened_on_the_reported_day():
    (m,) = meetings(
        "WASHINGTON -- President Donald Trump said on Tuesday that Britain would buy more U.S. beef, after he "
        "hosted Prime Minister Keir Starmer at the White House.",
        published="2025-03-04T19:00:00-05:00",
    )
    assert (m.parties, m.date, m.status) == (("GB", "US"), date(2025, 3, 4), "held")


def test_the_meetings_day_beats_the_departure_day():
    (m,) = meetings(
        "WELLINGTON -- Prime Minister Christopher Luxon will fly to Washington on Saturday for a meeting with "
        "President Donald Trump set for Monday at the White House.",
        published="2025-11-13T12:00:00+13:00",
    )
    assert (m.date, m.date_precision) == (date(2025, 11, 17), "day")


def test_talks_after_a_departure_are_ahead():
    (m,) = meetings(
        "SEOUL -- Finance Minister Koo Yun-cheol left for Washington on Tuesday for tariff talks with "
        "Treasury Secretary Scott Bessent and Commerce Secretary Howard Lutnick on Thursday.",
        published="2025-09-09T19:00:00+09:00",
    )
    assert (m.date, m.status) == (date(2025, 9, 11), "scheduled")


def test_followed_by_talks_on_thursday_is_ahead():
    (m,) = meetings(
        "President Donald Trump arrives in Canada on Tuesday for a state visit, followed by talks with "
        "Prime Minister Mark Carney in Ottawa on Thursday.",
        published="2025-06-02T07:00:00-04:00",
    )
    assert (m.date, m.status) == (date(2025, 6, 5), "scheduled")


def test_a_department_is_no_departure():
    (m,) = meetings(
        "WASHINGTON -- Treasury Secretary Scott Bessent met Japan's Ryosei Akazawa at the Treasury Department "
        "in Washington on Thursday.",
        published="2025-06-13T18:00:00-04:00",
    )
    assert (m.date, m.date_precision) == (date(2025, 6, 12), "day")


def test_technical_talks_set_up_at_last_weeks_ministerial_are_technical():
    found = meetings(
        "WASHINGTON -- Working-level officials of India and the United States began technical talks in Washington "
        "on Tuesday to draft the package agreed at last week's ministerial talks.",
        published="2025-06-10T18:00:00-04:00",
    )
    formats = {(m.format, m.date_precision) for m in found}
    assert ("working-level", "day") in formats
    assert all(not (m.format == "working-level" and m.date != date(2025, 6, 10)) for m in found)


def test_the_day_a_report_was_told_is_not_the_meeting_day():
    found = meetings(
        "OSLO -- Prime Minister Jonas Gahr Store will travel to Canada on Thursday for a three-day visit during which "
        "a fisheries pact will be signed, foreign minister Espen Barth Eide told reporters on Tuesday.",
        published="2026-02-03T10:00:00+01:00",
    )
    assert all(m.date != date(2026, 2, 3) for m in found), found


def test_the_day_a_fact_sheet_was_released_is_not_a_meeting():
    found = meetings(
        "TOKYO -- Japan and Australia released a joint fact sheet Monday on the outcome of last month's summit "
        "talks, officials said.",
        published="2026-02-02T18:00:00+09:00",
    )
    assert all(m.date != date(2026, 2, 2) for m in found), found


def test_a_planned_signing_is_dated_by_its_own_day():
    found = meetings(
        "CANBERRA -- The pact will be signed on Friday in the presence of Prime Minister Anthony Albanese and "
        "Prime Minister Narendra Modi, officials said.",
        published="2026-03-03T10:00:00+11:00",
    )
    assert [(m.parties, m.date, m.status) for m in found] == [(("AU", "IN"), date(2026, 3, 6), "scheduled")]


def test_talks_on_a_day_followed_by_when_keep_that_day():
    found = meetings(
        "Albanese will hold talks with Prime Minister Narendra Modi on Wednesday, when farm trade is expected to "
        "dominate the agenda.",
        published="2026-03-02T10:00:00+11:00",
    )
    assert [(m.parties, m.date) for m in found] == [(("AU", "IN"), date(2026, 3, 4))]


def test_a_multi_day_round_that_ended_is_dated_by_its_first_day():
    found = meetings(
        "OTTAWA -- Canadian and Japanese negotiators wrapped up a round of trade talks that ended on Thursday in "
        "Tokyo, an official said.\n\nThe three-day talks ending Thursday covered rules of origin.",
        published="2026-05-16T10:00:00-04:00",
    )
    assert [m.date for m in found] == [date(2026, 5, 12)], found
