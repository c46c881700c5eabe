"""The two urllib3 seams the address guard (tasks/sources/guard.py) rests on: the method a connection makes its
socket with (`HTTPConnection._new_conn`) and the pool classes a PoolManager builds per scheme
(`PoolManager.pool_classes_by_scheme`). Neither is public API, so they are touched here only; pyproject pins
urllib3 to 2.x, and tests/tasks/sources/test_urllib3_compat.py fails loudly if a release changes either."""

from __future__ import annotations

import socket
from typing import Any

from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class SocketHook:
    """Mix in before urllib3's HTTP(S)Connection: urllib3 then gets its socket from `make_socket()`."""

    def make_socket(self) -> socket.socket:
        raise NotImplementedError

    def _new_conn(self) -> socket.socket:
        return self.make_socket()


def use_pool_classes(pool_manager: Any, http: type[HTTPConnectionPool], https: type[HTTPSConnectionPool]) -> None:
    """Make this PoolManager build its connection pools from these classes."""
    pool_manager.pool_classes_by_scheme = {"http": http, "https": https}
