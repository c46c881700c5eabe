"""fetch() against real loopback servers: every outcome in the vocabulary, and the address guard.

A safety net refuses any socket connect to an address other than 127.0.0.1, so even a broken guard can
never make this suite touch another address: such a test fails with error="connection" instead.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
import tracemalloc
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import unquote

import pytest
import requests

from tasks.sources.guard import is_public_address
from tasks.sources.http import FetchPolicy, fetch, make_session, parse_retry_after
from tests.support.hostile_server import (
    HostileServer,
    drip,
    endless,
    gzip_bomb,
    hang,
    redirect,
    respond,
    serve_gzip,
)

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
ETAG = '"v1"'
LAST_MODIFIED = "Tue, 01 Jul 2025 10:00:00 GMT"
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def only_loopback_connects(monkeypatch):
    real_connect = socket.socket.connect

    def connect(self, address):
        if address[0] != "127.0.0.1":
            raise ConnectionRefusedError(f"test safety net: refusing to connect to {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture(scope="module")
def server():
    with HostileServer() as srv:
        stop = srv.stopping

        def feed(h):
            if h.headers.get("If-None-Match") == ETAG or h.headers.get("If-Modified-Since") == LAST_MODIFIED:
                respond(h, 304, b"", {"ETag": ETAG})
            else:
                headers = {
                    "Content-Type": "application/rss+xml",
                    "ETag": ETAG,
                    "Last-Modified": LAST_MODIFIED,
                }
                respond(h, 200, RSS, headers)

        srv.route("/feed", feed)
        for code in (404, 410, 500):
            srv.route(f"/status/{code}", lambda h, code=code: respond(h, code, b"nope"))
        srv.route("/status/429", lambda h: respond(h, 429, b"", {"Retry-After": "120"}))
        srv.route("/status/429-huge", lambda h: respond(h, 429, b"", {"Retry-After": "99999999"}))
        in_an_hour = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
        srv.route("/status/503", lambda h: respond(h, 503, b"", {"Retry-After": in_an_hour}))
        srv.route("/drip", lambda h: drip(h, RSS, 0.5, stop))
        srv.route("/hang", lambda h: hang(h, stop))
        bomb = gzip_bomb(50 * MB)
        srv.route("/bomb/length", lambda h: serve_gzip(h, bomb, declare_length=True))
        srv.route("/bomb/close", lambda h: serve_gzip(h, bomb, declare_length=False))
        srv.route("/huge/length", lambda h: endless(h, 100 * MB, declare_length=True, stopping=stop))
        srv.route("/huge/chunked", lambda h: endless(h, 100 * MB, declare_length=False, stopping=stop))
        srv.route("/loop/a", lambda h: redirect(h, "/loop/b"))
        srv.route("/loop/b", lambda h: redirect(h, srv.url("/loop/a"), 301))

        def hops(h):
            left = int(h.path.rsplit("/", 1)[1])
            if left:
                redirect(h, f"/hop/{left - 1}", 307)
            else:
                respond(h, 200, RSS, {"Content-Type": "application/rss+xml"})

        srv.route("/hop/", hops)
        srv.route("/to", lambda h: redirect(h, unquote(h.path.split("?", 1)[1])))
        srv.route("/no-location", lambda h: respond(h, 302, b""))
        srv.route(
            "/bad-gzip", lambda h: serve_gzip(h, b"\x1f\x8b\x08\x00this is not deflate", declare_length=True)
        )
        yield srv


@pytest.fixture(scope="module")
def session():
    with make_session() as s:
        yield s


def policy_for(server, **overrides):
    return FetchPolicy(allow_hosts=frozenset({server.host_port}), **overrides)


def get(server, session, path, *, etag=None, last_modified=None, **policy):
    url = server.url(path) if path.startswith("/") else path
    return fetch(
        "src",
        url,
        etag=etag,
        last_modified=last_modified,
        session=session,
        policy=policy_for(server, **policy),
    )


# --- the ordinary outcomes -------------------------------------------------------------------------------


def test_200_returns_the_body_validators_and_measurements(server, session):
    got = get(server, session, "/feed")
    assert got.error is None and got.modified
    assert (got.status, got.body, got.etag, got.last_modified) == (200, RSS, ETAG, LAST_MODIFIED)
    assert got.content_type == "application/rss+xml"
    assert got.url == server.url("/feed")
    assert got.bytes_read == len(RSS)
    assert got.elapsed_s > 0


def test_304_on_matching_etag_keeps_validators_and_sends_if_none_match(server, session):
    got = get(server, session, "/feed", etag=ETAG, last_modified="Mon, 30 Jun 2025 00:00:00 GMT")
    assert (got.status, got.body, got.modified, got.error) == (304, None, False, None)
    assert got.etag == ETAG and got.last_modified == "Mon, 30 Jun 2025 00:00:00 GMT"
    assert server.requests[-1][1]["If-None-Match"] == ETAG


def test_304_on_matching_last_modified_sends_if_modified_since(server, session):
    got = get(server, session, "/feed", etag='"stale"', last_modified=LAST_MODIFIED)
    assert (got.status, got.modified) == (304, False)
    assert got.etag == ETAG  # the server's current validator wins over the one we sent
    assert got.last_modified == LAST_MODIFIED
    assert server.requests[-1][1]["If-Modified-Since"] == LAST_MODIFIED


@pytest.mark.parametrize("code", [404, 410, 500])
def test_http_errors_are_values_and_keep_the_old_validators(server, session, code):
    got = get(server, session, f"/status/{code}", etag=ETAG, last_modified=LAST_MODIFIED)
    assert (got.error, got.status, got.body) == (f"http_{code}", code, None)
    assert not got.modified
    assert (got.etag, got.last_modified) == (ETAG, LAST_MODIFIED)


def test_429_retry_after_seconds(server, session):
    got = get(server, session, "/status/429")
    assert (got.error, got.retry_after_s) == ("http_429", 120.0)


def test_retry_after_is_capped(server, session):
    got = get(server, session, "/status/429-huge", retry_after_cap_s=600)
    assert got.retry_after_s == 600


def test_503_retry_after_http_date(server, session):
    got = get(server, session, "/status/503")
    assert got.error == "http_503"
    assert 3500 < got.retry_after_s <= 3600


def test_retry_after_parsing_edge_cases():
    now = datetime(2025, 7, 1, 12, tzinfo=UTC)
    assert parse_retry_after("Tue, 01 Jul 2025 11:00:00 GMT", 100, now) == 0  # in the past
    assert parse_retry_after("soon", 100, now) is None
    assert parse_retry_after(None, 100, now) is None
    assert parse_retry_after("7" * 5000, 100, now) == 100


# --- slow, hung and oversized servers -------------------------------------------------------------------


def test_slow_drip_is_cut_at_the_total_deadline(server, session):
    got = get(server, session, "/drip", total_deadline_s=1.5)
    assert (got.error, got.body) == ("timeout", None)
    assert got.elapsed_s < 10  # generous: it is the error that matters, not the stopwatch


def test_each_fetch_is_cut_at_its_own_deadline_however_they_overlap(server, session):
    """One watchdog keeps every deadline: a later fetch with a shorter deadline is cut first, the other later."""
    outcomes = {}
    longer = threading.Thread(target=lambda: outcomes.update(longer=get(server, make_session(), "/drip",
                                                                        total_deadline_s=4.0)))
    longer.start()
    shorter = get(server, session, "/drip", total_deadline_s=0.5)
    still_running = longer.is_alive()
    longer.join(timeout=30)
    assert shorter.error == "timeout" and still_running
    assert outcomes["longer"].error == "timeout" and outcomes["longer"].elapsed_s > shorter.elapsed_s


def test_a_name_that_does_not_resolve_in_time_is_cut_at_the_total_deadline(server, session, monkeypatch):
    """DNS is part of the request: a resolver that does not answer (getaddrinfo blocks in the C library,
    where no socket can be shut down) ends the fetch at its total deadline, not when the resolver gives up."""
    real_getaddrinfo = socket.getaddrinfo
    answer = threading.Event()  # set when the test ends
    lookups = {"started": 0, "ended": 0}

    def getaddrinfo(host, *args, **kwargs):
        if host != "slow-dns.example":
            return real_getaddrinfo(host, *args, **kwargs)
        lookups["started"] += 1
        try:
            answer.wait(8)  # a resolver's retries, then it gives up
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        finally:
            lookups["ended"] += 1

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    try:
        got = fetch("src", "http://slow-dns.example/feed", etag=None, last_modified=None, session=session,
                    policy=FetchPolicy(total_deadline_s=1.0))
        resolving_when_fetch_returned = lookups["started"] - lookups["ended"]
    finally:
        answer.set()
    assert resolving_when_fetch_returned == 1  # the fetch did not wait for the resolver
    assert (got.error, got.status, got.error_detail) == (
        "timeout", None, "total deadline exceeded: no complete answer from slow-dns.example within 1 s")


def test_hung_server_times_out(server, session):
    got = get(server, session, "/hang", read_timeout_s=1.0, total_deadline_s=2.0)
    assert (got.error, got.status) == ("timeout", None)
    assert got.elapsed_s < 10


@pytest.mark.parametrize("path", ["/bomb/length", "/bomb/close"])
def test_gzip_bomb_is_refused_past_the_decoded_cap_without_inflating_it(server, session, path):
    tracemalloc.start()
    try:
        got = get(server, session, path, max_bytes=1 * MB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (got.error, got.body) == ("too_large", None)
    assert 1 * MB < got.bytes_read <= 1 * MB + 1 * MB
    assert peak < 16 * MB  # the bomb inflates to 50 MB


def test_declared_content_length_over_the_cap_is_refused_before_reading(server, session):
    got = get(server, session, "/huge/length", max_bytes=1 * MB)
    assert (got.error, got.bytes_read) == ("too_large", 0)
    assert "Content-Length" in got.error_detail


def test_chunked_body_over_the_cap_is_cut(server, session):
    got = get(server, session, "/huge/chunked", max_bytes=1 * MB)
    assert got.error == "too_large"
    assert 1 * MB < got.bytes_read <= 2 * MB


def test_corrupt_gzip_is_a_bad_content_encoding(server, session):
    assert get(server, session, "/bad-gzip").error == "bad_content_encoding"


def test_connection_refused(server, session):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the fetch: nothing listens there
    got = fetch(
        "src",
        f"http://127.0.0.1:{port}/",
        etag=None,
        last_modified=None,
        session=session,
        policy=FetchPolicy(allow_hosts=frozenset({f"127.0.0.1:{port}"})),
    )
    assert (got.error, got.status) == ("connection", None)


# --- redirects -------------------------------------------------------------------------------------------


def test_redirect_loop(server, session):
    assert get(server, session, "/loop/a").error == "redirect_loop"


def test_six_hops_are_too_many(server, session):
    got = get(server, session, "/hop/6")
    assert got.error == "too_many_redirects"


def test_five_hops_are_followed_and_the_final_url_recorded(server, session):
    got = get(server, session, "/hop/5")
    assert (got.error, got.status, got.body) == (None, 200, RSS)
    assert got.url == server.url("/hop/0")


def test_redirect_without_location(server, session):
    assert get(server, session, "/no-location").error == "http_302"


@pytest.mark.parametrize(
    ("target", "key"),
    [
        ("http://127.0.0.2:{port2}/feed", "blocked_address"),
        ("http://0.0.0.0:{port}/feed", "blocked_address"),
        ("http://2130706433:{port}/feed", "blocked_address"),
        ("http://[::ffff:127.0.0.1]:{port}/feed", "blocked_address"),
        ("http://[::1]:{port}/feed", "blocked_address"),
        ("http://169.254.169.254/latest/meta-data/", "blocked_address"),
        ("http://localhost:{port}/feed", "blocked_address"),  # allow_hosts is exact: 127.0.0.1 only
        ("file:///etc/passwd", "blocked_scheme"),
        ("gopher://127.0.0.1:{port}/_x", "blocked_scheme"),
        ("ftp://127.0.0.1:{port}/x", "blocked_scheme"),
        ("http://[::1/feed", "bad_url"),
    ],
)
def test_redirect_to_a_forbidden_target_is_refused(server, session, target, key):
    target = target.format(port=server.port, port2=server.port + 1)
    before = len(server.requests)
    got = get(server, session, f"/to?{target}")
    assert got.error == key, got.error_detail
    assert got.url == target or key == "bad_url"
    assert len(server.requests) == before + 1  # only the redirect itself reached a server


@pytest.mark.parametrize("url", ["http://127.0.0.1:{port}/feed", "http://169.254.169.254/"])
def test_private_addresses_are_refused_without_allow_hosts(server, session, url):
    got = fetch(
        "src",
        url.format(port=server.port),
        etag=None,
        last_modified=None,
        session=session,
        policy=FetchPolicy(),
    )
    assert got.error == "blocked_address"


def test_kept_alive_connection_is_checked_again_under_a_stricter_policy(server, session):
    assert get(server, session, "/feed").error is None  # leaves a pooled connection to 127.0.0.1
    got = fetch(
        "src", server.url("/feed"), etag=None, last_modified=None, session=session, policy=FetchPolicy()
    )
    assert got.error == "blocked_address"


@pytest.mark.parametrize("url", ["feed.xml", "http:///nohost", "http://127.0.0.1:99999/"])
def test_bad_urls(session, url):
    got = fetch("src", url, etag=None, last_modified=None, session=session, policy=FetchPolicy())
    assert got.error == "bad_url"


def test_a_session_without_the_guard_is_refused(server):
    with requests.Session() as plain, pytest.raises(TypeError):
        fetch("src", server.url("/feed"), etag=None, last_modified=None, session=plain, policy=FetchPolicy())


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("2002:7f00:1::", False),  # 6to4 wrapping 127.0.0.1
    ],
)
def test_is_public_address(address, public):
    assert is_public_address(address) is public


# --- TLS -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl not available to make a self-signed certificate")
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def tls_server(certificate):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    with HostileServer(tls=context) as srv:
        srv.route("/feed", lambda h: respond(h, 200, RSS, {"Content-Type": "application/rss+xml"}))
        srv.route("/drip", lambda h: drip(h, RSS, 0.5, srv.stopping))
        yield srv


def tls_fetch(server, session, path, **policy):
    policy = FetchPolicy(allow_hosts=frozenset({server.host_port}), **policy)
    return fetch("src", server.url(path), etag=None, last_modified=None, session=session, policy=policy)


def test_untrusted_certificate_is_a_tls_error(tls_server, session):
    got = tls_fetch(tls_server, session, "/feed")
    assert got.error == "tls", got.error_detail


def test_https_with_a_trusted_certificate_goes_through_the_guard(tls_server, certificate):
    with make_session() as trusting:
        trusting.verify = str(certificate[0])
        got = tls_fetch(tls_server, trusting, "/feed")
        assert (got.error, got.status, got.body) == (None, 200, RSS)
        refused = fetch(
            "src",
            tls_server.url("/feed"),
            etag=None,
            last_modified=None,
            session=trusting,
            policy=FetchPolicy(),
        )
        assert refused.error == "blocked_address"


def test_slow_drip_over_tls_is_cut_at_the_total_deadline(tls_server, certificate):
    with make_session() as trusting:
        trusting.verify = str(certificate[0])
        got = tls_fetch(tls_server, trusting, "/drip", total_deadline_s=1.5)
    assert (got.error, got.body) == ("timeout", None)
    assert got.elapsed_s < 10


@pytest.fixture
def tls_handshake_dripper():
    """Accepts TCP, then answers the ClientHello one byte every 0.5 s: a handshake that never ends."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        conn, _ = listener.accept()
        with conn:
            record = b"\x16\x03\x03\x40\x00" + bytes(16384)  # a handshake record announcing 16 KiB
            for byte in record:
                if stop.wait(0.5):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    listener.close()
    thread.join(5)


def test_slow_drip_during_the_tls_handshake_is_cut_at_the_total_deadline(session, tls_handshake_dripper):
    port = tls_handshake_dripper
    policy = FetchPolicy(allow_hosts=frozenset({f"127.0.0.1:{port}"}), total_deadline_s=1.5)
    got = fetch(
        "src", f"https://127.0.0.1:{port}/", etag=None, last_modified=None, session=session, policy=policy
    )
    assert got.error == "timeout", got.error_detail
    assert got.elapsed_s < 10
