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


def dm(d, subject="reciprocal-tariffs-apply", countries=("US",), eq=()):
    return DeadlineMention(subject, subject, countries, d, None, "", eq)


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
    assert deadline_id_for("reciprocal-tariffs-apply", ("US",)) == "d-us-reciprocal-tariffs-apply"


def test_deadline_new_restated_change():
    a = resolve_deadline(dm(date(2025, 4, 9)), T0, [])
    b = resolve_deadline(dm(date(2025, 4, 9)), T0, [a.event])
    c = resolve_deadline(dm(date(2025, 7, 9)), T1, [b.event])
    assert (a.action, b.action, c.action) == ("new", "restated", "change")
    assert c.old_date == date(2025, 4, 9) and c.event.due_date == date(2025, 7, 9)


def test_one_day_apart_marked_as_the_same_value_is_equivalent():
    a = resolve_deadline(dm(date(2025, 7, 9), eq=(date(2025, 7, 8), date(2025, 7, 10))), T0, [])
    b = resolve_deadline(dm(date(2025, 7, 8), eq=(date(2025, 7, 9),)), T1, [a.event])
    assert b.action == "equivalent" and b.event.due_date == date(2025, 7, 9)


def test_an_old_value_recalled_later_is_not_a_change():
    a = resolve_deadline(dm(date(2025, 7, 9)), T0, [])
    b = resolve_deadline(dm(date(2025, 8, 1)), T1, [a.event])
    c = resolve_deadline(dm(date(2025, 7, 9)), datetime(2025, 8, 2, tzinfo=UTC), [b.event])
    assert c.action == "restated" and c.event.due_date == date(2025, 8, 1)


def test_an_older_item_read_late_does_not_change_the_value():
    a = resolve_deadline(dm(date(2025, 8, 1)), T1, [])
    b = resolve_deadline(dm(date(2025, 6, 1)), T0, [a.event])
    assert b.action == "restated" and b.event.due_date == date(2025, 8, 1)


def test_deadline_identity_includes_countries():
    a = resolve_deadline(dm(date(2025, 8, 1), "tariff-threat", ("EU", "US")), T0, [])
    b = resolve_deadline(dm(date(2025, 8, 1), "tariff-threat", ("JP", "US")), T0, [a.event])
    assert b.action == "new"


def test_partner_rate_on_the_general_date_is_the_general_deadline():
    general = resolve_deadline(dm(date(2025, 8, 1)), T0, [])
    partner = resolve_deadline(dm(date(2025, 8, 1), "tariff-threat", ("JP", "US")), T1, [general.event])
    assert partner.action == "restated" and partner.event.deadline_id == general.event.deadline_id


def test_partner_with_its_own_deadline_keeps_it():
    general = resolve_deadline(dm(date(2025, 8, 1)), T0, [])
    own = resolve_deadline(dm(date(2025, 6, 1), "tariff-threat", ("EU", "US")), T0, [general.event])
    moved = resolve_deadline(
        dm(date(2025, 8, 1), "tariff-threat", ("EU", "US")), T1, [general.event, own.event]
    )
    assert moved.action == "change" and moved.event.deadline_id == own.event.deadline_id


def test_partner_rate_on_another_date_is_its_own_deadline():
    general = resolve_deadline(dm(date(2025, 8, 7)), T0, [])
    partner = resolve_deadline(dm(date(2025, 8, 1), "tariff-threat", ("CA", "US")), T1, [general.event])
    assert partner.action == "new" and partner.event.countries == ("CA", "US")


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


def test_a_partners_later_date_after_the_general_date_passed_moves_the_general_date():
    general = resolve_deadline(dm(date(2025, 7, 9)), T0.replace(month=5), []).event
    later = datetime(2025, 7, 20, tzinfo=UTC)
    d = resolve_deadline(dm(date(2025, 8, 1), "tariff-threat", ("PH", "US")), later, [general])
    assert (d.action, d.event.deadline_id, d.event.due_date) == (
        "change",
        general.deadline_id,
        date(2025, 8, 1),
    )


def test_a_partners_own_threat_is_not_the_general_date():
    general = resolve_deadline(dm(date(2025, 7, 9)), T0.replace(month=5), []).event
    same_day = datetime(2025, 7, 9, 22, tzinfo=UTC)  # the general date has not passed yet
    d = resolve_deadline(dm(date(2025, 8, 1), "tariff-threat", ("BR", "US")), same_day, [general])
    assert d.action == "new" and d.event.countries == ("BR", "US")


def test_a_threat_later_told_as_an_additional_duty_is_one_deadline():
    threat = resolve_deadline(dm(date(2025, 8, 1), "tariff-threat", ("BR", "US")), T0, []).event
    d = resolve_deadline(dm(date(2025, 8, 6), "additional-tariff", ("BR", "US")), T1, [threat])
    assert (d.action, d.event.deadline_id, d.old_date) == ("change", threat.deadline_id, date(2025, 8, 1))


def test_a_partners_agreed_rate_on_the_general_date_is_the_general_deadline():
    general = resolve_deadline(dm(date(2025, 8, 7)), T0, []).event
    d = resolve_deadline(dm(date(2025, 8, 7), "deal-rate-applies", ("MY", "US")), T1, [general])
    assert (d.action, d.event.deadline_id) == ("restated", general.deadline_id)


def test_a_generic_restatement_of_a_sector_tariff_is_the_same_deadline():
    sector = resolve_deadline(dm(date(2026, 3, 1), "steel-tariff-change", ("PE", "VN")), T0, []).event
    d = resolve_deadline(dm(date(2026, 3, 1), "tariff-threat", ("PE", "VN")), T1, [sector])
    assert (d.action, d.event.deadline_id) == ("restated", sector.deadline_id)
    other_day = resolve_deadline(dm(date(2026, 4, 1), "tariff-threat", ("PE", "VN")), T1, [sector])
    assert other_day.action == "new"
