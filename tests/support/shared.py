"""Work several test files need and none of them changes (the demo warehouse, the fault matrix's reference run),
done once per test session however many xdist workers share it: the first worker to ask builds it under a
file lock, the others wait and read the same files."""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest


def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's temporary directory: under xdist each worker's base is `<session>/popen-gwN`."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if base.name.startswith("popen-gw") else base


def once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The directory `build` filled, built by the first caller of the session (a build that failed is tried
    again by the next caller, from an empty directory)."""
    shared = session_dir(tmp_path_factory)
    root = shared / f"shared-{name}"
    with open(shared / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (root / ".built").exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir()
            build(root)
            (root / ".built").touch()
    return root
