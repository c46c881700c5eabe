"""The benchmark machinery at toy scale (3 feeds x 5 items, 1,000 rows, histories of 200 and 1,000 items): it
runs end to end, the pipeline stores what the feeds hold, and the report has every figure. No timing asserts:
the benchmark is the check."""

from __future__ import annotations

import pytest
import requests

from bench import warehouse_bench
from bench.__main__ import SCALES, run_all
from bench.feeds import AS_OF, FeedServer, make_corpus
from tasks.sources.feeds import parse_feed

pytestmark = pytest.mark.slow


def test_corpus_is_deterministic_and_sized():
    a, b = make_corpus(3, 5), make_corpus(3, 5)
    assert a.bodies() == b.bodies()
    assert a.items == 15 and len(a.feeds) == 3
    items = [it for s, body in a.bodies().items() for it in parse_feed(body, source_id=s, now=AS_OF).items]
    assert len(items) == 15
    assert all(len(it.body) > 3000 for it in items)


def test_feed_server_answers_304_to_its_etag():
    bodies = make_corpus(1, 2).bodies()
    with FeedServer(bodies) as server:
        url = server.url(next(iter(bodies)))
        first = requests.get(url, timeout=5)
        again = requests.get(url, headers={"If-None-Match": first.headers["ETag"]}, timeout=5)
    assert first.status_code == 200 and first.content == next(iter(bodies.values()))
    assert again.status_code == 304 and again.content == b""


def test_dedupe_and_sql_helpers_fill_the_warehouse(tmp_path):
    corpus = make_corpus(2, 5)
    items = [
        it for s, body in corpus.bodies().items() for it in parse_feed(body, source_id=s, now=AS_OF).items
    ]
    cost = warehouse_bench.dedupe_cost(tmp_path / "d.duckdb", 1_000, items[:5], items[5:], now=AS_OF)
    assert cost["stored"] == 1_000 and cost["band_rows"] == 1_000 * 32 and cost["new_items"] == 5
    sql = warehouse_bench.adhoc_sql(tmp_path / "s.duckdb", 1_000, now=AS_OF, repeats=1)
    assert sql["rows"] == 1_000 and sql["result_rows"] > 0


def test_whole_benchmark_at_tiny_scale(prefect_harness, tmp_path):
    from prefect.settings import PREFECT_API_URL

    out = tmp_path / "results.md"
    result = run_all(SCALES["tiny"], out=out, api_url=PREFECT_API_URL.value())

    names = [f.name for f in result["figures"]]
    assert names == ["1. unchanged poll", "2. changed poll", "2b. trade-heavy changed poll", "3. store",
                     "4. dedupe at scale", "5. ad hoc SQL", "6. memory", "7. unchanged cycle, long history",
                     "8. new items, long history", "9. memory, long history"]  # fmt: skip
    assert all(f.measured > 0 and f.floor > 0 for f in result["figures"])
    changed = result["pipeline"]["changed"]
    assert changed["new_items"] == 15 and not changed["failed"]
    stored = changed["warehouse"]
    assert stored["items"] == 15 and stored["items_with_story"] == 15 and stored["extracted"] == 15
    assert all(u["new_items"] == 0 for u in result["pipeline"]["unchanged"])
    trade = result["pipeline"]["trade_heavy"]
    assert trade["new_items"] == 15 and trade["warehouse"]["relevant"] > stored["relevant"]
    for size, history in result["history"].items():  # the stored history, then new items through the pipeline
        assert history["stored"] == int(size) + 3 * 15  # three batches of 3 feeds x 5 new items
        assert all(u["new_items"] == 0 for u in history["unchanged"]) and all(r["new_items"] == 15
                                                                             for r in history["new"])
    assert result["bare_poll"]["statuses"] == [304]
    text = out.read_text()
    assert "| figure | measured | floor | ratio | target | pass |" in text
    assert "cpu model" in text and "duckdb" in text and "feedparser" in text and "prefect" in text
