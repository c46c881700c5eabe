"""Resident memory of a process tree, from psutil when installed, else from /proc (Linux).

A sampler process sums the RSS of a process and all its descendants every few milliseconds and keeps the
peak; at the end, the sum of each process's own high-water mark (VmHWM) is an upper bound of that peak.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tasks.workers import process as worker_process

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
    """with TreeSampler() as s: ...; s.peak (bytes, sampled), s.hwm_sum (bytes, upper bound), s.processes.

    The sampling runs in a small process of its own (`python -m bench.procmem`), not in a thread of the
    process it measures: a thread reading /proc every 20 ms held that process's GIL and slowed the changed
    poll it was measuring by ~4% (5.05-5.2 s against 4.85-4.95 s unwatched). Each sample reads one small
    file per process through a descriptor kept open (/proc/<pid>/statm); the process tree, each process's
    own peak (VmHWM) and its CPU time are read every `refresh` samples and at the end."""

    def __init__(self, pid: int | None = None, interval_s: float = 0.02, refresh: int = 10) -> None:
        self.pid = pid or os.getpid()
        self.interval_s = interval_s
        self.refresh = refresh
        self.peak = 0
        self.samples = 0
        self.processes: dict[int, str] = {}
        self.hwm_sum = 0
        self.hwm: dict[int, int] = {}  # each process's own peak
        self.at_peak: dict[int, int] = {}  # each process's RSS in the sample of the peak
        self.cpu_s: dict[int, float] = {}  # CPU each process used inside the block (as last read)
        self._proc: subprocess.Popen | None = None

    def __enter__(self) -> TreeSampler:
        self._proc = subprocess.Popen(
            worker_process.command("bench.procmem", str(self.pid), str(self.interval_s), str(self.refresh)),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=worker_process.environment(),
        )  # fmt: skip
        if self._proc.stdout.readline().strip() != b"ready":  # its first sample is taken
            raise RuntimeError("the memory sampler did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._proc is not None
        out, _ = self._proc.communicate(b"stop\n", timeout=30)
        result = json.loads(out)
        self.peak, self.samples, self.hwm_sum = result["peak"], result["samples"], result["hwm_sum"]
        for name in ("processes", "hwm", "at_peak", "cpu_s"):  # by pid (JSON keys are strings)
            setattr(self, name, {int(k): v for k, v in result[name].items()})


class _Sampling:
    """The sampler process's state: open statm descriptors, the tree as last read, the running figures."""

    def __init__(self, root: int) -> None:
        self.root, self.me = root, os.getpid()
        self.root_cmdline = cmdline(root)
        self.statm: dict[int, int] = {}  # pid → open descriptor of /proc/<pid>/statm
        self.processes: dict[int, str] = {}
        self.cpu_start = {p: cpu_seconds(p) for p in tree(root) if p != self.me}
        self.cpu_last: dict[int, float] = {}
        self.hwm: dict[int, int] = {}
        self.peak = self.samples = 0
        self.at_peak: dict[int, int] = {}  # each process's RSS in the sample of the peak
        self.page = os.sysconf("SC_PAGE_SIZE")

    def refresh(self) -> None:
        for p in tree(self.root):
            if p == self.me or p in self.statm or (p != self.root and self._unexeced(p)):
                continue
            try:
                self.statm[p] = os.open(f"/proc/{p}/statm", os.O_RDONLY)
            except OSError:
                continue
            self.processes[p] = cmdline(p)
        for p in list(self.statm):
            # max: CPU time and the peak only grow (a process that exited and was reaped reads 0)
            self.cpu_last[p] = max(self.cpu_last.get(p, 0.0), cpu_seconds(p))
            self.hwm[p] = max(self.hwm.get(p, 0), hwm_bytes(p))

    def _unexeced(self, pid: int) -> bool:
        """A child between fork and exec: it still runs the parent's program and (vfork) shares the parent's
        memory, so /proc shows the parent's RSS as its own. Counting it would count the parent twice."""
        return cmdline(pid) == self.root_cmdline

    def sample(self) -> None:
        each = {}
        for p, fd in list(self.statm.items()):
            try:
                each[p] = int(os.pread(fd, 128, 0).split()[1]) * self.page
            except (OSError, ValueError, IndexError):  # gone: keep what was read of it
                os.close(fd)
                del self.statm[p]
        total = sum(each.values())
        if total > self.peak:
            self.peak, self.at_peak = total, each
        self.samples += 1

    def result(self) -> dict:
        return {"peak": self.peak, "at_peak": self.at_peak, "samples": self.samples, "processes": self.processes,
                "hwm": self.hwm,
                "hwm_sum": sum(self.hwm.values()),
                "cpu_s": {p: cpu - self.cpu_start.get(p, 0.0) for p, cpu in self.cpu_last.items()}}  # fmt: skip


def _sampler_main(root: int, interval_s: float, refresh: int) -> None:
    import select

    state = _Sampling(root)
    state.refresh()
    state.sample()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    n = 0
    while not select.select([sys.stdin], [], [], interval_s)[0]:  # until told to stop
        n += 1
        if n % refresh == 0:
            state.refresh()
        state.sample()
    state.refresh()
    state.sample()
    sys.stdout.write(json.dumps(state.result()))


if __name__ == "__main__":
    _sampler_main(int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]))
