"""Feedback on long work: which stage a command is in, shown on stderr only when stderr is a terminal.

The flows call `stage("storing 120 items")` as they go; it shows nothing unless a command opened
`on_terminal(...)` around the work (scheduled runs, deployments and pipes stay quiet)."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator

_reporter: Callable[[str], None] | None = None
_lock = threading.Lock()


def stage(text: str) -> None:
    """The stage the work is in now (a no-op unless a command shows progress)."""
    with _lock:
        reporter = _reporter
    if reporter is not None:
        reporter(text)


@contextlib.contextmanager
def on_terminal(label: str, *, enabled: bool | None = None) -> Iterator[None]:
    """A spinner on stderr, '<label>: <stage> (12 s)', for the block; nothing when stderr is not a terminal."""
    global _reporter
    if not (sys.stderr.isatty() if enabled is None else enabled):
        yield
        return
    from rich.console import Console

    started = time.monotonic()
    with Console(stderr=True).status(label) as status:

        def show(text: str) -> None:
            status.update(f"{label}: {text} ({time.monotonic() - started:.0f} s)")

        with _lock:
            _reporter = show
        try:
            yield
        finally:
            with _lock:
                _reporter = None
