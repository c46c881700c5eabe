from datetime import UTC, date, datetime

from records.findings import DeadlineMention, MeetingMention, Official
from tasks.events.decide import deadline_id_for, meeting_id_for, resolve_deadline, resolve_meeting

T0 = datetime(2025, 4, 20, tzinfo=UTC)
T1 = datetime(2025, 4, 25, tzinfo=UTC)


def mm(d=None, precision="day", status="scheduled", fmt=None, officials=(), parties=("KR", "US")):
    return MeetingMention(
        parties,
        d,
        precision if d else None,
        None,
        None,
        fmt,
        tuple(Official(n) for n in officials),
        status,
        "",
    )


def dm(d, subject="tariff:all:reciprocal", countries=("US",), eq=(), change=None, moved_from=None,
       certainty="definite", link="takes effect on"):
    return DeadlineMention(subject, subject, countries, d, None, "", eq, None, moved_from, change, certainty, link)


def test_same_meeting_from_two_outlets_is_one_event():
    a = resolve_meeting(mm(date(2025, 4, 24), fmt="2+2"), T0, [])
    b = resolve_meeting(mm(date(2025, 4, 24), fmt="2+2", status="held"), T1, [a.event])
    assert a.action == "new" and b.action == "update" and b.event.meeting_id == a.event.meeting_id
    assert b.changed == ("status",) and b.event.status == "held"


def test_day_precise_report_refines_a_week_event():
    a = resolve_meeting(mm(date(2025, 4, 28), precision="week", fmt="working-level"), T0, [])
    b = resolve_meeting(mm(date(2025, 4, 30), fmt="working-level"), T1, [a.event])
    assert b.event.meeting_id == a.event.meeting_id
    assert (b.event.meeting_date, b.event.date_precision) == (date(2025, 4, 30), "day")


def test_week_mention_merges_into_a_day_event():
    a = resolve_meeting(
        mm(
            date(2025, 4, 16),
            fmt="summit",
            officials=("Donald Trump", "Ryosei Akazawa"),
            parties=("JP", "US"),
        ),
        T0,
        [],
    )
    b = resolve_meeting(
        mm(date(2025, 4, 14), precision="week", status="held", parties=("JP", "US")), T1, [a.event]
    )
    assert b.event.meeting_id == a.event.meeting_id and b.event.meeting_date == date(2025, 4, 16)


def test_two_plus_two_and_bilateral_on_the_same_day_stay_apart():
    a = resolve_meeting(
        mm(date(2025, 4, 24), fmt="2+2", officials=("Choi", "Ahn", "Bessent", "Greer")), T0, []
    )
    b = resolve_meeting(mm(date(2025, 4, 24), fmt="bilateral", officials=("Ahn", "Greer")), T0, [a.event])
    assert b.action == "new"


def test_two_calls_with_different_officials_stay_apart():
    a = resolve_meeting(
        mm(date(2025, 5, 26), fmt="call", officials=("Sefcovic", "Lutnick"), parties=("EU", "US")), T0, []
    )
    b = resolve_meeting(
        mm(date(2025, 5, 26), fmt="call", officials=("Sefcovic", "Greer"), parties=("EU", "US")),
        T0,
        [a.event],
    )
    assert b.action == "new"


def test_held_meeting_never_goes_back_to_scheduled():
    a = resolve_meeting(mm(date(2025, 4, 24), status="held"), T1, [])
    b = resolve_meeting(mm(date(2025, 4, 24), status="scheduled"), T0, [a.event])
    assert b.event.status == "held" and b.action == "same"


def test_other_parties_are_another_meeting():
    a = resolve_meeting(mm(date(2025, 4, 24)), T0, [])
    b = resolve_meeting(mm(date(2025, 4, 24), parties=("JP", "US")), T0, [a.event])
    assert b.action == "new"


def test_ids_are_deterministic():
    assert meeting_id_for(("US", "KR"), date(2025, 4, 24), "2+2", ("Greer",)) == meeting_id_for(
        ("KR", "US"), date(2025, 4, 24), "2+2", ("greer",)
    )
    assert deadline_id_for("tariff:all:reciprocal", ("US",)) == "d-us-tariff-all-reciprocal"


def test_one_day_apart_marked_as_the_same_value_is_equivalent():
    a = resolve_deadline(dm(date(2025, 7, 9), eq=(date(2025, 7, 8), date(2025, 7, 10))), T0, [])
    b = resolve_deadline(dm(date(2025, 7, 8), eq=(date(2025, 7, 9),)), T1, [a.event])
    assert b.action == "equivalent" and b.event.due_date == date(2025, 7, 9)


def test_an_older_item_read_late_does_not_change_the_value():
    a = resolve_deadline(dm(date(2025, 8, 1)), T1, [])
    b = resolve_deadline(dm(date(2025, 6, 1)), T0, [a.event])
    assert b.action == "restated" and b.event.due_date == date(2025, 8, 1)


def test_a_week_announcement_joins_the_day_meeting_whatever_its_format_guess():
    trip = resolve_meeting(
        mm(
            date(2025, 8, 4),
            precision="week",
            fmt="ministerial",
            officials=("Keller-Sutter", "Parmelin"),
            parties=("CH", "US"),
        ),
        T0,
        [],
    )
    met = resolve_meeting(
        mm(
            date(2025, 8, 6),
            status="held",
            fmt="summit",
            officials=("Keller-Sutter", "Rubio"),
            parties=("CH", "US"),
        ),
        T1,
        [trip.event],
    )
    assert met.event.meeting_id == trip.event.meeting_id and met.event.meeting_date == date(2025, 8, 6)


def test_same_day_summit_and_ministerial_stay_apart():
    a = resolve_meeting(mm(date(2025, 4, 16), fmt="summit", officials=("Trump", "Akazawa")), T0, [])
    b = resolve_meeting(
        mm(date(2025, 4, 16), fmt="ministerial", officials=("Akazawa", "Bessent")), T0, [a.event]
    )
    assert b.action == "new"


# ---------------------------------------------------------------- deadlines: measures, and moves on a basis


def test_a_value_told_again_is_restated_and_a_move_needs_change_words():
    a = resolve_deadline(dm(date(2025, 4, 9)), T0, [], story="s1")
    b = resolve_deadline(dm(date(2025, 4, 9)), T0, [a.event], story="s2")
    c = resolve_deadline(dm(date(2025, 7, 9), change="extended", moved_from=date(2025, 4, 9)), T1, [b.event],
                         story="s3")
    assert (a.action, b.action, c.action) == ("new", "restated", "change")
    assert c.basis == "change_language" and c.old_date == date(2025, 4, 9) and c.event.due_date == date(2025, 7, 9)


def test_another_value_without_change_words_is_a_conflicting_report():
    a = resolve_deadline(dm(date(2025, 7, 9)), T0, [], story="s1")
    b = resolve_deadline(dm(date(2025, 8, 1)), T1, [a.event], story="s2")
    assert b.action == "conflicting" and b.event.due_date == date(2025, 7, 9)
    assert b.event.evidence["conflicting"] == [["2025-08-01", "s2", True]]


def test_a_second_independent_strong_report_of_the_new_value_is_a_move():
    a = resolve_deadline(dm(date(2025, 7, 9)), T0, [], story="s1")
    b = resolve_deadline(dm(date(2025, 8, 1)), T1, [a.event], story="s2")
    wire_copy = resolve_deadline(dm(date(2025, 8, 1)), T1, [b.event], story="s2")
    c = resolve_deadline(dm(date(2025, 8, 1)), T1, [wire_copy.event], story="s3")
    assert wire_copy.action == "conflicting"  # the same story told again corroborates nothing
    assert (c.action, c.basis, c.old_date) == ("change", "corroborated", date(2025, 7, 9))


def test_reports_tied_by_a_loose_link_never_corroborate():
    a = resolve_deadline(dm(date(2025, 7, 9)), T0, [], story="s1")
    b = resolve_deadline(dm(date(2025, 8, 1), link="from"), T1, [a.event], story="s2")
    c = resolve_deadline(dm(date(2025, 8, 1), link="from"), T1, [b.event], story="s3")
    assert (b.action, c.action) == ("conflicting", "conflicting")


def test_a_restatement_of_the_current_value_clears_the_conflicting_reports():
    a = resolve_deadline(dm(date(2025, 7, 9)), T0, [], story="s1")
    b = resolve_deadline(dm(date(2025, 8, 1)), T1, [a.event], story="s2")
    c = resolve_deadline(dm(date(2025, 7, 9)), T1, [b.event], story="s3")
    d = resolve_deadline(dm(date(2025, 8, 1)), T1, [c.event], story="s4")
    assert c.action == "restated" and not c.event.evidence["conflicting"]
    assert d.action == "conflicting"


def test_a_primary_source_stating_a_new_value_is_a_move():
    a = resolve_deadline(dm(date(2025, 7, 9)), T0, [], story="s1")
    b = resolve_deadline(dm(date(2025, 8, 1)), T1, [a.event], story="s2", official=True)
    assert (b.action, b.basis) == ("change", "official")


def test_a_tentative_report_never_moves_a_deadline():
    a = resolve_deadline(dm(date(2025, 7, 9)), T0, [], story="s1")
    b = resolve_deadline(dm(date(2025, 8, 1), change="could push back", certainty="tentative"), T1, [a.event],
                         story="s2", official=True)
    assert b.action == "conflicting"


def test_instead_of_a_reported_value_moves_from_that_value():
    a = resolve_deadline(dm(date(2025, 7, 9)), T0, [], story="s1")
    b = resolve_deadline(dm(date(2025, 8, 1), certainty="tentative"), T1, [a.event], story="s2")
    c = resolve_deadline(dm(date(2025, 9, 1), change="instead of", moved_from=date(2025, 8, 1)), T1, [b.event],
                         story="s3")
    assert (c.action, c.old_date, c.event.due_date) == ("change", date(2025, 8, 1), date(2025, 9, 1))


def test_an_old_value_recalled_later_is_not_a_change():
    a = resolve_deadline(dm(date(2025, 7, 9)), T0, [], story="s1")
    b = resolve_deadline(dm(date(2025, 8, 1), change="extended"), T1, [a.event], story="s2")
    c = resolve_deadline(dm(date(2025, 7, 9)), datetime(2025, 8, 2, tzinfo=UTC), [b.event], story="s3")
    assert b.action == "change" and c.action == "restated" and c.event.due_date == date(2025, 8, 1)


def test_a_partners_date_never_merges_into_the_general_one():
    general = resolve_deadline(dm(date(2025, 8, 1)), T0, []).event
    partner = resolve_deadline(dm(date(2025, 8, 1), "tariff:all:reciprocal", ("JP", "US")), T1, [general])
    assert partner.action == "new" and partner.event.countries == ("JP", "US")
    moved = resolve_deadline(dm(date(2025, 8, 7), "tariff:all:reciprocal", ("JP", "US"), change="delayed"), T1,
                             [general, partner.event])
    assert moved.action == "change" and moved.event.deadline_id == partner.event.deadline_id
    assert general.due_date == date(2025, 8, 1)


def test_an_unqualified_report_joins_the_one_compatible_measure():
    reciprocal = resolve_deadline(dm(date(2025, 8, 7), "tariff:all:reciprocal", ("IN", "US")), T0, []).event
    d = resolve_deadline(dm(date(2025, 8, 7), "tariff:all", ("IN", "US")), T1, [reciprocal])
    assert (d.action, d.event.deadline_id) == ("restated", reciprocal.deadline_id)


def test_a_cut_is_never_the_rate_it_replaces():
    rate = resolve_deadline(dm(date(2025, 8, 1), "tariff:autos", ("JP", "US")), T0, []).event
    d = resolve_deadline(dm(date(2025, 9, 16), "tariff:autos:reduced", ("JP", "US")), T1, [rate])
    assert d.action == "new" and d.event.deadline_id != rate.deadline_id


def test_an_unqualified_rules_date_goes_to_the_measure_with_that_value_else_the_main_one():
    large = resolve_deadline(dm(date(2026, 1, 1), "regulation:forest:large-firms", ("EU",)), T0, []).event
    small = resolve_deadline(dm(date(2026, 7, 1), "regulation:forest:small-firms", ("EU",)), T0, [large]).event
    same = resolve_deadline(dm(date(2026, 7, 1), "regulation:forest", ("EU",)), T1, [large, small])
    other = resolve_deadline(dm(date(2027, 1, 1), "regulation:forest", ("EU",), change="delayed"), T1, [large, small])
    assert (same.action, same.event.deadline_id) == ("restated", small.deadline_id)
    assert (other.action, other.event.deadline_id) == ("change", large.deadline_id)


def test_talks_the_same_day_with_every_leader_of_a_summit_at_the_table_are_that_summit():
    a = resolve_meeting(mm(date(2025, 4, 16), fmt="summit", officials=("Varela", "Brandt")), T0, [])
    b = resolve_meeting(mm(date(2025, 4, 16), fmt="bilateral", officials=("Varela", "Brandt", "Dahl")), T0,
                        [a.event])
    assert b.action in ("update", "same") and b.event.meeting_id == a.event.meeting_id


def test_a_move_from_a_value_this_deadline_never_had_is_not_its_move():
    a = resolve_deadline(dm(date(2025, 10, 1)), T0, [], story="s1", official=True)
    b = resolve_deadline(dm(date(2027, 1, 1), change="moves", moved_from=date(2026, 1, 1)), T1, [a.event],
                         story="s2", official=True)
    assert b.action == "conflicting" and b.event.due_date == date(2025, 10, 1)
    c = resolve_deadline(dm(date(2027, 1, 1), change="moves", moved_from=date(2025, 10, 1)), T1, [a.event],
                         story="s3")
    assert (c.action, c.old_date) == ("change", date(2025, 10, 1))


def test_a_held_report_of_a_day_inside_a_rounds_span_keeps_the_rounds_first_day():
    from dataclasses import replace
    plan = resolve_meeting(replace(mm(date(2025, 3, 9)), end_date=date(2025, 3, 13)), T0, []).event
    closing = resolve_meeting(mm(date(2025, 3, 13), status="held"), T0, [plan])
    assert closing.event.meeting_id == plan.meeting_id
    assert (closing.event.meeting_date, closing.event.end_date, closing.event.status) == (
        date(2025, 3, 9), date(2025, 3, 13), "held")


def test_talks_the_same_day_told_without_a_name_are_the_meeting_of_that_day():
    """'The two leaders held talks one on one' beside a summit of the same day: nothing tells them apart. A
    nameless call stays apart."""
    a = resolve_meeting(mm(date(2025, 5, 6), "day", "held", fmt="summit", officials=("Varela", "Brandt")), T0, [])
    b = resolve_meeting(mm(date(2025, 5, 6), "day", "held", fmt="bilateral"), T0, [a.event])
    assert b.action in ("update", "same") and b.event.meeting_id == a.event.meeting_id
    call = resolve_meeting(mm(date(2025, 5, 6), "day", "held", fmt="call"), T0, [a.event])
    assert call.action == "new"


def test_a_scheduled_increase_never_joins_the_rate_it_steps_up():
    base = resolve_deadline(dm(date(2025, 10, 14), subject="tariff:autos", countries=("US",)), T0, [],
                            story="s1", official=True)
    step = resolve_deadline(dm(date(2027, 1, 1), subject="tariff:autos:increase", countries=("US",),
                               change="moves"), T1, [base.event], story="s2", official=True)
    assert step.event.deadline_id != base.event.deadline_id and step.action == "new"


def test_a_plan_to_hold_talks_that_day_and_the_call_the_same_people_held_are_one_meeting():
    plan = resolve_meeting(mm(date(2025, 4, 24), fmt="ministerial", officials=("Ana Roy", "Kim Seo")), T0, [])
    call = resolve_meeting(mm(date(2025, 4, 24), fmt="call", status="held", officials=("Kim Seo",)), T1,
                           [plan.event])
    assert call.action == "update" and call.event.meeting_id == plan.event.meeting_id


def test_a_call_and_talks_in_person_the_same_day_stay_two_meetings():
    talks = resolve_meeting(mm(date(2025, 4, 24), fmt="ministerial", status="held", officials=("Kim Seo",)), T0, [])
    call = resolve_meeting(mm(date(2025, 4, 24), fmt="call", status="held", officials=("Kim Seo",)), T1,
                           [talks.event])
    assert call.action == "new"
