"""A stop asked for by a signal (SIGTERM from a Prefect worker's cancellation, systemd or `kill`; SIGINT): the
cycle stops at its next safe point and leaves its state as a kill there would — nothing half-written, nothing
sent twice — but closes the warehouse and releases the run lock on its way out.

Safe points: before each fetch starts (fetches in flight are cut at once), before the store, story and
resolve steps (each one transaction), and between two Slack messages (a message being sent is finished and
marked first). flows/runtime/signals.py turns the signals into `request()`; this module holds no signal
handler and no thread, so stages and tests can use it anywhere.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

_requested = threading.Event()
_signal: list[int] = []
_on_request: list[Callable[[], None]] = []
_lock = threading.Lock()


class Stopped(Exception):
    """Raised at a safe point after a stop was requested."""

    def __init__(self, signum: int, where: str) -> None:
        name = signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else f"signal {signum}"
        super().__init__(f"stopped by {name} {where}: nothing half-done was kept; the next run carries on")
        self.signum = signum
        self.exit_status = 128 + signum  # what a shell reports for a process ended by that signal


def request(signum: int = signal.SIGTERM) -> None:
    """Ask the running cycle to stop at its next safe point (safe to call from a signal handler)."""
    with _lock:
        if not _requested.is_set():
            _signal.append(signum)
        _requested.set()
        callbacks = list(_on_request)
    for callback in callbacks:
        callback()


def requested() -> bool:
    return _requested.is_set()


def check(where: str) -> None:
    """Raise Stopped when a stop was requested. `where` says which safe point, for the message."""
    if _requested.is_set():
        raise Stopped(_signal[0] if _signal else signal.SIGTERM, where)


def wait(seconds: float) -> bool:
    """Sleep up to `seconds`, waking at once when a stop is requested. True when one was."""
    return _requested.wait(max(seconds, 0.0))


def on_request(callback: Callable[[], None]) -> None:
    """Call `callback` (quick, thread-safe) whenever a stop is requested: e.g. cut the fetches in flight."""
    with _lock:
        _on_request.append(callback)


def reset() -> None:
    """Forget a stop (a process that runs more cycles after a stopped one, e.g. tests)."""
    with _lock:
        _requested.clear()
        _signal.clear()
