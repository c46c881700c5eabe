"""The two urllib3 seams the address guard rests on (tasks/sources/urllib3_compat.py): a connection makes its
socket with `_new_conn`, and a PoolManager builds pools from `pool_classes_by_scheme`. A urllib3 release that
changes either fails here, loudly (and the guard's own tests in test_http.py would fail open)."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import urllib3
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from tasks.sources.urllib3_compat import SocketHook, use_pool_classes


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def test_the_pinned_release_is_2_x():
    assert urllib3.__version__.startswith("2.")


def test_a_connection_gets_its_socket_from_the_hook():
    made = []

    class Hooked(SocketHook, HTTPConnection):
        def make_socket(self):
            made.append((self.host, self.port))
            return socket.create_connection((self.host, self.port), timeout=5)

    class Pool(HTTPConnectionPool):
        ConnectionCls = Hooked

    class SPool(HTTPSConnectionPool):
        ConnectionCls = Hooked

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        manager = urllib3.PoolManager()
        use_pool_classes(manager, Pool, SPool)
        url = f"http://127.0.0.1:{server.server_port}/"
        assert isinstance(manager.connection_from_url(url), Pool)
        assert manager.request("GET", url).data == b"ok"
    finally:
        server.shutdown()
    assert made == [("127.0.0.1", server.server_port)]
