"""The warehouse's own faults under a real `tradewatch run`: a damaged file, a full disk (a real small tmpfs in a
mount namespace of its own), two runs at once, readers during cycles, a config that cannot work."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.support.faultworld import AS_OF, TRADEWATCH
from tests.support.small_filesystem import namespace_prefix, run_on_small_filesystem
from warehouse import snapshot
from warehouse.errors import NoSnapshot


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def garble_a_third_of_the_way_in(path: Path) -> None:
    with open(path, "r+b") as fh:
        fh.seek(path.stat().st_size // 3)
        fh.write(os.urandom(4096))


def cut_in_half(path: Path) -> None:
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size // 2)


@pytest.mark.parametrize("damage", [garble_a_third_of_the_way_in, cut_in_half], ids=lambda f: f.__name__)
def test_a_damaged_warehouse_is_reported_as_damaged_and_left_untouched(world, expected_alerts, damage):
    assert world.run().code == 0
    backup = world.root / "backup.duckdb"
    shutil.copy2(world.warehouse, backup)
    damage(world.warehouse)
    damaged, published = sha(world.warehouse), sha(snapshot.snapshot_path(world.warehouse))
    done = world.run()
    assert done.code == 3, done.err
    assert "is not a readable DuckDB file (corrupt?); left untouched" in done.err
    assert "in use by another process" not in done.err  # (a checksum failure was once taken for a lock)
    assert sha(world.warehouse) == damaged and not Path(f"{world.warehouse}.wal").exists()
    assert sha(snapshot.snapshot_path(world.warehouse)) == published  # readers keep the last good snapshot
    assert world.sql("SELECT count(*) AS n FROM items").returncode == 0
    assert done.leaked == []
    shutil.copy2(backup, world.warehouse)  # the operator restores the backup
    assert world.recover(expected_alerts) == []


# ------------------------------------------------------------------------------------------- a full disk


SMALL_RUN = r"""
set -u
cp -a "$STATE"/. "$SMALL"/ || exit 91
"$TRADEWATCH" run --config "$SMALL/tradewatch.toml" --as-of "$AS_OF" >"$OUT/run.out" 2>"$OUT/run.err"
echo $? >"$OUT/run.code"
"$TRADEWATCH" sql --config "$SMALL/tradewatch.toml" --format json "SELECT count(*) AS n FROM alerts WHERE state = 'delivered'" >"$OUT/sql.out" 2>"$OUT/sql.err"
echo $? >"$OUT/sql.code"
mkdir -p "$OUT/files" && cp -a "$SMALL"/. "$OUT/files"/
"""


def test_a_full_disk_fails_the_run_cleanly_at_whatever_step_meets_it(world, expected_alerts, tmp_path):
    """The second run (more items, alerts to send) on filesystems from barely bigger than the warehouse up:
    each run either ends 0 or 3 ('out of disk space'), and one that ends 3 has sent nothing, left the last
    snapshot readable and the warehouse sound; the first size that is enough sends everything, once."""
    if namespace_prefix() is None:
        pytest.skip("no mount namespace here (unshare): the RLIMIT_FSIZE test in tests/flows covers the store")
    world.feeds.now = world.feeds.now.replace(month=4, day=20)  # a first run with a few items
    assert world.run().code == 0
    delivered_first = len(world.posts())
    world.feeds.now = world.feeds.now.replace(month=7, day=20)
    state = tmp_path / "state"
    shutil.copytree(world.root, state, ignore=shutil.ignore_patterns("prefect-home", "logs"))
    used = sum(p.stat().st_size for p in state.iterdir() if p.is_file())
    outcomes = []
    # (space.HEADROOM is 16 MB: below it the store step refuses; just above, the room to publish before any
    # alert is sent; then enough)
    for extra_kb in (64, 17000, 24576, 65536):
        small, out = tmp_path / f"small-{extra_kb}", tmp_path / f"out-{extra_kb}"
        small.mkdir()
        out.mkdir()
        env = world.env(SMALL=str(small), STATE=str(state), OUT=str(out), TRADEWATCH=TRADEWATCH, AS_OF=AS_OF)
        posted = len(world.posts())
        shell = run_on_small_filesystem(f"{(used // 1024) + extra_kb}k", str(small), SMALL_RUN, env)
        assert shell.returncode == 0, shell.stderr
        code = int((out / "run.code").read_text())
        err = (out / "run.err").read_text()
        outcomes.append((extra_kb, code))
        assert code in (0, 3), err
        if code == 3:
            assert "out of disk space" in err.strip().splitlines()[-1], err
            assert "Traceback" not in err.split("Finished in state")[-1]  # (Prefect logs the flow's own)
            assert len(world.posts()) == posted  # no alert from a failed run
            assert int((out / "sql.code").read_text()) == 0  # the last snapshot is still read
            assert json.loads((out / "sql.out").read_text()) == [{"n": delivered_first}]
            continue
        for f in (out / "files").iterdir():  # the run that had room: its files back on the big disk
            if f.is_file():
                shutil.copy2(f, world.root / f.name)
        break
    assert outcomes[0][1] == 3 and outcomes[-1][1] == 0, outcomes
    assert world.recover(expected_alerts) == []


# ------------------------------------------------------------------------------------------- two runs at once


def test_two_runs_at_once_never_write_together(world, expected_alerts):
    first, second = world.start(), world.start()
    done = sorted([first.wait(), second.wait()], key=lambda d: d.code)
    assert [d.code for d in done] in ([0, 0], [0, 4]), [d.err for d in done]
    if done[1].code == 4:
        assert "another tradewatch run holds" in done[1].err
    assert all(d.leaked == [] for d in done)
    assert world.recover(expected_alerts) == []


# ------------------------------------------------------------------------------------------- readers


def test_readers_during_the_first_cycle_and_after_never_touch_the_live_file(world, expected_alerts):
    """Before the first publish a reader is told there is nothing to read (exit 6); once published, every query
    answers; none of them ever opens the file the run is writing (issue 17: 'Table items does not exist',
    'in use by another process')."""
    early = world.sql("SELECT count(*) AS n FROM items")
    assert early.returncode == 6 and "no warehouse at" in early.stderr and "first" in early.stderr
    outcomes: Counter[str] = Counter()
    done_running = threading.Event()

    def read_in_a_loop() -> None:
        while not done_running.is_set():
            try:
                con = snapshot.open_snapshot(world.warehouse)
                try:
                    con.execute("SELECT count(*) FROM items, alerts").fetchall()
                finally:
                    con.close()
                outcomes["answered"] += 1
            except NoSnapshot:
                outcomes["no snapshot yet"] += 1
            except Exception as exc:  # anything else is a reader meeting the live file
                outcomes[f"{type(exc).__name__}: {exc}"] += 1
            time.sleep(0.02)  # dozens of reads a run, without two readers spinning on both cores

    readers = [threading.Thread(target=read_in_a_loop) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        first = world.run()
        second = world.run()  # a later cycle, readers still reading
    finally:
        done_running.set()
        for reader in readers:
            reader.join()
    assert first.code == 0 and second.code == 0
    assert set(outcomes) <= {"answered", "no snapshot yet"}, outcomes
    assert outcomes["answered"] > 0 and outcomes["no snapshot yet"] > 0
    late = world.sql("SELECT count(*) AS n FROM items")
    assert late.returncode == 0 and json.loads(late.stdout)[0]["n"] > 0
    assert world.recover(expected_alerts) == []


# ------------------------------------------------------------------------------------------- bad config


@pytest.mark.parametrize("extract", ['gazetteer_path = "no-such-gazetteer.toml"', "gazetteer_path = 5"])
def test_a_config_that_cannot_work_is_refused_before_the_warehouse_or_prefect(world, expected_alerts, extract):
    world.write_config(extract=f"[extract]\n{extract}")
    done = world.run()
    assert done.code == 2, done.err
    assert "extract.gazetteer_path" in done.err and "Traceback" not in done.err
    assert not world.warehouse.exists() and world.posts() == []
    assert done.leaked == []
    world.write_config()
    assert world.recover(expected_alerts) == []
