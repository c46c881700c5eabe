"""The resolve step as the cycle runs it (a Prefect task), and the same for a reprocess: findings applied in
publication order, in ONE transaction with the outbox writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from prefect import task
from prefect.cache_policies import NONE

from records.config import Config
from records.findings import Findings
from records.official import is_official
from tasks import stop
from tasks.cycle.extract import Extracted
from tasks.events.apply import AlertPolicy, EventCounts, resolver_for
from tasks.events.evidence import Provenance
from tasks.faults import crash_point
from tasks.stories.assign import rebuild
from warehouse import connection
from warehouse import events as event_store
from warehouse import items as item_store
from warehouse.transaction import transaction


def alert_policy(config: Config, alerts: bool) -> AlertPolicy:
    return AlertPolicy(enabled=alerts, max_item_age=timedelta(hours=config.alerts.max_item_age_hours))


def apply_findings(config: Config, findings: Sequence[Findings], published: Mapping[str, datetime | None],
                   now: datetime, policy: AlertPolicy, *, reset: bool = False) -> EventCounts:
    """Apply findings in order. With reset (reprocess), events and stories are rebuilt from scratch and each
    item counts as seen when it was first stored, so first_seen_at and the deadline history keep their real
    times."""
    if not findings and not reset:  # decisions come only from findings (nothing changes with time alone)
        return EventCounts()
    with connection.writer(config.warehouse_path) as con, transaction(con):
        seen = {}
        if reset:
            seen = item_store.first_seen(con)
            event_store.reset(con)
            rebuild(con)
        resolver = resolver_for(con, findings, now=now, policy=policy)
        origins = provenance(config, con, [f.item_id for f in findings if f.relevant], published)
        for f in findings:
            resolver.apply(f, published_at=published.get(f.item_id), seen_at=seen.get(f.item_id),
                           provenance=origins.get(f.item_id))
        counts = resolver.flush(con)
    crash_point("after_commit")
    return counts


def provenance(config: Config, con, item_ids: Sequence[str],
               published: Mapping[str, datetime | None]) -> dict[str, Provenance]:
    """Where each item comes from (its source, address and story), for the events' evidence levels."""
    kinds = {s.id: s.kind for s in config.sources}
    return {iid: Provenance(iid, source_id, url, story_id, published.get(iid),
                            official=is_official(url, kinds.get(source_id)))
            for iid, (source_id, url, story_id) in item_store.origins(con, item_ids).items()}


@task(name="resolve-events", cache_policy=NONE)
def resolve_events(config: Config, extracted: Extracted, now: datetime, alerts: bool) -> EventCounts:
    stop.check("before resolving events")  # a safe point: the items stay unread, the next run reads them first
    return apply_findings(config, extracted.findings, extracted.published, now, alert_policy(config, alerts))
