"""Child processes that must not outlive this one: a Prefect API server started for this process alone (the
temporary one Prefect starts when PREFECT_API_URL is unset, the private one of `tradewatch serve`).

Stopped in the normal way on exit, they were re-parented and lived on when this process was killed (kill -9,
the out-of-memory killer, a hard stop after SIGTERM). Started through `dies_with_this_process`, a child holds
the read end of a pipe whose write end only this process holds (a "lifeline"): a thread in the child blocks
reading it, and when this process ends, however it ends, the kernel closes the write end, the read returns,
and the child kills itself (SIGKILL). The child then runs the real module in its own process (`python -m ...`
through runpy), so it keeps the pid Popen returned: stopping it the normal way, its exit status, all as before.
(The kernel's parent-death signal would need no thread, but it follows the *thread* that started the child,
and Prefect may start its server from a worker thread that ends before the process.)
"""

from __future__ import annotations

import os

_LAUNCHER = (
    "import os, runpy, signal, sys, threading\n"
    "lifeline = int(sys.argv[1])\n"
    "def watch():\n"
    "    while os.read(lifeline, 1):\n"
    "        pass\n"
    "    os.kill(os.getpid(), signal.SIGKILL)  # the process that started this one is gone\n"
    "threading.Thread(target=watch, name='lifeline', daemon=True).start()\n"
    "sys.argv = [sys.argv[3], *sys.argv[4:]]\n"
    "runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n"
)

_lifeline: tuple[int, int] | None = None  # (read end, write end); the write end is never closed


def _read_end() -> int:
    global _lifeline
    if _lifeline is None:
        _lifeline = os.pipe()  # not inheritable: children get the read end only through pass_fds
    return _lifeline[0]


def dies_with_this_process(argv: list[str]) -> tuple[list[str], tuple[int, ...]]:
    """`[python, "-m", module, *args]` made to die with this process: the command to start, and the file
    descriptors to pass to it (Popen's pass_fds). Any other command is returned as it is."""
    if len(argv) < 3 or argv[1] != "-m" or os.name != "posix":
        return list(argv), ()
    fd = _read_end()
    return [argv[0], "-c", _LAUNCHER, str(fd), "-m", *argv[2:]], (fd,)
