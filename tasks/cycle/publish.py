"""Publishing as the cycle runs it (a Prefect task)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NONE

from records.config import Config
from warehouse.snapshot import publish_snapshot as publish


@task(name="publish-snapshot", cache_policy=NONE)
def publish_snapshot(config: Config) -> str:
    """The read-only snapshot for ad hoc SQL, from the checkpointed live file (call it with the run lock held
    and no connection of this process open on the file)."""
    return str(publish(config.warehouse_path))
