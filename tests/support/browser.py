"""Headless Chromium (Debian's `chromium` package) for tests that look at a page as a browser renders it: the
DOM after its scripts ran (--dump-dom) and a screenshot. Each call uses a fresh profile directory, no network
services of the browser's own, and a time limit."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         "--disable-extensions", "--mute-audio")
TIMEOUT_S = 120


def chromium() -> str:
    """The browser's path. Without one the test is skipped on a developer's machine and fails in CI (.ci/run
    installs it: `apt-get install chromium`)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        message = "headless Chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def _run(args: list[str]) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="tradewatch-chromium-") as profile:
        proc = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                              timeout=TIMEOUT_S, stdin=subprocess.DEVNULL, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"chromium exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-2000:]}")
    return proc


def dump_dom(url: str, *, width: int = 1280, height: int = 900) -> str:
    """The page's DOM after its scripts ran, as HTML."""
    return _run([f"--window-size={width},{height}", "--dump-dom", url]).stdout.decode("utf-8")


def screenshot(url: str, out: Path, *, width: int = 1280, height: int = 900) -> Path:
    """A PNG of the page's first `height` pixels at this window width."""
    _run([f"--window-size={width},{height}", f"--screenshot={out}", url])
    if not out.exists():
        raise AssertionError(f"chromium wrote no screenshot at {out}")
    return out


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
