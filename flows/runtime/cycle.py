"""What a cycle runs inside, entered once so the flow itself reads as the pipeline:

    with locked(config):                one run per warehouse (a second one fails fast); the warehouse's
                                        own failures (disk full, damage) reported as such (WarehouseError)
        with cycle(config) as run:      process settings, the warehouse held open (its story index current),
            ...the stages...            parser and extract workers warm
            run.parsed()                the parser workers are not needed past the poll
        publish_snapshot(config)        from the checkpointed file, still under the lock
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import duckdb

from flows.runtime.process import apply_settings
from records.config import Config
from tasks import stop
from tasks.extract.pool import extract_pool
from tasks.sources.parsing import close_parser_pool, parser_pool
from tasks.stories.resign import ensure_current
from warehouse import connection, duckdb_compat
from warehouse.errors import explain
from warehouse.lock import run_lock


@contextlib.contextmanager
def locked(config: Config) -> Iterator[None]:
    """The run lock for the block. A full disk or a damaged file met anywhere in it — a DuckDB error (also
    the fatal one a failed checkpoint raises) or an OSError (the snapshot's temp file) — is a WarehouseError
    naming the warehouse (exit 3), whichever step met it."""
    with run_lock(config.warehouse_path):
        try:
            yield
        except (duckdb.Error, OSError) as exc:
            if duckdb_compat.classify(exc) in (duckdb_compat.DISK_FULL, duckdb_compat.CORRUPT):
                raise explain(config.warehouse_path, exc) from exc
            raise


class Cycle:
    def __init__(self, keep_parsers: bool) -> None:
        self.keep_parsers = keep_parsers

    def parsed(self) -> None:
        """Every source is parsed: stop the parser workers (without waiting for them), unless kept for the
        next cycle of a replay. Their memory is not needed through storing and resolving."""
        if not self.keep_parsers:
            close_parser_pool(wait=False)


@contextlib.contextmanager
def cycle(config: Config, *, keep_parsers: bool = False) -> Iterator[Cycle]:
    """Everything a cycle's stages share (see the module docstring)."""
    apply_settings()
    with connection.hold(config.warehouse_path) as con:
        ensure_current(con)  # the story index made by this release's method (re-signed once after an upgrade)
        extract_pool()  # started early, while this process is still small
        parser_pool(config.fetch.parse_timeout_s, config.fetch.parse_memory_mb)
        run = Cycle(keep_parsers)
        try:
            yield run
            stop.check("before publishing the snapshot")  # (delivery ends early on a stop, without raising)
        finally:
            run.parsed()
