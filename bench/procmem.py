"""Resident memory of a process tree, from psutil when installed, else from /proc (Linux).

A sampler thread sums the RSS of a process and all its descendants every few milliseconds and keeps the
peak; at the end, the sum of each process's own high-water mark (VmHWM) is an upper bound of that peak.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

try:  # optional: not a dependency of tradewatch
    import psutil
except ImportError:  # pragma: no cover - depends on the environment
    psutil = None

METHOD = "psutil" if psutil is not None else "/proc"


def _children_proc(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return out
    for task in tasks:
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return out


def tree(pid: int) -> list[int]:
    """pid and all its descendants."""
    if psutil is not None:
        try:
            p = psutil.Process(pid)
            return [pid] + [c.pid for c in p.children(recursive=True)]
        except psutil.Error:
            return []
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += _children_proc(p)
    return found


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def rss_bytes(pid: int) -> int:
    if psutil is not None:
        try:
            return psutil.Process(pid).memory_info().rss
        except psutil.Error:
            return 0
    return _status_kb(pid, "VmRSS") * 1024


def hwm_bytes(pid: int) -> int:
    """The process's own peak RSS so far (Linux VmHWM)."""
    return _status_kb(pid, "VmHWM") * 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (Linux /proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


class TreeSampler:
    """with TreeSampler() as s: ...; s.peak (bytes, sampled), s.hwm_sum (bytes, upper bound), s.processes."""

    def __init__(self, pid: int | None = None, interval_s: float = 0.02) -> None:
        self.pid = pid or os.getpid()
        self.interval_s = interval_s
        self.peak = 0
        self.samples = 0
        self.processes: dict[int, str] = {}
        self.hwm_sum = 0
        self.hwm: dict[int, int] = {}  # each process's own peak
        self.cpu_s: dict[int, float] = {}  # CPU each process used inside the block (as last sampled)
        self._cpu_start: dict[int, float] = {}
        self._cpu_last: dict[int, float] = {}
        self._root_cmdline = cmdline(self.pid)
        self._hwm_last: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="bench-rss")

    def sample(self) -> int:
        pids = [p for p in tree(self.pid) if p == self.pid or not self._unexeced(p)]
        for p in pids:
            if p not in self.processes:
                self.processes[p] = cmdline(p)
            self._cpu_last[p] = cpu_seconds(p)  # kept for processes that exit before the end
            self._hwm_last[p] = max(self._hwm_last.get(p, 0), hwm_bytes(p))
        total = sum(rss_bytes(p) for p in pids)
        self.peak = max(self.peak, total)
        self.samples += 1
        return total

    def _unexeced(self, pid: int) -> bool:
        """A child between fork and exec: it still runs the parent's program and (vfork) shares the parent's
        memory, so /proc shows the parent's RSS as its own. Counting it would count the parent twice."""
        if pid in self.processes:
            return False
        return cmdline(pid) == self._root_cmdline

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval_s)

    def __enter__(self) -> TreeSampler:
        self._cpu_start = {p: cpu_seconds(p) for p in tree(self.pid)}
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
        self.hwm = dict(self._hwm_last)  # every process seen, including those that exited meanwhile
        self.hwm_sum = sum(self.hwm.values())
        self.cpu_s = {p: cpu - self._cpu_start.get(p, 0.0) for p, cpu in self._cpu_last.items()}
