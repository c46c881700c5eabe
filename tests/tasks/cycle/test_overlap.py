"""Work done early, off the main process: signatures in the parser workers, extraction started per source while
other sources are still polled. Both must give exactly what the in-process path gives."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from flows.demo import load_timeline
from flows.feedserver import TimelineServer, render_rss, write_config
from records.config import load_config
from tasks.cycle.events import alert_policy, apply_findings
from tasks.cycle.extract import extract_stored
from tasks.cycle.sources import sync_sources
from tasks.extract import extract
from tasks.extract.pool import extract_pool
from tasks.sources.feeds import parse_feed
from tasks.sources.parse_worker import encode
from tasks.sources.parsing import SIGNATURE_BYTES, ParserPool, decode
from tasks.sources.poll import Polled, poll
from tasks.sources.store import store_polled
from tasks.stories import minhash
from tasks.workers import frames
from tasks.workers.rows import ITEM_FIELDS
from warehouse import connection
from warehouse import items as item_store


def poll_all(config, now):
    states = sync_sources(config)
    return [poll(s, states.get(s.id), config, now,
                 on_new_items=lambda items: extract_pool().prefetch(items, config.extract))
            for s in config.sources]


def stored_items(config, ids):
    with connection.writer(config.warehouse_path) as con:
        return {it.item_id: it for it in item_store.items_in_publication_order(con, ids)}


def test_signature_rows_have_the_size_the_protocol_checks():
    assert SIGNATURE_BYTES == minhash.NUM_PERM * 4


def test_the_parser_workers_give_the_same_items_and_signatures_as_in_process():
    timeline = load_timeline()
    source = timeline[0].source
    body = render_rss(source, [t for t in timeline if t.source == source])
    now = max(t.published for t in timeline) + timedelta(hours=1)
    with ParserPool(1) as pool:
        result, raw = pool.parse_signed(body, source_id=source, now=now)
        plain = pool.parse(body, source_id=source, now=now)
        broken, none = pool.parse_signed(b"<html><body>not a feed</body></html>", source_id=source, now=now)
    local = parse_feed(body, source_id=source, now=now)
    assert result == plain == local
    rows = raw
    expected = minhash.signatures([minhash.story_text(it.title, it.body) for it in local.items])
    assert len(local.items) >= 2 and np.array_equal(rows, expected)
    assert broken.error == "not_a_feed" and none is None


@pytest.fixture()
def demo_setup(tmp_path):
    timeline = load_timeline()
    server = TimelineServer(timeline)
    server.now = max(t.published for t in timeline)
    with server:
        config_path = tmp_path / "tradewatch.toml"
        write_config(config_path, server, str(tmp_path / "w.duckdb"))
        yield load_config(str(config_path)), server


def test_started_extractions_equal_in_process_extraction_and_edits_use_the_stored_row(demo_setup):
    config, server = demo_setup
    now = server.now + timedelta(minutes=5)
    with connection.hold(config.warehouse_path):
        polled = poll_all(config, now)
        assert all(p.signatures.keys() == {it.item_id for it in p.items} for p in polled)
        assert all(p.table.num_rows == len(p.items) for p in polled)
        stored = store_polled(config, polled, now)
        new_ids, edited_ids = list(stored.new_ids), list(stored.edited_ids)
        assert set(new_ids) <= set(stored.signatures)  # the parser workers' signatures, for the story step
        items = stored_items(config, new_ids)  # as parsed: text from the table
        parsed = {it.item_id: it for p in polled for it in parse_feed(
            server.document(p.source_id)[0], source_id=p.source_id, now=now).items}
        assert items == parsed
        assert len(new_ids) == len(items) >= 20 and not edited_ids
        extracted = extract_stored(config, stored)
        assert [f.item_id for f in extracted.findings] == list(items)  # in publication order
        assert list(extracted.findings) == [extract(items[f.item_id]) for f in extracted.findings]
        assert extracted.relevant >= 5
        apply_findings(config, extracted.findings, extracted.published, now, alert_policy(config, False))

        # an edit: extracted after storing, from the stored row (whose first publication date is kept)
        edited = next(it for it in items.values() if it.published_at is not None)
        changed = replace(edited, body=edited.body + " Officials said talks would resume next week.",
                          content_hash="edited", published_at=edited.published_at + timedelta(days=3))
        again = Polled(edited.source_id, polled[0].fetched, items=(changed,))
        stored_again = store_polled(config, [again], now)
        assert (stored_again.new_ids, stored_again.edited_ids) == ((), (edited.item_id,))
        extracted = extract_stored(config, stored_again)
        stored = replace(changed, published_at=edited.published_at)
        assert extracted.findings == (extract(stored),)
        assert extracted.published == {edited.item_id: edited.published_at}


def test_item_rows_carry_every_field_of_an_item_in_order():
    from dataclasses import fields

    from records.items import Item

    assert ITEM_FIELDS == tuple(f.name for f in fields(Item))


def test_a_reply_orjson_refuses_still_round_trips():
    from tasks.sources.feeds import ParseResult

    def trip(result, raw=b""):  # a parser worker's reply, as the pool gets it
        return decode(frames.loads(frames.dumps(encode(result))), raw)

    timeline = load_timeline()
    local = parse_feed(render_rss(timeline[0].source, timeline[:3]), source_id="s", now=timeline[2].published)
    odd = ParseResult(local.items, None, "malformed near \udcff", 1)  # a lone surrogate in the detail
    assert trip(odd) == (odd, None)
    assert trip(local, b"\0" * SIGNATURE_BYTES * len(local.items))[0] == local
    with pytest.raises(ValueError, match="signature bytes"):
        trip(local, b"\0" * 7)


def test_a_dead_extract_worker_costs_time_not_findings(demo_setup, caplog):
    """Workers killed while they hold the cycle's jobs: the findings come from in-process extraction."""
    config, server = demo_setup
    now = server.now + timedelta(minutes=5)
    with connection.hold(config.warehouse_path):
        pool = extract_pool().start()
        victims = pool.workers.pids()
        for pid in victims:  # stopped, not dead: they still take jobs, and hold them until killed
            os.kill(pid, signal.SIGSTOP)
        polled = poll_all(config, now)
        deadline = time.monotonic() + 10
        while pool.workers.busy() < len(victims) and time.monotonic() < deadline:
            time.sleep(0.01)  # until the feeder threads have handed jobs to the stopped workers
        for pid in victims:  # jobs are on them now, however fast the machine
            os.kill(pid, signal.SIGKILL)
        result = store_polled(config, polled, now)
        stored = stored_items(config, list(result.new_ids))
        with caplog.at_level("WARNING", logger="tasks.extract.pool"):
            findings = extract_stored(config, result).findings
    assert victims and "extract worker failed" in caplog.text
    assert len(findings) == len(result.new_ids) >= 20
    assert list(findings) == [extract(stored[f.item_id]) for f in findings]
