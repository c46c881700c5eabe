"""Readers never open or copy the live file (issue 17): before the first publish there is nothing to read."""

from __future__ import annotations

import hashlib

import pytest

from warehouse import connection, snapshot
from warehouse.errors import NoSnapshot


def test_before_the_first_publish_a_reader_is_told_there_is_no_snapshot_and_the_live_file_is_not_touched(
        tmp_path):
    live = tmp_path / "w.duckdb"
    with connection.writer(live):  # a first run that has stored things but not published yet
        pass
    before = hashlib.sha256(live.read_bytes()).hexdigest()
    with pytest.raises(NoSnapshot, match="no snapshot of .* yet: the first run has not finished"):
        snapshot.open_snapshot(live)
    assert hashlib.sha256(live.read_bytes()).hexdigest() == before
    assert not snapshot.snapshot_path(live).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb", "w.duckdb.verified"]


def test_without_a_warehouse_a_reader_says_to_run_first(tmp_path):
    with pytest.raises(NoSnapshot, match="no warehouse at .* yet: run `tradewatch run` first"):
        snapshot.open_snapshot(tmp_path / "w.duckdb")
    assert list(tmp_path.iterdir()) == []
