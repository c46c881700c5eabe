"""The digest flow: the daily summary, read from the published snapshot (never the live file: it can run while
the monitor holds the writer), posted to Slack (printed without a token)."""

from __future__ import annotations

from prefect import flow

from flows.monitor import parse_as_of
from records.config import load_config
from tasks.cycle.alerts import post_digest, read_digest


@flow(name="digest")
def digest_flow(config_path: str, as_of: str | None = None) -> str:
    config = load_config(config_path)
    blocks, text = read_digest(config, parse_as_of(as_of))
    return post_digest(config, blocks, text)
