"""Maintenance flows: re-run extraction and resolution over stored items after an extractor improvement."""

from __future__ import annotations

import sys

from prefect import flow

from flows import cycle
from flows.monitor import parse_as_of
from flows.output import progress_bar
from tasks.config import load_config
from warehouse import db


@flow(name="reprocess")
def reprocess_flow(config_path: str, as_of: str | None = None) -> str:
    """Rebuild events from every stored item, in publication order, in one transaction.

    Alerts already decided keep their ids (kind + event + change), so nothing is alerted twice; a decision that
    is genuinely new follows the normal rules (older items raise no alert)."""
    config = load_config(config_path)
    now = parse_as_of(as_of)
    with db.run_lock(config.warehouse_path):
        items = cycle.load_items(config, None)
        with progress_bar(len(items), "extracting", enabled=sys.stderr.isatty()) as advance:
            findings = cycle.extract_all(items, config.extract, on_item=advance)
        counts = cycle.resolve_all(config, items, findings, now, cycle.alert_policy(config, True), reset=True)
        cycle.publish(config)
    return (f"reprocessed {len(items)} items: {sum(f.relevant for f in findings)} relevant, "
            f"{counts.new_meetings} meetings, {counts.new_deadlines} deadlines, "
            f"{counts.deadline_changes} deadline changes; {counts.alerts_pending} new alerts queued")
