"""The process settings (flows/runtime/process.py): threads of a capped process share two arenas, and glibc's
mmap threshold stays fixed."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc malloc only")

# 16 threads allocate at once; malloc_info then lists one <heap> per arena in use
COUNT_ARENAS = """
import ctypes, ctypes.util, os, sys, tempfile, threading
from flows.runtime.process import apply_settings
if sys.argv[1] == "capped":
    assert apply_settings()
elif sys.argv[1] == "cycle":  # entered as a monitor run enters it, on a fresh warehouse
    import pathlib
    from flows.runtime.cycle import cycle
    from records.config import parse_config
    home = pathlib.Path(tempfile.mkdtemp())
    cycle(parse_config({}, home / "tradewatch.toml")).__enter__()
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


def test_a_cycle_applies_the_settings_before_its_threads_start():
    """flows.runtime.cycle.cycle() applies them on entry (and the CLI at start): a run entered through the cycle
    runtime, here without a warehouse, leaves its threads sharing two arenas."""
    assert arenas_in_use("cycle") <= 2


# glibc raises its mmap threshold when a large mmapped block is freed; after that a 512 KB block comes from
# the heap unless the threshold is fixed. Prints how many mmapped blocks the 512 KB allocation added.
COUNT_MMAPS = """
import ctypes, os, re, sys, tempfile
from flows.runtime.process import apply_settings
if sys.argv[1] == "tuned":
    assert apply_settings()
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.fopen.restype = ctypes.c_void_p
def mmapped():
    fd, path = tempfile.mkstemp()
    os.close(fd)
    fp = ctypes.c_void_p(libc.fopen(path.encode(), b"w"))
    libc.malloc_info(0, fp)
    libc.fclose(fp)
    with open(path) as fh:
        count = int(re.search(r'<total type="mmap" count="(\\d+)"', fh.read()).group(1))
    os.unlink(path)
    return count
libc.free(libc.malloc(4 << 20))
before = mmapped()
block = libc.malloc(512 << 10)
print(mmapped() - before)
"""


def mmapped_by_a_large_block(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", COUNT_MMAPS, mode], capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_large_blocks_stay_mmapped_after_a_large_free_when_tuned():
    assert mmapped_by_a_large_block("tuned") == 1
    assert mmapped_by_a_large_block("plain") == 0
