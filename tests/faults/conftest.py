"""The fault matrix's fixtures: a Prefect API for the runs (the session's test harness: each `tradewatch run`
subprocess uses it instead of starting a temporary server of its own, except where that server is what is
tested), and the alerts an undisturbed run sends, which every fault must end with: each exactly once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.faultworld import World
from tests.support.shared import once

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def api_url(prefect_harness) -> str:
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value()


@pytest.fixture(scope="session")
def expected_alerts(api_url, tmp_path_factory) -> set[str]:
    """The alert ids a clean first run over the timeline sends (threads in order, nothing left): one reference
    run for the session, whichever worker asks first."""

    def build(root: Path) -> None:
        with World(root / "world", api_url=api_url) as world:
            done = world.run()
            assert done.code == 0, done.err
            sent = [world.alert_id(m) for m in world.posts()]
            assert len(sent) == len(set(sent)) >= 5 and world.thread_problems() == []
        (root / "alerts.json").write_text(json.dumps(sent), encoding="utf-8")

    return set(json.loads((once(tmp_path_factory, "fault-reference", build) / "alerts.json").read_text()))


@pytest.fixture
def world(api_url, tmp_path):
    with World(tmp_path / "world", api_url=api_url) as w:
        yield w

