"""Meeting rules, one behaviour per test: blocs, triggers, multi-day spans and signals (tasks/extract/meetings.py).

Every text here is written for this file; each test fails when the rule it names is taken away."""

from datetime import UTC, date, datetime

import pytest

from records.items import Item
from tasks.extract import extract
from tasks.extract.dates import find_dates

TITLE = "Trade deal and tariffs"  # trade words in the headline, so the body alone decides what is found

GCC = ("AE", "BH", "KW", "OM", "QA", "SA")
MERCOSUR = ("AR", "BR", "PY", "UY")  # Bolivia is a member still acceding: not a party of its talks
ASEAN = ("BN", "ID", "KH", "LA", "MM", "MY", "PH", "SG", "TH", "VN")  # Timor-Leste is acceding
EFTA = ("CH", "IS", "LI", "NO")


def meetings(body: str, published: str, title: str = TITLE):
    ts = datetime.fromisoformat(published)
    item = Item("t", "test", None, None, title, "", body, ts.astimezone(UTC),
                int(ts.utcoffset().total_seconds() // 60))
    findings = extract(item)
    assert findings.relevant, findings.relevance_reason
    return findings.meetings


def parties(*groups) -> tuple[str, ...]:
    return tuple(sorted({c for g in groups for c in ((g,) if isinstance(g, str) else g)}))


# ---------------------------------------------------------------- 17. blocs


def test_a_meeting_with_the_gcc_has_its_six_members_as_parties():
    (m,) = meetings(
        "RIYADH -- Gulf Cooperation Council trade ministers held free trade talks with Japan's trade minister in "
        "Riyadh on Sunday.",
        "2025-06-02T10:00:00+03:00",
    )
    assert (m.parties, m.date, m.status) == (parties(GCC, "JP"), date(2025, 6, 1), "held")


def test_a_meeting_with_mercosur_leaves_out_its_acceding_member():
    (m,) = meetings(
        "MONTEVIDEO -- Mercosur and Canada held a round of free trade negotiations in Montevideo on Friday, "
        "officials said.",
        "2025-06-02T10:00:00-03:00",
    )
    assert (m.parties, m.date) == (parties(MERCOSUR, "CA"), date(2025, 5, 30))


def test_a_meeting_with_asean_leaves_out_timor_leste_while_it_accedes():
    # (Timor-Leste became ASEAN's 11th member in October 2025; it still accedes to the bloc's trade deals)
    (m,) = meetings(
        "BANGKOK -- ASEAN and New Zealand held talks on upgrading their free trade agreement in Bangkok on Friday.",
        "2025-11-17T10:00:00+07:00",
    )
    assert (m.parties, m.date) == (parties(ASEAN, "NZ"), date(2025, 11, 14))


def test_a_bloc_consultation_co_chaired_by_a_members_minister_is_the_bloc_and_the_partner():
    (m,) = meetings(
        "BANGKOK -- The ASEAN-Mexico consultation, co-chaired by Thai Commerce Minister Niran Sombat and Mexican "
        "Economy Minister Lucia Vargas, was held on Tuesday.",
        "2025-11-20T10:00:00+07:00",
    )
    assert (m.parties, m.date) == (parties(ASEAN, "MX"), date(2025, 11, 18))
    assert {o.name for o in m.officials} == {"Niran Sombat", "Lucia Vargas"}


@pytest.mark.parametrize(
    "body",
    [
        "KUALA LUMPUR -- On the sidelines of the ASEAN summit, Japan and China held trade talks on Sunday.",
        "KUALA LUMPUR -- On the sidelines of the ASEAN summit, Japanese Prime Minister Taro Yamada met Chinese "
        "Premier Wei Lin on Sunday to discuss trade.",
    ],
)
def test_a_bloc_named_as_the_venue_is_no_party(body):
    (m,) = meetings(body, "2025-06-02T10:00:00+08:00")
    assert (m.parties, m.date) == (("CN", "JP"), date(2025, 6, 1))


def test_a_list_of_a_blocs_members_in_a_story_about_the_bloc_is_the_bloc():
    (m,) = meetings(
        "TOKYO -- Japan and Mercosur are close to a free trade deal, Japanese officials said. Talks with "
        "Argentina, Brazil, Paraguay and Uruguay ended in Tokyo on Friday.",
        "2025-06-02T10:00:00+09:00",
    )
    assert (m.parties, m.date) == (parties(MERCOSUR, "JP"), date(2025, 5, 30))


def test_a_list_of_a_blocs_members_beside_the_partner_is_the_bloc():
    (m,) = meetings(
        "TOKYO -- Japan and Mercosur are close to a free trade deal. Negotiations with Argentina, Brazil, Paraguay "
        "and Uruguay were concluded in Tokyo on Friday, Japanese officials said.",
        "2025-06-02T10:00:00+09:00",
    )
    assert m.parties == parties(MERCOSUR, "JP")


# ---------------------------------------------------------------- 18. triggers


def test_an_economic_ministers_consultation_held_on_a_day_is_a_meeting():
    (m,) = meetings(
        "MANILA -- The 22nd ASEAN Economic Ministers-Australia Consultation was held on May 31, 2025.",
        "2025-06-02T10:00:00+08:00",
    )
    assert (m.parties, m.date, m.status) == (parties(ASEAN, "AU"), date(2025, 5, 31), "held")


def test_a_bloc_and_a_country_signing_a_pact_today_is_a_meeting():
    (m,) = meetings("NAIROBI -- EFTA and Kenya today signed a free trade agreement in Nairobi.",
                    "2025-06-02T10:00:00+03:00")
    assert (m.parties, m.date, m.location) == (parties(EFTA, "KE"), date(2025, 6, 2), "Nairobi")


def test_inking_a_pact_is_a_signing_meeting():
    (m,) = meetings("JAKARTA -- ASEAN, Mexico ink free trade pact in Jakarta on Monday.", "2025-06-02T10:00:00+07:00")
    assert (m.parties, m.date) == (parties(ASEAN, "MX"), date(2025, 6, 2))


def test_announcing_the_conclusion_of_negotiations_is_a_meeting():
    (m,) = meetings(
        "JAKARTA -- Indonesia and Peru on Monday announced the conclusion of negotiations on a comprehensive "
        "economic partnership agreement.",
        "2025-06-02T10:00:00+07:00",
    )
    assert (m.parties, m.date) == (("ID", "PE"), date(2025, 6, 2))


HALE_MENON = "LONDON -- British Trade Secretary Tom Hale and Indian Commerce Minister Ravi Menon"


@pytest.mark.parametrize("words", ["held a video conference", "held a videoconference", "held a virtual meeting"])
def test_a_video_conference_is_a_meeting(words):
    (m,) = meetings(f"{HALE_MENON} {words} on Monday on the tariff deal.", "2025-06-02T10:00:00+01:00")
    assert (m.parties, m.date) == (("GB", "IN"), date(2025, 6, 2))


def test_a_joint_press_conference_is_a_meeting():
    (m,) = meetings(f"{HALE_MENON} gave a joint press conference in London on Monday on the trade deal.",
                    "2025-06-02T10:00:00+01:00")
    assert (m.parties, m.date, m.location) == (("GB", "IN"), date(2025, 6, 2), "London")


def test_signing_an_executive_order_that_implements_a_pact_is_no_meeting():
    found = meetings(
        "WASHINGTON -- President Trump on Monday signed an executive order implementing the trade agreement with "
        "Vietnam.",
        "2025-06-02T10:00:00-04:00",
    )
    assert found == ()


# ---------------------------------------------------------------- 19. multi-day meetings


def test_talks_from_one_day_to_another_in_a_month_span_those_days():
    (m,) = meetings("LONDON -- Britain and India will hold trade talks from June 16 to 19 in London.",
                    "2025-06-02T10:00:00+01:00")
    assert (m.date, m.end_date, m.date_precision, m.status) == (date(2025, 6, 16), date(2025, 6, 19), "day",
                                                                "scheduled")


def test_a_round_that_took_place_across_two_months_spans_them():
    (m,) = meetings(
        "LONDON -- The latest round of UK-India trade negotiations took place from 12 May to 23 May in New Delhi.",
        "2025-06-02T10:00:00+01:00",
    )
    assert (m.parties, m.date, m.end_date, m.status) == (("GB", "IN"), date(2025, 5, 12), date(2025, 5, 23),
                                                         "held")


def test_find_dates_reads_a_weekday_span_as_one_date_with_its_last_day():
    found = find_dates("negotiators met in Brussels this week, from Monday to Wednesday, for trade talks",
                       date(2025, 6, 4), "past")
    days = [d for d in found if d.precision == "day"]
    assert [(d.text, d.date, d.last) for d in days] == [("Monday to Wednesday", date(2025, 6, 2), date(2025, 6, 4))]


def test_find_dates_reads_a_span_across_two_months_as_one_date():
    (d,) = find_dates("the round took place from 30 June to 4 July", date(2025, 7, 10), "past")
    assert (d.date, d.last) == (date(2025, 6, 30), date(2025, 7, 4))


def test_find_dates_reads_a_future_weekday_span_across_a_weekend():
    (d,) = find_dates("will visit Spain from Friday to Wednesday", date(2025, 6, 2), "future")
    assert (d.date, d.last) == (date(2025, 6, 6), date(2025, 6, 11))


def test_a_meeting_this_week_from_one_weekday_to_another_spans_them():
    (m,) = meetings(
        "BRUSSELS -- EU and Australian negotiators met in Brussels this week, from Monday to Wednesday, for trade "
        "talks.",
        "2025-06-04T10:00:00+02:00",
    )
    assert (m.parties, m.date, m.end_date) == (("AU", "EU"), date(2025, 6, 2), date(2025, 6, 4))


def test_a_five_day_round_from_a_date_ends_four_days_later():
    (m,) = meetings(
        "BRUSSELS -- The European Union and Indonesia will hold a five-day round of trade negotiations from "
        "June 16 in Jakarta.",
        "2025-06-02T10:00:00+02:00",
    )
    assert (m.parties, m.date, m.end_date) == (("EU", "ID"), date(2025, 6, 16), date(2025, 6, 20))


def test_a_trips_span_is_not_the_span_of_the_talks_held_on_it():
    (m,) = meetings(
        "MADRID -- Chinese Vice Premier Zhao Ming will visit Spain from Friday to Wednesday and hold talks with "
        "Spanish Economy Minister Luis Ortega on trade.",
        "2025-06-05T10:00:00+02:00",
    )
    assert (m.parties, m.date_precision, m.end_date) == (("CN", "ES"), "week", None)
    assert m.date == date(2025, 6, 2)  # the week of the trip's first day


def test_a_report_of_a_later_day_dates_the_meeting_by_its_spans_first_day():
    (m,) = meetings(
        "LONDON -- British and Indian negotiators met on Wednesday in London to discuss tariffs. British and Indian "
        "negotiators met from June 16 to 19 in London for trade talks, officials said.",
        "2025-06-20T10:00:00+01:00",
    )
    assert (m.parties, m.date, m.end_date) == (("GB", "IN"), date(2025, 6, 16), date(2025, 6, 19))


# ---------------------------------------------------------------- 20. what was said at a meeting is not its date


def test_a_month_named_in_what_was_said_at_a_news_conference_is_not_its_date():
    found = meetings(
        f"{HALE_MENON} said at a joint news conference that the two sides had settled the schedule in March.",
        "2025-06-02T10:00:00+01:00",
    )
    assert all(m.date is None or m.date.month != 3 for m in found)


def test_a_news_conferences_own_day_dates_it_whatever_was_said_there():
    (m,) = meetings(f"{HALE_MENON} said at a joint news conference on Monday that the two sides had settled the "
                    "schedule in March.", "2025-06-02T10:00:00+01:00")
    assert (m.parties, m.date, m.date_precision) == (("GB", "IN"), date(2025, 6, 2), "day")


# ---------------------------------------------------------------- 21. signals


def test_officials_of_both_sides_are_meeting_words_even_with_weak_words():
    (m,) = meetings(f"{HALE_MENON} held negotiations in London on Monday.", "2025-06-02T10:00:00+01:00")
    assert {"meeting-words", "parties-together"} <= set(m.signals)


def test_weak_words_between_two_governments_are_no_meeting_words():
    (m,) = meetings("LONDON -- Britain and India held negotiations in London on Monday.", "2025-06-02T10:00:00+01:00")
    assert (m.parties, m.date) == (("GB", "IN"), date(2025, 6, 2))
    assert "meeting-words" not in m.signals and "parties-together" in m.signals


def test_a_side_borrowed_from_elsewhere_in_the_item_is_not_parties_together():
    (m,) = meetings(
        "SEOUL -- The United States wants a tariff deal soon. South Korea will hold working-level talks next week, "
        "the ministry said.",
        "2025-06-02T10:00:00+09:00",
    )
    assert (m.parties, m.date, m.date_precision) == (("KR", "US"), date(2025, 6, 9), "week")
    assert "meeting-words" in m.signals and "parties-together" not in m.signals


def test_both_sides_named_in_the_sentence_are_parties_together():
    (m,) = meetings(
        "SEOUL -- The United States wants a tariff deal soon. South Korea will hold working-level talks with the "
        "United States next week, the ministry said.",
        "2025-06-02T10:00:00+09:00",
    )
    assert m.parties == ("KR", "US") and "parties-together" in m.signals


# ---------------------------------------------------------------- the report's date is not the meeting's


def test_the_day_an_official_told_a_newspaper_is_not_the_meetings_day():
    found = meetings(
        "OSLO -- Trade Minister Ingrid Dahl said Norway and Peru will hold trade talks in Lima on May 12. \"The "
        "agenda for the talks with Peru's minister is nearly ready,\" Ms Dahl told the Oslo Courier "
        "yesterday.", "2025-05-04T09:00:00+02:00")
    assert {m.date for m in found} == {date(2025, 5, 12)}


def test_a_meeting_told_as_last_month_name_is_that_month_not_the_report_day():
    (m,) = meetings(
        "LIMA, Peru, Jan 12 – Negotiators have met four times since Peru's President Ana Varela first raised the "
        "pact with Norway's Prime Minister Olaf Brandt during talks in Lima last April.",
        "2026-01-12T10:00:00-05:00")
    assert (m.parties, m.date, m.date_precision) == (("NO", "PE"), date(2025, 4, 1), "month")


def test_a_dated_dateline_does_not_date_the_talks_it_announces():
    (m,) = meetings(
        "OSLO, Norway, Mar 11 – Norwegian and Peruvian negotiators are to hold their next trade round in Lima next "
        "week, the trade ministry said.", "2026-03-11T09:00:00+01:00")
    assert (m.date, m.date_precision) == (date(2026, 3, 16), "week")


def test_a_deal_signed_with_a_countrys_suppliers_is_no_meeting_of_governments():
    found = meetings(
        "LIMA -- Peru wants lower Brazilian duties on its fruit in the trade talks, and on 20 July signed a deal "
        "with Brazilian exporters for 300,000 tonnes of soybeans.", "2025-07-21T18:00:00-05:00")
    assert not [m for m in found if m.parties == ("BR", "PE") and m.date == date(2025, 7, 20)]


# ---------------------------------------------------------------- 24. what is not this encounter's


def test_one_bodys_own_meeting_is_no_encounter_of_governments():
    found = meetings(
        "OSLO -- At its meeting on Friday, Norway's council of state approved a mandate to update the free trade "
        "agreement between Norway and Chile.", "2025-06-02T10:00:00+02:00")
    assert found == ()


def test_a_trip_that_starts_on_a_weekend_meets_in_the_week_of_its_first_working_day():
    (m,) = meetings(
        "SANTIAGO -- Chile's president will visit Norway from 8 to 11 November at the invitation of "
        "Norway's Prime Minister Olaf Brandt, for talks on the free trade agreement.", "2025-10-20T10:00:00-03:00")
    assert (m.parties, m.date, m.date_precision) == (("CL", "NO"), date(2025, 11, 10), "week")


def test_a_bloc_in_the_gathering_someone_is_invited_to_is_no_side_of_this_call():
    found = meetings(
        "SANTIAGO -- After the call on Monday, Varela said she had invited Japan's prime minister to the "
        "Mercosur-Japan summit in Asuncion.", "2025-05-27T10:00:00-05:00")
    assert all(not set(MERCOSUR) & set(m.parties) for m in found)


def test_signing_a_joint_statement_that_concludes_a_pact_is_an_encounter():
    (m,) = meetings(
        "SANTIAGO -- Chile and Indonesia signed a joint statement on the conclusion of their free trade "
        "agreement in Santiago on Thursday, the foreign ministry said.", "2025-06-06T10:00:00-04:00")
    assert (m.parties, m.date, m.status) == (("CL", "ID"), date(2025, 6, 5), "held")


def test_the_host_city_of_talks_with_a_named_partner_is_the_other_side():
    # a government's own statement names only its partner; the city the round took place in names the host
    (m,) = meetings(
        "The third round of negotiations on a free trade agreement with Chile took place in Ottawa between 9 and "
        "13 June 2025, the department said.", "2025-06-20T10:00:00-04:00")
    assert (m.parties, m.date, m.end_date) == (("CA", "CL"), date(2025, 6, 9), date(2025, 6, 13))


def test_talks_held_on_the_day_of_an_arrival_are_dated_that_day():
    # the day names the arrival, and the same clause says talks followed: the talks of that day, held
    (m,) = meetings(
        "Chile's president arrived in Jakarta on Saturday for a state visit and held talks with Indonesia's "
        "president on the trade agreement.", "2025-06-07T20:00:00+07:00")
    assert (m.parties, m.date, m.date_precision, m.status) == (("CL", "ID"), date(2025, 6, 7), "day", "held")


def test_the_bloc_in_an_item_about_another_bloc_is_that_bloc_not_the_eu():
    # "the bloc" is the EU's byname, but here the item names the GCC and never the EU
    (m,) = meetings(
        "Chile and the Gulf Cooperation Council agreed on Monday in Riyadh to open free trade talks. The "
        "announcement came after Chile's foreign minister met the bloc's secretary-general on Monday.",
        "2025-06-03T10:00:00+03:00")
    assert m.parties == parties("CL", GCC)


# ---------------------------------------------------------------- 19. who the sides are


def test_a_list_of_governments_after_with_are_all_sides_of_one_signing():
    (m,) = meetings(
        "WELLINGTON -- New Zealand signed a trade pact with Chile, Peru, Colombia and Ecuador in Lima on Tuesday.",
        "2025-06-05T10:00:00+12:00",
    )
    assert (m.parties, m.date) == (parties("NZ", "CL", "PE", "CO", "EC"), date(2025, 6, 3))


def test_a_country_the_talks_were_about_is_no_side_of_them():
    found = meetings(
        "Canada's trade minister held trade talks with Mexico's economy minister in Mexico City on Thursday. The "
        "minister also held talks with Foreign Secretary Luis Ortega on Friday, covering Cuba and regional security.",
        "2025-06-07T10:00:00-06:00",
    )
    assert {(m.parties, m.date) for m in found} == {(("CA", "MX"), date(2025, 6, 5)), (("CA", "MX"), date(2025, 6, 6))}


def test_a_weekday_in_a_clause_told_in_the_past_is_the_past_one_even_after_from():
    (m,) = meetings(
        "Canada's trade minister spoke to reporters at the end of his three-day visit to Mexico, which ran from "
        "Wednesday, after trade talks with Mexico's economy minister.",
        "2025-06-07T10:00:00-06:00",  # a Saturday
    )
    assert (m.parties, m.date, m.status) == (("CA", "MX"), date(2025, 6, 4), "held")


def test_an_official_the_text_gives_no_country_is_the_other_side_the_sentence_names():
    (m,) = meetings(
        "JERUSALEM -- Deputy Prime Minister Pedro Soto held talks with Israeli Prime Minister Dan Cohen on March "
        "12, after the two sides signed the Chile-Israel free trade agreement. Israel hopes for more trade.",
        "2025-03-13T08:40:00+02:00",
    )
    assert (m.parties, m.date, {o.name for o in m.officials}) == (("CL", "IL"), date(2025, 3, 12),
                                                                   {"Pedro Soto", "Dan Cohen"})


@pytest.mark.parametrize("words", ["The fourth round of negotiations", "Round 4 of the negotiations",
                                   "The 4th negotiating round"])
def test_a_numbered_round_with_one_side_named_is_a_meeting_with_the_items_other_side(words):
    (m,) = meetings(
        f"{words} on a free trade agreement with Peru took place in Lima between 3 and 6 March 2025. New Zealand "
        "hopes to conclude the talks this year.",
        "2025-03-20T10:00:00+13:00", title="New Zealand and Peru trade agreement talks")
    assert (m.parties, m.date, m.end_date) == (("NZ", "PE"), date(2025, 3, 3), date(2025, 3, 6))


def test_a_bloc_named_in_the_pact_two_ministers_discussed_is_no_side_of_their_meeting():
    (m,) = meetings(
        "LIMA -- Peruvian Trade Minister Ana Quispe met Qatari Commerce Minister Khalid Al-Thani in Lima on Tuesday "
        "and asked for Doha's support in the legal review of the Peru-GCC free trade agreement.",
        "2025-06-04T10:00:00-05:00")
    assert m.parties == ("PE", "QA")


def test_a_bloc_named_in_the_pact_its_members_sign_is_a_side():
    (m,) = meetings(
        "The Peru-GCC free trade agreement was signed in Riyadh on Tuesday by Peruvian Trade Minister Ana Quispe and "
        "Qatari Commerce Minister Khalid Al-Thani.",
        "2025-06-04T10:00:00+03:00")
    assert set(GCC) <= set(m.parties) and "PE" in m.parties


def test_two_officials_whose_countries_the_text_never_gives_are_not_one_government_among_itself():
    (m,) = meetings(
        "RABAT -- Morocco and Chile will apply their free trade agreement from January. On June 17, Vice "
        "Minister Pablo Rojas met First Vice Prime Minister Karim Alaoui in Rabat. Morocco and Morocco's "
        "exporters welcomed the news.",
        "2025-06-18T10:00:00+01:00")
    assert (m.parties, m.date) == (("CL", "MA"), date(2025, 6, 17))


@pytest.mark.parametrize("words", ["held a video conference", "held a videoconference", "held virtual talks"])
def test_a_meeting_by_video_is_a_call_dated_by_the_report(words):
    (m,) = meetings(
        "Chile and Peru have concluded negotiations on their trade agreement, Chile's trade ministry said Wednesday, "
        f"after Trade Minister Ana Soto and Peruvian Trade Minister Luis Rojas {words}.",
        "2025-06-04T16:40:00-04:00")
    assert (m.parties, m.date, m.format, m.status) == (("CL", "PE"), date(2025, 6, 4), "call", "held")


def test_a_virtual_summit_is_still_a_summit():
    (m,) = meetings("Chile and Peru will sign the pact at a virtual summit between the two presidents on June 12, "
                    "officials said.", "2025-06-04T16:40:00-04:00")
    assert m.format != "call" and m.date == date(2025, 6, 12)


def test_an_official_of_no_told_country_facing_one_whose_country_is_told_is_the_items_other_government():
    found = meetings(
        "ASUNCION -- Paraguay and Morocco will sign a trade pact. Moroccan Ambassador Karim Alaoui met State Minister "
        "Juan Benitez at the foreign ministry on Monday to settle the date of the signing.",
        "2025-06-03T10:00:00-04:00")
    assert {(m.parties, m.date) for m in found} == {(("MA", "PY"), date(2025, 6, 2))}


def test_that_other_government_is_never_a_bloc():
    found = meetings(
        "BANGKOK -- ASEAN leaders gather this week; ASEAN talks go on. President Ana Pardo held summit talks "
        "with Thai Prime Minister Somchai Wong on Monday. Chile and Thailand concluded their trade talks.",
        "2025-06-03T10:00:00+07:00")
    assert all("BN" not in m.parties for m in found)


def test_a_round_that_wraps_up_somewhere_after_days_of_talks_is_dated_by_its_first_day():
    found = meetings(
        "LIMA -- Peru and Chile close their second round of trade negotiations: the round wraps up in Santiago on "
        "Wednesday after four days of talks, the trade ministry said.",
        "2025-06-04T14:00:00-05:00")
    assert {(m.parties, m.date) for m in found} == {(("CL", "PE"), date(2025, 6, 1))}
