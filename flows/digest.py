"""The digest flow: the daily summary as the warehouse stood at `as_of` (default now), read from the published
snapshot (never the live file: it can run while the monitor holds the writer), posted to Slack once per day
and channel (printed without a token). A digest Slack refuses ends the run failed, with the reason in words."""

from __future__ import annotations

from prefect import flow
from prefect.states import Failed

from flows.instants import parse_as_of
from records.config import load_config
from tasks.cycle.alerts import post_digest, read_digest
from warehouse.snapshot import snapshot_path


@flow(name="digest")
def digest_flow(config_path: str, as_of: str | None = None):
    config = load_config(config_path)
    now = parse_as_of(as_of)
    if not snapshot_path(config.warehouse_path).exists():  # a clear failure, not a task's traceback
        return Failed(message=f"no snapshot of {config.warehouse_path} to read yet: run `tradewatch run` first")
    blocks, text = read_digest(config, now)
    outcome = post_digest(config, blocks, text, now)
    if outcome.state == "failed":
        return Failed(message=outcome.line())
    return outcome.line()
