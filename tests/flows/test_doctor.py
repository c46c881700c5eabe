"""`tradewatch doctor` against loopback feeds, the fake Slack over real HTTP and a real warehouse."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from flows.cli import main
from tests.support.fake_slack import TOKEN, FakeSlack
from tests.support.hostile_server import HostileServer, respond

RSS = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://n.example/</link>'
       b"<description>d</description>"
       b"<item><title>One</title><link>https://n.example/1</link><guid>1</guid>"
       b"<pubDate>Tue, 01 Jul 2025 10:00:00 GMT</pubDate></item>"
       b"<item><title>Two</title><link>https://n.example/2</link><guid>2</guid>"
       b"<pubDate>Wed, 02 Jul 2025 09:30:00 GMT</pubDate></item></channel></rss>")
MODIFIED = format_datetime(datetime(2025, 7, 2, 9, 30, tzinfo=UTC), usegmt=True)


@pytest.fixture
def feeds():
    with HostileServer() as srv:
        srv.route("/good", lambda h: respond(h, 200, RSS, {"Content-Type": "application/rss+xml",
                                                           "Last-Modified": MODIFIED}))
        srv.route("/html", lambda h: respond(h, 200, b"<html><body>Sign in</body></html>",
                                             {"Content-Type": "text/html"}))
        srv.route("/missing", lambda h: respond(h, 404, b"no"))
        yield srv


@pytest.fixture
def slack(monkeypatch):
    fake = FakeSlack().start()
    fake.add_channel("#trade-watch")
    fake.add_channel("#korea")
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_API_URL", fake.base_url)
    yield fake
    fake.stop()


def write_config(tmp_path: Path, feeds: HostileServer, paths: list[str], *, korea: bool = False) -> Path:
    lines = ['[warehouse]', 'path = "tw.duckdb"', '[fetch]', f'allow_hosts = ["{feeds.host_port}"]',
             "total_deadline_s = 5", "[slack]", 'channel = "#trade-watch"']
    if korea:
        lines += ["[[slack.routes]]", 'channel = "#korea"', 'countries = ["KR"]']
    for p in paths:
        lines += ["[[sources]]", f'id = "{p}"', 'kind = "feed"', f'url = "{feeds.url("/" + p)}"']
    path = tmp_path / "tradewatch.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def doctor(capsys, *args: str) -> tuple[int, dict[str, str]]:
    code = main(["doctor", *args])
    out = capsys.readouterr().out
    lines = {}
    for line in out.splitlines():
        mark, _, rest = line.partition(" ")
        name, sep, detail = rest.partition(": ")
        if sep and mark in "✓✗–":
            lines[name] = f"{mark} {detail}"
    return code, lines


def test_everything_reachable_passes_with_one_line_per_check(tmp_path, feeds, slack, capsys):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    config = write_config(tmp_path, feeds, ["good"])
    with temporary_settings(updates={PREFECT_API_URL: None}):
        code, lines = doctor(capsys, "--config", str(config))
    assert code == 0
    assert lines["source good"].startswith("✓ HTTP 200, 2 items, newest 2025-07-02 09:30 UTC, last modified "
                                           f"{MODIFIED}")
    assert lines["slack token"] == "✓ bot UBOT in team T0001"
    assert lines["slack channel #trade-watch"] == f"✓ the bot is in it ({slack.channels['trade-watch']})"
    assert lines["prefect api"].startswith("– PREFECT_API_URL unset")
    assert lines[f"warehouse {tmp_path / 'tw.duckdb'}"].startswith("– not created yet")
    assert [r.method for r in slack.requests][:1] == ["auth.test"]


def test_each_failure_is_named_and_the_exit_status_is_1(tmp_path, feeds, slack, capsys, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/api"
    monkeypatch.setenv("PREFECT_API_URL", dead)
    slack.error_next("not_in_channel", method="conversations.history", channel=slack.channels["korea"])
    config = write_config(tmp_path, feeds, ["good", "html", "missing"], korea=True)
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: dead}):
        code, lines = doctor(capsys, "--config", str(config))
    assert code == 1
    assert lines["source good"].startswith("✓")
    assert lines["source html"].startswith("✗ HTTP 200, but the body does not parse as a feed")
    assert lines["source missing"].startswith("✗ HTTP 404 Not Found from 127.0.0.1 (http_404")
    assert lines["slack channel #korea"].startswith("✗ not_in_channel: the bot is not in the channel")
    assert lines["slack channel #trade-watch"].startswith("✓")
    assert lines["prefect api"].startswith(f"✗ {dead} does not answer")


def test_a_bad_token_fails_the_token_check(tmp_path, feeds, slack, capsys):
    slack.auth_error = "invalid_auth"
    code, lines = doctor(capsys, "--config", str(write_config(tmp_path, feeds, ["good"])))
    assert code == 1 and lines["slack token"] == "✗ auth.test refused it: invalid_auth"


def test_one_source_checks_that_source_only(tmp_path, feeds, slack, capsys):
    config = write_config(tmp_path, feeds, ["good", "missing"])
    code, lines = doctor(capsys, "--config", str(config), "--source", "good")
    assert code == 0 and list(lines) == ["source good"]
    assert not slack.requests
    assert main(["doctor", "--config", str(config), "--source", "nope"]) == 2
    assert "no source 'nope'" in capsys.readouterr().err


@pytest.mark.usefixtures("prefect_harness")
def test_a_warehouse_with_a_snapshot_is_counted(tmp_path, feeds, slack, capsys):
    config = write_config(tmp_path, feeds, ["good"])
    assert main(["run", "--config", str(config), "--no-alerts"]) == 0
    capsys.readouterr()
    code, lines = doctor(capsys, "--config", str(config))
    assert code == 0
    assert lines[f"warehouse {tmp_path / 'tw.duckdb'}"].startswith("✓ 2 items, 0 meetings, 0 deadlines, last poll ")
