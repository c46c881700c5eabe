"""The schema: ordered migrations (each in its own transaction, append only) and the user-facing views."""

from __future__ import annotations

import functools
import hashlib
import re
from importlib import resources

import duckdb

from warehouse.errors import WarehouseError
from warehouse.transaction import transaction

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


@functools.cache
def migrations() -> list[tuple[int, str, str]]:
    """The ordered list of (version, name, sql). Append only: never edit a released migration."""
    found = []
    for entry in resources.files("warehouse.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise WarehouseError(f"migrations are not numbered 1..n without gaps: {versions}")
    return found


@functools.cache
def views_sql() -> str:
    return resources.files("warehouse").joinpath("views.sql").read_text(encoding="utf-8")


def _views_hash() -> str:
    return hashlib.sha256(views_sql().encode()).hexdigest()[:16]


def is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Every migration applied and the views of this release in place (one cheap query)."""
    try:
        # fetchall, not fetchone: a result left open keeps its transaction open, and an old open transaction
        # (a connection held for a whole cycle) stops CHECKPOINT once others have written
        version, views = con.execute(
            "SELECT (SELECT max(version) FROM core.schema_migrations),"
            " (SELECT any_value(views_hash) FROM core.views_applied)"
        ).fetchall()[0]
    except duckdb.CatalogException:
        return False
    return version == len(migrations()) and views == _views_hash()


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations, each in its own transaction, then re-apply the views. Returns names applied."""
    con.execute("CREATE SCHEMA IF NOT EXISTS core")
    con.execute(
        "CREATE TABLE IF NOT EXISTS core.schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )
    done = {row[0] for row in con.execute("SELECT version FROM core.schema_migrations").fetchall()}
    applied = []
    for version, name, sql in migrations():
        if version in done:
            continue
        with transaction(con):
            con.execute(sql)
            con.execute("INSERT INTO core.schema_migrations (version, name) VALUES (?, ?)", [version, name])
        applied.append(name)
    with transaction(con):
        con.execute(views_sql())
        con.execute("CREATE TABLE IF NOT EXISTS core.views_applied (views_hash VARCHAR NOT NULL)")
        con.execute("DELETE FROM core.views_applied")
        con.execute("INSERT INTO core.views_applied VALUES (?)", [_views_hash()])
    return applied
