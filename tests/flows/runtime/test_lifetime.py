"""A child started through flows/runtime/lifetime.py dies with the process that started it, however that one
ends (kill -9 here); until then it runs as it would, under the pid Popen gave it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.support.paths import ROOT

PARENT = """
import subprocess, sys, time
from flows.runtime.lifetime import dies_with_this_process
command, keep = dies_with_this_process([sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1"])
child = subprocess.Popen(command, pass_fds=keep, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(child.pid, flush=True)
time.sleep(120)
"""


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_child_dies_with_its_parent_killed_with_minus_9():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    child = int(parent.stdout.readline())
    try:
        time.sleep(0.5)
        with open(f"/proc/{child}/cmdline", "rb") as fh:
            assert b"http.server" in fh.read()  # the module runs in the pid Popen returned
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 10
        while alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(child)
    finally:
        if alive(child):
            os.kill(child, signal.SIGKILL)
