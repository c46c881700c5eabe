"""Delivery and the digest as flows run them (Prefect tasks)."""

from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.cache_policies import NONE

from records.config import Config
from tasks.alerts.delivery import DeliveryReport, deliver_pending
from tasks.alerts.digest import build_digest
from tasks.alerts.digest_delivery import DigestOutcome, deliver_digest
from tasks.cycle.publish import published_links
from warehouse.snapshot import open_snapshot


@task(name="deliver-alerts", cache_policy=NONE, retries=2, retry_delay_seconds=5)
def deliver_alerts(config: Config, now: datetime) -> DeliveryReport:
    return deliver_pending(config.warehouse_path, slack=config.slack, now=now,
                           max_new_per_channel=config.alerts.max_per_run)


@task(name="read-digest", cache_policy=NONE)
def read_digest(config: Config, now: datetime) -> tuple[list[dict], str]:
    """The digest as of `now`, from the published snapshot (never the live file: runs may be writing)."""
    con = open_snapshot(config.warehouse_path)
    try:
        return build_digest(con, now, published_links(config))
    finally:
        con.close()


@task(name="post-digest", cache_policy=NONE)
def post_digest(config: Config, blocks: list[dict], text: str, as_of: datetime) -> DigestOutcome:
    """Once per day and channel (core.digests); Slack's refusals come back as a failed outcome, not raised.
    The token is resolved here, never a task input."""
    return deliver_digest(config.warehouse_path, blocks, text, slack=config.slack, as_of=as_of)
