"""kill -9 at each stage of a real `tradewatch run` (TRADEWATCH_CRASH_AT with TRADEWATCH_CRASH_HOW=kill: the
process sends itself SIGKILL right there), and of a run on Prefect's temporary API server: nothing is left
running, and the next run carries on with nothing lost and nothing sent twice."""

from __future__ import annotations

import signal

import pytest

from tests.support.faultworld import World

POINTS = ["after_store", "after_stories", "after_commit", "after_post", "after_delivery"]


@pytest.mark.parametrize("point", POINTS)
def test_a_run_killed_at_a_stage_loses_nothing_and_sends_nothing_twice(world, expected_alerts, point):
    done = world.run(TRADEWATCH_CRASH_AT=point, TRADEWATCH_CRASH_HOW="kill")
    assert done.code == -signal.SIGKILL, done.err
    assert done.leaked == []  # the parser and extract workers end with their stdin
    assert world.recover(expected_alerts) == []


def test_a_run_killed_on_prefects_temporary_server_leaves_no_server_behind(tmp_path, expected_alerts, api_url):
    """Without PREFECT_API_URL, Prefect starts a temporary API server (uvicorn) for the run; killed with -9,
    the run took it with it neither before (it was re-parented and lived on) nor now."""
    with World(tmp_path / "world", api_url=None) as world:
        done = world.run(TRADEWATCH_CRASH_AT="after_commit", TRADEWATCH_CRASH_HOW="kill", timeout=300,
                         PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180")  # a new home: its database made
        assert done.code == -signal.SIGKILL, done.err
        assert done.leaked == []
        world.api_url = api_url  # the clean run on the session's server (a second temporary one costs ~15 s)
        assert world.recover(expected_alerts) == []
