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
os.environ.pop("SLACK_BOT_TOKEN", None)
os.environ.pop("SLACK_API_URL", None)
os.environ.pop("TRADEWATCH_CRASH_AT", None)


@pytest.fixture(scope="session")
def prefect_harness():
    """A real Prefect API (temporary database) for tests that run flows."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
