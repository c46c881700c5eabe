"""The iCalendar feed, read back three ways: by the library that wrote it (icalendar), by an independent parser
(vobject) and by a strict line-based check of RFC 5545's syntax (tests/support/ical_check.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
import vobject

from tasks.publish.calendar import Selection, build_calendar
from tests.support import ical_check
from tests.support.calendar_records import deadline, meeting, report, timeline, value


def events(data: bytes) -> dict[str, icalendar.Event]:
    """Every VEVENT by UID, through icalendar (after the strict check)."""
    ical_check.check(data)
    cal = icalendar.Calendar.from_ical(data)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def vevents(data: bytes) -> dict[str, object]:
    """Every VEVENT by UID, through vobject."""
    cal = vobject.readOne(data.decode("utf-8"))
    return {e.uid.value: e for e in cal.vevent_list}


def test_both_parsers_read_every_event_with_the_same_uids_and_dates():
    t = timeline([meeting("m-1"), meeting("m-2", meeting_date=date(2025, 5, 15), status="scheduled")],
                 [deadline("d-1"), deadline("d-2", due_at=datetime(2025, 8, 1, 4, 1, tzinfo=UTC),
                                            due_date=date(2025, 8, 1))])
    data = build_calendar(t)
    ours, theirs = events(data), vevents(data)
    assert set(ours) == set(theirs) == {"m-1@tradewatch", "m-2@tradewatch", "d-1@tradewatch", "d-2@tradewatch"}
    for uid, event in ours.items():
        assert event.decoded("DTSTART") == theirs[uid].dtstart.value
        assert str(event["SUMMARY"]) == theirs[uid].summary.value
        assert str(event["DESCRIPTION"]) == theirs[uid].description.value
    cal = vobject.readOne(data.decode("utf-8"))
    assert cal.prodid.value.startswith("-//tradewatch//") and cal.version.value == "2.0"


def test_a_day_meeting_is_an_all_day_event_of_one_day_when_its_end_is_unknown():
    e = events(build_calendar(timeline([meeting(meeting_date=date(2025, 4, 24), end_date=None)])))["m-kr-us-1@tradewatch"]
    assert e.decoded("DTSTART") == date(2025, 4, 24) and e.decoded("DTEND") == date(2025, 4, 25)
    assert e["DTSTART"].params["VALUE"] == "DATE"
    assert str(e["SUMMARY"]) == "🇰🇷 KR – 🇺🇸 US: 2+2 talks"
    assert str(e["LOCATION"]) == "Washington"
    assert str(e["TRANSP"]) == "TRANSPARENT"


def test_a_multi_day_meeting_spans_its_days():
    e = events(build_calendar(timeline([meeting(meeting_date=date(2025, 3, 9), end_date=date(2025, 3, 13))])))
    e = e["m-kr-us-1@tradewatch"]
    assert e.decoded("DTSTART") == date(2025, 3, 9) and e.decoded("DTEND") == date(2025, 3, 14)  # exclusive
    assert "When: 9–13 Mar 2025" in str(e["DESCRIPTION"])


@pytest.mark.parametrize(("precision", "day", "first", "end", "words"), [
    ("week", date(2025, 5, 19), date(2025, 5, 19), date(2025, 5, 26), "week of 19 May 2025, day not announced"),
    ("month", date(2025, 6, 1), date(2025, 6, 1), date(2025, 7, 1), "June 2025, day not announced"),
])
def test_a_week_or_month_is_spanned_whole_and_said_in_the_title_never_a_wrong_exact_day(precision, day, first,
                                                                                        end, words):
    e = events(build_calendar(timeline([meeting(meeting_date=day, date_precision=precision)])))["m-kr-us-1@tradewatch"]
    assert e.decoded("DTSTART") == first and e.decoded("DTEND") == end
    assert words in str(e["SUMMARY"])


@pytest.mark.parametrize(("status", "level", "expected", "in_title"), [
    ("held", "reported", "CONFIRMED", None),
    ("scheduled", "confirmed", "CONFIRMED", None),
    ("scheduled", "tentative", "TENTATIVE", "(tentative)"),
    ("held", "tentative", "TENTATIVE", "(tentative)"),
    ("postponed", "reported", "TENTATIVE", "Postponed: "),
    ("cancelled", "reported", "CANCELLED", "Cancelled: "),
])
def test_status_follows_the_meeting_and_a_tentative_one_is_never_confirmed(status, level, expected, in_title):
    data = build_calendar(timeline([meeting(status=status, evidence_level=level)]))
    e = events(data)["m-kr-us-1@tradewatch"]
    assert str(e["STATUS"]) == expected
    assert vevents(data)["m-kr-us-1@tradewatch"].status.value == expected
    if in_title:
        assert in_title in str(e["SUMMARY"])
    else:
        assert "tentative" not in str(e["SUMMARY"]).lower()


def test_officials_evidence_links_and_the_level_are_in_the_description():
    m = meeting(reports=12, evidence=(report(2, title="Bessent says talks 'very successful'"), report(1)))
    e = events(build_calendar(timeline([m])))["m-kr-us-1@tradewatch"]
    text = str(e["DESCRIPTION"])
    assert "Officials: Choi Sang-mok, Scott Bessent" in text
    assert "Evidence: reported" in text
    assert "Bessent says talks 'very successful' (wire, 1 Apr 2025)\n  https://news.example/2" in text
    assert "and 10 more reports" in text
    assert str(e["URL"]) == "https://news.example/2"


def test_uid_sequence_and_last_modified_come_from_the_event():
    updated = datetime(2025, 4, 24, 22, 50, tzinfo=UTC)
    e = events(build_calendar(timeline([meeting(revision=3, updated_at=updated)])))["m-kr-us-1@tradewatch"]
    assert e.decoded("SEQUENCE") == 3
    assert e.decoded("LAST-MODIFIED") == updated == e.decoded("DTSTAMP")
    assert e.decoded("CREATED") == datetime(2025, 4, 21, 1, 30, tzinfo=UTC)


def test_a_moved_deadline_keeps_its_uid_and_raises_its_sequence_with_the_new_date():
    before = deadline(due_date=date(2025, 4, 9), revision=0, history=(value("new", date(2025, 4, 9)),))
    after = deadline()  # moved to 9 Jul, revision 1
    old = events(build_calendar(timeline(deadlines=[before])))["d-us-tariffs@tradewatch"]
    new = events(build_calendar(timeline(deadlines=[after])))["d-us-tariffs@tradewatch"]
    assert old.decoded("DTSTART") == date(2025, 4, 9) and new.decoded("DTSTART") == date(2025, 7, 9)
    assert new.decoded("SEQUENCE") > old.decoded("SEQUENCE")
    assert "(moved from Wed 9 Apr 2025)" in str(new["SUMMARY"])


def test_a_deadline_with_an_instant_is_that_instant_in_utc_and_otherwise_all_day():
    at = datetime(2025, 8, 1, 4, 1, tzinfo=UTC)
    data = build_calendar(timeline(deadlines=[deadline("d-at", due_date=date(2025, 8, 1), due_at=at),
                                              deadline("d-day")]))
    timed, day = events(data)["d-at@tradewatch"], events(data)["d-day@tradewatch"]
    assert timed.decoded("DTSTART") == at and "DTEND" not in timed
    assert timed["DTSTART"].to_ical() == b"20250801T040100Z"
    assert vevents(data)["d-at@tradewatch"].dtstart.value == at
    assert day.decoded("DTSTART") == date(2025, 7, 9) and day.decoded("DTEND") == date(2025, 7, 10)


def test_a_deadline_description_holds_every_move_and_conflicting_reports():
    d = deadline(due_date=date(2025, 8, 1), history=(
        value("new", date(2025, 4, 9)),
        value("change", date(2025, 7, 9), old=date(2025, 4, 9), seen_at=datetime(2025, 4, 9, 20, 30, tzinfo=UTC)),
        value("conflicting", date(2025, 7, 15), seen_at=datetime(2025, 5, 2, 8, 0, tzinfo=UTC)),
        value("change", date(2025, 8, 1), old=date(2025, 7, 9), seen_at=datetime(2025, 7, 7, 22, 20, tzinfo=UTC),
              rate="25%")))
    text = str(events(build_calendar(timeline(deadlines=[d])))["d-us-tariffs@tradewatch"]["DESCRIPTION"])
    lines = [line for line in text.split("\n") if line.startswith("- ")]
    assert lines[:4] == [
        "- 8 Apr 2025: first reported, due Wed 9 Apr 2025",
        "- 9 Apr 2025: moved Wed 9 Apr 2025 → Wed 9 Jul 2025",
        "- 2 May 2025: conflicting report of Tue 15 Jul 2025 (not counted as a move)",
        "- 7 Jul 2025: moved Wed 9 Jul 2025 → Fri 1 Aug 2025 (25%)",
    ]
    assert "Countries: 🇺🇸 US" in text


def test_filters_by_country_date_and_evidence():
    t = timeline([meeting("m-kr"), meeting("m-jp", parties=("JP", "US")),
                  meeting("m-old", meeting_date=date(2025, 1, 10)),
                  meeting("m-tentative", evidence_level="tentative"),
                  meeting("m-undated", meeting_date=None)],
                 [deadline("d-us"), deadline("d-kr", countries=("KR",), due_date=date(2025, 1, 31))])
    assert set(events(build_calendar(t))) == {f"{i}@tradewatch" for i in ("m-kr", "m-jp", "m-old", "m-tentative",
                                                                            "d-us", "d-kr")}
    assert set(events(build_calendar(t, Selection(countries=frozenset({"JP"}))))) == {"m-jp@tradewatch"}
    since = set(events(build_calendar(t, Selection(since=date(2025, 2, 1)))))
    assert since == {"m-kr@tradewatch", "m-jp@tradewatch", "m-tentative@tradewatch", "d-us@tradewatch"}
    assert "m-tentative@tradewatch" not in events(build_calendar(t, Selection(tentative=False)))


def test_a_meeting_that_ends_on_the_since_day_is_kept():
    t = timeline([meeting(meeting_date=date(2025, 5, 19), date_precision="week")])
    assert events(build_calendar(t, Selection(since=date(2025, 5, 25))))
    assert not events(build_calendar(t, Selection(since=date(2025, 5, 26))))


def test_hostile_text_is_escaped_and_only_http_links_are_links():
    m = meeting(location="Geneva;\nROOM\x07,\\ 1", format="summit\r\nBEGIN:VEVENT",
                officials=("A\u202eB",), evidence=(report(1, url="javascript:alert(1)", title="x\nEND:VCALENDAR"),
                                                   report(2, url="https://user:pw@evil.example/")))
    data = build_calendar(timeline([m], [deadline(subject="tariffs; apply,\n\\now")]))
    parsed = events(data)  # the strict check: no control characters, nothing unbalanced
    assert len(parsed) == 2
    e = parsed["m-kr-us-1@tradewatch"]
    assert str(e["LOCATION"]) == "Geneva; ROOM,\\ 1"  # the bell is gone, the rest escaped and read back
    assert "URL" not in e and b"javascript:" not in data and b"evil.example" not in data
    assert "AB" in str(e["DESCRIPTION"])  # the bidi override is gone


def test_the_same_events_give_the_same_bytes():
    t = timeline([meeting("m-2", meeting_date=date(2025, 5, 1)), meeting("m-1")], [deadline()])
    assert build_calendar(t) == build_calendar(timeline(list(reversed(t.meetings)), t.deadlines,
                                                        as_of=t.as_of + timedelta(days=3)))


def test_the_calendar_has_a_name_and_asks_to_be_refreshed_hourly():
    cal = icalendar.Calendar.from_ical(build_calendar(timeline(), Selection(name="Korea desk")))
    assert str(cal["X-WR-CALNAME"]) == str(cal["NAME"]) == "Korea desk"
    assert cal.decoded("REFRESH-INTERVAL") == timedelta(hours=1)
    assert not list(cal.walk("VEVENT"))


@pytest.mark.parametrize(("broken", "why"), [
    (lambda d: d.replace(b"\r\n", b"\n"), "CRLF"),
    (lambda d: d.replace(b"LOCATION:Washington", b"LOCATION:" + b"W" * 80), "octets"),
    (lambda d: d.replace(b"END:VEVENT\r\n", b"", 1), "closes"),
    (lambda d: d.replace(b"LOCATION:Washington", b"LOCATION:Wash\x01ington"), "control character"),
    (lambda d: d.replace(b"UID:m-kr-us-1@tradewatch\r\n", b""), "UID exactly once"),
])
def test_the_strict_check_refuses_what_rfc_5545_forbids(broken, why):
    data = build_calendar(timeline([meeting()]))
    ical_check.check(data)
    with pytest.raises(ical_check.ICalError, match=why):
        ical_check.check(broken(data))
