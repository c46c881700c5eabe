"""HTTP only: one guarded conditional GET → Fetched.

The outcome vocabulary is small (Miniflux style): modified or not, a body read under a size cap and a total
deadline, or a stable error key. Network and HTTP problems never raise; they come back as `Fetched.error`:

    timeout, connection, tls, too_large, too_many_redirects, redirect_loop, blocked_scheme,
    blocked_address, bad_url, bad_content_encoding, http_<status>

with `Fetched.error_detail` naming the cause in words, host first ("DNS lookup failed for www.example.gov",
"connection refused by example.org:443", "TLS error with example.org: certificate has expired", "HTTP 503
Service Unavailable from example.org"), never a library's repr.

Every connection goes through the guard (tasks/sources/guard.py: public addresses only, a total deadline).
Redirects are followed by hand, each hop checked. The body is streamed and its DECODED size counted, so a
gzip bomb stops at the cap.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.client import IncompleteRead, RemoteDisconnected
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    NameResolutionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.exceptions import HTTPError as Urllib3HTTPError

from records.items import Fetched
from tasks.sources.guard import BlockedAddress, Guard, GuardedAdapter, guarding

DEFAULT_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}
_NETWORK_ERRORS = (requests.RequestException, Urllib3HTTPError, BlockedAddress, OSError, ValueError)


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


def make_session() -> requests.Session:
    """A session for fetch(): guarded connections, keep-alive pools, no proxies/.netrc from the environment."""
    session = requests.Session()
    session.trust_env = False
    adapter = GuardedAdapter(pool_connections=32, pool_maxsize=8)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


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
    request = _Request(source_id, etag, last_modified, session, policy, accept, time.monotonic())
    with guarding(policy.allow_hosts, policy.total_deadline_s) as guard:
        return request.follow(url, guard)


@dataclass
class _Request:
    """One fetch in progress: what was asked, and where it stands (the URL of this hop, the last status)."""

    source_id: str
    etag: str | None
    last_modified: str | None
    session: requests.Session
    policy: FetchPolicy
    accept: str | None
    started: float
    url: str = ""
    status: int | None = None
    bytes_read: int = 0

    def follow(self, url: str, guard: Guard) -> Fetched:
        """Hop by hop until a final answer; each hop's URL checked, loops and long chains refused."""
        self.url = url
        deadline = self.started + self.policy.total_deadline_s
        seen: set[str] = set()
        for _hop in range(self.policy.max_redirects + 1):
            problem = _url_problem(self.url)
            if problem:
                return self.failed(*problem)
            key = _loop_key(self.url)
            if key in seen:
                return self.failed("redirect_loop", f"{self.url} was already visited")
            seen.add(key)
            remaining = deadline - time.monotonic()
            if remaining <= 0 or guard.expired:
                return self.failed("timeout", self.deadline_detail())
            timeout = (min(self.policy.connect_timeout_s, remaining), min(self.policy.read_timeout_s, remaining))
            try:
                resp = self.session.get(self.url, headers=self.headers(), allow_redirects=False, stream=True,
                                        timeout=timeout)
            except _NETWORK_ERRORS as e:
                return self.failed(*self.classify(e, guard))
            with _response(resp) as connection:
                outcome = self.answer(resp, connection, guard)
            if outcome is not None:
                return outcome
        return self.failed("too_many_redirects", f"more than {self.policy.max_redirects} redirects")

    def headers(self) -> dict[str, str]:
        headers = {"User-Agent": self.policy.user_agent, "Accept": self.accept or DEFAULT_ACCEPT,
                   "Accept-Encoding": "gzip, deflate"}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers

    def answer(self, resp: requests.Response, connection: dict, guard: Guard) -> Fetched | None:
        """The outcome of one response, or None to follow its redirect (self.url is then the next hop)."""
        self.status = resp.status_code
        content_type = resp.headers.get("Content-Type")
        if self.status in _REDIRECTS:
            location = resp.headers.get("Location")
            if not location:
                return self.failed(f"http_{self.status}", f"HTTP {self.status} redirect without Location from "
                                   f"{_host(self.url)}")
            try:
                self.url = urljoin(self.url, location.strip())
            except ValueError as e:
                return self.failed("bad_url", f"Location {location!r}: {e}")
            return None
        if self.status == 304:
            connection["reuse"] = True  # no body: the keep-alive connection goes back to the pool
            return self.outcome(status=304, body=None, etag=resp.headers.get("ETag") or self.etag,
                                last_modified=resp.headers.get("Last-Modified") or self.last_modified,
                                content_type=content_type)
        if not 200 <= self.status < 300:
            retry_after = parse_retry_after(resp.headers.get("Retry-After"), self.policy.retry_after_cap_s)
            reason = f" {resp.reason}" if resp.reason else ""
            return self.failed(f"http_{self.status}", f"HTTP {self.status}{reason} from {_host(self.url)}",
                               retry_after, content_type)
        body = self.read_body(resp, guard, content_type)
        if isinstance(body, Fetched):
            return body
        connection["reuse"] = True  # read to the end: the connection can serve the next request
        return self.outcome(status=self.status, body=body, etag=resp.headers.get("ETag"),
                            last_modified=resp.headers.get("Last-Modified"), content_type=content_type)

    def read_body(self, resp: requests.Response, guard: Guard, content_type: str | None) -> bytes | Fetched:
        """The decoded body, or the failure that stopped reading it (too large, cut by the deadline)."""
        cap = self.policy.max_bytes
        declared = resp.headers.get("Content-Length", "").strip()
        if declared.isdigit() and int(declared) > cap:
            return self.failed("too_large", f"Content-Length {declared} > {cap}", None, content_type)
        chunks: list[bytes] = []
        try:
            # decode_content: the cap counts decoded bytes, and urllib3 (>= 2.6) inflates at most about one
            # chunk at a time, so a gzip bomb is refused without ever being inflated whole
            for chunk in resp.raw.stream(_CHUNK, decode_content=True):
                self.bytes_read += len(chunk)
                if self.bytes_read > cap:
                    return self.failed("too_large", f"body exceeds {cap} bytes", None, content_type)
                chunks.append(chunk)
                if guard.expired:
                    break
        except _NETWORK_ERRORS as e:
            return self.failed(*self.classify(e, guard), None, content_type)
        if guard.expired:  # the watchdog may have ended a close-delimited body early: not a body
            return self.failed("timeout", self.deadline_detail(), None, content_type)
        return b"".join(chunks)

    def deadline_detail(self) -> str:
        return (f"total deadline exceeded: no complete answer from {_host(self.url)} within "
                f"{self.policy.total_deadline_s:g} s")

    def classify(self, exc: BaseException, guard: Guard) -> tuple[str, str]:
        """Stable error key and the cause in words for an exception raised while talking to the server."""
        if guard.expired:
            return "timeout", self.deadline_detail()
        return _classify(exc, self.url)

    def outcome(self, **fields) -> Fetched:
        base = Fetched(source_id=self.source_id, url=self.url, status=self.status, body=None, etag=self.etag,
                       last_modified=self.last_modified, elapsed_s=time.monotonic() - self.started,
                       bytes_read=self.bytes_read)
        return replace(base, **fields)

    def failed(self, key: str, detail: str, retry_after_s: float | None = None,
               content_type: str | None = None) -> Fetched:
        return self.outcome(content_type=content_type, error=key, error_detail=detail, retry_after_s=retry_after_s)


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


def _host(url: str) -> str:
    try:
        parts = urlsplit(url)
        return parts.hostname or url
    except ValueError:
        return url


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and everything it wraps (urllib3's `reason`, causes, contexts, exception arguments)."""
    out: list[BaseException] = []
    todo: list[object] = [exc]
    while todo and len(out) < 20:
        e = todo.pop(0)
        if not isinstance(e, BaseException) or any(e is seen for seen in out):
            continue
        out.append(e)
        todo += [getattr(e, "reason", None), e.__cause__, e.__context__, *e.args]
    return out


def _first(causes: list[BaseException], *kinds: type) -> BaseException | None:
    return next((c for c in causes if isinstance(c, kinds)), None)


def _tls_reason(causes: list[BaseException]) -> str:
    verify = _first(causes, ssl.SSLCertVerificationError)
    if verify is not None and getattr(verify, "verify_message", None):
        return f"certificate verify failed: {verify.verify_message}"
    tls = _first(causes, ssl.SSLError)
    if tls is not None and getattr(tls, "reason", None):
        return str(tls.reason).lower().replace("_", " ")
    return str(causes[-1])[:200]


def _classify(exc: BaseException, url: str) -> tuple[str, str]:
    """Stable error key and the cause in words, with the host, for an exception raised while talking to it."""
    host = _host(url)
    try:
        port = urlsplit(url).port or _DEFAULT_PORTS.get(urlsplit(url).scheme.lower(), 0)
    except ValueError:
        port = 0
    causes = _causes(exc)
    if isinstance(exc, BlockedAddress):
        return "blocked_address", str(exc)
    if _first(causes, NameResolutionError, socket.gaierror) is not None:
        gai = _first(causes, socket.gaierror)
        why = f" ({gai.strerror})" if isinstance(gai, socket.gaierror) and gai.strerror else ""
        return "connection", f"DNS lookup failed for {host}{why}"
    if isinstance(exc, requests.exceptions.SSLError | SSLError) or _first(causes, ssl.SSLError) is not None:
        return "tls", f"TLS error with {host}: {_tls_reason(causes)}"
    if isinstance(exc, requests.exceptions.ConnectTimeout) or any(type(c) is ConnectTimeoutError for c in causes):
        # (urllib3's NewConnectionError, a refused connection for one, subclasses ConnectTimeoutError)
        return "timeout", f"timed out connecting to {host}:{port}"
    if isinstance(exc, requests.Timeout | ReadTimeoutError | TimeoutError):
        return "timeout", f"timed out waiting for {host} to answer"
    if isinstance(exc, requests.exceptions.ContentDecodingError | DecodeError):
        return "bad_content_encoding", f"the body from {host} does not decode as its Content-Encoding says"
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.InvalidSchema
                  | requests.exceptions.MissingSchema | ValueError | UnicodeError):
        return "bad_url", f"{url!r}: {exc}"[:300]
    if _first(causes, ConnectionRefusedError) is not None:
        return "connection", f"connection refused by {host}:{port}"
    if _first(causes, ConnectionResetError) is not None:
        return "connection", f"connection reset by {host}"
    if _first(causes, RemoteDisconnected) is not None:
        return "connection", f"{host} closed the connection without answering"
    if _first(causes, IncompleteRead, ProtocolError) is not None:
        return "connection", f"{host} closed the connection mid-answer"
    unreachable = _first(causes, OSError)
    if isinstance(unreachable, OSError) and unreachable.strerror:
        return "connection", f"cannot connect to {host}:{port}: {unreachable.strerror}"
    return "connection", f"cannot connect to {host}:{port}: {type(causes[-1]).__name__}"
