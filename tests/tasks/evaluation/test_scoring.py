from datetime import date

from tasks.evaluation.scoring import PredictedDeadline, PredictedMeeting, score

LABELS = {
    "items": {"a": {"relevant": True}, "b": {"relevant": False}, "c": {"relevant": True}},
    "meetings": [
        {
            "id": "m1",
            "parties": ["KR", "US"],
            "date": "2025-04-24",
            "date_precision": "day",
            "officials": ["Ahn Duk-geun"],
        },
        {
            "id": "m2",
            "parties": ["KR", "US"],
            "date": "2025-04-28",
            "date_precision": "week",
            "officials": [],
        },
    ],
    "deadlines": [
        {
            "id": "d1",
            "countries": ["US"],
            "history": [
                {"date": "2025-04-09", "item": "a"},
                {"date": "2025-07-09", "item": "a", "equivalent_dates": ["2025-07-08"]},
                {"date": "2025-08-01", "item": "c"},
                {"date": None, "item": "c"},
            ],
        },
    ],
}


def pm(mid, d, officials=()):
    return PredictedMeeting(mid, ("US", "KR"), d, "day", officials)


def test_relevance_counts():
    card = score(LABELS, {"a": True, "b": True, "c": False}, [], [])
    assert (card.relevance.tp, card.relevance.fp, card.relevance.fn) == (1, 1, 1)
    assert card.missed_relevant == ("c",) and card.spurious_relevant == ("b",)


def test_meeting_window_and_duplicates():
    preds = [
        pm("p1", date(2025, 4, 25), ("Ahn Duk-geun",)),
        pm("p2", date(2025, 4, 23)),
        pm("p3", date(2025, 5, 4)),
        pm("p4", date(2025, 6, 1)),
    ]
    card = score(LABELS, {}, preds, [])
    assert card.matches["p1"] == "m1" and card.matches["p3"] == "m2"
    assert card.duplicate_meetings == 1 and card.meetings.fp == 2 and card.meetings.fn == 0


def test_week_window_is_monday_to_sunday():
    card = score(LABELS, {}, [pm("p", date(2025, 5, 5))], [])
    assert "p" not in card.matches or card.matches["p"] != "m2"


def test_deadline_matches_by_value_and_country_overlap_and_changes():
    pred = PredictedDeadline(
        "x",
        "pause",
        ("US", "KR"),
        (date(2025, 4, 9), date(2025, 7, 8), date(2025, 8, 1)),
        ((date(2025, 4, 9), "a"), (date(2025, 7, 8), "a"), (date(2025, 8, 1), "c")),
    )
    card = score(LABELS, {}, [], [pred])
    assert card.deadlines.tp == 1 and card.changes.tp == 2 and card.changes.fn == 0
    assert card.changes_excluded == 1


def test_spurious_change_is_reported():
    pred = PredictedDeadline(
        "x",
        "pause",
        ("US",),
        (date(2025, 4, 9), date(2025, 5, 1)),
        ((date(2025, 4, 9), "a"), (date(2025, 5, 1), "c")),
    )
    card = score(LABELS, {}, [], [pred])
    assert card.changes.fp == 1 and card.changes.fn == 2


def test_render_is_a_table():
    text = score(LABELS, {"a": True}, [], []).render()
    assert "relevance" in text and "deadline changes" in text and "null date excluded" in text


def test_a_prediction_that_fits_two_labels_leaves_the_other_label_to_the_prediction_that_fits_only_it():
    """One-to-one matching takes as many pairs as can be matched at once, whatever order the predictions come
    in (a warehouse returns rows in no set order): 'wide' shares a date with both labels, 'narrow' only with d1."""
    labels = {"items": {}, "meetings": [], "deadlines": [
        {"id": "d1", "countries": ["US"], "history": [{"date": "2025-07-09", "item": "a"}]},
        {"id": "d2", "countries": ["US"], "history": [{"date": "2025-08-01", "item": "a"}]},
    ]}
    wide = PredictedDeadline("wide", "tariff:all", ("US",), (date(2025, 7, 9), date(2025, 8, 1)))
    narrow = PredictedDeadline("narrow", "tariff:autos", ("US",), (date(2025, 7, 9),))
    for order in ([wide, narrow], [narrow, wide]):
        card = score(labels, {}, [], order)
        assert card.matches == {"wide": "d2", "narrow": "d1"}
        assert (card.deadlines.tp, card.deadlines.fp, card.deadlines.fn) == (2, 0, 0)


def test_among_as_many_pairs_the_better_fitting_ones_are_kept():
    """'both' shares both of a1's dates and one of a2's; 'one' shares one date with each: matched both ways
    there are two pairs, and 'both' keeps the label it fits best."""
    labels = {"items": {}, "meetings": [], "deadlines": [
        {"id": "a1", "countries": ["US"], "history": [{"date": "2025-07-09", "item": "a"},
                                                      {"date": "2025-08-01", "item": "a"}]},
        {"id": "a2", "countries": ["US"], "history": [{"date": "2025-07-09", "item": "a"}]},
    ]}
    both = PredictedDeadline("both", "tariff:all", ("US",), (date(2025, 7, 9), date(2025, 8, 1)))
    one = PredictedDeadline("one", "tariff:autos", ("US",), (date(2025, 7, 9),))
    for order in ([both, one], [one, both]):
        assert score(labels, {}, [], order).matches == {"both": "a1", "one": "a2"}
