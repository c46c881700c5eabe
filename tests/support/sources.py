"""Recording one source's poll, as the store step records a whole cycle's."""

from __future__ import annotations

from datetime import datetime

import duckdb

from records.items import Fetched
from tasks.sources.health import FetchOutcome, HealthChange, record_outcomes


def record_fetch(con: duckdb.DuckDBPyConnection, fetched: Fetched, *, now: datetime, new_items: int,
                 error: str | None, error_detail: str | None) -> HealthChange | None:
    changes = record_outcomes(con, [FetchOutcome(fetched, new_items, error, error_detail)], now=now)
    return changes[0] if changes else None
