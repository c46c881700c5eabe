"""The instant a command takes as "now" (`--as-of`): light, so the CLI checks it before importing Prefect."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_as_of(as_of: str | datetime | None) -> datetime:
    """The instant that counts as 'now' (replays, backfills). Naive times are UTC."""
    if as_of is None:
        return datetime.now(UTC)
    value = as_of if isinstance(as_of, datetime) else datetime.fromisoformat(as_of.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)
