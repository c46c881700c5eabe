"""Log records that are not the user's concern, kept off the console.

The temporary local Prefect API that `tradewatch run` starts is torn down as the process exits; when that
happens while SQLAlchemy's async pool is resetting a connection, the reset is cancelled and SQLAlchemy logs
"Exception during reset or similar" with a CancelledError traceback (about one fresh run in seven), after a
run that succeeded. Only that record is dropped: any other error of the pool still shows.
"""

from __future__ import annotations

import asyncio
import logging

POOL_LOGGER = "sqlalchemy.pool"


class _CancelledPoolReset(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, asyncio.CancelledError)


_FILTER = _CancelledPoolReset()


def quiet_shutdown_noise() -> None:
    """Drop the pool's cancelled-reset records (on the pool's loggers and the handlers they reach)."""
    for name in (POOL_LOGGER, f"{POOL_LOGGER}.impl.AsyncAdaptedQueuePool"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
