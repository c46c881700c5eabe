"""`tradewatch serve`: the monitor and digest schedules of prefect.yaml, run by this process (Prefect `serve`).

No work pool and no worker: this process polls for its own scheduled runs and executes them. Prefect still
needs an API whose scheduler creates those runs: with PREFECT_API_URL set (a `prefect server start`, Prefect
Cloud) that one is used; without it, `serve` starts a private Prefect server on loopback for its own
lifetime (Prefect's temporary ephemeral API runs no schedules). Keep the schedules here and in prefect.yaml the same
(tests/test_serve.py checks).

Use one of the two per Prefect API, not both: they share the names monitor/monitor and digest/digest, so
whichever registered last owns the deployment (its parameters and entrypoint).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron

from flows.schedules import (
    DIGEST_CRON,
    DIGEST_TZ,
    MONITOR_CRON,
    MONITOR_TZ,
    SERVED_ENV,
    next_runs_line,
)


def one_at_a_time() -> ConcurrencyLimitConfig:
    """At most one run per deployment; a run that comes due while one is going is cancelled, not queued."""
    return ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)


def deployments(config_path: str) -> list[RunnerDeployment]:
    """The two deployments `serve` runs. Building them talks to no API, so tests can inspect them."""
    from flows.digest import digest_flow
    from flows.monitor import monitor_flow

    params = {"config_path": config_path}
    common = {
        "concurrency_limit": one_at_a_time(),
        "parameters": params,
        "tags": ["tradewatch"],
        # runs load the flow by module path: they work from any directory where tradewatch is installed
        "entrypoint_type": EntrypointType.MODULE_PATH,
    }
    return [
        monitor_flow.to_deployment(
            name="monitor", schedules=[Cron(MONITOR_CRON, timezone=MONITOR_TZ)], **common
        ),
        digest_flow.to_deployment(name="digest", schedules=[Cron(DIGEST_CRON, timezone=DIGEST_TZ)], **common),
    ]


class NoSchedulerError(ValueError):
    """serve was started without a Prefect API that runs schedules."""


def require_api() -> str:
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        raise NoSchedulerError(
            "`tradewatch serve` needs a Prefect API to schedule runs: start one with `prefect server start` "
            "and point at it with `prefect config set PREFECT_API_URL=http://127.0.0.1:4200/api` "
            "(or export PREFECT_API_URL). For a single cycle without any server use `tradewatch run`."
        )
    return url


@contextlib.contextmanager
def local_server(home: Path, timeout_s: float = 120) -> Iterator[str]:
    """A Prefect server on loopback for this machine alone (SQLite under `home`, log in home/server.log),
    stopped on exit with everything it started. Yields its API URL."""
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from flows.runtime.lifetime import dies_with_this_process

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_UI_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    log = open(home / "server.log", "ab")  # noqa: SIM115 - kept open for the child's lifetime
    command, keep = dies_with_this_process([sys.executable, "-m", "prefect", "server", "start", "--host",
                                            "127.0.0.1", "--port", str(port)])  # not left behind by a kill -9
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, pass_fds=keep,
                            stdin=subprocess.DEVNULL, start_new_session=True)  # its own group: stopped whole
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise NoSchedulerError(f"could not start a local Prefect server (see {home / 'server.log'})")
            time.sleep(0.3)
        yield url
    finally:
        for sig, wait_s in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            if proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=wait_s)
        log.close()


def starting_lines(config_path: str, api_url: str, started: str | None, now: datetime) -> list[str]:
    """What `serve` says when it starts: the config, where the API is and how to use it from another shell
    (the dashboard is off: no UI link), when the runs are."""
    lines = [f"tradewatch serve: {config_path}: monitor every 10 minutes (UTC), digest daily at 08:00 {DIGEST_TZ}"]
    if started:
        lines.append(f"  started a private Prefect server at {api_url} (state in {started}); it stops with serve")
    else:
        lines.append(f"  using the Prefect API at {api_url} (PREFECT_API_URL)")
    lines += [
        "  to start a run now, from another shell:",
        f"    PREFECT_API_URL={api_url} prefect deployment run 'monitor/monitor'",
        f"  {next_runs_line(now)}; one line per cycle below; Ctrl-C stops",
    ]
    return lines


def _say(lines: list[str]) -> None:
    print("\n".join(lines), flush=True)


def serve(config_path: str) -> None:
    """Run the monitor (every 10 minutes, UTC) and digest (08:00 Asia/Seoul) schedules until interrupted.

    With PREFECT_API_URL set, the schedules live on that server. Without it, a private Prefect server is
    started on loopback for the lifetime of this command (Prefect's temporary API runs no schedules)."""
    from prefect import serve as prefect_serve
    from prefect.settings import PREFECT_API_URL

    from records.config import load_config

    config = load_config(config_path)  # fail fast with a clear message, before anything is registered
    absolute = str(Path(config_path).resolve())  # runs start in other processes: an absolute path
    deps = deployments(absolute)
    os.environ[SERVED_ENV] = "1"  # the runs it starts (child processes) each print their cycle's line
    now = datetime.now(UTC)
    try:
        if PREFECT_API_URL.value():
            _say(starting_lines(absolute, PREFECT_API_URL.value(), None, now))
            prefect_serve(*deps, print_starting_message=False)  # Prefect's names a UI link that is off
            return
        home = config.warehouse_path.parent / ".prefect-serve"
        with local_server(home) as url:
            _say(starting_lines(absolute, url, str(home), now))
            os.environ["PREFECT_API_URL"] = url
            from prefect.settings import temporary_settings

            with temporary_settings(updates={PREFECT_API_URL: url}):
                prefect_serve(*deps, print_starting_message=False)
    finally:
        _say([f"tradewatch serve: stopped at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; no more runs are scheduled "
              "from this machine"])
