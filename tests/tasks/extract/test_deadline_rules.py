"""Deadline rules, one behaviour per test: which date a text ties to which measure (tasks/extract/deadlines.py).

Every text here is written for this file; each test fails when the rule it names is taken away."""

from datetime import UTC, date, datetime

import pytest

from records.items import Item
from tasks.extract import extract

TITLE = "Trade deal and tariffs"  # trade words in the headline, so the body alone decides what is found


def item_for(body: str, published: str, title: str = TITLE) -> Item:
    ts = datetime.fromisoformat(published)
    return Item("t", "test", None, None, title, "", body, ts.astimezone(UTC),
                int(ts.utcoffset().total_seconds() // 60))


def deadlines(body: str, published: str, title: str = TITLE):
    findings = extract(item_for(body, published, title))
    assert findings.relevant, findings.relevance_reason
    return findings.deadlines


def told(found) -> set[tuple]:
    return {(d.subject, d.countries, d.due_date) for d in found}


# ---------------------------------------------------------------- 1. a date belongs to a measure through a link

MONDAY = "2025-06-02T10:00:00-04:00"  # a Monday in Washington


@pytest.mark.parametrize(
    "words,link",
    [
        ("remains in place until June 30", "until"),
        ("takes effect on June 30", "takes effect on"),
        ("applies from June 30", "applies from"),
        ("will apply by June 30", "apply by"),
        ("has a deadline of June 30", "deadline of"),
    ],
)
def test_a_linked_date_is_the_measures_date(words, link):
    (d,) = deadlines(f"WASHINGTON -- The 10% U.S. tariff on Peruvian goods {words}.", MONDAY)
    assert (d.subject, d.countries, d.due_date, d.link) == ("tariff:all", ("PE", "US"), date(2025, 6, 30), link)


def test_an_expiring_exemption_dates_the_tariff_it_holds_back():
    (d,) = deadlines("WASHINGTON -- The U.S. tariff exemption for Peruvian goods expires on June 30.", MONDAY)
    assert (d.subject, d.countries, d.due_date, d.link) == ("tariff:all", ("PE", "US"), date(2025, 6, 30),
                                                            "expires on")


def test_the_day_a_tariff_was_announced_is_not_its_date():
    found = deadlines(
        "WASHINGTON -- The White House said on Thursday that a 25% U.S. tariff on Brazilian goods is coming.",
        MONDAY,
    )
    assert found == ()


def test_an_announcement_day_beside_a_linked_date_is_not_a_second_deadline():
    found = deadlines(
        "WASHINGTON -- The White House said on Monday that a 25% U.S. tariff on Brazilian goods will apply from "
        "Aug. 1.",
        MONDAY,
    )
    assert told(found) == {("tariff:all", ("BR", "US"), date(2025, 8, 1))}


def test_a_signing_ceremonys_day_is_not_a_due_date():
    found = deadlines(
        "BANGKOK -- Lower U.S. tariffs on Thai rice will apply from the June 20 signing ceremony onwards.",
        "2025-06-02T10:00:00+07:00",
    )
    assert found == ()


# ---------------------------------------------------------------- 2. a date gone by needs words that say so


def test_a_past_date_told_as_a_start_is_no_deadline():
    found = deadlines("WASHINGTON -- A 25% U.S. tariff on Brazilian goods starts on May 20.", MONDAY)
    assert found == ()


def test_a_past_date_told_as_taking_effect_is_the_measures_date():
    (d,) = deadlines("WASHINGTON -- A 25% U.S. tariff on Brazilian goods took effect on May 20.", MONDAY)
    assert (d.subject, d.countries, d.due_date, d.in_effect) == ("tariff:all", ("BR", "US"), date(2025, 5, 20), True)
    (ahead,) = deadlines("WASHINGTON -- A 25% U.S. tariff on Brazilian goods takes effect on June 20.", MONDAY)
    assert not ahead.in_effect


def test_a_measure_that_took_effect_months_before_the_report_is_background_not_a_deadline():
    found = deadlines("WELLINGTON -- The digital trade pact between Chile and New Zealand builds on their free "
                      "trade agreement, which entered into force on 1 November 2006. Officials meet on Thursday.",
                      "2025-03-10T09:00:00+13:00")
    assert found == ()


def test_a_long_gone_date_with_words_of_a_move_is_still_the_measures_move():
    (d,) = deadlines("WASHINGTON -- The U.S. tariff exemption for Peruvian goods, which had expired on Jan. 31, was "
                     "extended until Sept. 30.", MONDAY)
    assert d.due_date == date(2025, 9, 30)


def test_a_background_measure_still_counts_as_evidence_of_a_trade_item():
    findings = extract(item_for("The Chile-New Zealand Digital Economy Agreement upgrades their free trade "
                                "agreement, which entered into force on 1 November 2006.", "2025-03-10T09:00:00+13:00",
                                title="Chile and New Zealand: the digital economy agreement and business"))
    assert findings.relevant and findings.deadlines == (), findings.relevance_reason


# ---------------------------------------------------------------- 3. the head noun decides the kind


def test_a_pact_named_inside_a_prepositional_object_is_not_the_measure():
    (d,) = deadlines(
        "WASHINGTON -- A 35% U.S. tariff on Colombian goods not covered by the trade agreement took effect on "
        "Friday.",
        MONDAY,
    )
    assert (d.subject, d.countries, d.due_date) == ("tariff:all", ("CO", "US"), date(2025, 5, 30))


def test_tariffs_named_in_an_aside_between_commas_are_not_the_measure():
    (d,) = deadlines(
        "OTTAWA -- Canada's countermeasures, covering C$30 billion of goods in response to the U.S. aluminum "
        "tariffs, had been suspended until Sept. 15.",
        "2025-08-08T10:00:00-04:00",
    )
    assert (d.subject, d.due_date) == ("countermeasure:all", date(2025, 9, 15))
    assert "CA" in d.countries


def test_tariff_as_the_first_word_of_tariff_talks_names_a_meeting():
    found = extract(item_for(
        "SEOUL -- South Korean and Japanese officials said tariff talks are set for Thursday in Tokyo.",
        "2025-06-02T10:00:00+09:00",
    ))
    assert found.deadlines == ()
    assert [(m.parties, m.date) for m in found.meetings] == [(("JP", "KR"), date(2025, 6, 5))]


def test_tariff_as_the_first_word_of_tariff_negotiators_gives_their_target_not_a_tariff():
    found = deadlines("SEOUL -- Korean and Japanese tariff negotiators aim to finish their work by Friday.",
                      "2025-06-02T10:00:00+09:00")
    assert told(found) == {("negotiation:all", ("JP", "KR"), date(2025, 6, 6))}


# ---------------------------------------------------------------- 4. a meeting's date is no deadline


@pytest.mark.parametrize(
    "body",
    [
        "NEW DELHI -- Officials from India and Britain are negotiating the tariff cuts in sessions scheduled to "
        "run through Friday.",
        "NEW DELHI -- Indian and British negotiators are haggling over tariffs on whisky in the round that ended "
        "on Friday.",
    ],
)
def test_a_date_whose_subject_is_a_meeting_is_no_deadline(body):
    assert deadlines(body, "2025-06-02T10:00:00+05:30") == ()


# ---------------------------------------------------------------- 5. scope from the measure's own phrase


def test_goods_named_in_a_reason_clause_are_not_the_measures_scope():
    (d,) = deadlines(
        "OTTAWA -- Canada's countermeasures adopted in response to U.S. tariffs on steel and aluminum remain "
        "suspended until Aug. 12.",
        MONDAY,
    )
    assert (d.subject, d.countries, d.due_date) == ("countermeasure:all", ("CA", "US"), date(2025, 8, 12))


def test_words_after_the_dates_comma_are_not_the_measures_scope():
    (d,) = deadlines(
        "WASHINGTON -- A 25% U.S. tariff on Brazilian goods will apply from Aug. 1, citing cartels that traffic "
        "drugs.",
        MONDAY,
    )
    assert (d.subject, d.countries, d.due_date) == ("tariff:all", ("BR", "US"), date(2025, 8, 1))


# ---------------------------------------------------------------- 6. a cut is a measure of its own


def test_lower_tariffs_that_apply_from_a_date_are_a_reduced_measure():
    (d,) = deadlines("BANGKOK -- Lower U.S. tariffs on Thai rice take effect on June 20, officials said.",
                     "2025-06-02T10:00:00+07:00")
    assert (d.subject, d.countries, d.due_date) == ("tariff:agriculture:reduced", ("TH", "US"), date(2025, 6, 20))


def test_slashing_tariffs_from_a_date_is_a_reduced_measure():
    (d,) = deadlines(
        "WASHINGTON -- Seoul said the United States will slash tariffs on Korean cars to 15% from July 1.", MONDAY
    )
    assert (d.subject, d.countries, d.due_date, d.rate) == ("tariff:autos:reduced", ("KR", "US"),
                                                            date(2025, 7, 1), "15%")


def test_cancelling_part_of_the_additional_tariffs_is_a_reduced_measure():
    (d,) = deadlines(
        "BEIJING -- China will cancel 24 percentage points of the additional tariffs on U.S. goods from June 10.",
        "2025-06-02T10:00:00+08:00",
    )
    assert (d.subject, d.countries, d.due_date) == ("tariff:all:reduced", ("CN", "US"), date(2025, 6, 10))


def test_a_cut_and_the_rate_it_replaces_are_two_deadlines():
    found = deadlines(
        "WASHINGTON -- A 27.5% U.S. tariff on Korean cars took effect on Sept. 8. Lower U.S. tariffs on Korean "
        "cars apply from Oct. 1.",
        "2025-09-10T10:00:00-04:00",
    )
    assert told(found) == {
        ("tariff:autos", ("KR", "US"), date(2025, 9, 8)),
        ("tariff:autos:reduced", ("KR", "US"), date(2025, 10, 1)),
    }


def test_a_cut_told_as_applying_under_the_deal_keeps_its_date():
    found = deadlines(
        "WASHINGTON -- A 27.5% U.S. tariff on Korean cars took effect on Sept. 8. Lower U.S. tariffs on Korean "
        "cars apply from Oct. 1 under the deal.",
        "2025-09-10T10:00:00-04:00",
    )
    assert ("tariff:autos:reduced", ("KR", "US"), date(2025, 10, 1)) in told(found)


# ---------------------------------------------------------------- 7. a time before the date keeps the link


def test_a_time_and_zone_between_until_and_the_date_keep_the_link():
    (d,) = deadlines(
        "WASHINGTON -- The truce on U.S. tariffs on Mexican goods lasts until 11:59 p.m. EDT on Oct. 31.",
        "2025-10-28T10:00:00-04:00",
    )
    assert (d.subject, d.countries, d.due_date, d.link) == ("tariff:all", ("MX", "US"), date(2025, 10, 31),
                                                            "until")
    assert (d.due_at.hour, d.due_at.minute) == (23, 59)


def test_goods_entered_on_or_after_an_instant_is_an_effect_link():
    (d,) = deadlines(
        "WASHINGTON -- The 15% tariff applies to British cars entered on or after 12:01 a.m. EDT on Sept. 22.",
        "2025-09-10T10:00:00-04:00",
    )
    assert (d.subject, d.countries, d.due_date) == ("tariff:autos", ("GB", "US"), date(2025, 9, 22))
    assert d.due_at is not None and (d.due_at.hour, d.due_at.minute) == (0, 1)
    assert d.due_at.utcoffset().total_seconds() == -4 * 3600


# ---------------------------------------------------------------- 8. anaphora


def test_the_changes_take_the_measure_of_the_sentence_before():
    found = deadlines(
        "BERN -- The United States will reduce its duties on Swiss watches. The changes take effect on Monday.",
        "2025-06-03T10:00:00+02:00",
    )
    assert told(found) == {("tariff:all:reduced", ("CH", "US"), date(2025, 6, 9))}


@pytest.mark.xfail(strict=True, reason="each side's goods are named as a target, so no imposer is left and "
                                       "the anaphoric date is dropped")
def test_the_changes_after_two_sides_cuts_take_the_cuts():
    found = deadlines(
        "BERN -- The United States will reduce its duties on Swiss goods and Switzerland will cut its tariffs on "
        "U.S. goods. The changes take effect on Monday.",
        "2025-06-03T10:00:00+02:00",
    )
    assert ("tariff:all:reduced", ("CH", "US"), date(2025, 6, 9)) in told(found)


def test_a_suspension_named_alone_takes_its_partner_from_the_sentence_before():
    found = deadlines(
        "WASHINGTON -- The White House paused higher tariffs on Indonesian goods on Friday. The suspension stays "
        "in place until Aug. 20.",
        MONDAY,
    )
    assert told(found) == {("tariff:all", ("ID", "US"), date(2025, 8, 20))}


# ---------------------------------------------------------------- 9. obligations


def test_a_joint_review_the_parties_must_hold_is_a_review_deadline():
    found = deadlines(
        "WELLINGTON -- Negotiators agreed that Peru and New Zealand must hold a joint review on Nov. 15, 2026.",
        "2025-06-02T10:00:00+12:00",
    )
    assert told(found) == {("review:all", ("NZ", "PE"), date(2026, 11, 15))}


def test_negotiating_toward_a_target_date_is_a_negotiation_target():
    found = deadlines(
        "HANOI -- Vietnamese officials said they would keep negotiating with Washington toward an Oct. 15 target "
        "date.",
        "2025-06-02T10:00:00+07:00",
    )
    assert told(found) == {("negotiation:all", ("US", "VN"), date(2025, 10, 15))}


# ---------------------------------------------------------------- 10. rules by firm size

METHANE = "BRUSSELS -- The European Union's Methane Import Regulation covers gas from Norway and Qatar. "
BRUSSELS_MONDAY = "2025-06-02T10:00:00+02:00"


def test_two_dates_for_large_and_small_companies_are_two_deadlines_of_the_named_regulator():
    found = deadlines(
        METHANE + "The methane rules apply from Jan. 1, 2027 for large companies and July 1, 2027 for small firms.",
        BRUSSELS_MONDAY,
    )
    assert told(found) == {
        ("regulation:methane:large-firms", ("EU",), date(2027, 1, 1)),
        ("regulation:methane:small-firms", ("EU",), date(2027, 7, 1)),
    }


def test_small_producers_date_makes_the_unsized_date_the_large_firms():
    found = deadlines(
        METHANE + "The methane rules will apply from Jan. 1, 2027. Small and micro producers have until "
        "July 1, 2027.",
        BRUSSELS_MONDAY,
    )
    assert told(found) == {
        ("regulation:methane:large-firms", ("EU",), date(2027, 1, 1)),
        ("regulation:methane:small-firms", ("EU",), date(2027, 7, 1)),
    }


# ---------------------------------------------------------------- 11. a relative clause keeps its antecedent


def test_a_regulation_whose_relative_clause_gives_its_date():
    (d,) = deadlines(
        "ACCRA -- Exporters in Ghana must comply with the EU Cocoa Traceability Regulation (CTR), which begins to "
        "apply on March 1, 2027.",
        "2025-06-02T10:00:00+00:00",
    )
    assert (d.subject.split(":")[0], d.countries, d.due_date) == ("regulation", ("EU",), date(2027, 3, 1))


# ---------------------------------------------------------------- 12. a pact's own terms


def test_duty_free_access_from_the_day_a_pact_enters_into_force_is_only_the_pact():
    found = deadlines(
        "SANTIAGO -- The free trade agreement between Chile and India enters into force on Thursday. Chilean "
        "copper will enjoy duty-free access to India from Thursday.",
        "2025-06-02T10:00:00-04:00",
    )
    assert told(found) == {("agreement:all", ("CL", "IN"), date(2025, 6, 5))}


# ---------------------------------------------------------------- 13. a possessive rate in a story of US tariffs


def test_a_partners_possessive_rate_is_the_us_rate_on_that_partner():
    (d,) = deadlines(
        "WASHINGTON -- U.S. tariffs on Asian goods remain high. Thailand's 36 percent reciprocal tariff is "
        "suspended until Aug. 12, U.S. officials said.",
        MONDAY,
    )
    assert (d.subject, d.countries, d.due_date) == ("tariff:all:reciprocal", ("TH", "US"), date(2025, 8, 12))


# ---------------------------------------------------------------- 14. one measure named with and without qualifier

ADDITIONAL = "BRASILIA -- The additional 40% U.S. tariff on Brazilian goods takes effect on Aug. 6. "


def test_an_unqualified_mention_with_the_same_date_takes_the_qualified_subject():
    found = deadlines(
        ADDITIONAL + "Brazilian exporters said the U.S. tariffs on Brazilian goods take effect on Aug. 6.",
        "2025-06-02T10:00:00-03:00",
    )
    assert told(found) == {("tariff:all:additional", ("BR", "US"), date(2025, 8, 6))}


def test_an_unqualified_mention_with_another_date_stays_its_own_measure():
    found = deadlines(
        ADDITIONAL + "Brazilian exporters said the U.S. tariffs on Brazilian goods take effect on July 9.",
        "2025-06-02T10:00:00-03:00",
    )
    assert told(found) == {
        ("tariff:all:additional", ("BR", "US"), date(2025, 8, 6)),
        ("tariff:all", ("BR", "US"), date(2025, 7, 9)),
    }


# ---------------------------------------------------------------- 15. certainty


@pytest.mark.parametrize(
    "body",
    [
        "WASHINGTON -- A 30% U.S. tariff on South African goods could take effect on Aug. 8.",
        "WASHINGTON -- A proposed 30% U.S. tariff on South African goods would take effect on Aug. 8.",
        "WASHINGTON -- If approved, a 30% U.S. tariff on South African goods would take effect on Aug. 8.",
    ],
)
def test_a_possible_or_proposed_date_is_tentative(body):
    (d,) = deadlines(body, MONDAY)
    assert (d.subject, d.countries, d.due_date, d.certainty) == ("tariff:all", ("US", "ZA"), date(2025, 8, 8),
                                                                 "tentative")


def test_a_date_told_as_a_fact_is_definite():
    (d,) = deadlines("WASHINGTON -- A 30% U.S. tariff on South African goods will take effect on Aug. 8.", MONDAY)
    assert d.certainty == "definite"


def test_a_condition_after_the_date_is_tentative():
    (d,) = deadlines(
        "WASHINGTON -- A 30% U.S. tariff on South African goods would take effect on Aug. 8 if approved by "
        "Congress.",
        MONDAY,
    )
    assert d.certainty == "tentative"


def test_words_before_a_colon_do_not_make_the_date_tentative():
    (d,) = deadlines(
        "BRUSSELS -- The European Union's Deforestation Regulation covers cocoa from Ghana. The Commission's plan, "
        "first proposed in May, holds: the deforestation rules will apply on Dec. 30, 2026.",
        BRUSSELS_MONDAY,
    )
    assert (d.subject, d.countries, d.due_date, d.certainty) == ("regulation:deforestation", ("EU",),
                                                                 date(2026, 12, 30), "definite")


# ---------------------------------------------------------------- 16. words of a move


def test_pushed_back_to_a_new_date_from_the_old_one_is_a_move():
    (d,) = deadlines(
        "WASHINGTON -- Washington pushed back its 30% tariff on South African goods to Sept. 1 from Aug. 8.", MONDAY
    )
    assert (d.subject, d.countries, d.due_date) == ("tariff:all", ("US", "ZA"), date(2025, 9, 1))
    assert (d.change, d.moved_from) == ("pushed back", date(2025, 8, 8))


def test_pushed_back_a_us_tariff_to_a_new_date_is_a_move():
    (d,) = deadlines(
        "WASHINGTON -- The White House pushed back the 30% U.S. tariff on South African goods to Sept. 1 from "
        "Aug. 8.",
        MONDAY,
    )
    assert (d.due_date, d.change, d.moved_from) == (date(2025, 9, 1), "pushed back", date(2025, 8, 8))


def test_a_date_instead_of_another_is_a_move_from_it():
    (d,) = deadlines(
        "WASHINGTON -- The 30% U.S. tariff on South African goods takes effect on Sept. 1 instead of Aug. 8.", MONDAY
    )
    assert (d.subject, d.countries, d.due_date) == ("tariff:all", ("US", "ZA"), date(2025, 9, 1))
    assert (d.change, d.moved_from) == ("instead of", date(2025, 8, 8))


# ---------------------------------------------------------------- 22. a headline telling a measure's date moving

BRUSSELS_TUESDAY = "2025-06-03T10:00:00+02:00"
CERTIFICATES = ("BRUSSELS -- The European Commission said on Tuesday that sales of the certificates will begin in "
                "February 2027, a year later than planned. Importers of cement from India and Turkey welcomed the "
                "move.")


@pytest.mark.parametrize(
    "title,body",
    [
        ("Commission postpones carbon border certificate sales by a year", CERTIFICATES),
        ("EU delays anti-deforestation regulation again",
         "BRUSSELS -- The European Commission on Wednesday proposed another year's delay for the law. Coffee "
         "importers from Brazil and Vietnam had asked for more time."),
    ],
)
def test_a_headline_moving_a_measures_date_is_trade_evidence(title, body):
    findings = extract(item_for(body, BRUSSELS_TUESDAY, title))
    assert findings.relevant, findings.relevance_reason


def test_the_same_story_without_the_move_in_its_headline_is_not_enough():
    findings = extract(item_for(CERTIFICATES, BRUSSELS_TUESDAY, "Commission presents carbon border certificate plan"))
    assert not findings.relevant


def test_a_headline_about_another_delay_is_no_trade_evidence():
    findings = extract(item_for(
        "NEW DELHI -- The India-Pakistan match in Dubai was postponed by a week, organisers said on Tuesday. "
        "Merchandise sellers said new tariffs and levies on imported jerseys had already raised prices.",
        BRUSSELS_TUESDAY,
        "India-Pakistan match postponed by a week",
    ))
    assert not findings.relevant


def test_a_minister_staying_somewhere_until_a_day_is_no_pause_of_a_measure():
    found = deadlines(
        "WASHINGTON -- A Peruvian delegation is lobbying against the 10% U.S. tariff on Peruvian goods. The "
        "delegation will stay in Washington until June 12.", MONDAY)
    assert date(2025, 6, 12) not in {d.due_date for d in found}


def test_a_stay_of_a_measure_still_dates_what_it_holds_back():
    found = deadlines(
        "WASHINGTON -- A court blocked the 10% U.S. tariff on Peruvian goods. The stay runs until June 12.", MONDAY)
    assert date(2025, 6, 12) in {d.due_date for d in found}


def test_a_move_from_a_dated_value_to_another_gives_the_value_it_moves_from():
    (d,) = deadlines(
        "WASHINGTON -- A proclamation keeps the 10% U.S. tariff on Peruvian textiles in place and moves the "
        "scheduled increase from January 1, 2026 to January 1, 2027.", MONDAY)
    assert (d.due_date, d.moved_from, d.change) == (date(2027, 1, 1), date(2026, 1, 1), "moves")


def test_the_day_talks_are_scheduled_for_is_no_negotiation_deadline():
    found = deadlines(
        "OSLO -- Peru's trade minister landed in Oslo on Sunday. Trade talks with the Norwegian delegation are set "
        "for Thursday and Friday.", MONDAY)
    assert not [d for d in found if d.subject.startswith("negotiation")]


@pytest.mark.parametrize("words", ["aim to conclude the trade talks by June 30",
                                   "set the trade talks a deadline of June 30"])
def test_a_negotiation_deadline_is_still_read(words):
    (d,) = deadlines(f"LIMA -- Peru and the United States {words}.", MONDAY)
    assert (d.subject, d.due_date) == ("negotiation:all", date(2025, 6, 30))


def test_a_regulation_is_never_named_after_the_city_that_makes_it():
    found = deadlines(
        "OTTAWA -- Ottawa will not prolong the tariff-free regime for Peruvian fruit while the trade talks with "
        "Lima are stalled. The current regulation applies until June 5.", MONDAY,
        title="Ottawa rules on tariff-free fruit from Peru")
    assert found and not [d for d in found if "ottawa" in d.subject]


# ---------------------------------------------------------------- 7. who a measure is aimed at, and on what

OCT_WED = "2025-10-08T09:00:00-03:00"  # a Wednesday in Santiago


def test_partners_named_as_examples_of_a_class_are_not_its_target():
    # "X and other ... countries": the class is the target; the one named is an example
    found = deadlines("SANTIAGO -- Chile's new duties on goods from Peru and other Andean countries take effect on "
                      "November 3.", OCT_WED)
    assert told(found) == {("tariff:all", ("CL",), date(2025, 11, 3))}


def test_a_partner_listed_after_including_is_an_example_and_never_the_one_imposing():
    found = deadlines("BUENOS AIRES -- Argentina's farm lobby said the higher duties, which apply from November 3, "
                      "will hurt partners including Argentina. Argentina urged Santiago to reconsider.", OCT_WED)
    assert told(found) == {("tariff:all", ("CL",), date(2025, 11, 3))}


def test_the_pact_partner_that_defines_a_class_of_countries_imposes_the_measure():
    found = deadlines("BUENOS AIRES -- Argentina's exporters fear losses. Duties of up to 30% on goods from "
                      "countries without trade agreements with Chile take effect on November 3. Argentina has "
                      "asked for talks, and Argentina's farm lobby backs the request.", OCT_WED)
    assert told(found) == {("tariff:all", ("CL",), date(2025, 11, 3))}


def test_a_category_named_with_non_fta_is_no_agreement():
    found = deadlines("SANTIAGO -- Higher duties on non-FTA imports begin on November 3, the Chilean finance "
                      "ministry said.", OCT_WED)
    assert {d.subject.split(":")[0] for d in found} == {"tariff"}


def test_an_agreement_acronym_is_never_the_name_of_a_regulation():
    found = deadlines("SANTIAGO -- The Chile-Thailand FTA takes effect on November 3, the two governments said.",
                      OCT_WED, title="Chile-Thailand FTA takes effect Nov. 3")
    assert {d.subject for d in found} == {"agreement:all"}


def test_a_regional_class_of_goods_is_no_single_partner():
    # "Asian imports": a region's goods, not the goods of the one Asian country the item names most
    found = deadlines("SANTIAGO -- Chile's duties on Asian imports start on November 3. Exporters in Vietnam "
                      "expect smaller orders; Vietnam had sought an exemption.", OCT_WED)
    assert told(found) == {("tariff:all", ("CL",), date(2025, 11, 3))}


def test_a_sector_inside_a_long_list_of_goods_is_a_broad_measure():
    found = deadlines("SANTIAGO -- Chile's new duties take effect on November 3 and cover cars, footwear, toys, "
                      "furniture, textiles and paper from Peru.", OCT_WED)
    assert {d.subject for d in found} == {"tariff:all"}


def test_the_date_an_inquiry_into_a_measure_starts_is_not_the_measures_date():
    found = deadlines("LIMA -- Peru's trade ministry opened an investigation into Chile's planned duties on "
                      "Peruvian fruit, effective the same day.", OCT_WED)
    assert not found


# ---------------------------------------------------------------- 8. measures besides tariffs

def test_import_controls_are_measures_each_stage_its_own():
    found = deadlines(
        "LONDON -- Britain's health certificates for Norwegian fish imports will be required from November 30. "
        "Britain's physical checks on those imports will start on December 15, the government said.", OCT_WED)
    assert {(d.subject, d.due_date) for d in found} == {
        ("controls:certificates", date(2025, 11, 30)), ("controls:checks", date(2025, 12, 15))}


def test_rules_named_by_what_follows_them_are_one_regulation():
    found = deadlines(
        "BRUSSELS -- The EU's current rules of origin for Norwegian batteries will continue to apply until "
        "31 December 2027, the European Commission said.", OCT_WED)
    assert {(d.subject, d.due_date) for d in found} == {("regulation:origin", date(2027, 12, 31))}


def test_a_ban_on_goods_leaving_the_country_is_an_export_control_with_its_goods():
    found = deadlines("HANOI -- Vietnam's ban on raw coffee exports takes effect on December 1, and its ban on "
                      "nickel ore exports takes effect on January 15, the ministry said.", OCT_WED)
    assert {(d.subject, d.due_date) for d in found} == {
        ("export-control:agriculture", date(2025, 12, 1)), ("export-control:minerals", date(2026, 1, 15))}


def test_import_licensing_and_import_authorisations_are_two_stages_of_import_controls():
    found = deadlines("NAIROBI -- Kenya's licensing requirement for imports of sugar takes effect on November 20. "
                      "Import authorisations already issued remain valid until December 31, the ministry said.",
                      OCT_WED)
    assert {(d.subject, d.due_date) for d in found} == {
        ("controls:licensing", date(2025, 11, 20)), ("controls:authorisations", date(2025, 12, 31))}


def test_a_duty_on_goods_leaving_is_not_the_duty_a_buyer_charges_on_them():
    found = deadlines("ACCRA -- Ghana's 15% export duty on cocoa beans applies until December 31.", OCT_WED)
    assert {d.subject for d in found} == {"tariff:agriculture:export"}
    found = deadlines("WASHINGTON -- The suspension of the 30 percent duty on Ghanaian exports runs out on "
                      "December 31.", OCT_WED)
    assert found and all(not d.subject.endswith(":export") for d in found)


def test_a_duty_named_by_pointing_back_is_the_duty_the_item_has_named():
    found = deadlines("ACCRA -- Ghana extended the 15% export duty on cocoa beans until March 31. The duty was "
                      "first imposed in May until December 31.", OCT_WED, title="Ghana extends cocoa export duty")
    assert {d.subject for d in found} == {"tariff:agriculture:export"}


def test_import_restrictions_put_off_to_a_date_are_a_move_of_the_licensing_requirement():
    # restricted imports need a licence: "import curbs", "restriction on imports of", "licensing requirement for
    # imports" and an "import management system" are one measure; "put off ... to" tells a move
    found = deadlines("NAIROBI -- Kenya put off its import curbs on sugar to November 1, the ministry said. The "
                      "licensing requirement for imports of sugar had been due to apply at once.", OCT_WED,
                      title="Kenya defers sugar import curbs")
    (d,) = [d for d in found if d.due_date == date(2025, 11, 1)]
    assert d.subject == "controls:licensing" and d.change == "put off"
    found = deadlines("NAIROBI -- Kenya's import management system for sugar takes effect on November 1.", OCT_WED)
    assert {d.subject for d in found} == {"controls:licensing"}


def test_a_timetables_lines_date_the_measures_they_name_but_not_encounters():
    found = deadlines(
        "OSLO -- Norway's government set out its timetable for controls on imports from the European Union.\n\n"
        "15 January 2026: health certificates for fish imports from the European Union.\n\n"
        "30 April 2026: physical checks on those imports.\n\n"
        "12 June 2026: ministers meet in Brussels to review the tariff schedule.", OCT_WED)
    assert {(d.subject, d.due_date) for d in found} == {
        ("controls:certificates", date(2026, 1, 15)), ("controls:checks", date(2026, 4, 30))}


def test_what_a_proposal_or_a_bill_would_do_is_tentative_reported_speech_is_not():
    body = "OSLO -- The measure would extend the duty-free quota on Icelandic fish until December 31, 2027."
    (proposed,) = deadlines(body, OCT_WED, title="Norway's parliament votes on bill to extend fish quota")
    assert proposed.certainty == "tentative"
    (told,) = deadlines(body, OCT_WED, title="Norway extends fish quota for Iceland")
    assert told.certainty == "definite"


def test_a_scheduled_increase_of_a_rate_is_its_own_measure():
    found = deadlines("OTTAWA -- A decree keeps the 10% duty on these boats and moves the scheduled increases from "
                      "January 1, 2026 to January 1, 2027.", OCT_WED, title="Canada delays tariff increases on US boats")
    assert {d.subject for d in found} == {"tariff:all:increase"}


# ---------------------------------------------------------------- a government's stop to goods crossing its border


def test_a_ban_on_the_export_of_goods_is_an_export_control():
    (d,) = deadlines("CAIRO -- Egypt has extended the ban on the export of white sugar until Sept. 30, the trade ministry "
                     "said on Sunday.", "2025-06-01T10:00:00+03:00")
    assert (d.subject.split(":")[0], d.countries, d.due_date) == ("export-control", ("EG",), date(2025, 9, 30))


@pytest.mark.parametrize("words", ["extends the suspension of wheat imports to", "extends the wheat import ban to",
                                   "orders a halt to wheat imports until"])
def test_a_stop_to_imports_is_an_import_ban_not_a_tariff(words):
    (d,) = deadlines(f"CAIRO -- Egypt {words} Sept. 30, the trade ministry said on Sunday.",
                     "2025-06-01T10:00:00+03:00")
    assert (d.subject, d.countries, d.due_date) == ("controls:ban", ("EG",), date(2025, 9, 30))


def test_a_border_control_named_by_no_one_is_the_items_government_not_the_us():
    (d,) = deadlines("CAIRO -- Egypt's trade ministry said on Sunday that the ban on wheat imports will run until "
                     "Sept. 30, a week after talks with U.S. grain exporters.", "2025-06-01T10:00:00+03:00")
    assert (d.subject, d.countries) == ("controls:ban", ("EG",))



def test_a_border_control_holds_for_every_partner_the_text_does_not_name():
    (d,) = deadlines("BELGRADE -- Corn export restrictions have been extended until Sept. 30 by the government of "
                     "Serbia, according to a report from the U.S. Department of Agriculture.",
                     "2025-06-01T10:00:00+02:00")
    assert (d.subject.split(":")[0], d.countries) == ("export-control", ("RS",))


def test_an_agreement_named_by_two_sides_binds_those_two_whoever_else_the_clause_names():
    (d,) = deadlines("SANTIAGO -- The upgraded Chile-Korea Free Trade Agreement, which enters into force on Aug. 1, "
                     "will also help Japanese exporters with plants in Korea.", "2025-06-01T10:00:00-04:00")
    assert (d.subject, d.countries, d.due_date) == ("agreement:all", ("CL", "KR"), date(2025, 8, 1))


def test_an_export_duty_is_on_the_governments_own_goods_not_aimed_at_a_partner():
    (d,) = deadlines("Brazil will keep its export levy on green coffee at zero until Aug. 31, the ministry said. "
                     "Traders said Colombian cargoes lost ground. Colombia may answer.", "2025-06-01T10:00:00-03:00")
    assert d.countries == ("BR",)


def test_a_pact_with_a_government_of_an_ambiguous_name_is_read_where_its_capital_is_named():
    found = deadlines("The free trade agreement between Chad and Morocco will take effect on January 1, 2026, the "
                      "ministry said in N'Djamena.", "2025-10-16T12:00:00+01:00")
    assert {(d.subject, d.countries) for d in found} == {("agreement:all", ("MA", "TD"))}


@pytest.mark.parametrize("words,stage", [("banned the import of cars", "ban"), ("lifted the ban on the import of cars",
                                                                               "ban")])
def test_with_immediate_effect_is_the_day_of_the_report(words, stage):
    (d,) = deadlines(f"CAIRO: The Egyptian government on Thursday {words} with immediate effect, the ministry said.",
                     "2025-06-05T18:00:00+03:00")
    assert (d.subject, d.countries, d.due_date) == (f"controls:{stage}", ("EG",), date(2025, 6, 5))


def test_an_agreement_between_two_governments_joined_by_and_the_is_one_phrase():
    (d,) = deadlines("LIMA -- The economic partnership agreement between Peru and the Philippines takes effect on "
                     "Thursday, the trade ministry said.", "2025-09-09T15:30:00-05:00")
    assert (d.subject, d.countries, d.due_date) == ("agreement:all", ("PE", "PH"), date(2025, 9, 11))
