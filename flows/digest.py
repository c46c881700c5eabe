"""The digest flow: read the warehouse snapshot, build the digest, post it (or print it without a token).

    digest_flow(config_path, as_of=None)

Reads the published read-only snapshot, never the live file, so it can run while the monitor holds the writer.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, task

from tasks.config import load_config
from tasks.digest import build_digest, send_digest
from warehouse.db import open_snapshot


def _as_of(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    now = datetime.fromisoformat(value)
    return now if now.tzinfo else now.replace(tzinfo=UTC)


@task
def read_digest(warehouse_path: str, now: datetime) -> tuple[list[dict], str]:
    con = open_snapshot(warehouse_path)
    try:
        return build_digest(con, now)
    finally:
        con.close()


@task
def post_digest(blocks: list[dict], text: str, config_path: str) -> str:
    # the token is resolved here, from the config's sources, so it never becomes a task input
    return send_digest(blocks, text, slack=load_config(config_path).slack)


@flow(name="digest")
def digest_flow(config_path: str, as_of: str | None = None) -> str:
    config = load_config(config_path)
    now = _as_of(as_of)
    blocks, text = read_digest(str(config.warehouse_path), now)
    return post_digest(blocks, text, config_path)
