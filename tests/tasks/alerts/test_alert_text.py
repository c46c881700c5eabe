"""Alert text reads right: counts agree in number, a moved deadline shows its due date once, every report is
accounted for, and the evidence of a move is the reports of the new date."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime

from records.config import SlackConfig
from tasks.alerts import format as fmt
from tasks.alerts.delivery import deliver_pending
from tasks.alerts.format import Evidence
from warehouse import connection

NOW = datetime(2025, 7, 8, 12, 0, tzinfo=UTC)
MOVED = {
    "kind": "deadline_change", "event_kind": "deadline", "event_id": "d1", "item_id": "new1",
    "event": {"subject": "reciprocal tariff rates take effect", "countries": ["KR", "US"],
              "due_date": "2025-08-01", "due_at": None},
    "change": {"old_date": "2025-07-09", "new_date": "2025-08-01"},
}
MEETING = {
    "kind": "new_meeting", "event_kind": "meeting", "event_id": "m1", "item_id": "r0",
    "event": {"parties": ["KR", "US"], "meeting_date": "2025-04-24", "date_precision": "day",
              "status": "scheduled"},
}


def report(n: int, reported: date | None = None) -> Evidence:
    return Evidence(item_id=f"r{n}", title=f"Report {n}", url=f"https://news.example/{n}", source_id="wire",
                    published_at=datetime(2025, 4, 1 + n, tzinfo=UTC), reported_date=reported)


def test_one_report_is_one_report_not_one_reports():
    text = fmt.console_text(MEETING, [report(0)])
    assert "Evidence (1 report):" in text
    assert "*Evidence* (1 report)" in json.dumps(fmt.alert_message(MEETING, [report(0)]).blocks)


def test_a_moved_deadline_shows_its_due_date_once():
    text = fmt.console_text(MOVED, [])
    assert [line.strip() for line in text.splitlines() if line.strip().startswith("Due:")] == [
        "Due: Wed 9 Jul 2025 → Fri 1 Aug 2025"]
    sections = [b["text"]["text"] for b in fmt.alert_message(MOVED, []).blocks if b["type"] == "section"]
    assert sum(s.count("*Due:*") for s in sections) == 1


def test_the_console_counts_the_reports_it_does_not_list():
    reports = [report(n) for n in range(10)]
    text = fmt.console_text(MEETING, reports)
    assert "Evidence (10 reports):" in text
    assert sum(1 for line in text.splitlines() if line.startswith("    - ")) == fmt.EVIDENCE_SHOWN
    assert text.splitlines()[-1] == "    + 2 more"


def test_the_evidence_of_a_move_is_the_reports_of_the_new_date():
    evidence = [report(1, date(2025, 7, 9)), report(2, date(2025, 7, 9)), report(3, date(2025, 8, 1))]
    text = fmt.console_text(MOVED, evidence, reports=3)
    assert "Evidence (1 report):" in text and "Report 3" in text
    assert "Report 1" not in text and "Report 2" not in text
    blocks = json.dumps(fmt.alert_message(MOVED, evidence, reports=3).blocks)
    assert "Report 3" in blocks and "Report 1" not in blocks and "(1 report)" in blocks


def test_delivery_lists_only_the_articles_that_reported_the_new_date(tmp_path, monkeypatch):
    """Through the warehouse: mentions and deadline_values say which article gave which date."""
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    path = tmp_path / "tw.duckdb"
    with connection.writer(path) as con:
        con.execute("INSERT INTO core.deadlines (deadline_id, subject, subject_label, countries, due_date,"
                    " first_seen_at, updated_at) VALUES ('d1', 'reciprocal', 'reciprocal tariff rates take effect',"
                    " ['KR', 'US'], DATE '2025-08-01', ?, ?)", [NOW, NOW])
        for item, due, action in (("old1", "2025-07-09", "new"), ("old2", "2025-07-09", "restated"),
                                  ("new1", "2025-08-01", "change")):
            con.execute("INSERT INTO core.items (item_id, source_id, title, summary, body, content_hash,"
                        " first_seen_at, last_seen_at, url) VALUES (?, 'wire', ?, '', '', ?, ?, ?, ?)",
                        [item, f"headline {item}", item, NOW, NOW, f"https://news.example/{item}"])
            con.execute("INSERT INTO core.mentions (item_id, event_kind, event_id) VALUES (?, 'deadline', 'd1')",
                        [item])
            con.execute("INSERT INTO core.deadline_values (deadline_id, action, due_date, item_id, seen_at)"
                        " VALUES ('d1', ?, ?, ?, ?)", [action, due, item, NOW])
        con.execute("INSERT INTO core.alert_outbox (alert_id, kind, event_kind, event_id, created_at, state, text,"
                    " payload) VALUES ('a1', 'deadline_change', 'deadline', 'd1', ?, 'pending', 'moved', ?)",
                    [NOW, json.dumps(MOVED)])
    out = io.StringIO()
    report_ = deliver_pending(path, slack=SlackConfig(channel="#x"), now=NOW, out=out)
    assert report_.delivered == 1
    text = out.getvalue()
    assert "headline new1" in text and "Evidence (1 report):" in text
    assert "headline old1" not in text and "headline old2" not in text
