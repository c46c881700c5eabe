"""Maintenance flows: re-run extraction and resolution over stored items after an extractor improvement."""

from __future__ import annotations

import sys

from prefect import flow

from flows.instants import parse_as_of
from flows.output import progress_bar
from flows.runtime.cycle import locked
from records.config import load_config
from tasks.cycle.events import alert_policy, apply_findings
from tasks.cycle.publish import publish_files, read_published_timeline
from tasks.extract.pool import extract_all
from warehouse import connection
from warehouse import items as item_store
from warehouse.snapshot import publish_snapshot


@flow(name="reprocess")
def reprocess_flow(config_path: str, as_of: str | None = None) -> str:
    """Rebuild events from every stored item, in publication order, in one transaction.

    Alerts already decided keep their ids (kind + event + change), so nothing is alerted twice; a decision that
    is genuinely new follows the normal rules (older items raise no alert)."""
    config = load_config(config_path)
    now = parse_as_of(as_of)
    with locked(config):
        with connection.writer(config.warehouse_path) as con:
            items = item_store.items_in_publication_order(con, None)
        with progress_bar(len(items), "extracting", enabled=sys.stderr.isatty()) as advance:
            findings = extract_all(items, config.extract, on_item=advance)
        published = {it.item_id: it.published_at for it in items}
        counts = apply_findings(config, findings, published, now, alert_policy(config, True), reset=True)
        publish_snapshot(config.warehouse_path)
        published = publish_files(config, read_published_timeline(config, now))  # calendar and report
    return (f"reprocessed {len(items)} items: {sum(f.relevant for f in findings)} relevant, "
            f"{counts.new_meetings} meetings, {counts.new_deadlines} deadlines, "
            f"{counts.deadline_changes} deadline changes; {counts.alerts_pending} new alerts queued"
            + (f"; {published.error}" if published.error else ""))
