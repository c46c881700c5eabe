"""What `tradewatch serve` tells its operator: where the API is and how to use it from another shell, when the
next runs are, and one line per cycle."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.cli import main
from flows.demo import load_timeline
from flows.feedserver import TimelineServer, write_config
from flows.schedules import SERVED_ENV, next_run
from flows.serve import starting_lines

NOW = datetime(2025, 7, 7, 22, 55, tzinfo=UTC)


def test_the_starting_message_names_the_api_and_a_command_that_works_from_another_shell():
    lines = starting_lines("/srv/tw/tradewatch.toml", "http://127.0.0.1:4242/api", "/srv/tw/.prefect-serve", NOW)
    text = "\n".join(lines)
    assert "PREFECT_API_URL=http://127.0.0.1:4242/api prefect deployment run 'monitor/monitor'" in text
    assert "/ui" not in text and "dashboard" not in text.lower().replace("the dashboard is off", "")
    assert "next monitor run 23:00 UTC, next digest 2025-07-07 23:00 UTC (08:00 Asia/Seoul)" in text


def test_next_runs_follow_the_schedules_time_zones():
    assert next_run("*/10 * * * *", "UTC", NOW) == datetime(2025, 7, 7, 23, 0, tzinfo=UTC)
    assert next_run("0 8 * * *", "Asia/Seoul", datetime(2025, 7, 7, 23, 1, tzinfo=UTC)) == datetime(
        2025, 7, 8, 23, 0, tzinfo=UTC)


@pytest.mark.usefixtures("prefect_harness")
def test_a_served_cycle_prints_one_line_with_its_summary_and_the_next_run(tmp_path, monkeypatch, capsys):
    with TimelineServer(load_timeline()) as server:
        server.now = datetime(2025, 4, 25, tzinfo=UTC)
        config = tmp_path / "tradewatch.toml"
        write_config(config, server, "tw.duckdb")
        monkeypatch.setenv(SERVED_ENV, "1")
        assert main(["run", "--config", str(config), "--no-alerts", "--as-of", "2025-04-25T00:00:00Z"]) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines() if "cycle done" in x]
    assert "sources: " in line and " new, " in line and line.split("; next run ")[1].endswith(" UTC")
