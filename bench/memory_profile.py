"""Where the changed poll's memory goes: resident memory per stage, and what holds it.

    python -m bench.memory_profile                  # 200 feeds x 50 items, as the benchmark's changed poll
    python -m bench.memory_profile --trace          # + tracemalloc: Python allocations per stage, top lines
    python -m bench.memory_profile --feeds 50       # smaller

The same machinery as `python -m bench` (synthetic corpus on loopback, a private Prefect server, a warm-up
cycle), then one changed poll in a process of its own, whose stage functions (tasks/cycle/) are wrapped to
record, at entry and exit: the process's own RSS, the process tree's RSS (parser and extraction workers),
the bytes held by the stage's big inputs and outputs (bodies, items, findings), DuckDB's buffer manager
(duckdb_memory()), and with --trace the traced Python memory (current, peak within the stage, top lines).
A sampler thread keeps the per-stage peak of both RSS figures. Prints a table; --json writes everything.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bench.procmem import rss_bytes, tree

REPO = Path(__file__).resolve().parents[1]
# the stages a cycle calls, by the module that calls them (its global name is what gets wrapped), and the
# steps inside them worth a line of their own
STAGES = (
    ("tasks.cycle.sources", "poll"), ("tasks.cycle.sources", "store_polled"),
    ("tasks.cycle.stories", "stories_of"), ("tasks.cycle.extract", "extract_stored"),
    ("tasks.cycle.extract", "extract_all"), ("tasks.cycle.events", "apply_findings"), ("tasks.cycle.publish", "publish"),
)
SUBSTAGES = (
    ("warehouse.items", "store_items"), ("tasks.sources.store", "record_outcomes"),
    ("tasks.stories.assign", "assign_story_ids"),
)
STAGE_NAMES = {name for _, name in STAGES}
MB = 2**20


# --- the parent: corpus, servers, the child process ------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.memory_profile", description=__doc__.splitlines()[0])
    p.add_argument("--feeds", type=int, default=200)
    p.add_argument("--items", type=int, default=50, help="items per feed")
    p.add_argument("--trace", action="store_true", help="tracemalloc (slower: about 2x)")
    p.add_argument("--json", type=Path, help="write every measurement here")
    p.add_argument("--child", nargs=2, metavar=("SPEC", "OUT"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        return child(*args.child)

    from bench.__main__ import _Only, log, prefect_api
    from bench.feeds import AS_OF, FeedServer, make_corpus, write_config

    with tempfile.TemporaryDirectory(prefix="tradewatch-memprof-") as tmp:
        workdir = Path(tmp)
        bodies = make_corpus(args.feeds, args.items).bodies()
        warm = make_corpus(2, 5, seed=99, prefix="warm").bodies()
        with FeedServer({**bodies, **warm}) as server:
            config, warm_config = workdir / "tradewatch.toml", workdir / "warm.toml"
            write_config(config, _Only(server, sorted(bodies)), workdir / "bench.duckdb")
            write_config(warm_config, _Only(server, sorted(warm)), workdir / "warm.duckdb")
            spec = {"config": str(config), "warmup_config": str(warm_config), "as_of": AS_OF.isoformat(),
                    "trace": args.trace}  # fmt: skip
            spec_path, out_path = workdir / "spec.json", workdir / "out.json"
            spec_path.write_text(json.dumps(spec))
            with prefect_api(workdir, None) as env:
                log(
                    f"changed poll of {args.feeds} x {args.items} items, memory per stage (trace={args.trace})"
                )
                done = subprocess.run([sys.executable, "-m", "bench.memory_profile", "--child", str(spec_path),
                                       str(out_path)], env=env, cwd=REPO, stdin=subprocess.DEVNULL,
                                      capture_output=True, text=True, timeout=1800)  # fmt: skip
            if done.returncode != 0:
                print(done.stderr[-4000:], file=sys.stderr)
                return 1
            result = json.loads(out_path.read_text())
    print(render(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


def render(result: dict) -> str:
    lines = [
        f"process RSS: {result['baseline_self'] / MB:.0f} MB before the changed poll (after warm-up); "
        f"tree {result['baseline_tree'] / MB:.0f} MB; whole poll: self peak {result['peak_self'] / MB:.0f} MB, "
        f"tree peak {result['peak_tree'] / MB:.0f} MB; after the flow returned + gc: "
        f"{result['after_self'] / MB:.0f} MB",
        "",
        "| stage | s | self RSS in → out (peak) MB | tree peak MB | traced in → out (peak) MB |",
        "|---|---|---|---|---|",
    ]
    for st in result["stages"]:
        traced = ""
        if "traced_in" in st:
            traced = (
                f"{st['traced_in'] / MB:.0f} → {st['traced_out'] / MB:.0f} ({st['traced_peak'] / MB:.0f})"
            )
        name = st["stage"] if st["stage"] in STAGE_NAMES else f"&nbsp;&nbsp;{st['stage']}"
        lines.append(f"| {name} | {st['seconds']:.1f} | {st['self_in'] / MB:.0f} → {st['self_out'] / MB:.0f} "
                     f"({st['self_peak'] / MB:.0f}) | {st['tree_peak'] / MB:.0f} | {traced} |")  # fmt: skip
    lines += ["", "Holders (bytes of the objects, measured at the stage boundary):"]
    for name, value in result["holders"].items():
        lines.append(f"  {name}: {json.dumps(value)}")
    for st in result["stages"]:
        if st.get("top"):
            lines += ["", f"Top traced lines at the end of {st['stage']} (MB, blocks):"]
            lines += [f"  {size / MB:8.1f}  {count:8d}  {where}" for where, size, count in st["top"]]
    return "\n".join(lines)


# --- the child: one warm-up cycle, then the changed poll, measured -----------------------------------


def _str_bytes(*values: object) -> int:
    return sum(sys.getsizeof(v) for v in values if v is not None)


def items_bytes(items) -> dict:
    """What a list of Items holds: the text (object sizes of the strings) and the Item objects themselves."""
    text = sum(_str_bytes(it.item_id, it.source_id, it.guid, it.url, it.title, it.summary, it.body,
                          it.content_hash) for it in items)  # fmt: skip
    return {"count": len(items), "text_mb": round(text / MB, 1),
            "objects_mb": round(sum(sys.getsizeof(it) for it in items) / MB, 1)}  # fmt: skip


class Recorder:
    """Wraps the stage functions a cycle calls; samples RSS every 10 ms."""

    def __init__(self, trace: bool) -> None:
        self.trace = trace
        self.stages: list[dict] = []
        self.holders: dict[str, object] = {}
        self.peak_self = self.peak_tree = 0
        self._open: dict[str, dict] = {}
        self._depth: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.warehouse: str | None = None

    def _sample(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            s, t = rss_bytes(me), sum(rss_bytes(p) for p in tree(me))
            with self._lock:
                self.peak_self, self.peak_tree = max(self.peak_self, s), max(self.peak_tree, t)
                for st in self._open.values():
                    st["self_peak"], st["tree_peak"] = max(st["self_peak"], s), max(st["tree_peak"], t)
            self._stop.wait(0.01)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def install(self) -> None:
        import importlib

        for module, name in STAGES + SUBSTAGES:
            caller = importlib.import_module(module)
            setattr(caller, name, self._wrap(name, getattr(caller, name)))

    def _enter(self, name: str, args: tuple) -> None:
        with self._lock:
            self._depth[name] = self._depth.get(name, 0) + 1
            if self._depth[name] > 1:  # poll: one stage from the first call in to the last call out
                return
        me = os.getpid()
        st = {"stage": name, "t0": time.perf_counter(), "self_in": rss_bytes(me),
              "tree_in": sum(rss_bytes(p) for p in tree(me))}  # fmt: skip
        st["self_peak"], st["tree_peak"] = st["self_in"], st["tree_in"]
        if self.trace:
            st["traced_in"] = tracemalloc.get_traced_memory()[0]
            if name in STAGE_NAMES and name != "poll":  # not inside a stage: its peak would be lost
                tracemalloc.reset_peak()
        self._observe_inputs(name, args)
        with self._lock:
            self._open[name] = st

    def _exit(self, name: str, result: object) -> None:
        with self._lock:
            self._depth[name] -= 1
            if self._depth[name]:
                return
            st = self._open.pop(name)
        me = os.getpid()
        st["seconds"] = time.perf_counter() - st["t0"]
        st["self_out"], st["tree_out"] = rss_bytes(me), sum(rss_bytes(p) for p in tree(me))
        st["self_peak"], st["tree_peak"] = (
            max(st["self_peak"], st["self_out"]),
            max(st["tree_peak"], st["tree_out"]),
        )
        if self.trace:
            current, peak = tracemalloc.get_traced_memory()
            st["traced_out"], st["traced_peak"] = current, peak
            stats = (
                tracemalloc.take_snapshot()
                .filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
                .statistics("lineno")
            )
            st["top"] = [(f"{s.traceback[0].filename.replace(str(REPO) + '/', '')}:{s.traceback[0].lineno}",
                          s.size, s.count) for s in stats[:12]]  # fmt: skip
        self._observe_outputs(name, result)
        self.stages.append(st)

    def _observe_inputs(self, name: str, args: tuple) -> None:
        if name == "store_polled":
            polled = args[1]
            self.holders["polled (input of store_polled, alive until the store step returns)"] = {
                "sources": len(polled),
                "raw_bodies_mb": round(sum(len(p.fetched.body or b"") for p in polled) / MB, 1),
                "items": items_bytes([it for p in polled for it in p.items]),
            }
            self.warehouse = str(args[0].warehouse_path)
        if name == "apply_findings":
            self.holders["duckdb before apply_findings"] = self._duckdb()

    def _observe_outputs(self, name: str, result: object) -> None:
        if name == "store_polled":
            self.holders["duckdb after store_polled"] = self._duckdb()
        elif name == "extract_all":
            import pickle

            self.holders["findings of extract_all"] = {
                "count": len(result), "pickled_mb": round(len(pickle.dumps(result, protocol=5)) / MB, 1)
            }  # fmt: skip
        elif name == "apply_findings":
            self.holders["duckdb after apply_findings"] = self._duckdb()

    def _duckdb(self) -> dict:
        """The buffer manager of the warehouse instance held for the cycle (a connection of the same instance)."""
        from warehouse import connection

        if self.warehouse is None:
            return {}
        with connection.writer(self.warehouse) as con:
            rows = con.execute(
                "SELECT tag, memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0"
            ).fetchall()
            limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        return {"memory_limit": limit, **{tag: round(b / MB, 1) for tag, b in rows}}

    def _wrap(self, name: str, fn: Callable) -> Callable:
        def recorded(*args, **kwargs):
            self._enter(name, args)
            result = None
            try:
                result = fn(*args, **kwargs)
                return result
            finally:
                self._exit(name, result)

        recorded.__wrapped__ = fn  # type: ignore[attr-defined]
        return recorded


def child(spec_path: str, out_path: str) -> int:
    from flows.monitor import run_monitor_flow
    from tasks.sources.parsing import close_parser_pool

    spec = json.loads(Path(spec_path).read_text())
    as_of = datetime.fromisoformat(spec["as_of"])
    run_monitor_flow(spec["warmup_config"], as_of=as_of.isoformat(), alerts=False)
    gc.collect()
    rec = Recorder(spec["trace"])
    rec.install()
    me = os.getpid()
    baseline_self, baseline_tree = rss_bytes(me), sum(rss_bytes(p) for p in tree(me))
    if spec["trace"]:
        tracemalloc.start()
    rec.start()
    run_monitor_flow(spec["config"], as_of=as_of.isoformat(), alerts=False)
    rec.stop()
    gc.collect()
    out = {"baseline_self": baseline_self, "baseline_tree": baseline_tree, "peak_self": rec.peak_self,
           "peak_tree": rec.peak_tree, "after_self": rss_bytes(me), "stages": sorted(rec.stages, key=lambda st: st["t0"]),
           "holders": rec.holders}  # fmt: skip
    Path(out_path).write_text(json.dumps(out, default=str))
    close_parser_pool()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
