"""`make bench`: measure the pipeline against its floors, print the table, write bench/results.md.

    python -m bench                 # the full benchmark (a few minutes on 2 cores)
    python -m bench --scale tiny    # the machinery at toy size (seconds of work; tests use it)
    python -m bench --only history  # figures 7-9 alone (long history: ~3 minutes; prints, writes only --out)

Loopback only. Uses the Prefect API in PREFECT_API_URL when set; otherwise starts a private
`prefect server start` on a free loopback port for the run and stops it at the end. Exits 0 even when a
target is missed (the table says MISSED); non-zero only when the benchmark itself could not run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from bench import floors, report, warehouse_bench
from bench.feeds import AS_OF, FeedServer, make_corpus, write_config
from bench.report import Figure

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results.md"


@dataclass(frozen=True)
class Scale:
    name: str
    feeds: int
    items_per_feed: int
    dedupe_small: int
    dedupe_large: int
    dedupe_seed: int  # real corpus items among the stored ones
    dedupe_new: int
    sql_rows: int
    unchanged_repeats: int = 3
    empty_repeats: int = 3
    changed_repeats: int = 3  # each on a fresh warehouse; the median is reported
    floor_parse_budget_s: float = 8.0
    history_sizes: tuple[int, int] = (10_000, 1_000_000)  # items stored: the small and the large history
    history_feeds: tuple[int, int] = (20, 25)  # sources x new items per source of a new-item cycle


SCALES = {
    "full": Scale(
        "full",
        feeds=200,
        items_per_feed=50,
        dedupe_small=10_000,
        dedupe_large=100_000,
        dedupe_seed=1_000,
        dedupe_new=500,
        sql_rows=1_000_000,
    ),
    "tiny": Scale(
        "tiny",
        feeds=3,
        items_per_feed=5,
        dedupe_small=200,
        dedupe_large=1_000,
        dedupe_seed=5,
        dedupe_new=5,
        sql_rows=1_000,
        unchanged_repeats=1,
        empty_repeats=1,
        changed_repeats=1,
        floor_parse_budget_s=1.0,
        history_sizes=(200, 1_000),
        history_feeds=(3, 5),
    ),
}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def prefect_api(workdir: Path, api_url: str | None) -> Iterator[dict[str, str]]:
    """The environment for the pipeline process: the given API, else a private server started here."""
    env = dict(os.environ)
    env.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    env["DO_NOT_TRACK"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    if api_url:
        env["PREFECT_API_URL"] = api_url
        yield env
        return
    from flows.serve import local_server

    t = time.perf_counter()
    with local_server(workdir / "prefect-home") as url:
        log(f"prefect server up at {url} in {time.perf_counter() - t:.1f} s")
        env = {k: v for k, v in env.items() if not k.startswith("PREFECT_")}
        env.update({"PREFECT_HOME": str(workdir / "prefect-home"), "PREFECT_API_URL": url,
                    "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING"})
        yield env


def run_pipeline(workdir: Path, env: dict[str, str], spec: dict, timeout_s: float = 1800,
                 module: str = "bench.pipeline") -> dict:
    spec_path, result_path = workdir / "spec.json", workdir / "pipeline-result.json"
    spec_path.write_text(json.dumps(spec))
    done = subprocess.run([sys.executable, "-m", module, str(spec_path), str(result_path)],
                          env=env, cwd=REPO, timeout=timeout_s, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"pipeline run failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(result_path.read_text())


def run_all(scale: Scale, *, out: Path | None = RESULTS, api_url: str | None = None) -> dict:
    """Every figure; returns {"figures": [...], "pipeline": {...}, ...} and writes `out` when given."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tradewatch-bench-") as tmp:
        workdir = Path(tmp)
        log(f"corpus: {scale.feeds} feeds x {scale.items_per_feed} items")
        corpus = make_corpus(scale.feeds, scale.items_per_feed)
        bodies = corpus.bodies()
        # what a desk polling USTR, trade ministries and "tariff talks" searches gets: nearly all about trade talks
        trade_corpus = make_corpus(scale.feeds, scale.items_per_feed, trade_share=0.9, copy_share=0.05,
                                   prefix="trade")
        trade_bodies = trade_corpus.bodies()
        warm = make_corpus(2, 5, seed=99, prefix="warm").bodies()
        with FeedServer({**bodies, **trade_bodies, **warm}) as server:
            main_sources, warm_sources = sorted(bodies), sorted(warm)
            log("floor: bare conditional GET")
            bare = floors.bare_conditional_poll(
                [server.url(s) for s in main_sources], scale.unchanged_repeats
            )
            log("floor: feedparser.parse with defaults")
            fp = floors.bare_feedparser([bodies[s] for s in main_sources], scale.floor_parse_budget_s)
            fp_trade = floors.bare_feedparser([trade_bodies[s] for s in sorted(trade_bodies)],
                                              scale.floor_parse_budget_s)

            changed = []
            for n in range(scale.changed_repeats):  # a fresh warehouse each: every item is new to it
                warehouse, config = workdir / f"bench-{n}.duckdb", workdir / f"tradewatch-{n}.toml"
                write_config(config, _Only(server, main_sources), warehouse)
                changed.append({"config": str(config), "warehouse": str(warehouse)})
            trade_heavy = []
            for n in range(scale.changed_repeats):
                warehouse, config = workdir / f"trade-{n}.duckdb", workdir / f"trade-{n}.toml"
                write_config(config, _Only(server, sorted(trade_bodies)), warehouse)
                trade_heavy.append({"config": str(config), "warehouse": str(warehouse)})
            warm_wh, warm_config = workdir / "warm.duckdb", workdir / "warm.toml"
            write_config(warm_config, _Only(server, warm_sources), warm_wh)
            spec = {"changed": changed, "trade_heavy": trade_heavy, "config": changed[-1]["config"],
                    "warmup_config": str(warm_config),
                    "as_of": AS_OF.isoformat(), "unchanged_repeats": scale.unchanged_repeats,
                    "empty_repeats": scale.empty_repeats}  # fmt: skip
            with prefect_api(workdir, api_url) as env:
                log("pipeline: empty flow, changed poll, unchanged poll (its own process)")
                pipe = run_pipeline(workdir, env, spec)
                log(f"history: cycles with {' and '.join(f'{n:,}' for n in scale.history_sizes)} items stored")
                history = run_pipeline(workdir, env, {
                    "sizes": list(scale.history_sizes), "feeds": scale.history_feeds, "as_of": AS_OF.isoformat(),
                    "workdir": str(workdir)}, module="bench.history")

        log("store and dedupe at scale")
        items = _parse_all(bodies, limit=scale.dedupe_seed + scale.dedupe_new)
        seed, new = (
            items[: scale.dedupe_seed],
            items[scale.dedupe_seed : scale.dedupe_seed + scale.dedupe_new],
        )
        small = warehouse_bench.dedupe_cost(
            workdir / "dedupe.duckdb", scale.dedupe_small, seed, new, now=AS_OF
        )
        large = warehouse_bench.dedupe_cost(
            workdir / "dedupe.duckdb", scale.dedupe_large, seed, new, now=AS_OF
        )
        log("ad hoc SQL on the snapshot")
        sql = warehouse_bench.adhoc_sql(workdir / "sql.duckdb", scale.sql_rows, now=AS_OF)

    changed, trade = pipe["changed"], pipe["trade_heavy"]
    main_before = [max(r["rss_before_mb"].values()) for r in changed.get("runs", [])]
    n_items = corpus.items
    stages = changed["stages_s"]
    figures = [
        Figure(
            "1. unchanged poll",
            pipe["unchanged_s"],
            pipe["empty_flow_s"] + 2 * bare["seconds"],
            "s",
            "<= 1.00",
            f"empty flow {pipe['empty_flow_s']:.2f} s + 2 x bare poll {bare['seconds']:.3f} s",
            f"a monitor cycle over {bare['feeds']} sources all answering 304 (median of "
            f"{scale.unchanged_repeats}); bare poll = one shared requests.Session, sequential.",
        ),
        Figure(
            "2. changed poll",
            n_items / changed["wall_s"],
            fp["items_per_s"],
            "items/s",
            ">= 1.00",
            f"feedparser defaults, {fp['items']} items",
            f"{scale.feeds} sources x {scale.items_per_feed} new items through fetch, parse, store, extract, "
            f"resolve, outbox and publish in {changed['wall_s']:.1f} s, the median of "
            f"{len(changed['walls_s'])} runs on fresh warehouses "
            f"({', '.join(f'{w:.2f}' for w in changed['walls_s'])} s; warm process; --no-alerts). Stages: "
            + ", ".join(f"{k} {v:.2f} s" for k, v in stages.items())
            + " (poll summed over 8 threads).",
        ),
        Figure(
            "2b. trade-heavy changed poll",
            trade_corpus.items / trade["wall_s"],
            fp_trade["items_per_s"],
            "items/s",
            ">= 1.00",
            f"feedparser defaults, {fp_trade['items']} items",
            f"the changed poll of (2) on {scale.feeds} feeds where {trade_corpus.trade_items:,} of the "
            f"{trade_corpus.items:,} items are about trade talks (extraction reads each whole), in "
            f"{trade['wall_s']:.1f} s, the median of {len(trade['walls_s'])} runs on fresh warehouses "
            f"({', '.join(f'{w:.2f}' for w in trade['walls_s'])} s). Stages: "
            + ", ".join(f"{k} {v:.2f} s" for k, v in trade["stages_s"].items())
            + ". Where the CPU went: " + _roles(trade) + ".",
        ),
        Figure(
            "3. store",
            stages.get("store", 0.0),
            changed["wall_s"],
            "s",
            "<= 0.05",
            "changed-poll time",
            f"the store stage of the changed poll: {changed['new_items']} items stored in bulk (Arrow) and one "
            "fetch record per source, in one transaction. Their stories (MinHash + LSH: signatures, band rows, "
            f"the story id of those that joined one) are written by the next stage, stories "
            f"({stages.get('stories', 0.0):.2f} s, with the checkpoint), while extraction runs.",
        ),
        Figure(
            "4. dedupe at scale",
            large["per_item_s"],
            small["per_item_s"],
            "s",
            "<= 1.50",
            f"per item at {small['stored']:,} stored",
            f"near-duplicate check per new item with {large['stored']:,} stored ({large['band_rows']:,} band "
            f"rows, all within the window); database part {large['db_per_item_s'] * 1000:.2f} ms vs "
            f"{small['db_per_item_s'] * 1000:.2f} ms, signature {large['signature_per_item_s'] * 1000:.2f} ms; "
            f"{large['joined_story']} of {large['new_items']} new items joined an existing story.",
        ),
        Figure(
            "5. ad hoc SQL",
            sql["seconds"],
            0.100,
            "s",
            "< 1.00",
            "fixed 100 ms",
            f"open the published snapshot read-only + items per source (count, relevant, latest) over "
            f"{sql['rows']:,} items + close, median of 5 (first run {sql['first_s'] * 1000:.0f} ms). A heavier "
            f"group-by (per source and day on TIMESTAMPTZ, distinct stories): {sql['heavy_seconds'] * 1000:.0f} ms.",
        ),
        Figure(
            "6. memory",
            changed["peak_rss_bytes"] / 2**20,
            500.0,
            "MB",
            "< 1.00",
            "fixed 500 MB",
            f"peak RSS of the changed poll's process tree (pipeline process + its workers; the highest of the "
            f"{len(changed['walls_s'])} runs: {', '.join(f'{m:.0f}' for m in changed['peaks_mb'])} MB), sampled every "
            f"20 ms via {pipe['memory_method']} ({changed['samples']} samples); sum of each process's own peak "
            f"(VmHWM, an upper bound): {changed['hwm_sum_bytes'] / 2**20:.0f} MB. The pipeline process's RSS "
            f"before each run: {', '.join(f'{m:.0f}' for m in main_before)} MB (a process keeps some memory after "
            "its first big cycle). At the highest peak: "
            + ", ".join(f"{name} {mb:.0f} MB" for name, mb in sorted(changed.get("at_peak_mb", {}).items()))
            + ". The Prefect server runs apart and is not counted.",
        ),
    ]
    figures[1] = replace(figures[1], note=figures[1].note + f" Where the CPU went: {_roles(changed)}.")
    figures += history_figures(history, scale)
    notes = [
        f"Synthetic corpus: {n_items:,} items ({corpus.trade_items} about trade talks, {corpus.copies} wire copies), "
        f"~4 KB bodies, seeded; served from loopback with ETag/304 over HTTP/1.1.",
        f"Pipeline warehouse after the changed poll: {json.dumps(changed['warehouse'])}; "
        f"{_size_per_10k(changed)}.",
        f"Whole benchmark took {time.perf_counter() - started:.0f} s.",
    ]
    result = {
        "figures": figures,
        "pipeline": pipe,
        "bare_poll": bare,
        "feedparser": fp,
        "dedupe": [small, large],
        "sql": sql,
        "history": history,
        "scale": scale.name,
    }
    print(report.console_table(figures))
    if out is not None:
        out.write_text(report.markdown(figures, report.machine(), notes, scale.name), encoding="utf-8")
        log(f"wrote {out}")
    return result


def run_history(scale: Scale, *, out: Path | None = None, api_url: str | None = None) -> dict:
    """Figures 7-9 alone (the cycles with a long history), printed; written to `out` when given."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tradewatch-bench-") as tmp:
        workdir = Path(tmp)
        with prefect_api(workdir, api_url) as env:
            log(f"history: cycles with {' and '.join(f'{n:,}' for n in scale.history_sizes)} items stored")
            history = run_pipeline(workdir, env, {
                "sizes": list(scale.history_sizes), "feeds": scale.history_feeds, "as_of": AS_OF.isoformat(),
                "workdir": str(workdir)}, module="bench.history")
    figures = history_figures(history, scale)
    print(report.console_table(figures))
    if out is not None:
        notes = [f"Figures 7-9 alone (--only history) took {time.perf_counter() - started:.0f} s."]
        out.write_text(report.markdown(figures, report.machine(), notes, scale.name), encoding="utf-8")
        log(f"wrote {out}")
    return {"figures": figures, "history": history, "scale": scale.name}


def _roles(run: dict) -> str:
    return "; ".join(f"{name} ({r['processes']}): {r['cpu_s']:.1f} s CPU, peak {r['peak_rss_mb']:.0f} MB"
                     for name, r in sorted(run.get("by_role", {}).items()))


def _size_per_10k(run: dict) -> str:
    items, size = run["warehouse"]["items"], run["warehouse_bytes"]
    return (f"the file is {size / 2**20:.0f} MB for {items:,} items ({size / 2**20 * 10_000 / max(items, 1):.0f} MB "
            f"per 10,000 items), the published snapshot {run['snapshot_bytes'] / 2**20:.1f} MB")


def history_figures(history: dict, scale: Scale) -> list[Figure]:
    """Figures 7-9: the same cycles with a small and a large history stored."""
    small, large = (history[str(n)] for n in scale.history_sizes)
    feeds, per_feed = scale.history_feeds

    def stages(run: dict) -> str:
        return ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in run["stages_s"].items() if k != "poll")

    def sizes(run: dict) -> str:
        s = run["sizes"]
        return (f"live file {s['live'] / 2**20:,.0f} MB ({s['live'] / 2**20 * 10_000 / run['stored']:.0f} MB per "
                f"10,000 items), snapshot files {s.get('a', 0) / 2**20:,.0f} + {s.get('b', 0) / 2**20:,.0f} MB")

    def walls(runs: list[dict]) -> str:
        return ", ".join(f"{r['wall_s']:.2f}" for r in runs)

    def by_wall(runs: list[dict]) -> dict:
        return sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2]

    return [
        Figure(
            "7. unchanged cycle, long history",
            large["unchanged_s"],
            small["unchanged_s"],
            "s",
            "<= 1.25",
            f"the same with {small['stored']:,} stored",
            f"every source answers 304, with {large['stored']:,} items stored against {small['stored']:,} "
            f"(median of {len(large['unchanged'])}: {walls(large['unchanged'])} s against {walls(small['unchanged'])} "
            f"s). Stages, large: "
            f"{stages(by_wall(large['unchanged']))}; small: {stages(by_wall(small['unchanged']))}. "
            f"History loaded in {large['fill_s']:.0f} s (synthetic, SQL; bench/history.py), set-up cycles "
            f"{', '.join(f'{w:.1f}' for w in large['setup_s'])} s.",
        ),
        Figure(
            "8. new items, long history",
            large["new_s"],
            small["new_s"],
            "s",
            "<= 1.25",
            f"the same with {small['stored']:,} stored",
            f"{feeds} sources x {per_feed} new items through the whole pipeline, with {large['stored']:,} items "
            f"stored against {small['stored']:,} (median of {len(large['new'])} batches: "
            f"{walls(large['new'])} s against {walls(small['new'])} s). Stages, large: "
            f"{stages(by_wall(large['new']))}; small: {stages(by_wall(small['new']))}. Large: {sizes(large)}; "
            f"small: {sizes(small)}.",
        ),
        Figure(
            "9. memory, long history",
            large["peak_rss_bytes"] / 2**20,
            500.0,
            "MB",
            "< 1.00",
            "fixed 500 MB",
            f"peak RSS of the process tree in the new-item cycles of (8) with {large['stored']:,} items stored "
            f"(with {small['stored']:,}: {small['peak_rss_bytes'] / 2**20:.0f} MB).",
        ),
    ]


class _Only:
    """A FeedServer seen through a subset of its sources (for write_config)."""

    def __init__(self, server: FeedServer, sources: list[str]) -> None:
        self._server, self.sources = server, sources
        self.host_port = server.host_port

    def url(self, source: str) -> str:
        return self._server.url(source)


def _parse_all(bodies: dict[str, bytes], limit: int) -> list:
    from tasks.sources.feeds import parse_feed

    out = []
    for source in sorted(bodies):
        out += sorted(parse_feed(bodies[source], source_id=source, now=AS_OF).items, key=lambda i: i.item_id)
        if len(out) >= limit:
            break
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--scale", choices=sorted(SCALES), default="full")
    p.add_argument("--out", type=Path, help="where to write the results (markdown; default: bench/results.md "
                   "for the full scale, nowhere for tiny, so a smoke run never replaces the recorded results)")
    p.add_argument(
        "--api-url",
        default=os.environ.get("PREFECT_API_URL"),
        help="a running Prefect API to use (default: $PREFECT_API_URL, else a private server)",
    )
    p.add_argument("--only", choices=["history"], help="run only these figures (history: 7-9); the results go "
                   "to --out alone, never to bench/results.md")
    args = p.parse_args(argv)
    if args.only == "history":
        run_history(SCALES[args.scale], out=args.out, api_url=args.api_url)
        return 0
    out = args.out or (RESULTS if args.scale == "full" else None)
    run_all(SCALES[args.scale], out=out, api_url=args.api_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
