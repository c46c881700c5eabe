"""A successful run never ends with SQLAlchemy's cancelled pool-reset traceback on stderr."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import asyncio, logging
from flows.cli import build_parser  # importing the CLI is what a run does first
from flows.cli import main  # noqa: F401
from flows.runtime.logs import quiet_shutdown_noise
quiet_shutdown_noise()
log = logging.getLogger("sqlalchemy.pool.impl.AsyncAdaptedQueuePool")
try:
    raise asyncio.CancelledError()
except asyncio.CancelledError:
    log.error("Exception during reset or similar", exc_info=True)
try:
    raise OSError("disk on fire")
except OSError:
    log.error("Exception closing connection", exc_info=True)
"""


def test_the_cancelled_pool_reset_at_exit_is_not_shown_and_other_pool_errors_are():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "CancelledError" not in proc.stderr and "Exception during reset" not in proc.stderr
    assert "disk on fire" in proc.stderr


def test_main_installs_the_filter():
    proc = subprocess.run([sys.executable, "-c", "import logging\nfrom flows.cli import main\n"
                           "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
                           "print(len(logging.getLogger('sqlalchemy.pool').filters))"],
                          capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip().splitlines()[-1] == "1"
