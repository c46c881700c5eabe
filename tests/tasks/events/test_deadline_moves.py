"""When a deadline moves: what one report of a measure's date means to the known deadline (decide.resolve_deadline),
and when the move is alerted (apply.Resolver)."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime

from records.findings import DeadlineMention, Findings
from tasks.events.apply import AlertPolicy, Resolver
from tasks.events.decide import resolve_deadline
from tasks.events.evidence import Provenance

MON = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
WED = datetime(2025, 6, 4, 9, 0, tzinfo=UTC)

ZA_TARIFF = "tariff:all"
ZA = ("US", "ZA")
AUG_8, SEPT_1, SEPT_15 = date(2025, 8, 8), date(2025, 9, 1), date(2025, 9, 15)


def report(day: date, subject: str = ZA_TARIFF, countries=ZA, *, link: str = "takes effect on",
           change: str | None = None, moved_from: date | None = None, certainty: str = "definite") -> DeadlineMention:
    return DeadlineMention(subject, subject, countries, day, None, f"... {link} {day} ...", (), None, moved_from,
                           change, certainty, link)


def known(day: date = AUG_8, subject: str = ZA_TARIFF, countries=ZA):
    return resolve_deadline(report(day, subject, countries), MON, [], story="first").event


# ---------------------------------------------------------------- a different value, and its basis


def test_another_value_from_one_story_without_change_words_is_a_conflicting_report():
    d = resolve_deadline(report(SEPT_1), WED, [known()], story="s2")
    assert (d.action, d.event.due_date) == ("conflicting", AUG_8)
    assert d.event.evidence["conflicting"] == [["2025-09-01", "s2", True]]


def test_a_loose_link_is_kept_as_a_weak_conflicting_report():
    d = resolve_deadline(report(SEPT_1, link="from"), WED, [known()], story="s2")
    assert d.action == "conflicting" and d.event.evidence["conflicting"] == [["2025-09-01", "s2", False]]


def test_a_second_independent_strong_report_of_the_same_value_is_a_corroborated_move():
    first = resolve_deadline(report(SEPT_1, link="expires on"), WED, [known()], story="s2")
    second = resolve_deadline(report(SEPT_1, link="takes effect on"), WED, [first.event], story="s3")
    assert (second.action, second.basis, second.old_date) == ("change", "corroborated", AUG_8)
    assert second.event.due_date == SEPT_1 and second.event.previous_dates == (AUG_8,)


def test_the_same_story_told_twice_corroborates_nothing():
    first = resolve_deadline(report(SEPT_1), WED, [known()], story="s2")
    copy = resolve_deadline(report(SEPT_1), WED, [first.event], story="s2")
    assert copy.action == "conflicting" and copy.event.due_date == AUG_8


def test_a_weak_link_report_never_corroborates():
    first = resolve_deadline(report(SEPT_1, link="by"), WED, [known()], story="s2")
    second = resolve_deadline(report(SEPT_1, link="from"), WED, [first.event], story="s3")
    assert (first.action, second.action) == ("conflicting", "conflicting")


def test_a_weak_earlier_report_is_not_corroborated_by_a_strong_later_one():
    first = resolve_deadline(report(SEPT_1, link="from"), WED, [known()], story="s2")
    second = resolve_deadline(report(SEPT_1), WED, [first.event], story="s3")
    assert second.action == "conflicting"


def test_a_restatement_of_the_current_value_clears_the_conflicting_reports():
    conflicting = resolve_deadline(report(SEPT_1), WED, [known()], story="s2")
    restated = resolve_deadline(report(AUG_8), WED, [conflicting.event], story="s3")
    after = resolve_deadline(report(SEPT_1), WED, [restated.event], story="s4")
    assert restated.action == "restated" and restated.event.evidence["conflicting"] == []
    assert after.action == "conflicting"  # (s2's report no longer counts toward a move)


def test_change_words_are_a_move_on_change_language():
    d = resolve_deadline(report(SEPT_1, change="pushed back", moved_from=AUG_8), WED, [known()], story="s2")
    assert (d.action, d.basis, d.old_date, d.event.due_date) == ("change", "change_language", AUG_8, SEPT_1)


def test_a_primary_source_stating_another_value_is_an_official_move():
    d = resolve_deadline(report(SEPT_1), WED, [known()], story="s2", official=True)
    assert (d.action, d.basis, d.old_date) == ("change", "official", AUG_8)


def test_a_value_reported_as_taken_effect_is_not_moved_by_a_primary_source_without_words_of_a_move():
    """A pact that "came into force on Aug. 8", then a ministry's notice of another day for it: one of the two is
    wrong, neither is a move."""
    late = datetime(2025, 8, 12, 9, 0, tzinfo=UTC)
    in_force = resolve_deadline(replace(report(AUG_8, link="came into force on"), in_effect=True), late, [],
                                story="s1").event
    assert in_force.evidence["took_effect"] == "2025-08-08"
    d = resolve_deadline(report(SEPT_1), late, [in_force], story="s2", official=True)
    assert (d.action, d.event.due_date) == ("conflicting", AUG_8)
    moved = resolve_deadline(report(SEPT_1, change="reinstated until"), late, [in_force], story="s3")
    assert (moved.action, moved.basis) == ("change", "change_language")


def test_a_value_just_gone_by_is_moved_by_a_primary_source_but_one_long_gone_is_not():
    """Aug. 8 announced, then an order read on Aug. 12 sets Sept. 1: the day never came, the order moved it. The same
    order read in October, two months on: history, not a move to alert."""
    soon, months_on = datetime(2025, 8, 12, 9, 0, tzinfo=UTC), datetime(2025, 10, 10, 9, 0, tzinfo=UTC)
    assert resolve_deadline(report(SEPT_1), soon, [known()], story="s2", official=True).action == "change"
    assert resolve_deadline(report(SEPT_1), months_on, [known()], story="s2", official=True).action == "conflicting"



def test_change_words_do_not_move_a_value_long_gone_unless_they_name_it():
    """A ban known to end on Aug. 8, then in October 'extended the ban until Dec. 31': another round of it (or
    reports missed in between), not a move from Aug. 8; 'extended from Aug. 8 to Dec. 31' is one."""
    months_on = datetime(2025, 10, 10, 9, 0, tzinfo=UTC)
    dec_31 = date(2025, 12, 31)
    d = resolve_deadline(report(dec_31, change="extended"), months_on, [known()], story="s2")
    assert (d.action, d.event.due_date) == ("conflicting", AUG_8)
    named = resolve_deadline(report(dec_31, change="extended", moved_from=AUG_8), months_on, [known()], story="s3")
    assert (named.action, named.basis, named.old_date) == ("change", "change_language", AUG_8)

def test_instead_of_a_conflicting_value_moves_from_that_value():
    conflicting = resolve_deadline(report(SEPT_1, certainty="tentative"), WED, [known()], story="s2")
    moved = resolve_deadline(report(SEPT_15, change="instead of", moved_from=SEPT_1), WED, [conflicting.event],
                             story="s3")
    assert (moved.action, moved.basis, moved.old_date, moved.event.due_date) == ("change", "change_language",
                                                                                 SEPT_1, SEPT_15)


def test_instead_of_a_value_nobody_reported_is_no_move():
    d = resolve_deadline(report(SEPT_15, change="instead of", moved_from=SEPT_1), WED, [known()], story="s2")
    assert d.action == "conflicting" and d.event.due_date == AUG_8


# ---------------------------------------------------------------- which known measure a report is of

REDUCED = "tariff:autos:reduced"
AUTOS = "tariff:autos"
KR = ("KR", "US")


def test_a_cut_never_merges_into_the_unqualified_rate():
    rate = known(date(2025, 9, 8), AUTOS, KR)
    cut = resolve_deadline(report(date(2025, 10, 1), REDUCED, KR), WED, [rate], story="s2")
    assert cut.action == "new" and cut.event.deadline_id != rate.deadline_id and rate.due_date == date(2025, 9, 8)


def test_the_unqualified_rate_never_merges_into_a_known_cut():
    cut = known(date(2025, 10, 1), REDUCED, KR)
    rate = resolve_deadline(report(date(2025, 10, 1), AUTOS, KR), WED, [cut], story="s2")
    assert rate.action == "new" and rate.event.deadline_id != cut.deadline_id


def test_an_unqualified_report_joins_a_qualified_measure_that_is_not_a_cut_or_a_duty_on_top():
    reciprocal = known(date(2025, 8, 6), "tariff:all:reciprocal", ("BR", "US"))
    d = resolve_deadline(report(date(2025, 8, 6), "tariff:all", ("BR", "US")), WED, [reciprocal], story="s2")
    assert (d.action, d.event.deadline_id) == ("restated", reciprocal.deadline_id)
    additional = known(date(2025, 8, 6), "tariff:all:additional", ("BR", "US"))
    e = resolve_deadline(report(date(2025, 8, 6), "tariff:all", ("BR", "US")), WED, [additional], story="s2")
    assert e.action == "new"  # "the additional 25% tariff" is not the 25% tariff


METHANE = "regulation:methane"
JAN_1, JUL_1 = date(2027, 1, 1), date(2027, 7, 1)


def firm_rules():
    large = known(JAN_1, METHANE + ":large-firms", ("EU",))
    small = resolve_deadline(report(JUL_1, METHANE + ":small-firms", ("EU",)), MON, [large], story="first").event
    return large, small


def test_an_unqualified_rules_date_goes_to_the_measure_with_that_value():
    large, small = firm_rules()
    d = resolve_deadline(report(JUL_1, METHANE, ("EU",)), WED, [large, small], story="s2")
    assert (d.action, d.event.deadline_id) == ("restated", small.deadline_id)


def test_an_unqualified_rules_date_of_no_known_value_goes_to_the_large_firms():
    large, small = firm_rules()
    d = resolve_deadline(report(date(2028, 1, 1), METHANE, ("EU",), change="delayed", moved_from=JAN_1), WED,
                         [large, small], story="s2")
    assert (d.action, d.event.deadline_id, d.old_date) == ("change", large.deadline_id, JAN_1)


# ---------------------------------------------------------------- when a move is alerted (apply.Resolver)

NOW = datetime(2025, 6, 4, 12, 0, tzinfo=UTC)


def alerts_for(*reports: tuple[str, DeadlineMention]) -> list:
    """The alerts a run decides for reports (story, mention) read in order."""
    resolver = Resolver([], [], now=NOW, policy=AlertPolicy())
    for story, m in reports:
        findings = Findings(f"item-{story}", True, "test", m.countries, (), (m,))
        resolver.apply(findings, published_at=NOW, provenance=Provenance(f"item-{story}", story_id=story))
    return list(resolver.drain().alerts)


def test_a_move_on_change_words_is_alerted_with_its_basis():
    alerts = alerts_for(("s1", report(AUG_8)), ("s2", report(SEPT_1, change="pushed back", moved_from=AUG_8)))
    (change,) = [a for a in alerts if a.kind == "deadline_change"]
    assert json.loads(change.payload)["change"] == {"old_date": "2025-08-08", "new_date": "2025-09-01",
                                                    "basis": "change_language"}


def test_a_move_of_a_value_never_alerted_is_alerted():
    threatened = report(AUG_8, link="from")  # too loose to announce on its own
    moved = report(SEPT_1, change="pushed back", moved_from=AUG_8)
    (change,) = [a for a in alerts_for(("s1", threatened), ("s2", moved)) if a.kind == "deadline_change"]
    assert json.loads(change.payload)["change"]["old_date"] == "2025-08-08"


def test_a_move_told_too_loosely_to_reach_reported_is_not_alerted():
    threatened = report(AUG_8, link="from")
    moved = report(SEPT_1, link="from", change="pushed back", moved_from=AUG_8)
    assert alerts_for(("s1", threatened), ("s1", moved)) == []


def test_conflicting_reports_are_not_alerted():
    alerts = alerts_for(("s1", report(AUG_8)), ("s2", report(SEPT_1)), ("s3", report(SEPT_15)))
    assert [a.kind for a in alerts] == ["new_deadline"]  # the first report's, nothing for the other values


def test_the_day_beside_the_value_without_words_of_a_move_is_the_same_value_told_another_way():
    # a pact "in force from Dec. 31" that a later report says "entered into force on Jan. 1": no move, no alert,
    # even from a primary source
    beside = resolve_deadline(report(date(2025, 8, 9), link="entered into force on"), WED, [known()], story="s2",
                              official=True)
    assert (beside.action, beside.event.due_date) == ("equivalent", AUG_8)
    assert date(2025, 8, 9) in beside.event.equivalent_dates


def test_the_day_beside_the_value_told_as_a_move_is_a_move():
    moved = resolve_deadline(report(date(2025, 8, 9), change="pushed back to"), WED, [known()], story="s2")
    assert (moved.action, moved.event.due_date) == ("change", date(2025, 8, 9))
