"""The pipeline's side of the benchmark, run in a process of its own (as `tradewatch run` would be):

    python -m bench.pipeline SPEC.json RESULT.json

against the Prefect API in PREFECT_API_URL (a server the benchmark started, or yours). In order:
the empty-flow floor; one warm-up cycle on a small separate warehouse (parser workers started, modules
imported); the changed poll (every source answers 200 with new items), with the process tree's resident
memory sampled throughout; the same on the trade-heavy feeds (nearly every item about trade talks); then the
unchanged poll (every source answers 304), repeated. Each stage of the cycle (tasks/cycle/) is timed by
wrapping its function, so the result also says where the time goes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

from prefect import flow

from bench.procmem import METHOD, TreeSampler, rss_bytes, tree

# the stages a cycle calls, by the module that calls them (its global name is what gets wrapped) and a label
STAGES = (
    ("tasks.cycle.sources", "poll", "poll"),
    ("tasks.cycle.sources", "store_polled", "store"),
    ("tasks.cycle.stories", "stories_of", "stories"),
    ("tasks.cycle.extract", "extract_stored", "extract"),
    ("tasks.cycle.extract", "extract_all", "extract_all"),
    ("tasks.cycle.events", "apply_findings", "resolve"),
    ("tasks.cycle.alerts", "deliver_pending", "deliver"),
    ("tasks.cycle.publish", "publish", "publish"),
    ("tasks.cycle.publish", "read_changes", "calendar read"),  # (beside the snapshot: runs with it)
    ("tasks.cycle.publish", "publish_changes", "calendar and report"),
)


@flow(name="bench-empty")
async def _empty_flow() -> None:
    """A flow that does nothing, of the monitor's kind (async: see flows.monitor.monitor_flow)."""


def empty_flow() -> None:
    """The fixed cost of a flow run."""
    asyncio.run(_empty_flow())


class StageTimer:
    """Wraps the stage functions a cycle calls; sums wall time per stage (poll: summed over threads)."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def install(self) -> None:
        import importlib

        for module, name, label in STAGES:
            caller = importlib.import_module(module)
            setattr(caller, name, self._wrap(label, getattr(caller, name)))

    def _wrap(self, name: str, fn: Callable) -> Callable:
        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                with self._lock:
                    self.totals[name] += time.perf_counter() - t
                    self.calls[name] += 1

        timed.__wrapped__ = fn  # type: ignore[attr-defined]
        return timed

    def reset(self) -> dict[str, float]:
        with self._lock:
            out = dict(self.totals)
            self.totals.clear()
            self.calls.clear()
        return out


def _timed(fn: Callable, *args, **kwargs) -> tuple[float, object]:
    t = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - t, result


def warehouse_counts(warehouse: str) -> dict[str, int]:
    import duckdb

    con = duckdb.connect(warehouse, read_only=True)
    try:
        one = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "items": one("SELECT count(*) FROM core.items"),
            "items_with_story": one("SELECT count(*) FROM core.item_signatures"),  # given a story (indexed)
            "stories": one("SELECT count(DISTINCT coalesce(story_id, item_id)) FROM core.items"),
            "extracted": one("SELECT count(*) FROM core.items WHERE extracted_at IS NOT NULL"),
            "relevant": one("SELECT count(*) FROM core.items WHERE relevant"),
            "meetings": one("SELECT count(*) FROM core.meetings"),
            "deadlines": one("SELECT count(*) FROM core.deadlines"),
            "mentions": one("SELECT count(*) FROM core.mentions"),
            "outbox": one("SELECT count(*) FROM core.alert_outbox"),
        }
    finally:
        con.close()


@contextlib.contextmanager
def sampling_profiler() -> Iterator[None]:
    """With BENCH_PYSPY=/path/to/py-spy in the environment, profile the changed poll (this process and its
    workers) into bench/changed-poll.raw (collapsed stacks: flamegraph.pl or speedscope read them)."""
    pyspy = os.environ.get("BENCH_PYSPY")
    if not pyspy:
        yield
        return
    out = Path(__file__).resolve().parent / "changed-poll.raw"
    spy = subprocess.Popen([pyspy, "record", "--pid", str(os.getpid()), "--subprocesses", "--rate", "200",
                            "--format", "raw", "--output", str(out)])  # fmt: skip
    time.sleep(2)  # py-spy attaches
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait()


def role(command: str) -> str:
    for module, name in (("tasks.sources.parse_worker", "parser workers"), ("tasks.extract.worker", "extract workers")):
        if module in command:
            return name
    return "pipeline process"


def by_role(mem: TreeSampler) -> dict[str, dict[str, float]]:
    """CPU seconds used during the changed poll, peak RSS (MB, each process's own) and RSS in the sample of the
    tree's peak (MB), per kind of process."""
    out: dict[str, dict[str, float]] = {}
    for pid, command in mem.processes.items():
        r = out.setdefault(role(command), {"processes": 0, "cpu_s": 0.0, "peak_rss_mb": 0.0, "at_peak_mb": 0.0})
        r["processes"] += 1
        r["cpu_s"] += mem.cpu_s.get(pid, 0.0)
        r["peak_rss_mb"] += mem.hwm.get(pid, 0) / 2**20
        r["at_peak_mb"] += mem.at_peak.get(pid, 0) / 2**20
    return out


def changed_polls(targets: list[dict], timer: StageTimer, as_of: datetime, *, profile: bool = False) -> dict:
    """A changed poll on each target's fresh warehouse (every item is new): the median run for time, the highest
    peak of all runs for memory."""
    from flows.monitor import run_monitor_flow
    from warehouse.snapshot import snapshot_path

    runs = []
    for n, target in enumerate(targets):
        profiling = sampling_profiler() if profile and n == 0 else contextlib.nullcontext()
        rss_before = {pid: rss_bytes(pid) / 2**20 for pid in tree(os.getpid())}
        with profiling, TreeSampler() as mem:
            changed_s, summary = _timed(run_monitor_flow, target["config"], as_of=as_of.isoformat(), alerts=False)
        runs.append({
            "wall_s": changed_s,
            "new_items": summary["new_items"],
            "failed": summary["failed"],
            "stages_s": timer.reset(),
            "peak_rss_bytes": mem.peak,
            "hwm_sum_bytes": mem.hwm_sum,
            "samples": mem.samples,
            "processes": {str(p): c[:120] for p, c in mem.processes.items()},
            "by_role": by_role(mem),
            "rss_before_mb": rss_before,
            "warehouse": warehouse_counts(target["warehouse"]),
            "warehouse_bytes": Path(target["warehouse"]).stat().st_size,
            "snapshot_bytes": snapshot_path(target["warehouse"]).stat().st_size,
        })
    median = sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2]
    return {**median, "walls_s": [r["wall_s"] for r in runs],
            "peaks_mb": [r["peak_rss_bytes"] / 2**20 for r in runs],
            "runs": [{k: r[k] for k in ("wall_s", "by_role", "rss_before_mb")} for r in runs],
            "peak_rss_bytes": max(r["peak_rss_bytes"] for r in runs),
            # what each kind of process held in the sample of the highest peak
            "at_peak_mb": {name: r["at_peak_mb"] for name, r in
                           max(runs, key=lambda r: r["peak_rss_bytes"])["by_role"].items()},
            "hwm_sum_bytes": max(r["hwm_sum_bytes"] for r in runs)}


def run(spec: dict) -> dict:
    from flows.monitor import run_monitor_flow

    timer = StageTimer()
    timer.install()
    as_of = datetime.fromisoformat(spec["as_of"])
    out: dict = {"memory_method": METHOD}

    empty_flow()  # the first flow run of a process pays client setup: not part of the floor
    out["empty_flow_s"] = statistics.median(_timed(empty_flow)[0] for _ in range(spec["empty_repeats"]))

    run_monitor_flow(spec["warmup_config"], as_of=as_of.isoformat(), alerts=False)
    timer.reset()

    out["changed"] = changed_polls(spec["changed"], timer, as_of, profile=True)
    if spec.get("trade_heavy"):
        out["trade_heavy"] = changed_polls(spec["trade_heavy"], timer, as_of)

    unchanged = []
    for n in range(spec["unchanged_repeats"]):
        tick = (as_of + timedelta(minutes=10 * (n + 1))).isoformat()
        wall, summary = _timed(run_monitor_flow, spec["config"], as_of=tick, alerts=False)
        unchanged.append(
            {
                "wall_s": wall,
                "new_items": summary["new_items"],
                "lines": summary["lines"],
                "stages_s": timer.reset(),
            }
        )
    out["unchanged"] = unchanged
    out["unchanged_s"] = statistics.median(u["wall_s"] for u in unchanged)
    return out


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    result = run(spec)
    Path(argv[1]).write_text(json.dumps(result, indent=1, default=str))
    from tasks.sources.parsing import close_parser_pool

    close_parser_pool()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
