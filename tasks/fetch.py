"""HTTP only: one guarded conditional GET → Fetched.

The outcome vocabulary is small (Miniflux style): modified or not, a body read under a size cap and a total
deadline, or a stable error key. Network and HTTP problems never raise; they come back as `Fetched.error`:

    timeout, connection, tls, too_large, too_many_redirects, redirect_loop, blocked_scheme,
    blocked_address, bad_url, bad_content_encoding, http_<status>

Guarding against SSRF happens where the socket is made: the session from `make_session()` mounts an
adapter whose connections resolve the host once, refuse unless every resolved address is public (or the
exact host:port is allowed), connect to exactly those addresses and check the peer again (and again when
a kept-alive connection is reused). TLS still verifies the certificate against the host name, and there is
no window for DNS rebinding between check and connect.

The total deadline is kept by one watchdog thread for every fetch: when a fetch's deadline passes it shuts
down that fetch's sockets, which wakes any blocking read (TLS handshake, headers or body) however slowly the
server trickles bytes. The body is streamed and its DECODED size counted (`bytes_read`), so a gzip bomb stops
at the cap.
"""

from __future__ import annotations

import contextlib
import contextvars
import heapq
import ipaddress
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    NameResolutionError,
    NewConnectionError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.exceptions import HTTPError as Urllib3HTTPError

from tasks.models import Fetched

DEFAULT_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class FetchPolicy:
    allow_hosts: frozenset[str] = frozenset()  # exact "host:port" exempt from the private-address guard
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 10.0
    total_deadline_s: float = 30.0  # whole request incl. redirects and body, however slowly bytes arrive
    max_bytes: int = 10 * 1024 * 1024  # cap on the DECODED body; refused early when Content-Length says so
    max_redirects: int = 5
    retry_after_cap_s: float = 6 * 3600
    user_agent: str = "tradewatch/0.1 (+https://github.com/tradewatch)"


class BlockedAddress(Exception):
    """A connection to a non-public address was refused. Deliberately not an OSError: nothing retries it."""


# ---------------------------------------------------------------------------------------------------------
# The address guard


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


class _Guard:
    """Per-fetch state shared with the connections: which host:port are allowed, and the total deadline.

    At the deadline the watchdog shuts down every socket of this fetch, which wakes any blocking read
    however slowly the server trickles bytes.
    """

    def __init__(self, allow_hosts: frozenset[str], seconds: float) -> None:
        self.allow_hosts = frozenset(h.strip().lower() for h in allow_hosts)
        self.expired = False
        self.done = False
        self._seconds = max(seconds, 0.0)
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
        _WATCHDOG.add(self, time.monotonic() + self._seconds)

    def cancel(self) -> None:
        with self._lock:
            self.done = True
            self._socks.clear()


class _Watchdog:
    """One thread that expires every fetch's guard at its deadline, earliest first. (A timer thread per fetch
    cost more than the rest of a 304 poll: starting a thread waits for it to run, and under load that waits
    on the GIL.) A guard cancelled before its deadline is dropped when its turn comes."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, _Guard]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, guard: _Guard, deadline: float) -> None:
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


# Set by fetch() for the duration of one call; connections made outside fetch() allow nothing private.
_GUARD: contextvars.ContextVar[_Guard | None] = contextvars.ContextVar("tradewatch_fetch_guard", default=None)


class _GuardedConnectionMixin:
    """urllib3 connection that only ever talks to public addresses (or an allowed host:port)."""

    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any
    # A dup of the connected socket: still valid after TLS wraps (and detaches) the original, so the
    # watchdog can cut a TLS handshake too; shutting down either descriptor ends the one connection.
    _tradewatch_handle: socket.socket | None = None

    def _allowed(self) -> tuple[_Guard | None, bool]:
        guard = _GUARD.get()
        allowed = guard is not None and host_key(self.host, self.port) in guard.allow_hosts
        return guard, allowed

    def _new_conn(self) -> socket.socket:
        guard, allowed = self._allowed()
        try:
            infos = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
        except socket.gaierror as e:
            raise NameResolutionError(self.host, self, e) from e  # type: ignore[arg-type]
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
        raise NewConnectionError(self, f"Failed to establish a new connection: {last_error}")  # type: ignore[arg-type]

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
def _response(resp: requests.Response) -> Iterator[dict]:
    """Close the response, returning its connection to the keep-alive pool only when the body was read to the
    end (a 304, a complete body); anything left unread (errors, redirects, refusals) closes the socket."""
    state = {"reuse": False}
    try:
        yield state
    finally:
        if state["reuse"]:
            resp.raw.release_conn()
        else:
            resp.close()


def make_session() -> requests.Session:
    """A session for fetch(): guarded connections, keep-alive pools, no proxies/.netrc from the environment."""
    session = requests.Session()
    session.trust_env = False
    adapter = GuardedAdapter(pool_connections=32, pool_maxsize=8)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# ---------------------------------------------------------------------------------------------------------
# The fetch


def parse_retry_after(value: str | None, cap_s: float, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), clamped to [0, cap_s]."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value) if len(value) < 16 else cap_s
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), cap_s)


def _url_problem(url: str) -> tuple[str, str] | None:
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a bad port
    except ValueError as e:
        return "bad_url", f"{url!r}: {e}"
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return ("blocked_scheme", f"scheme {scheme!r} is not http(s)") if scheme else ("bad_url", repr(url))
    if not parts.hostname:
        return "bad_url", f"{url!r} has no host"
    return None


def _loop_key(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def _classify(exc: BaseException, guard: _Guard) -> tuple[str, str]:
    """Stable error key and detail for an exception raised while talking to the server."""
    detail = f"{type(exc).__name__}: {exc}"[:500]
    if guard.expired:
        return "timeout", "total deadline exceeded"
    if isinstance(exc, BlockedAddress):
        return "blocked_address", str(exc)
    if isinstance(exc, requests.exceptions.SSLError | SSLError):
        return "tls", detail
    if isinstance(exc, requests.Timeout | ReadTimeoutError | ConnectTimeoutError | TimeoutError):
        return "timeout", detail
    if isinstance(exc, requests.exceptions.ContentDecodingError | DecodeError):
        return "bad_content_encoding", detail
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.InvalidSchema):
        return "bad_url", detail
    if isinstance(exc, requests.exceptions.MissingSchema | ValueError | UnicodeError):
        return "bad_url", detail
    return "connection", detail


def fetch(
    source_id: str,
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    session: requests.Session,
    policy: FetchPolicy,
    accept: str | None = None,
) -> Fetched:
    """Conditional GET of one feed URL, following redirects by hand, every hop guarded. Never raises for
    network or HTTP trouble: the outcome is in the returned Fetched (see module docstring for error keys)."""
    for prefix in ("http://", "https://"):
        if not isinstance(session.get_adapter(prefix), GuardedAdapter):
            raise TypeError("fetch() needs a session from make_session(): its adapter is the address guard")
    started = time.monotonic()
    guard = _Guard(policy.allow_hosts, policy.total_deadline_s)
    token = _GUARD.set(guard)
    guard.start()
    try:
        return _fetch(source_id, url, etag, last_modified, session, policy, accept, guard, started)
    finally:
        guard.cancel()
        _GUARD.reset(token)


def _fetch(
    source_id: str,
    url: str,
    etag: str | None,
    last_modified: str | None,
    session: requests.Session,
    policy: FetchPolicy,
    accept: str | None,
    guard: _Guard,
    started: float,
) -> Fetched:
    current = url
    status: int | None = None
    bytes_read = 0

    def failed(key: str, detail: str, retry_after_s: float | None = None, content_type: str | None = None):
        return Fetched(
            source_id=source_id,
            url=current,
            status=status,
            body=None,
            etag=etag,
            last_modified=last_modified,
            content_type=content_type,
            error=key,
            error_detail=detail,
            retry_after_s=retry_after_s,
            elapsed_s=time.monotonic() - started,
            bytes_read=bytes_read,
        )

    headers = {"User-Agent": policy.user_agent, "Accept": accept or DEFAULT_ACCEPT}
    headers["Accept-Encoding"] = "gzip, deflate"
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    deadline = started + policy.total_deadline_s
    seen: set[str] = set()

    for _hop in range(policy.max_redirects + 1):
        problem = _url_problem(current)
        if problem:
            return failed(*problem)
        key = _loop_key(current)
        if key in seen:
            return failed("redirect_loop", f"{current} was already visited")
        seen.add(key)
        remaining = deadline - time.monotonic()
        if remaining <= 0 or guard.expired:
            return failed("timeout", "total deadline exceeded")
        timeout = (min(policy.connect_timeout_s, remaining), min(policy.read_timeout_s, remaining))
        try:
            resp = session.get(current, headers=headers, allow_redirects=False, stream=True, timeout=timeout)
        except (requests.RequestException, Urllib3HTTPError, BlockedAddress, OSError, ValueError) as e:
            return failed(*_classify(e, guard))
        with _response(resp) as connection:
            status = resp.status_code
            content_type = resp.headers.get("Content-Type")
            if status in _REDIRECTS:
                location = resp.headers.get("Location")
                if not location:
                    return failed(f"http_{status}", "redirect without Location")
                try:
                    current = urljoin(current, location.strip())
                except ValueError as e:
                    return failed("bad_url", f"Location {location!r}: {e}")
                continue
            if status == 304:
                connection["reuse"] = True  # no body: the keep-alive connection goes back to the pool
                return Fetched(
                    source_id=source_id,
                    url=current,
                    status=304,
                    body=None,
                    etag=resp.headers.get("ETag") or etag,
                    last_modified=resp.headers.get("Last-Modified") or last_modified,
                    content_type=content_type,
                    elapsed_s=time.monotonic() - started,
                )
            if not 200 <= status < 300:
                retry_after = parse_retry_after(resp.headers.get("Retry-After"), policy.retry_after_cap_s)
                return failed(f"http_{status}", resp.reason or "", retry_after, content_type)

            declared = resp.headers.get("Content-Length", "").strip()
            if declared.isdigit() and int(declared) > policy.max_bytes:
                return failed(
                    "too_large", f"Content-Length {declared} > {policy.max_bytes}", None, content_type
                )
            chunks: list[bytes] = []
            try:
                # decode_content: the cap counts decoded bytes, and urllib3 (>= 2.6) inflates at most about
                # one chunk at a time, so a gzip bomb is refused without ever being inflated whole.
                for chunk in resp.raw.stream(_CHUNK, decode_content=True):
                    bytes_read += len(chunk)
                    if bytes_read > policy.max_bytes:
                        return failed(
                            "too_large", f"body exceeds {policy.max_bytes} bytes", None, content_type
                        )
                    chunks.append(chunk)
                    if guard.expired:
                        break
            except (requests.RequestException, Urllib3HTTPError, BlockedAddress, OSError, ValueError) as e:
                return failed(*_classify(e, guard), None, content_type)
            if guard.expired:  # the watchdog may have ended a close-delimited body early: not a body
                return failed("timeout", "total deadline exceeded", None, content_type)
            connection["reuse"] = True  # read to the end: the connection can serve the next request
            return Fetched(
                source_id=source_id,
                url=current,
                status=status,
                body=b"".join(chunks),
                etag=resp.headers.get("ETag"),
                last_modified=resp.headers.get("Last-Modified"),
                content_type=content_type,
                elapsed_s=time.monotonic() - started,
                bytes_read=bytes_read,
            )
    return failed("too_many_redirects", f"more than {policy.max_redirects} redirects")
