"""The story step as a cycle runs it (a Prefect task)."""

from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.cache_policies import NONE

from records.config import Config
from tasks import stop
from tasks.faults import crash_point
from tasks.sources.store import Stored
from tasks.stories.assign import index_new_items
from warehouse import connection
from warehouse.transaction import transaction


def stories_of(config: Config, stored: Stored, now: datetime) -> None:
    """Give the new items their stories (extraction does not need them: it runs meanwhile), then fold what
    was written into the database file while the extract workers finish (else DuckDB checkpoints in the
    resolve step's commit, when nothing else runs)."""
    stop.check("before the story step")  # a safe point: the next run gives the stored items their stories
    with connection.writer(config.warehouse_path) as con:
        with transaction(con):
            index_new_items(con, stored.new_ids, stored.signatures, now=now)
        if stored.anything:
            con.execute("CHECKPOINT")
    crash_point("after_stories")


@task(name="assign-stories", cache_policy=NONE)
def assign_stories(config: Config, stored: Stored, now: datetime) -> None:
    stories_of(config, stored, now)
