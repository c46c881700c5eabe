"""The deployed pipeline under real orchestration: a Prefect server on loopback, `prefect deploy --all` from
prefect.yaml, a process worker, the `monitor/monitor` deployment triggered by the CLI, loopback RSS feeds.
Then the rows in the warehouse. Every process started here is stopped in a finally.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from flows.feedserver import TimelineItem, TimelineServer, write_config
from flows.serve import NoSchedulerError, local_server
from tests.support.paths import ROOT
from warehouse import snapshot

pytestmark = pytest.mark.slow

REPO = ROOT
_VENV_PREFECT = Path(sys.executable).with_name("prefect")
PREFECT = str(_VENV_PREFECT) if _VENV_PREFECT.exists() else shutil.which("prefect")
POOL = "tradewatch-process"
AS_OF = datetime(2025, 4, 25, 12, 0, tzinfo=UTC)

if PREFECT is None:
    pytest.skip(
        "the `prefect` executable is not installed next to this Python or on PATH", allow_module_level=True
    )


def _items() -> list[TimelineItem]:
    def item(source: str, n: int, hours_before: float, title: str) -> TimelineItem:
        return TimelineItem(
            source=source, guid=f"{source}-{n}", url=f"https://news.example.com/{source}/{n}", title=title,
            published=AS_OF - timedelta(hours=hours_before), summary=title + ".",
            body=f"{title}. Officials from Seoul and Washington met on Thursday in Washington.",
        )  # fmt: skip

    return [
        item("wire", 1, 20, "South Korea and US hold 2+2 trade talks in Washington"),
        item("wire", 2, 3, "Seoul and Washington agree to craft July package on tariffs"),
        item("gazette", 1, 10, "Trade minister returns from Washington"),
        item("gazette", 2, -5, "Published after the run: never seen"),  # in the future of AS_OF
    ]


def _stop(proc: subprocess.Popen) -> None:
    """Stop one process we started (and its children, in its own session) by its id."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def _tail(path: Path, n: int = 60) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-n:]) if path.exists() else "(no log)"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[dict[str, str]]:
    """A real `prefect server start` on a free loopback port (the one `tradewatch serve` starts when no API is
    configured); yields the environment that points at it."""
    home = tmp_path_factory.mktemp("prefect-home")
    try:
        with local_server(home, timeout_s=90) as url:
            env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
            env.update({
                "PREFECT_HOME": str(home),
                "PREFECT_API_URL": url,
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PREFECT_LOGGING_LEVEL": "INFO",
                "DO_NOT_TRACK": "1",
            })  # fmt: skip
            yield env
    except NoSchedulerError as exc:
        pytest.fail(f"{exc}:\n{_tail(home / 'server.log')}")


def prefect(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    """Run the prefect CLI from the repo root, as a user would; fail the test with its output on error."""
    done = subprocess.run(
        [PREFECT, "--no-prompt", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"prefect {' '.join(args)} exited {done.returncode}:\n{output[-4000:]}"
    return output


@pytest.fixture(scope="module")
def deployed(server) -> dict[str, str]:
    """The work pool, both deployments from prefect.yaml, their schedules paused (only our runs run)."""
    prefect(server, "work-pool", "create", POOL, "--type", "process")
    prefect(server, "deploy", "--all")
    prefect(server, "deployment", "schedule", "pause", "--all")
    return server


@pytest.fixture()
def feeds(tmp_path) -> Iterator[tuple[Path, Path]]:
    """Loopback feeds as they stood at AS_OF, and a tradewatch.toml polling them. Yields (config, warehouse)."""
    with TimelineServer(_items()) as feed_server:
        feed_server.now = AS_OF
        warehouse = tmp_path / "tw.duckdb"
        config = tmp_path / "tradewatch.toml"
        write_config(config, feed_server, str(warehouse))
        yield config, warehouse


def trigger(env: dict[str, str], config: Path, *, as_of: datetime = AS_OF) -> str:
    output = prefect(
        env,
        "deployment",
        "run",
        "monitor/monitor",
        "--param",
        f"config_path={config}",
        "--param",
        f"as_of={as_of.isoformat()}",
        "--param",
        "alerts=false",
    )
    match = re.search(r"UUID:\s*([0-9a-f-]{36})", output)
    assert match, f"no flow run id in:\n{output}"
    return match.group(1)


def drop_other_scheduled_runs(env: dict[str, str], keep: set[str]) -> None:
    """Runs the scheduler made before the schedules were paused (a race) would compete with ours for the
    one concurrency slot: delete every scheduled run but ours."""
    api = env["PREFECT_API_URL"]
    response = requests.post(
        f"{api}/flow_runs/filter",
        timeout=10,
        json={"flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}},
    )
    response.raise_for_status()
    for run in response.json():
        if run["id"] not in keep:
            requests.delete(f"{api}/flow_runs/{run['id']}", timeout=10).raise_for_status()


def run_worker_once(env: dict[str, str], log: Path) -> None:
    """One polling pass of a process worker: it picks up the pending runs and waits for them to finish."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [PREFECT, "worker", "start", "--pool", POOL, "--run-once"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        proc.wait(timeout=150)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the worker did not finish within 150 s:\n{_tail(log)}")
    finally:
        _stop(proc)


def flow_run(env: dict[str, str], run_id: str) -> dict:
    response = requests.get(f"{env['PREFECT_API_URL']}/flow_runs/{run_id}", timeout=10)
    response.raise_for_status()
    return response.json()


def stored(warehouse: Path, sql: str) -> list[tuple]:
    con = snapshot.open_snapshot(warehouse)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_deployed_monitor_run_stores_the_feed_items(deployed, feeds, tmp_path):
    config, warehouse = feeds
    run_id = trigger(deployed, config)
    drop_other_scheduled_runs(deployed, keep={run_id})
    run_worker_once(deployed, tmp_path / "worker.log")

    run = flow_run(deployed, run_id)
    assert run["state_type"] == "COMPLETED", (
        f"{run['state_name']}: {run['state']}\n{_tail(tmp_path / 'worker.log')}"
    )
    assert run["parameters"]["config_path"] == str(config)
    sources = stored(
        warehouse, "SELECT source_id, last_error, last_error_detail FROM sources ORDER BY source_id"
    )
    assert sources == [("gazette", None, None), ("wire", None, None)], _tail(tmp_path / "worker.log")
    rows = stored(warehouse, "SELECT source_id, title FROM items ORDER BY source_id, title")
    assert rows == [
        ("gazette", "Trade minister returns from Washington"),
        ("wire", "Seoul and Washington agree to craft July package on tariffs"),
        ("wire", "South Korea and US hold 2+2 trade talks in Washington"),
    ]


def test_a_run_that_comes_due_during_another_is_cancelled_and_nothing_doubles(deployed, feeds, tmp_path):
    config, warehouse = feeds
    first = trigger(deployed, config)
    second = trigger(deployed, config, as_of=AS_OF + timedelta(minutes=10))
    drop_other_scheduled_runs(deployed, keep={first, second})
    run_worker_once(deployed, tmp_path / "worker.log")

    runs = [flow_run(deployed, r) for r in (first, second)]
    states = sorted(r["state_type"] for r in runs)
    assert states == ["CANCELLED", "COMPLETED"], (
        f"{[r['state'] for r in runs]}\n{_tail(tmp_path / 'worker.log')}"
    )
    assert stored(warehouse, "SELECT count(*), count(DISTINCT item_id) FROM items") == [(3, 3)]
