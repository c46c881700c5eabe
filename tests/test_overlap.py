"""Work done early, off the main process: signatures in the parser workers, extraction started per source while
other sources are still polled. Both must give exactly what the in-process path gives."""

from __future__ import annotations

import signal
import time
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from flows import cycle
from flows.demo import load_timeline
from flows.feedserver import TimelineServer, render_rss, write_config
from tasks import stories
from tasks.config import load_config
from tasks.extract import extract
from tasks.parse import ParserPool, parse_feed
from tasks.parse_pool import SIGNATURE_BYTES
from warehouse import db


def test_signature_rows_have_the_size_the_protocol_checks():
    assert SIGNATURE_BYTES == stories.NUM_PERM * 4


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
    rows = np.frombuffer(raw, dtype=np.uint32).reshape(-1, stories.NUM_PERM).astype(np.uint64)
    expected = stories.signatures([stories.story_text(it.title, it.body) for it in local.items])
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
    with db.hold(config.warehouse_path):
        states = cycle.prepare(config)
        extractions = cycle.Extractions()
        polled = [cycle.poll(s, states.get(s.id), config, now, extractions) for s in config.sources]
        assert all(p.signatures.keys() == {it.item_id for it in p.items} for p in polled)
        assert all(p.table.num_rows == len(p.items) for p in polled)
        stored = cycle.store_polled(config, polled, now, cycle.CycleSummary(as_of=now))
        new_ids, edited_ids = list(stored.new_ids), list(stored.edited_ids)
        assert set(new_ids) <= set(stored.signatures)  # the parser workers' signatures, for the story step
        items = {it.item_id: it for it in cycle.load_items(config, new_ids)}  # as parsed: text from the table
        parsed = {it.item_id: it for p in polled for it in parse_feed(
            server.document(p.source_id)[0], source_id=p.source_id, now=now).items}
        assert items == parsed
        assert len(new_ids) == len(items) >= 20 and not edited_ids
        findings, published = cycle.extract_new(config, new_ids, edited_ids, extractions)
        assert [f.item_id for f in findings] == [iid for iid, _ in cycle.publication_order(config, new_ids)]
        assert findings == [extract(items[f.item_id]) for f in findings]
        assert sum(f.relevant for f in findings) >= 5
        cycle.resolve_all(config, published, findings, now, cycle.alert_policy(config, False))

        # an edit: extracted after storing, from the stored row (whose first publication date is kept)
        edited = next(it for it in items.values() if it.published_at is not None)
        changed = replace(edited, body=edited.body + " Officials said talks would resume next week.",
                          content_hash="edited", published_at=edited.published_at + timedelta(days=3))
        again = cycle.Polled(edited.source_id, polled[0].fetched, items=(changed,))
        stored_again = cycle.store_polled(config, [again], now, cycle.CycleSummary(as_of=now))
        new_ids, edited_ids = list(stored_again.new_ids), list(stored_again.edited_ids)
        assert (new_ids, edited_ids) == ([], [edited.item_id])
        findings, published = cycle.extract_new(config, new_ids, edited_ids, cycle.Extractions())
        stored = replace(changed, published_at=edited.published_at)
        assert findings == [extract(stored)] and published == {edited.item_id: edited.published_at}


def test_item_rows_carry_every_field_of_an_item_in_order():
    from dataclasses import fields

    from tasks import parse_pool
    from tasks.models import Item

    assert parse_pool._ITEM_FIELDS == tuple(f.name for f in fields(Item))


def test_a_reply_orjson_refuses_still_round_trips():
    from tasks import parse_pool
    from tasks.parse import ParseResult

    timeline = load_timeline()
    local = parse_feed(render_rss(timeline[0].source, timeline[:3]), source_id="s", now=timeline[2].published)
    odd = ParseResult(local.items, None, "malformed near \udcff", 1)  # a lone surrogate in the detail
    assert parse_pool._decode(parse_pool._encode(odd)) == (odd, None)
    assert parse_pool._decode(parse_pool._encode(local, b"\0" * SIGNATURE_BYTES * len(local.items)))[0] == local
    with pytest.raises(ValueError, match="signature bytes"):
        parse_pool._decode(parse_pool._encode(local, b"\0" * 7))


def test_a_dead_extract_worker_costs_time_not_findings(demo_setup, caplog):
    """Workers killed while they hold the cycle's jobs: the findings come from in-process extraction."""
    config, server = demo_setup
    now = server.now + timedelta(minutes=5)
    with db.hold(config.warehouse_path):
        states = cycle.prepare(config)
        pool = cycle.extract_pool()
        with pool._lock:
            victims = [p for p in pool._all if p.poll() is None]
        for proc in victims:  # stopped, not dead: they still take jobs, and hold them until killed
            proc.send_signal(signal.SIGSTOP)
        extractions = cycle.Extractions()
        polled = [cycle.poll(s, states.get(s.id), config, now, extractions) for s in config.sources]
        deadline = time.monotonic() + 10
        while pool._idle.qsize() == len(victims) and time.monotonic() < deadline:
            time.sleep(0.01)  # until a feeder thread has handed a job to a stopped worker
        for proc in victims:  # jobs are on them now, however fast the machine
            proc.kill()
        result = cycle.store_polled(config, polled, now, cycle.CycleSummary(as_of=now))
        new_ids, edited_ids = list(result.new_ids), list(result.edited_ids)
        stored = {it.item_id: it for it in cycle.load_items(config, new_ids)}
        with caplog.at_level("WARNING", logger="flows.cycle"):
            findings, _ = cycle.extract_new(config, new_ids, edited_ids, extractions)
    assert victims and "extract worker failed" in caplog.text
    assert len(findings) == len(new_ids) >= 20
    assert findings == [extract(stored[f.item_id]) for f in findings]
