"""Slack misbehaving while a real `tradewatch run` delivers: the run ends 0 (the cycle ran; the summary says what
Slack did), leaves nothing running, and a clean run afterwards has sent every alert exactly once, threads in
order, the snapshot as the warehouse."""

from __future__ import annotations

import pytest

from tests.support.fake_slack import FakeSlack
from tests.support.faultworld import World

POST = "chat.postMessage"


def rate_limited(world: World) -> None:
    world.slack.fail_next(429, count=3, retry_after=1, method=POST)


def server_errors(world: World) -> None:
    world.slack.fail_next(500, count=2, method=POST)


def accepted_then_dropped(world: World) -> None:
    world.slack.drop_next(count=2, method=POST)


def accepted_then_hung(world: World) -> None:
    world.slack.hang_next(17, method=POST)  # beyond the client's 15 s timeout: the post is ambiguous


def channel_not_found(world: World) -> None:
    world.slack.error_next("channel_not_found", count=1, method=POST)


def invalid_auth(world: World) -> None:
    world.slack.auth_error = "invalid_auth"


@pytest.mark.parametrize("fault", [rate_limited, server_errors, accepted_then_dropped, accepted_then_hung,
                                   channel_not_found, invalid_auth], ids=lambda f: f.__name__)
def test_a_slack_fault_ends_with_every_alert_sent_once(world, expected_alerts, fault):
    fault(world)
    done = world.run()
    assert done.code == 0, done.err
    assert done.leaked == []
    assert "delivery to Slack" in done.out
    world.slack.auth_error = None  # the operator fixes the token
    assert world.recover(expected_alerts) == []


def test_with_slacks_rate_enforced_no_post_meets_a_429(api_url, tmp_path, expected_alerts):
    """Slack allows about one message per second per channel: paced from the last accepted post, no post is
    refused (issue 17: 56 of 57 posts met a 429 first). Enforced here at 0.5 s, paced at 0.5 s."""
    with World(tmp_path / "world", api_url=api_url, slack=FakeSlack(post_interval_s=0.5)) as world:
        world.write_config(pace_s=0.5)
        world.slack.fail_next(429, retry_after=1, method=POST)  # someone else just posted
        done = world.run()
        assert done.code == 0, done.err
        assert len(world.slack.rate_limited) == 1
        assert world.recover(expected_alerts) == []
