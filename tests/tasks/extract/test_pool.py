"""Extraction in worker processes gives exactly the in-process findings, in order, and survives errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from records.findings import ExtractConfig
from records.items import Item
from tasks.extract import extract
from tasks.extract import pool as extract_pool_module
from tasks.extract.pool import ExtractPool, extract_all
from tasks.sources.parsing import ParserPool
from tasks.workers.pool import WorkerFailed

TEXTS = [
    ("Vietnam, US trade ministers to meet in Washington on Thursday",
     "HANOI -- Vietnam's Trade Minister Nguyen Hong Dien will meet U.S. Trade Representative Jamieson Greer in "
     "Washington on Thursday for talks on tariffs, the ministry said."),
    ("Samsung posts higher profit", "SEOUL -- Samsung Electronics reported a rise in quarterly profit."),
    ("UK and US leaders speak by phone on trade deal",
     "LONDON -- Prime Minister Keir Starmer spoke by phone with U.S. President Donald Trump on Tuesday about "
     "the trade deal, Downing Street said."),
]


def items(n: int) -> list[Item]:
    out = []
    for i in range(n):
        title, body = TEXTS[i % len(TEXTS)]
        out.append(Item(item_id=f"i{i}", source_id="s", guid=None, url=None, title=title, summary="", body=body,
                        published_at=datetime(2025, 5, 5, 1, 0, tzinfo=UTC), published_offset_min=540,
                        content_hash=str(i)))
    return out


def test_workers_give_the_in_process_findings_in_order():
    batch = items(60)
    pool = ExtractPool(2)
    try:
        chunks = [batch[i : i + 7] for i in range(0, len(batch), 7)]
        got = [f for chunk in pool.map(chunks, None) for f in chunk]
    finally:
        pool.close()
    assert got == [extract(it) for it in batch]
    assert any(f.meetings for f in got) and not all(f.relevant for f in got)


def test_an_error_in_a_worker_is_raised_in_the_parent(tmp_path):
    pool = ExtractPool(1)
    try:
        with pytest.raises(WorkerFailed, match="FileNotFoundError"):
            pool.map([items(2)], ExtractConfig(gazetteer_path=str(tmp_path / "missing.toml")))
        assert pool.map([items(1)], None)[0][0].item_id == "i0"  # the worker lives on
    finally:
        pool.close()


def test_large_batches_go_through_the_pool(monkeypatch):
    monkeypatch.setattr(extract_pool_module, "PARALLEL_EXTRACT_MIN", 10)
    batch = items(30)
    assert extract_all(batch, None) == [extract(it) for it in batch]


def test_workers_run_this_code_from_a_directory_with_a_tasks_package_of_its_own(tmp_path, monkeypatch):
    """`python -m` puts the current directory first on sys.path: started from a directory with its own `tasks`
    package, the workers imported that one and exited (every feed failed to parse). They start with -P."""
    decoy = tmp_path / "tasks"
    decoy.mkdir()
    (decoy / "__init__.py").write_text("raise SystemExit('the decoy tasks package was imported')\n")
    monkeypatch.chdir(tmp_path)
    now = datetime(2025, 4, 24, tzinfo=UTC)
    feed = (b"<rss><channel><item><title>Korea and US hold tariff talks</title><guid>g1</guid>"
            b"<description>Trade ministers met in Washington on Thursday.</description></item></channel></rss>")
    with ParserPool(1) as parsers:
        result = parsers.parse(feed, source_id="s", now=now)
    assert result.error is None and [it.title for it in result.items] == ["Korea and US hold tariff talks"]
    pool = ExtractPool(1)
    try:
        (findings,) = pool.map([list(result.items)], None)
    finally:
        pool.close()
    assert [f.item_id for f in findings] == [result.items[0].item_id]
