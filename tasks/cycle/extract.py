"""The extract step as the cycle runs it (a Prefect task): the findings of the cycle's new and edited items,
and of items an earlier run stored but never resolved, in publication order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from prefect import task
from prefect.cache_policies import NONE

from records.config import Config
from records.findings import Findings
from tasks.extract.pool import extract_all, extract_pool
from tasks.sources.store import Stored
from warehouse import connection
from warehouse import items as item_store

LEFTOVERS_PER_RUN = 5_000


@dataclass(frozen=True)
class Extracted:
    findings: tuple[Findings, ...] = ()  # in publication order: the order they are applied
    published: Mapping[str, datetime | None] = field(default_factory=dict)  # item id → published_at

    @property
    def relevant(self) -> int:
        return sum(f.relevant for f in self.findings)


def leftovers(config: Config, exclude: set[str]) -> list[str]:
    """Items an earlier run stored but never resolved (it stopped between the two commits), a bounded number
    at a time, so nothing stored is left unread."""
    with connection.writer(config.warehouse_path) as con:
        return item_store.unextracted(con, sorted(exclude), LEFTOVERS_PER_RUN)


def has_unread(config: Config) -> bool:
    """Whether an earlier run left stored items unread."""
    return bool(leftovers(config, exclude=set()))


def extract_stored(config: Config, stored: Stored) -> Extracted:
    """New items were mostly extracted while they were being stored (prefetched as each source was parsed);
    the rest is loaded and extracted here."""
    new_ids, edited_ids = list(stored.new_ids), list(stored.edited_ids)
    left = leftovers(config, exclude=set(new_ids) | set(edited_ids))
    with connection.writer(config.warehouse_path) as con:  # what does not need the findings first
        order = item_store.publication_order(con, new_ids + edited_ids + left)
    done = extract_pool().collect()
    missing = [iid for iid in new_ids if iid not in done] + edited_ids + left
    if missing:
        with connection.writer(config.warehouse_path) as con:
            items = item_store.items_in_publication_order(con, missing)
        done.update((f.item_id, f) for f in extract_all(items, config.extract))
    return Extracted(tuple(done[iid] for iid, _ in order), dict(order))


@task(name="extract-items", cache_policy=NONE)
def extract_items(config: Config, stored: Stored) -> Extracted:
    return extract_stored(config, stored)
