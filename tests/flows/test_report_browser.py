"""The report of the demo warehouse (built by the real pipeline: `flows.demo.run_demo`) as headless Chromium
renders it: after the page's own script ran, its marks and arrows are the warehouse's meetings and deadline
moves, the country filter hides what it should, it fits a phone, and a screenshot is written."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from tests.support import browser
from warehouse import snapshot

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]


@pytest.fixture(scope="module")
def demo(request) -> Path:
    browser.chromium()  # skip (or, in CI, fail) before the replay when there is no browser
    return request.getfixturevalue("shared_demo") / "demo"


def scalar(demo: Path, sql: str) -> int:
    con = snapshot.open_snapshot(demo / "demo.duckdb")
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def rendered(demo: Path, fragment: str = "", **size) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(browser.dump_dom((demo / "demo.report.html").as_uri() + fragment, **size))


def test_the_rendered_page_has_a_mark_per_meeting_and_an_arrow_per_deadline_move(demo):
    meetings = scalar(demo, "SELECT count(*) FROM meetings WHERE meeting_date IS NOT NULL")
    moves = scalar(demo, "SELECT count(*) FROM deadline_changes WHERE old_date <> new_date")
    assert meetings > 0 and moves > 0
    doc = rendered(demo)
    body = doc.xpath("//body")[0]
    assert body.get("data-ready") == "true"  # the script ran (the page's policy allowed it)
    assert len(doc.xpath("//div[@class='timeline']//*[@data-meeting-id]")) == meetings
    assert len(doc.xpath("//div[@class='timeline']//*[@class='move'][@data-deadline-id]")) == moves
    assert (body.get("data-shown-meetings"), body.get("data-shown-moves")) == (str(meetings), str(moves))
    assert doc.xpath("string(//p[@id='shown'])").startswith(f"Showing {meetings} meeting")


def test_the_country_filter_in_the_address_hides_what_involves_none_of_its_countries(demo):
    doc = rendered(demo, "#countries=KR")
    assert doc.xpath("//body/@data-filter") == ["KR"]  # the boxes the script left ticked
    assert len(doc.xpath("//fieldset[@id='filter']//input")) > 1
    tagged = doc.xpath("//*[@data-countries]")
    assert any("KR" not in el.get("data-countries").split() for el in tagged)  # something to hide
    for el in tagged:
        involves_kr = "KR" in el.get("data-countries").split()
        assert (el.get("hidden") is None) == involves_kr, lxml.html.tostring(el)[:120]
    shown = doc.xpath("//div[@class='timeline']/div[not(@hidden)]//*[@data-meeting-id]")
    assert doc.xpath("//body/@data-shown-meetings") == [str(len(shown))]


def test_the_page_fits_a_phone_screen(demo):
    doc = rendered(demo, width=390, height=844)
    assert doc.xpath("//body/@data-ready") == ["true"]
    assert doc.xpath("//body/@data-overflow") == ["false"]  # only the timeline scrolls sideways, in its box


def test_a_screenshot_of_the_report_is_written(demo, tmp_path):
    png = browser.screenshot((demo / "demo.report.html").as_uri(), tmp_path / "report.png", width=1280,
                             height=1000)
    assert browser.png_size(png) == (1280, 1000)
    assert png.stat().st_size > 20_000  # a rendered page, not a blank one
