"""An item's identity is its source's and the entry's own words, never the URL the feed was read from
(issue 17: Atom entries with relative ids got ids that held the feed server's host and port, so a feed that
moved — http → https, a new CDN host, a port — came back whole as new items)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from records.config import parse_config
from records.items import content_hash, identity_key, item_id
from tasks.sources.feeds import parse_feed
from tasks.sources.poll import poll
from tests.support.hostile_server import HostileServer, respond
from tests.support.relative_ids import ATOM, RSS_WITHOUT_GUIDS
from warehouse import connection
from warehouse import items as item_store
from warehouse.transaction import transaction

NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)

WHERE_THE_FEED_HAS_BEEN = ["http://127.0.0.1:8001/feeds/ministry.atom", "https://ministry.example/feeds/ministry.atom",
                           "https://cdn.example.net:8443/feeds/ministry.atom"]


def parsed(body: bytes, url: str):
    result = parse_feed(body, source_id="ministry", now=NOW, base_url=url)
    assert result.error is None
    return result.items


@pytest.mark.parametrize("body", [ATOM, RSS_WITHOUT_GUIDS], ids=["atom-relative-ids", "rss-relative-links"])
def test_the_same_entries_read_from_another_url_are_the_same_items(body):
    ids = {url: [it.item_id for it in parsed(body, url)] for url in WHERE_THE_FEED_HAS_BEEN}
    assert len({tuple(v) for v in ids.values()}) == 1


def test_the_stored_link_is_still_made_absolute_against_where_the_feed_was_read():
    for url in WHERE_THE_FEED_HAS_BEEN:
        first = parsed(ATOM, url)[0]
        assert first.guid == "/news/2025/0701-talks"  # as the feed wrote it
        assert first.url == url.split("/feeds/")[0].replace(":443", "") + "/news/2025/0701-talks.html"


def test_an_absolute_guid_keeps_the_id_it_was_stored_under_before():
    """The compatible key: for absolute ids and links — nearly every feed, the demo and every corpus — the
    identity key is what it was, so warehouses from before need no migration."""
    absolute = parsed(ATOM, WHERE_THE_FEED_HAS_BEEN[0])[2]
    assert absolute.item_id == item_id("ministry", "guid:urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a")
    assert absolute.item_id == item_id("ministry", identity_key(absolute.guid, absolute.url, "", None, ""))


def test_an_item_stored_under_its_resolved_relative_id_keeps_that_id(tmp_path):
    """A release before this one stored the entry under its id resolved against the feed's URL; the feed still
    lists it: the poll finds it under that id (known, unchanged), not as a new item."""
    with HostileServer() as server:
        server.route("/feeds/ministry.atom", lambda h: respond(h, 200, ATOM, {"Content-Type": "application/atom+xml"}))
        feed_url = server.url("/feeds/ministry.atom")
        config = parse_config({"warehouse": {"path": "tw.duckdb"}, "fetch": {"allow_hosts": [server.host_port]},
                               "sources": [{"id": "ministry", "kind": "feed", "url": feed_url}]},
                              tmp_path / "tradewatch.toml")
        now_read = parsed(ATOM, feed_url)[0]
        resolved = f"http://{server.host_port}/news/2025/0701-talks"  # what feedparser made of the id then
        old_id = item_id("ministry", "guid:" + resolved)
        stored = now_read.__class__(**{**now_read.__dict__, "item_id": old_id, "guid": resolved})
        with connection.writer(config.warehouse_path) as con, transaction(con):
            item_store.store_items(con, [stored], now=NOW)
        polled = poll(config.sources[0], None, config, NOW)
    first = next(it for it in polled.items if it.title.startswith("Korea"))
    assert first.item_id == old_id and polled.known[old_id] == content_hash(stored.title, stored.summary,
                                                                            stored.body)
    assert old_id in polled.signatures and sorted(polled.table.column("item_id").to_pylist()) == sorted(
        it.item_id for it in polled.items)
