"""A feed that moves (another port here; http → https and a new CDN host are the same case) is the same feed:
the next run stores no item again and raises no alert again (issue 17: every item came back as new, with
spurious deadline changes after it)."""

from __future__ import annotations

import duckdb
import pytest

from flows.cli import main
from tests.support.hostile_server import HostileServer, respond
from tests.support.relative_ids import ATOM

pytestmark = pytest.mark.usefixtures("prefect_harness")


def serving_the_feed() -> HostileServer:
    server = HostileServer()
    server.route("/feeds/ministry.atom", lambda h: respond(h, 200, ATOM, {"Content-Type": "application/atom+xml"}))
    return server


def config_for(path, server: HostileServer):
    path.write_text("\n".join([
        "[warehouse]", 'path = "tw.duckdb"', "[fetch]", f'allow_hosts = ["{server.host_port}"]',
        "[alerts]", "max_item_age_hours = 100000",
        "[[sources]]", 'id = "ministry"', 'kind = "feed"', f'url = "{server.url("/feeds/ministry.atom")}"']) + "\n")
    return path


def stored(warehouse) -> tuple[int, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return (con.execute("SELECT count(*) FROM core.items").fetchone()[0],
                con.execute("SELECT count(*) FROM core.alert_outbox").fetchone()[0])
    finally:
        con.close()


def test_a_feed_that_moves_keeps_its_items(tmp_path, capsys):
    config = tmp_path / "tradewatch.toml"
    with serving_the_feed() as before:
        assert main(["run", "--config", str(config_for(config, before)), "--as-of", "2025-07-01T12:00:00Z"]) == 0
    items, alerts = stored(tmp_path / "tw.duckdb")
    assert items == 3
    with serving_the_feed() as after:  # the same feed on another port
        assert main(["run", "--config", str(config_for(config, after)), "--as-of", "2025-07-01T12:10:00Z"]) == 0
    assert "0 new" in capsys.readouterr().out
    assert stored(tmp_path / "tw.duckdb") == (items, alerts)
