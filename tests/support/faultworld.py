"""A world to break tradewatch in, as an operator would: the demo timeline served from loopback, the fake Slack
over real HTTP, a real DuckDB warehouse, and `tradewatch run` as a real subprocess (in a session of its own,
so that every process it started can be found afterwards), sent real signals.

What tests/faults/ asserts after every fault (`Finished`: its exit code; `leaked`: processes of the finished
run still alive, workers or a Prefect server), then after a clean run, `world.recover(expected)`:
    delivery_problems     alerts lost or sent twice, against the alerts an undisturbed run sends
    thread_problems       a thread whose parent is not its event's new_* alert, a reply in another's thread
    consistency_problems  the live file fails its read pass, or the snapshot differs from it
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from flows.demo import load_timeline
from flows.feedserver import TimelineServer
from tests.support.fake_slack import TOKEN, FakeSlack
from warehouse import integrity, snapshot

AS_OF = "2025-07-20T00:00:00+00:00"
CLOCK = datetime(2025, 7, 20, tzinfo=UTC)  # every item of the timeline is published by then
TIMELINE = load_timeline()
TRADEWATCH = str(Path(sys.executable).with_name("tradewatch"))
CHANNEL = "#trade-watch"
COMPARED_VIEWS = {  # view → the columns that say whether the snapshot holds what the live file holds
    "items": "item_id, title, story_id",
    "meetings": "meeting_id, status, meeting_date",
    "deadlines": "deadline_id, due_date",
    "alerts": "alert_id, state, delivered_at",
    "sources": "source_id, error_streak",
}


@dataclass
class Finished:
    code: int
    out: str
    err: str
    leaked: list[str]
    seconds: float


class Run:
    """A `tradewatch` subprocess in a session of its own. Its output goes to files, not pipes: a process it
    leaves behind would hold a pipe open, and reading it would never end."""

    _count = 0

    def __init__(self, argv: list[str], env: dict[str, str], logs: Path):
        Run._count += 1
        logs.mkdir(parents=True, exist_ok=True)
        self._out, self._err = logs / f"run-{Run._count}.out", logs / f"run-{Run._count}.err"
        self.started = time.monotonic()
        with open(self._out, "wb") as out, open(self._err, "wb") as err:
            self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                         start_new_session=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, sig)

    def wait(self, timeout: float = 180) -> Finished:
        note = ""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.proc.wait()
            note = f"\n(test: killed after {timeout} s)"
        seconds = time.monotonic() - self.started
        leaked = left_in_session(self.proc.pid)
        return Finished(self.proc.returncode, self._out.read_text(errors="replace"),
                        self._err.read_text(errors="replace") + note, leaked, seconds)


def session_members(sid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the live processes of a session."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            state, session = fields[0], int(fields[3])
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except (OSError, ValueError, IndexError):
            continue
        if session == sid and state != "Z":
            out.append((int(entry.name), cmdline))
    return out


def left_in_session(sid: int, grace_s: float = 15.0) -> list[str]:
    """What a finished run left running, after `grace_s` for processes that are on their way out (worker
    processes exit when their stdin closes, after the job in hand). Whatever is left is killed (and
    reported)."""
    deadline = time.monotonic() + grace_s
    while (members := session_members(sid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid, _ in members:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return [cmd for _, cmd in members]


class World:
    def __init__(self, root: Path, *, api_url: str | None, slack: FakeSlack | None = None):
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.api_url = api_url
        self.config = root / "tradewatch.toml"
        self.warehouse = root / "tw.duckdb"
        self.prefect_home = root / "prefect-home"
        self.slack = slack or FakeSlack()
        self._server = TimelineServer(TIMELINE)
        self._server.now = CLOCK

    def __enter__(self) -> World:
        self._server.__enter__()
        if self.slack._server is None:
            self.slack.start()
        self.slack.add_channel(CHANNEL)
        self.write_config()
        return self

    def __exit__(self, *exc) -> None:
        self._server.__exit__(*exc)
        self.slack.stop()

    @property
    def feeds(self) -> TimelineServer:
        return self._server

    def write_config(self, *, extract: str = "", feed_base: str | None = None, pace_s: float = 0.05) -> None:
        """Every source of the timeline; every event alerts (no age limit); Slack paced at `pace_s`."""
        base = feed_base or f"http://{self._server.host_port}"
        host_port = base.split("://", 1)[1].split("/", 1)[0]
        lines = ["[warehouse]", 'path = "tw.duckdb"', "[fetch]", f'allow_hosts = ["{host_port}"]',
                 "total_deadline_s = 10", "[slack]", f'channel = "{CHANNEL}"', f"pace_s = {pace_s}",
                 "[alerts]", "max_item_age_hours = 100000", extract]
        for source in self._server.sources:
            lines += ["[[sources]]", f'id = "{source}"', 'kind = "feed"', f'url = "{base}/feeds/{source}.xml"']
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "TRADEWATCH_", "SLACK_"))}
        env.update(PREFECT_HOME=str(self.prefect_home), SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=self.slack.base_url,
                   PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
        if self.api_url:
            env["PREFECT_API_URL"] = self.api_url
        env.update(extra)
        return env

    def start(self, *args: str, env: dict[str, str] | None = None) -> Run:
        argv = [TRADEWATCH, "run", "--config", str(self.config), "--as-of", AS_OF, *args]
        return Run(argv, env or self.env(), self.root / "logs")

    def run(self, *args: str, timeout: float = 180, **env: str) -> Finished:
        return self.start(*args, env=self.env(**env)).wait(timeout)

    def sql(self, query: str) -> subprocess.CompletedProcess:
        return subprocess.run([TRADEWATCH, "sql", "--config", str(self.config), "--format", "json", query],
                              capture_output=True, text=True, env=self.env(), timeout=120)

    # ------------------------------------------------------------ what happened

    def posts(self) -> list[dict]:
        """Every message Slack holds, in post order (top-level and replies)."""
        return self.slack.history(CHANNEL)

    @staticmethod
    def alert_id(message: dict) -> str | None:
        return ((message.get("metadata") or {}).get("event_payload") or {}).get("alert_id")

    def outbox(self) -> dict[str, tuple[str, str, str, str]]:
        """alert_id → (kind, event_kind, event_id, state), read-only from the live file."""
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return {r[0]: r[1:] for r in con.execute(
                "SELECT alert_id, kind, event_kind, event_id, state FROM core.alert_outbox").fetchall()}
        finally:
            con.close()

    def delivery_problems(self, expected: set[str]) -> list[str]:
        """Against the alerts an undisturbed run sends: none lost, none sent twice, none left undelivered."""
        sent = Counter(self.alert_id(m) for m in self.posts())
        problems = [f"sent {n} times: {a}" for a, n in sent.items() if n > 1]
        problems += [f"lost: {a}" for a in sorted(expected - set(sent))]
        problems += [f"not expected: {a}" for a in sorted(set(sent) - expected)]
        problems += [f"left {state}: {a}" for a, (*_, state) in self.outbox().items()
                     if state in ("pending", "inflight")]
        return problems

    def thread_problems(self) -> list[str]:
        """Each thread's parent is its event's new_* alert and its replies are that event's later alerts."""
        outbox = self.outbox()
        parents = {m["ts"]: m for m in self.posts() if m.get("thread_ts") in (None, m["ts"])}
        problems = []
        for m in self.posts():
            kind, event_kind, event_id, _ = outbox.get(self.alert_id(m), ("?", "?", "?", "?"))
            if m.get("thread_ts") in (None, m["ts"]):
                if event_kind in ("meeting", "deadline") and not kind.startswith("new_"):
                    problems.append(f"a {kind} alert ({event_id}) started its thread")
                continue
            parent = outbox.get(self.alert_id(parents.get(m["thread_ts"], {})), ("?", "?", "?", "?"))
            if parent[2] != event_id:
                problems.append(f"a {kind} alert of {event_id} replied in the thread of {parent[2]}")
        return problems

    def recover(self, expected: set[str]) -> list[str]:
        """A clean run after the fault: it exits 0 and leaves nothing running; then every alert was sent exactly
        once, each thread starts with its event's new_* alert, the live file is sound and the snapshot holds
        what it holds. The problems found, if any."""
        done = self.run()
        problems = [] if done.code == 0 else [f"the clean run exited {done.code}: {done.err[-3000:]}"]
        problems += [f"left running: {command}" for command in done.leaked]
        return problems + self.delivery_problems(expected) + self.thread_problems() + self.consistency_problems()

    def consistency_problems(self) -> list[str]:
        """The live file passes its read pass; the snapshot holds what the live file holds (after a clean run)."""
        try:
            integrity.read_pass(self.warehouse)
        except Exception as exc:
            return [f"live file: {exc}"]
        live = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            published = snapshot.open_snapshot(self.warehouse)
        except Exception as exc:
            live.close()
            return [f"snapshot: {exc}"]
        problems = []
        try:
            for view, columns in COMPARED_VIEWS.items():
                query = f"SELECT {columns} FROM {view} ORDER BY ALL"
                if live.execute(query).fetchall() != published.execute(query).fetchall():
                    problems.append(f"the snapshot's {view} differ from the live file's")
        finally:
            live.close()
            published.close()
        return problems


def wait_for(condition, timeout: float = 120, every: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()
