"""A threaded loopback HTTP server for tests: 127.0.0.1, port 0, routes are plain functions.

    with HostileServer() as server:
        server.route("/feed", lambda h: respond(h, 200, b"<rss/>", {"ETag": '"v1"'}))
        fetch(..., server.url("/feed"), policy=FetchPolicy(allow_hosts=frozenset({server.host_port})))

A route gets the request handler and writes whatever it likes, well-formed or not. Helpers below cover the
usual misbehaviour: dripping bytes, hanging, gzip bombs, endless bodies. Every request is recorded in
`server.requests` as (path, headers) so tests can assert what was (not) asked for.
"""

from __future__ import annotations

import ssl
import threading
import time
import zlib
from collections.abc import Callable
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

Route = Callable[[BaseHTTPRequestHandler], None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: HostileServer

    def handle_error(self, request: object, client_address: object) -> None:  # clients hang up on purpose
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        owner = self.server.owner
        path = urlsplit(self.path).path
        owner.requests.append((self.path, dict(self.headers.items())))
        route = owner.routes.get(path)
        if route is None:
            prefixes = [p for p in owner.routes if p.endswith("/") and path.startswith(p)]
            route = owner.routes[max(prefixes, key=len)] if prefixes else None
        try:
            if route is None:
                respond(self, 404, b"not found")
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError):
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


class HostileServer:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.stopping = threading.Event()
        self.scheme = "https" if tls else "http"
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        if tls:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def route(self, path: str, handler: Route) -> None:
        """Register `handler` for `path`; a path ending in "/" also serves everything below it."""
        self.routes[path] = handler

    def paths_requested(self) -> list[str]:
        return [p for p, _ in self.requests]

    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------------------
# Route helpers


def respond(
    h: BaseHTTPRequestHandler, status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None
) -> None:
    """A well-formed response with Content-Length (unless headers say Transfer-Encoding)."""
    h.send_response(status)
    headers = dict(headers or {})
    if "Transfer-Encoding" not in headers and "Content-Length" not in headers:
        headers["Content-Length"] = str(len(body))
    for name, value in headers.items():
        h.send_header(name, value)
    h.end_headers()
    if body:
        h.wfile.write(body)
    h.wfile.flush()


def drip(h: BaseHTTPRequestHandler, body: bytes, every_s: float, stopping: threading.Event) -> None:
    """Announce the full length, then send one byte every `every_s` seconds."""
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.flush()
    for i in range(len(body)):
        if stopping.wait(every_s):
            return
        h.wfile.write(body[i : i + 1])
        h.wfile.flush()


def hang(h: BaseHTTPRequestHandler, stopping: threading.Event) -> None:
    """Accept the request and never answer (until the server stops)."""
    stopping.wait(60)
    h.close_connection = True


def endless(
    h: BaseHTTPRequestHandler, total: int, *, declare_length: bool, stopping: threading.Event
) -> None:
    """Stream `total` bytes of filler, with Content-Length or chunked, until the client goes away."""
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    if declare_length:
        h.send_header("Content-Length", str(total))
    else:
        h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    block = b"a" * 65536
    sent = 0
    h.connection.settimeout(5)
    while sent < total and not stopping.is_set():
        if declare_length:
            h.wfile.write(block)
        else:
            h.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
        sent += len(block)
    if not declare_length:
        h.wfile.write(b"0\r\n\r\n")
    h.close_connection = True


@cache
def gzip_bomb(decoded_size: int) -> bytes:
    """`decoded_size` zero bytes, gzipped (about 1000:1), built without holding the inflated data."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(decoded_size // len(block))]
    parts.append(compressor.compress(bytes(decoded_size % len(block))))
    parts.append(compressor.flush())
    return b"".join(parts)


def serve_gzip(h: BaseHTTPRequestHandler, payload: bytes, *, declare_length: bool) -> None:
    """Send an already gzipped payload with Content-Encoding: gzip, with Content-Length or close-delimited."""
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Content-Encoding", "gzip")
    if declare_length:
        h.send_header("Content-Length", str(len(payload)))
    else:
        h.send_header("Connection", "close")
    h.end_headers()
    h.wfile.write(payload)
    h.wfile.flush()
    h.close_connection = True


def redirect(h: BaseHTTPRequestHandler, location: str, status: int = 302) -> None:
    respond(h, status, b"", {"Location": location})


def wait_until(predicate: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
