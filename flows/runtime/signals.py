"""SIGTERM and SIGINT during a cycle: stop at the next safe point (tasks/stop.py), within a few seconds.

Prefect's flow engine turns SIGTERM into an exception raised in the main thread, while the cycle goes on in its
worker thread (the monitor flow is async; the cycle is synchronous code run in a thread): a run that got
SIGTERM went on posting for a minute, then exited with a traceback, marked Crashed while it still held the
run lock. Inside the flow, `stopping_on_signals()` puts its own handler in front of Prefect's for the cycle:

- the first signal asks the cycle to stop (fetches in flight are cut, the next safe point raises Stopped, the
  warehouse is closed and the lock released on the way out; the CLI exits 128 + the signal's number);
- a cycle stuck where no safe point comes (a Slack call or a fetch that hangs, a long extraction) is ended
  GRACE_S seconds after the signal as a kill would end it: `os._exit(128 + signal)` (worker processes exit
  when their stdin closes; the temporary Prefect server dies with this process: flows/runtime/prefect_compat);
- a second signal ends it so at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator

from tasks import stop

GRACE_S = 8.0
SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _end_now(signum: int, why: str) -> None:
    with contextlib.suppress(Exception):
        print(f"tradewatch: stopped by {signal.Signals(signum).name} ({why}): ended as a kill would; nothing "
              "half-done is kept, the next run carries on", file=sys.stderr, flush=True)
    os._exit(128 + signum)


_timers: list[threading.Timer] = []


def _handle(signum: int, _frame) -> None:
    if stop.requested():
        _end_now(signum, "a second signal")
    stop.request(signum)
    timer = threading.Timer(GRACE_S, _end_now, (signum, f"no safe point within {GRACE_S:g} s"))
    timer.daemon = True
    _timers.append(timer)
    timer.start()


@contextlib.contextmanager
def stopping_on_signals() -> Iterator[None]:
    """Our handler for SIGTERM and SIGINT for the block (main thread only; elsewhere a no-op), the previous
    ones (Prefect's) restored after it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stop.reset()
    previous = {sig: signal.signal(sig, _handle) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        while _timers:  # the cycle is over: the process ends (or goes on) on its own
            _timers.pop().cancel()
