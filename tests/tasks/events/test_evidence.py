"""What the reports of an event add up to: evidence levels (tasks/events/evidence.py), which reports of a meeting
are one meeting (tasks/events/decide.py) and when a meeting is announced (tasks/events/apply.py)."""

import json
from datetime import UTC, date, datetime

import pytest

from records.findings import Findings, MeetingMention, Official
from records.official import is_official
from tasks.events.apply import AlertPolicy, Resolver
from tasks.events.decide import resolve_meeting
from tasks.events.evidence import (
    CONFIRMED,
    MAX_STORIES,
    REPORTED,
    TENTATIVE,
    Provenance,
    level,
    merged,
)


def told_by(*stories: str, official: bool = False) -> dict:
    proof: dict = {}
    for story in stories:
        proof = merged(proof, Provenance(f"item-{story}", story_id=story, official=official), ())
    return proof


# ---------------------------------------------------------------- merged


def test_a_new_report_keeps_what_the_evidence_already_held():
    before = {"alerted": True, "conflicting": [["2025-09-01", "s2", True]], "stories": ["s1"], "signals": ["x"]}
    after = merged(before, Provenance("item-9", story_id="s3"), ("explicit",))
    assert after["alerted"] is True
    assert after["conflicting"] == [["2025-09-01", "s2", True]]
    assert after["stories"] == ["s1", "s3"] and after["signals"] == ["explicit", "x"]


def test_the_same_story_told_again_counts_once():
    proof = told_by("wire-1", "wire-1", "wire-1")
    assert proof["stories"] == ["wire-1"]


def test_an_item_without_a_story_counts_as_its_own_story():
    proof = merged({}, Provenance("item-7"), ())
    assert proof["stories"] == ["item-7"]


def test_stories_are_capped():
    proof = told_by(*(f"s{i}" for i in range(MAX_STORIES + 5)))
    assert MAX_STORIES == 12
    assert proof["stories"] == [f"s{i}" for i in range(MAX_STORIES)]


def test_an_official_report_stays_official_after_later_news_reports():
    proof = merged(told_by("gov", official=True), Provenance("item-n", story_id="news"), ())
    assert proof["official"] is True


# ---------------------------------------------------------------- level


def test_a_vague_single_report_is_tentative():
    assert level(told_by("s1"), explicit=False) == TENTATIVE


def test_an_explicit_single_report_is_reported():
    assert level(told_by("s1"), explicit=True) == REPORTED


def test_an_explicit_report_from_a_primary_source_is_confirmed():
    assert level(told_by("s1", official=True), explicit=True) == CONFIRMED


def test_an_explicit_event_told_by_two_independent_stories_is_confirmed():
    assert level(told_by("s1", "s2"), explicit=True) == CONFIRMED


def test_wire_copies_of_one_story_confirm_nothing():
    assert level(told_by("s1", "s1"), explicit=True) == REPORTED


def test_an_official_source_alone_does_not_lift_a_vague_report_above_tentative():
    assert level(told_by("s1", official=True), explicit=False) == TENTATIVE


# ---------------------------------------------------------------- is_official


@pytest.mark.parametrize(
    "url",
    [
        "https://ustr.gov/about-us/policy-offices/press-office/press-releases/2025/june/statement",
        "https://www.ustr.gov/trade-agreements",
        "https://ec.europa.eu/commission/presscorner/detail/en/ip_25_1234",
        "https://www.gov.uk/government/news/uk-and-gulf-states-conclude-talks",
        "https://questions.parliament.gov.uk/written-questions/detail/2025-06-02",
    ],
)
def test_government_sites_are_official(url):
    assert is_official(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.reuters.com/world/us-tariffs-2025-06-02/",
        "https://ustr.gov.example.com/press-release",
        "https://notgov.uk/news",
        None,
    ],
)
def test_other_sites_are_not_official(url):
    assert not is_official(url)


@pytest.mark.parametrize("kind", ["ustr", "federal_register"])
def test_an_official_source_kind_is_official_whatever_its_address(kind):
    assert is_official("https://mirror.example.org/feed", kind)


def test_a_news_source_kind_is_not_official():
    assert not is_official("https://mirror.example.org/feed", "rss")


# ---------------------------------------------------------------- reports of one meeting (decide.resolve_meeting)

SEEN = datetime(2025, 6, 10, 9, 0, tzinfo=UTC)
LATER = datetime(2025, 6, 12, 9, 0, tzinfo=UTC)


def mention(day: date | None, *, parties=("GB", "IN"), precision="day", status="scheduled", fmt=None,
            officials=(), location=None, end: date | None = None, signals=()) -> MeetingMention:
    return MeetingMention(tuple(sorted(parties)), day, precision if day else None, None, location, fmt,
                          tuple(Official(n) for n in officials), status, "", end, tuple(signals))


def test_a_report_of_a_day_inside_a_multi_day_round_is_that_round():
    round_ = resolve_meeting(mention(date(2025, 6, 16), end=date(2025, 6, 19)), SEEN, []).event
    day_three = resolve_meeting(mention(date(2025, 6, 18), status="held"), LATER, [round_])
    assert day_three.action != "new" and day_three.event.meeting_id == round_.meeting_id


def test_a_report_of_a_day_after_a_multi_day_round_is_another_meeting():
    round_ = resolve_meeting(mention(date(2025, 6, 16), end=date(2025, 6, 19)), SEEN, []).event
    after = resolve_meeting(mention(date(2025, 6, 21), status="held"), LATER, [round_])
    assert after.action == "new"


def test_a_plan_and_its_report_two_days_apart_with_a_shared_official_are_one_meeting():
    plan = resolve_meeting(mention(date(2025, 6, 11), officials=("Tom Hale", "Ravi Menon")), SEEN, []).event
    held = resolve_meeting(mention(date(2025, 6, 13), status="held", officials=("Ravi Menon",)), LATER, [plan])
    assert held.event.meeting_id == plan.meeting_id and held.event.status == "held"


def test_two_plans_two_days_apart_are_two_meetings():
    plan = resolve_meeting(mention(date(2025, 6, 11), officials=("Tom Hale", "Ravi Menon")), SEEN, []).event
    other = resolve_meeting(mention(date(2025, 6, 13), officials=("Ravi Menon",)), LATER, [plan])
    assert other.action == "new"


def test_different_officials_in_different_cities_on_one_day_are_two_meetings():
    london = resolve_meeting(mention(date(2025, 6, 11), officials=("Tom Hale", "Ravi Menon"), location="London"),
                             SEEN, []).event
    delhi = resolve_meeting(mention(date(2025, 6, 11), officials=("Maya Iyer", "Owen Price"), location="New Delhi"),
                            SEEN, [london])
    assert delhi.action == "new"


def test_a_call_and_a_ministers_meeting_in_one_week_are_two_meetings():
    call = resolve_meeting(mention(date(2025, 6, 10), fmt="call", officials=("Tom Hale", "Ravi Menon")), SEEN,
                           []).event
    visit = resolve_meeting(mention(date(2025, 6, 9), precision="week", fmt="ministerial",
                                    officials=("Tom Hale", "Ravi Menon")), SEEN, [call])
    assert visit.action == "new"


# ---------------------------------------------------------------- when a meeting is announced (apply.Resolver)

NOW = datetime(2025, 6, 20, 12, 0, tzinfo=UTC)
TOGETHER = ("meeting-words", "parties-together")


def new_meeting_alerts(*reports: tuple[str, MeetingMention]) -> list:
    """The new-meeting alerts a run decides for reports (story, mention) read in order."""
    resolver = Resolver([], [], now=NOW, policy=AlertPolicy())
    for story, m in reports:
        findings = Findings(f"item-{story}", True, "test", tuple(m.parties), (m,), ())
        resolver.apply(findings, published_at=NOW, provenance=Provenance(f"item-{story}", story_id=story))
    return [a for a in resolver.drain().alerts if a.kind == "new_meeting"]


def test_an_explicit_meeting_is_announced_once():
    held = mention(date(2025, 6, 18), status="held", officials=("Tom Hale", "Ravi Menon"), signals=TOGETHER)
    alerts = new_meeting_alerts(("s1", held), ("s2", held))
    assert len(alerts) == 1 and alerts[0].state == "pending"
    assert json.loads(alerts[0].payload)["event"]["parties"] == ["GB", "IN"]


def test_a_tentative_meeting_is_not_announced():
    vague = mention(date(2025, 6, 23), officials=("Tom Hale",), signals=("meeting-words",))
    assert new_meeting_alerts(("s1", vague)) == []


def test_a_tentative_meeting_is_announced_when_a_second_story_tells_it():
    vague = mention(date(2025, 6, 23), officials=("Tom Hale",), signals=("meeting-words",))
    assert len(new_meeting_alerts(("s1", vague), ("s2", vague))) == 1


def test_a_meeting_held_more_than_a_week_before_the_run_is_kept_quiet():
    old = mention(date(2025, 6, 12), status="held", officials=("Tom Hale", "Ravi Menon"), signals=TOGETHER)
    assert new_meeting_alerts(("s1", old), ("s2", old)) == []


def test_a_meeting_held_within_the_week_is_announced():
    recent = mention(date(2025, 6, 14), status="held", officials=("Tom Hale", "Ravi Menon"), signals=TOGETHER)
    assert len(new_meeting_alerts(("s1", recent))) == 1
