"""The outbox hands alerts to delivery parents first: a thread must start with its event's new_* alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from warehouse import connection, outbox

NOW = datetime(2025, 7, 20, tzinfo=UTC)


def alert(kind: str, event_id: str, created_at: datetime = NOW) -> outbox.Alert:
    event_kind = kind.split("_", 1)[1] if kind.startswith("new_") else kind.split("_", 1)[0]
    return outbox.Alert(outbox.alert_key(kind, event_kind, event_id), kind, event_kind, event_id, created_at,
                        "pending", None, f"{kind} {event_id}", "{}")


def test_within_one_cycle_every_new_alert_comes_before_the_updates_whatever_the_insert_order(tmp_path):
    con = connection.connect(tmp_path / "w.duckdb")
    outbox.add_alerts(con, [alert("deadline_change", "d1"), alert("meeting_update", "m1"),
                            alert("new_deadline", "d1"), alert("new_meeting", "m1"), alert("new_meeting", "m2")])
    kinds = [(r.kind, r.event_id) for r in outbox.due(con, NOW)]
    assert set(kinds[:3]) == {("new_deadline", "d1"), ("new_meeting", "m1"), ("new_meeting", "m2")}
    assert set(kinds[3:]) == {("deadline_change", "d1"), ("meeting_update", "m1")}


def test_an_older_update_still_goes_before_a_newer_cycles_alerts(tmp_path):
    con = connection.connect(tmp_path / "w.duckdb")
    outbox.add_alerts(con, [alert("new_meeting", "m2"), alert("meeting_update", "m1", NOW - timedelta(hours=1))])
    assert [r.kind for r in outbox.due(con, NOW)] == ["meeting_update", "new_meeting"]
