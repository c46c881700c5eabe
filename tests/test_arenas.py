"""The malloc arena cap (tasks/arenas.py): threads of a capped process share two arenas."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc malloc only")

# 16 threads allocate at once; malloc_info then lists one <heap> per arena in use
COUNT_ARENAS = """
import ctypes, ctypes.util, os, sys, tempfile, threading
from tasks.arenas import limit_malloc_arenas
if sys.argv[1] == "capped":
    assert limit_malloc_arenas()
elif sys.argv[1] == "monitor":
    import flows.monitor  # sets the cap on import
barrier = threading.Barrier(17)
def work():
    kept = [bytearray(200) for _ in range(2000)]
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(16)]
for t in threads:
    t.start()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.fopen.restype = ctypes.c_void_p
fd, path = tempfile.mkstemp()
os.close(fd)
fp = ctypes.c_void_p(libc.fopen(path.encode(), b"w"))
libc.malloc_info(0, fp)
libc.fclose(fp)
barrier.wait()
print(open(path).read().count("<heap nr="))
os.unlink(path)
"""


def arenas_in_use(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", COUNT_ARENAS, mode], capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_capped_threads_share_two_arenas_where_uncapped_ones_take_their_own():
    assert arenas_in_use("capped") <= 2 < arenas_in_use("uncapped")


def test_the_monitor_flow_module_sets_the_cap_on_import():
    assert arenas_in_use("monitor") <= 2
