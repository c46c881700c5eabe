"""The guard around every fetch: where a connection may go, and how long a fetch may take.

Addresses: connections resolve the host once, refuse unless every resolved address is public (or the exact
host:port is allowed), connect to exactly those addresses and check the peer again (and again when a
kept-alive connection is reused). TLS still verifies the certificate against the host name, and there is no
window for DNS rebinding between check and connect.

Time: one watchdog thread expires every fetch at its total deadline by shutting down that fetch's sockets,
which wakes any blocking read (TLS handshake, headers or body) however slowly the server trickles bytes. Name
resolution, which no socket can cut short, runs in a resolver thread and is waited for only until the deadline.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
import heapq
import ipaddress
import itertools
import socket
import threading
import time
import weakref
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from tasks import stop
from tasks.sources.urllib3_compat import SocketHook


class BlockedAddress(Exception):
    """A connection to a non-public address was refused. Deliberately not an OSError: nothing retries it."""


def host_key(host: str, port: int) -> str:
    """The "host:port" spelling used by FetchPolicy.allow_hosts (IPv6 in brackets, port always explicit)."""
    host = host.strip("[]").rstrip(".").lower()
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def is_public_address(address: str) -> bool:
    """True when the address is globally routable unicast: not loopback, private, link-local (incl.
    169.254.169.254), unspecified, multicast or reserved; IPv4 embedded in IPv6 is judged as IPv4."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        candidates += [embedded for embedded in (ip.ipv4_mapped, ip.sixtofour) if embedded is not None]
        if ip.teredo:
            candidates += list(ip.teredo)
    return all(
        c.is_global
        and not (c.is_private or c.is_loopback or c.is_link_local or c.is_multicast)
        and not (c.is_reserved or c.is_unspecified)
        for c in candidates
    )


class Guard:
    """Per-fetch state shared with the connections: which host:port are allowed, and the total deadline.

    At the deadline the watchdog shuts down every socket of this fetch, which wakes any blocking read
    however slowly the server trickles bytes.
    """

    def __init__(self, allow_hosts: frozenset[str], seconds: float) -> None:
        self.allow_hosts = frozenset(h.strip().lower() for h in allow_hosts)
        self.expired = False
        self.done = False
        self._seconds = max(seconds, 0.0)
        self.deadline = time.monotonic() + self._seconds  # set again by start()
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if not any(s is sock for s in self._socks):
                self._socks.append(sock)
            expired = self.expired
        if expired:
            _shutdown(sock)

    def expire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.expired = True
            socks = list(self._socks)
        for sock in socks:
            _shutdown(sock)

    def start(self) -> None:
        self.deadline = time.monotonic() + self._seconds
        _WATCHDOG.add(self, self.deadline)
        with _ACTIVE_LOCK:
            _ACTIVE.add(self)

    def remaining(self) -> float:
        return max(self.deadline - time.monotonic(), 0.0)

    def cancel(self) -> None:
        with self._lock:
            self.done = True
            self._socks.clear()
        with _ACTIVE_LOCK:
            _ACTIVE.discard(self)


_ACTIVE: weakref.WeakSet[Guard] = weakref.WeakSet()  # the fetches in flight
_ACTIVE_LOCK = threading.Lock()


def expire_all() -> None:
    """End every fetch in flight now, as its deadline would (a stop was requested: tasks/stop.py)."""
    with _ACTIVE_LOCK:
        guards = list(_ACTIVE)
    for guard in guards:
        guard.expire()


stop.on_request(expire_all)


class _Watchdog:
    """One thread that expires every fetch's guard at its deadline, earliest first (a timer thread per fetch
    costs more than a 304 poll). A guard cancelled before its deadline is dropped when its turn comes."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, Guard]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, guard: Guard, deadline: float) -> None:
        with self._cond:
            heapq.heappush(self._due, (deadline, next(self._order), guard))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="fetch-watchdog", daemon=True)
                self._thread.start()
            elif self._due[0][2] is guard:  # earlier than what the thread is waiting for
                self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._due and self._due[0][2].done:
                    heapq.heappop(self._due)
                if not self._due:
                    self._cond.wait()
                    continue
                delay = self._due[0][0] - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                guard = heapq.heappop(self._due)[2]
            guard.expire()  # outside the lock: shutting sockets down never waits on add()


_WATCHDOG = _Watchdog()


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


# getaddrinfo blocks in the C library for as long as the resolver takes (a DNS server that does not answer:
# tens of seconds, retries included) and nothing can interrupt it; it runs here and is waited for only until
# the fetch's deadline. A lookup that outlives its fetch finishes in the background and is discarded.
_RESOLVER = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="fetch-resolver")


def resolve(host: str, port: int, guard: Guard | None) -> list[tuple]:
    """getaddrinfo for a stream socket, within the guard's deadline (IP literals need no lookup: no thread)."""
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
        literal = True
    except ValueError:
        literal = False
    if guard is None or literal:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    lookup = _RESOLVER.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        return lookup.result(timeout=guard.remaining())
    except concurrent.futures.TimeoutError:
        guard.expire()
        raise TimeoutError(f"resolving {host} took longer than the fetch's total deadline") from None


# Set by fetch() for the duration of one call; connections made outside fetch() allow nothing private.
CURRENT: contextvars.ContextVar[Guard | None] = contextvars.ContextVar("tradewatch_fetch_guard", default=None)


class _GuardedConnectionMixin(SocketHook):
    """urllib3 connection that only ever talks to public addresses (or an allowed host:port)."""

    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any
    # A dup of the connected socket: still valid after TLS wraps (and detaches) the original, so the
    # watchdog can cut a TLS handshake too; shutting down either descriptor ends the one connection.
    _tradewatch_handle: socket.socket | None = None

    def _allowed(self) -> tuple[Guard | None, bool]:
        guard = CURRENT.get()
        allowed = guard is not None and host_key(self.host, self.port) in guard.allow_hosts
        return guard, allowed

    def make_socket(self) -> socket.socket:
        guard, allowed = self._allowed()
        try:
            infos = resolve(self.host, self.port, guard)
        except socket.gaierror as e:
            raise NameResolutionError(self.host, self, e) from e  # type: ignore[arg-type]
        except TimeoutError as e:
            raise ConnectTimeoutError(self, str(e)) from e
        if not allowed:
            for *_, sockaddr in infos:
                if not is_public_address(sockaddr[0]):
                    raise BlockedAddress(f"{self.host} resolves to non-public address {sockaddr[0]}")
        last_error: OSError | None = None
        for family, type_, proto, _, sockaddr in infos:
            sock = socket.socket(family, type_, proto)
            try:
                for option in self.socket_options or ():
                    sock.setsockopt(*option)
                if isinstance(self.timeout, int | float):
                    sock.settimeout(self.timeout)
                if guard is not None:
                    guard.watch(sock)
                if self.source_address:
                    sock.bind(self.source_address)
                sock.connect(sockaddr)
                peer = sock.getpeername()[0]
                if not allowed and not is_public_address(peer):
                    raise BlockedAddress(f"connected peer {peer} is not a public address")
            except BlockedAddress:
                sock.close()
                raise
            except TimeoutError as e:
                sock.close()
                raise ConnectTimeoutError(self, f"connect to {self.host} timed out") from e
            except OSError as e:
                sock.close()
                last_error = e
                continue
            self._forget_handle()
            self._tradewatch_handle = sock.dup()
            if guard is not None:
                guard.watch(self._tradewatch_handle)
            return sock
        raise NewConnectionError(  # type: ignore[arg-type]
            self, f"Failed to establish a new connection: {last_error}") from last_error  # the cause, for http.py

    def request(self, *args: Any, **kwargs: Any) -> Any:
        # A kept-alive connection was checked when it was made, maybe under another policy: check again.
        handle = self._tradewatch_handle
        if handle is not None:
            guard, allowed = self._allowed()
            if guard is not None:
                guard.watch(handle)
            try:
                peer = handle.getpeername()[0]
            except OSError:
                peer = None  # a dropped connection; the request below fails on its own
            if peer is not None and not allowed and not is_public_address(peer):
                raise BlockedAddress(f"connected peer {peer} is not a public address")
        return super().request(*args, **kwargs)  # type: ignore[misc]

    def close(self) -> None:
        try:
            super().close()  # type: ignore[misc]
        finally:
            self._forget_handle()

    def _forget_handle(self) -> None:
        handle, self._tradewatch_handle = self._tradewatch_handle, None
        if handle is not None:
            handle.close()


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """requests adapter whose connections refuse non-public peers (see module docstring)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise BlockedAddress("proxies would bypass the address guard")


@contextlib.contextmanager
def guarding(allow_hosts: frozenset[str], seconds: float):
    """Guard the connections made in this block (this thread and context): these host:port may be private,
    and everything is cut after `seconds`."""
    guard = Guard(allow_hosts, seconds)
    token = CURRENT.set(guard)
    guard.start()
    try:
        yield guard
    finally:
        guard.cancel()
        CURRENT.reset(token)
