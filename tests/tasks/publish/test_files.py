"""Publishing files: names beside the warehouse, atomic replacement, the note of the last publication."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tasks.publish.files import (
    calendar_path,
    last_published,
    note_path,
    published_url,
    record_published,
    report_path,
    write_atomically,
)


def test_the_files_sit_beside_the_warehouse_and_are_served_under_the_base_url(tmp_path):
    warehouse = tmp_path / "desk" / "tw.duckdb"
    assert calendar_path(warehouse) == tmp_path / "desk" / "tw.calendar.ics"
    assert report_path(warehouse) == tmp_path / "desk" / "tw.report.html"
    assert note_path(warehouse) == tmp_path / "desk" / "tw.published.json"
    assert published_url("https://desk.example/tw/", calendar_path(warehouse)) == \
        "https://desk.example/tw/tw.calendar.ics"
    assert published_url("https://desk.example", Path("a b.html")) == "https://desk.example/a%20b.html"


def test_a_write_replaces_the_file_whole_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "tw.calendar.ics"
    assert write_atomically(target, b"one")
    assert write_atomically(target, b"two, longer")
    assert target.read_bytes() == b"two, longer"
    assert os.stat(target).st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["tw.calendar.ics"]


def test_the_same_bytes_are_not_written_again(tmp_path):
    target = tmp_path / "tw.calendar.ics"
    write_atomically(target, b"same")
    os.utime(target, (1_000_000, 1_000_000))
    assert not write_atomically(target, b"same")
    assert target.stat().st_mtime == 1_000_000


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path):
    target = tmp_path / "tw.report.html"
    target.mkdir()  # nothing can be renamed over a directory
    (target / "keep").write_text("old")
    with pytest.raises(OSError):
        write_atomically(target, b"new")
    assert (target / "keep").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["tw.report.html"]


def test_a_reader_only_ever_sees_a_whole_version(tmp_path):
    target = tmp_path / "tw.report.html"
    versions = [bytes([65 + i]) * (200_000 + 7919 * i) for i in range(6)]
    write_atomically(target, versions[0])
    seen: set[bytes] = set()
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            seen.add(target.read_bytes())

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(5):
            for version in versions:
                write_atomically(target, version)
    finally:
        done.set()
        reader.join()
    assert seen and seen <= set(versions)


def test_the_note_gives_back_the_as_of_it_recorded(tmp_path):
    warehouse = tmp_path / "tw.duckdb"
    assert last_published(warehouse) is None
    as_of = datetime(2025, 7, 10, 7, 0, tzinfo=UTC)
    record_published(warehouse, as_of)
    assert last_published(warehouse) == as_of


@pytest.mark.parametrize("text", ["", "{", "[]", '{"as_of": 3}', '{"as_of": "yesterday"}',
                                  '{"as_of": "2025-07-10T07:00:00"}'])
def test_a_note_that_cannot_be_read_means_publish_again(tmp_path, text):
    warehouse = tmp_path / "tw.duckdb"
    note_path(warehouse).write_text(text)
    assert last_published(warehouse) is None
