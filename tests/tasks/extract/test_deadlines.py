from datetime import UTC, date, datetime

import pytest

from records.items import Item
from tasks.extract import extract
from tests.support.fixture_texts import fixture_files, load_fixture


def deadlines(body: str, published: str = "2025-05-26T10:00:00-04:00", title: str = "Tariff news"):
    ts = datetime.fromisoformat(published)
    it = Item(
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
    return extract(it).deadlines


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.stem)
def test_fixture_deadlines(path):
    it, expect = load_fixture(path)
    found = {(d.subject, d.countries, d.due_date) for d in extract(it).deadlines}
    want = {
        (d["subject"], tuple(d["countries"]), date.fromisoformat(d["due_date"])) for d in expect["deadlines"]
    }
    assert found == want


def test_pause_end_has_equivalent_neighbouring_dates():
    (d,) = deadlines(
        "WASHINGTON -- Trump's 90-day pause on reciprocal tariffs expires on July 9, officials said."
    )
    assert (d.subject, d.countries, d.due_date) == ("tariff:all:reciprocal", ("US",), date(2025, 7, 9))
    assert date(2025, 7, 8) in d.equivalent_dates


def test_threatened_tariff_on_a_partner():
    (d,) = deadlines(
        "WASHINGTON -- President Trump threatened a 50% tariff on imports from the European Union from June 1.",
        published="2025-05-23T12:00:00-04:00",
    )
    assert (d.subject, d.countries, d.due_date) == ("tariff:all", ("EU", "US"), date(2025, 6, 1))
    assert d.rate == "50%" and d.change is None


def test_new_value_not_the_old_one():
    (d,) = deadlines(
        "WASHINGTON -- Trump pushed back his threatened 50% tariff on EU goods to July 9 from June 1."
    )
    assert d.due_date == date(2025, 7, 9)
    assert d.change == "pushed back" and d.moved_from == date(2025, 6, 1)


def test_countermeasures_suspension():
    (d,) = deadlines(
        "BRUSSELS -- The EU's countermeasures against U.S. steel tariffs remain suspended until 14 July.",
        published="2025-04-15T10:00:00+02:00",
    )
    # (the steel tariffs are what the countermeasures answer, not their goods)
    assert (d.subject, d.countries, d.due_date) == ("countermeasure:all", ("EU", "US"), date(2025, 7, 14))


def test_negotiation_target_and_pause_in_one_sentence():
    found = deadlines(
        "SEOUL -- The two sides aim to complete a package deal by July 8, when the U.S. pause on reciprocal tariffs ends.",
        published="2025-04-25T10:00:00+09:00",
    )
    assert {(d.subject, d.countries) for d in found} == {
        ("negotiation:all", ("KR", "US")),
        ("tariff:all:reciprocal", ("US",)),
    }


def test_sector_tariff_with_instant():
    (d,) = deadlines(
        "WASHINGTON -- The reduced 15% tariff applies to Japanese cars entered on or after 12:01 a.m. EDT on Sept. 16.",
        published="2025-09-15T17:00:00-04:00",
    )
    assert d.subject == "tariff:autos:reduced" and d.countries == ("JP", "US") and d.rate == "15%"
    assert d.due_at is not None and d.due_at.hour == 0 and d.due_at.minute == 1


@pytest.mark.parametrize("text", ["The pause lasts 90 days.", "The higher rates would apply in early July."])
def test_vague_statements_create_no_deadline(text):
    assert deadlines("WASHINGTON -- U.S. tariffs: " + text) == ()


def test_date_of_a_meeting_is_not_a_deadline():
    assert (
        deadlines("WASHINGTON -- Seoul confirms Thursday date for first 2+2 tariff talks with Washington.")
        == ()
    )


def test_a_partners_truce_is_not_the_general_pause():
    found = deadlines(
        "WASHINGTON -- Trump extended a pause on higher tariffs on Chinese goods. "
        "The order keeps the suspension in place until 12:01 a.m. EST on Nov. 10.",
        published="2025-08-11T19:00:00-04:00",
    )
    # a partner's truce dates the tariffs it holds back on that partner: never the general pause
    assert {(d.subject, d.countries, d.due_date) for d in found} == {("tariff:all", ("CN", "US"), date(2025, 11, 10))}


def test_an_additional_tariff_is_its_own_deadline():
    (d,) = deadlines(
        "NEW DELHI -- The additional 25 per cent tariff imposed by the US on Indian goods will take effect from August 27.",
        published="2025-08-07T13:00:00+05:30",
    )
    assert (d.subject, d.countries, d.due_date) == ("tariff:all:additional", ("IN", "US"), date(2025, 8, 27))


def test_rates_for_many_partners_are_the_general_deadline():
    (d,) = deadlines(
        "WASHINGTON -- Higher U.S. tariffs on imports from dozens of countries took effect on Thursday.",
        published="2025-08-07T06:00:00-04:00",
    )
    assert (d.subject, d.countries, d.due_date) == ("tariff:all", ("US",), date(2025, 8, 7))


@pytest.mark.parametrize(
    "body",
    [
        "WASHINGTON -- Trump set new tariff rates, to take effect in seven days rather than on Friday as planned.",
        "NEW DELHI -- The tariff will apply from next week and not from Friday as announced earlier.",
    ],
)
def test_the_replaced_value_is_not_a_deadline(body):
    assert deadlines(body, published="2025-07-31T23:00:00-04:00") == ()


def test_agreed_changes_take_effect_after_a_tariff_sentence():
    found = deadlines(
        "GENEVA -- The United States will cut its tariffs on Chinese goods and China will cut its duties. "
        "The changes take effect on Wednesday.",
        published="2025-05-12T15:00:00+02:00",
    )
    assert [(d.subject, d.countries, d.due_date) for d in found] == [
        ("tariff:all:reduced", ("CN", "US"), date(2025, 5, 14))
    ]


def test_a_call_date_is_not_a_tariff_date():
    found = deadlines(
        "BERN -- Switzerland will keep talking about the 39% U.S. tariff, after a call between the Swiss president "
        "and U.S. President Donald Trump on Thursday failed to produce a deal.",
        published="2025-08-01T12:00:00+02:00",
    )
    assert found == ()


def test_a_negotiation_target_without_tariff_words():
    found = deadlines(
        "OTTAWA -- Canada will keep negotiating with the United States toward the July 21 target date.",
        published="2025-07-11T07:30:00-04:00",
    )
    assert [(d.subject, d.countries, d.due_date) for d in found] == [
        ("negotiation:all", ("CA", "US"), date(2025, 7, 21))
    ]


# ---------------------------------------------------------------- generalisation (blind set error classes)


def test_the_day_someone_told_reporters_is_no_deadline():
    assert (
        deadlines(
            "BRUSSELS -- The commissioner told reporters on Thursday that steel still faces a 50 percent US duty.",
            published="2025-11-21T16:00:00+01:00",
        )
        == ()
    )


def test_a_call_to_complete_a_deal_is_no_negotiation_target():
    assert all(
        not d.subject.startswith("negotiation")
        for d in deadlines(
            "MADRID -- Bessent said the presidents will speak on Friday to complete the deal.",
            published="2025-09-15T19:00:00+02:00",
        )
    )


def test_talks_aimed_at_a_threatened_tariff_give_the_threat_not_a_target():
    found = deadlines(
        "WASHINGTON -- Bessent said the talks aimed to head off the threatened 100% tariff on Chinese goods, "
        "due to take effect on Nov. 1.",
        published="2025-10-23T19:00:00-04:00",
    )
    assert [d.subject for d in found] == ["tariff:all"] and found[0].countries == ("CN", "US")


def test_a_reciprocal_rate_on_one_partners_goods_is_that_partners_deadline():
    (d,) = deadlines(
        "HANOI -- The prime minister spoke with Trump on Friday as Hanoi seeks relief from a 46 percent reciprocal "
        "tariff due to apply to Vietnamese goods from April 9.",
        published="2025-04-05T10:00:00+07:00",
    )
    assert (d.subject, d.countries, d.due_date) == ("tariff:all:reciprocal", ("US", "VN"), date(2025, 4, 9))


def test_partners_that_have_not_retaliated_are_no_countermeasures():
    found = deadlines(
        "WASHINGTON -- The pause covers trading partners that have not retaliated; the higher reciprocal rates "
        "apply again on July 9.",
        published="2025-04-09T16:30:00-04:00",
    )
    assert {(d.subject, d.countries) for d in found} == {("tariff:all:reciprocal", ("US",))}


def test_a_tariff_cut_with_an_effective_date_is_an_agreed_rate():
    (d,) = deadlines(
        "The United States will lower the tariffs on Mexican imports by five percentage points, effective March 3.",
        published="2026-02-20T10:00:00-05:00",
    )
    assert (d.subject, d.countries, d.due_date) == ("tariff:all:reduced", ("MX", "US"), date(2026, 3, 3))


def test_modified_rates_for_trading_partners_are_the_general_rates():
    (d,) = deadlines(
        "The U.S. order sets modified reciprocal tariff rates for trading partners, effective September 1, 2025.",
        published="2025-08-25T10:00:00-04:00",
    )
    assert (d.subject, d.countries) == ("tariff:all:reciprocal", ("US",))


def test_a_trade_pacts_joint_review_date_is_a_deadline():
    found = deadlines(
        "SANTIAGO -- Under the agreement, Chile and South Korea must hold a joint review on March 1, 2027, officials "
        "said.",
        published="2026-01-10T10:00:00-03:00",
        title="Chile, Korea trade pact review",
    )
    assert [(d.subject, d.due_date) for d in found] == [("review:all", date(2027, 3, 1))]
    assert set(found[0].countries) == {"CL", "KR"}
