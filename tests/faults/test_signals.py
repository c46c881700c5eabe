"""SIGTERM and SIGINT sent to a real `tradewatch run` while it posts to Slack: it stops at the next safe point
(the message in flight is finished and marked; no other is sent), exits 128 + the signal, leaves nothing
running, and the next run sends the rest, each alert once. A cycle stuck where no safe point comes (a Slack
call that hangs) is ended as a kill would end it, after the grace period."""

from __future__ import annotations

import signal

import pytest

from flows.runtime.signals import GRACE_S
from tests.support.fake_slack import FakeSlack
from tests.support.faultworld import World, wait_for


@pytest.fixture
def slow_slack_world(api_url, tmp_path):
    slack = FakeSlack()
    slack.post_delay_s = 0.3  # a slow Slack: the signal lands while the run is posting
    with World(tmp_path / "world", api_url=api_url, slack=slack) as world:
        yield world


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_a_signal_stops_the_cycle_at_the_next_safe_point(slow_slack_world, expected_alerts, sig):
    world = slow_slack_world
    run = world.start()
    assert wait_for(lambda: len(world.posts()) >= 3)
    posted_before = len(world.posts())
    run.signal(sig)
    done = run.wait()
    assert done.code == 128 + sig
    assert f"tradewatch: stopped by {sig.name} before publishing the snapshot" in done.err  # a safe point,
    assert "no safe point" not in done.err  # not the grace period's hard stop
    assert len(world.posts()) - posted_before <= 1  # only the message that was in flight
    assert done.leaked == []
    assert world.recover(expected_alerts) == []


def test_a_cycle_stuck_in_a_slack_call_is_ended_as_a_kill_would_after_the_grace_period(world, expected_alerts):
    world.slack.hang_next(60, method="chat.postMessage")  # accepted and stored, answered a minute later
    run = world.start()
    assert wait_for(lambda: len(world.posts()) >= 1)
    run.signal(signal.SIGTERM)
    done = run.wait()
    assert done.code == 128 + signal.SIGTERM
    assert f"no safe point within {GRACE_S:g} s" in done.err
    assert done.leaked == []
    assert world.recover(expected_alerts) == []  # the accepted message is found in the channel, not re-posted
