"""Shared test fixtures: an isolated Prefect home and one Prefect test harness (a real local API) per session."""

from __future__ import annotations

import os
import tempfile

import pytest

# before Prefect is imported anywhere: a private home, quiet logs, no telemetry
_HOME = tempfile.mkdtemp(prefix="tradewatch-test-prefect-")
os.environ.setdefault("PREFECT_HOME", _HOME)
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ["DO_NOT_TRACK"] = "1"
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# the session's API server records no events, task runs or logs: no test reads them, and recording them was a
# third of the suite's CPU (the flows' own states, which tests read, are kept)
for _service in ("EVENT_PERSISTER", "TASK_RUN_RECORDER", "TRIGGERS", "EVENT_LOGGER"):
    os.environ.setdefault(f"PREFECT_SERVER_SERVICES_{_service}_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
os.environ.pop("SLACK_BOT_TOKEN", None)
os.environ.pop("SLACK_API_URL", None)
os.environ.pop("TRADEWATCH_CRASH_AT", None)


@pytest.fixture(scope="session")
def prefect_harness():
    """A real Prefect API (temporary database) for tests that run flows."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def shared_demo(tmp_path_factory, prefect_harness):
    """The demo's working directory (`flows.demo.run_demo`, the real pipeline), built once for the whole session
    and only read by the tests that take it; `demo-output.txt` beside it holds what the demo printed."""
    import contextlib
    import io

    from flows.demo import run_demo
    from tests.support.shared import once

    def build(root):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert run_demo(root / "demo", out=out) == 0
        (root / "demo-output.txt").write_text(out.getvalue(), encoding="utf-8")

    return once(tmp_path_factory, "demo", build)
