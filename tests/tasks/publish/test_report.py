"""The report page, read back as HTML (lxml): what it shows, what it links, and that it can load nothing."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, date, datetime, timedelta

import lxml.html
import pytest

from records.calendar import MeetingChangeEntry
from tasks.publish.report import build_report
from tests.support.calendar_records import AS_OF, deadline, meeting, report, timeline, value


def page(t, **kw):
    return lxml.html.document_fromstring(build_report(t, **kw))


def texts(doc, xpath: str) -> list[str]:
    return [" ".join(el.text_content().split()) for el in doc.xpath(xpath)]


def test_the_page_loads_nothing_and_runs_only_its_own_script():
    html = build_report(timeline([meeting()], [deadline()]))
    doc = lxml.html.document_fromstring(html)
    assert not doc.xpath("//*[@src] | //link | //iframe | //object | //embed | //img")
    assert "@import" not in html and "url(http" not in html
    csp = doc.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    assert "default-src 'none'" in csp
    (script,), (style,) = doc.xpath("//script/text()"), doc.xpath("//style/text()")

    def sha(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert f"script-src {sha(script)}" in csp and f"style-src {sha(style)}" in csp
    assert not doc.xpath("//*[@style]")  # inline style attributes would be refused by that policy
    assert not [a for a in doc.xpath("//@*") if a.attrname.startswith("on")]


def test_one_mark_per_dated_meeting_and_one_arrow_per_deadline_move():
    t = timeline([meeting("m-1"), meeting("m-2", meeting_date=date(2025, 5, 19), date_precision="week"),
                  meeting("m-3", parties=("JP", "US")), meeting("m-undated", meeting_date=None)],
                 [deadline("d-1"), deadline("d-2", countries=("KR", "US"), history=(value(),))])
    doc = page(t)
    marks = doc.xpath("//*[contains(@class, 'mark') and contains(@class, 'meeting')][@data-meeting-id]")
    assert sorted(m.get("data-meeting-id") for m in marks) == ["m-1", "m-2", "m-3"]
    moves = doc.xpath("//*[@class='move'][@data-deadline-id]")
    assert [(m.get("data-deadline-id"), m.get("data-old"), m.get("data-new")) for m in moves] == [
        ("d-1", "2025-04-09", "2025-07-09")]
    body = doc.xpath("//body")[0]
    assert (body.get("data-meetings"), body.get("data-deadlines"), body.get("data-moves")) == ("3", "2", "1")
    assert "m-undated" in " ".join(doc.xpath("//article/@id"))  # listed, though not on the timeline


def test_a_row_per_country_pair_and_a_row_for_a_one_country_deadline():
    doc = page(timeline([meeting("m-1"), meeting("m-2", parties=("US", "JP"))], [deadline("d-us")]))
    rows = doc.xpath("//div[@class='row']")
    assert [r.get("data-countries") for r in rows] == ["JP US", "KR US", "US"]
    assert [len(r.xpath(".//*[@data-meeting-id]")) for r in rows] == [1, 1, 0]
    assert rows[2].xpath(".//*[@class='deadline']/@data-deadline-id") == ["d-us"]


def test_marks_say_status_precision_and_evidence():
    doc = page(timeline([meeting("m-w", date_precision="week", status="scheduled", evidence_level="tentative"),
                         meeting("m-c", status="cancelled", meeting_date=date(2025, 6, 2))]))
    week = doc.xpath("//*[@data-meeting-id='m-w']")[0]
    assert set(week.get("class").split()) == {"mark", "meeting", "status-scheduled", "tentative", "imprecise"}
    assert week.xpath("./rect") and (week.get("data-first"), week.get("data-last")) == ("2025-04-24", "2025-04-30")
    cancelled = doc.xpath("//*[@data-meeting-id='m-c']")[0]
    assert cancelled.xpath("./line[@class='strike']") and cancelled.get("data-status") == "cancelled"
    assert "(tentative)" in cancelled.getparent().getparent().xpath("string(//*[@data-meeting-id='m-w']/title)")


def test_upcoming_shows_the_next_30_days_with_evidence():
    today = AS_OF.date()
    t = timeline([meeting("m-soon", meeting_date=today + timedelta(days=3), status="scheduled"),
                  meeting("m-far", meeting_date=today + timedelta(days=31)),
                  meeting("m-past", meeting_date=today - timedelta(days=1)),
                  meeting("m-month", meeting_date=today.replace(day=1), date_precision="month")],
                 [deadline("d-soon", due_date=today + timedelta(days=22)), deadline("d-past")])
    items = page(t).xpath("//section[@id='upcoming']//li")
    hrefs = [li.xpath(".//a/@href")[0] for li in items]
    assert hrefs == ["#ev-m-m-month", "#ev-m-m-soon", "#ev-d-d-soon"]
    assert "July 2025 (day not announced)" in items[0].text_content()
    assert items[1].xpath(".//a[@href='https://news.example/2']")


def test_recent_changes_are_the_last_7_days_newest_first_each_with_its_report():
    now = AS_OF
    t = timeline(
        [meeting("m-new", first_seen_at=now - timedelta(days=2)), meeting("m-old")],
        [deadline("d-1", due_date=date(2025, 8, 1), history=(
            value("new", date(2025, 4, 9)),
            value("change", date(2025, 8, 1), old=date(2025, 7, 9), seen_at=now - timedelta(days=3),
                  report=report(9, url="https://gov.example/order")),
            value("conflicting", date(2025, 8, 15), seen_at=now - timedelta(days=1)),
            value("change", date(2025, 7, 9), old=date(2025, 4, 9), seen_at=now - timedelta(days=8))))],
        [MeetingChangeEntry("m-old", now - timedelta(hours=5), "status", "scheduled", "held", report(4)),
         MeetingChangeEntry("m-old", now - timedelta(days=9), "location", None, "Seoul", report(5))])
    lines = texts(page(t), "//section[@id='changes']//li")
    starts = ["10 Jul 2025 🇰🇷 KR – 🇺🇸 US", "9 Jul 2025 Conflicting report", "8 Jul 2025 New meeting",
              "7 Jul 2025 Deadline moved"]
    assert len(lines) == len(starts) and all(map(str.startswith, lines, starts)), lines
    assert "Status scheduled → held" in lines[0]
    assert "Deadline moved: reciprocal tariff rates apply (🇺🇸 US) — Wed 9 Jul 2025 → Fri 1 Aug 2025" in lines[3]
    assert "(not counted as a move)" in lines[1]
    doc = page(t)
    assert doc.xpath("//section[@id='changes']//a[@href='https://gov.example/order']")


def test_hostile_text_stays_text_and_only_http_links_are_links():
    evil = meeting(location="<script>alert(1)</script>", format="<img src=x onerror=alert(1)>",
                   evidence=(report(1, title="<b>bold</b>", url="javascript:alert(1)"),
                             report(2, url="https://ok.example/a?b=1&c=\"2\"")))
    html = build_report(timeline([evil], [deadline(subject="</text><script>x</script>")]))
    doc = lxml.html.document_fromstring(html)
    assert len(doc.xpath("//script")) == 1 and not doc.xpath("//img") and not doc.xpath("//b")
    assert "javascript:" not in html
    assert doc.xpath("//a[@href='https://ok.example/a?b=1&c=\"2\"']")
    assert "<script>alert(1)</script>" in doc.xpath("string(//article[@id='ev-m-m-kr-us-1'])")


def test_the_filter_offers_every_country_and_every_filtered_element_names_its_countries():
    doc = page(timeline([meeting(), meeting("m-2", parties=("EU", "US"))], [deadline(countries=("CN",))]))
    assert doc.xpath("//fieldset[@id='filter']//input/@value") == ["CN", "EU", "KR", "US"]
    for el in doc.xpath("//ul[@class='list']/li | //article | //div[@class='row']"):
        assert re.fullmatch(r"[A-Z]{2}( [A-Z]{2})*", el.get("data-countries") or ""), lxml.html.tostring(el)[:200]


def test_an_empty_warehouse_gives_a_page_that_says_so():
    doc = page(timeline())
    assert "No dated meeting or deadline yet." in doc.text_content()
    assert not doc.xpath("//fieldset")


@pytest.mark.parametrize("href", [None, "demo.calendar.ics"])
def test_the_calendar_is_linked_when_there_is_one(href):
    links = page(timeline([meeting()]), calendar_href=href).xpath("//header//a/@href")
    assert links == ([href] if href else [])


def test_the_timeline_axis_runs_from_the_first_month_to_past_today():
    t = timeline([meeting(meeting_date=date(2025, 3, 30))], as_of=datetime(2025, 9, 2, tzinfo=UTC))
    months = texts(page(t), "//svg[@class='axis']//*[@class='month']")
    assert months == ["Mar 2025", "Apr", "May", "Jun", "Jul", "Aug", "Sep"]
