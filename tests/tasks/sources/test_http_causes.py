"""A failed fetch names its cause in words a user can act on, with the host (the stable error keys stay)."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess

import pytest

from tasks.sources.http import FetchPolicy, fetch, make_session
from tests.support.hostile_server import HostileServer, hang, respond


@pytest.fixture(scope="module")
def session():
    with make_session() as s:
        yield s


def fetch_url(session, url: str, allow: str | None = None, **policy):
    return fetch("src", url, etag=None, last_modified=None, session=session,
                 policy=FetchPolicy(allow_hosts=frozenset({allow} if allow else ()), **policy))


def test_a_name_that_does_not_resolve_says_dns_and_the_host(session, monkeypatch):
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == "www.federalregister.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    got = fetch_url(session, "https://www.federalregister.invalid/api/v1/documents.json?conditions%5Btype%5D=x")
    assert got.error == "connection"
    assert got.error_detail == "DNS lookup failed for www.federalregister.invalid (Name or service not known)"


def test_a_refused_connection_says_refused_with_host_and_port(session):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    got = fetch_url(session, f"http://127.0.0.1:{port}/feed", allow=f"127.0.0.1:{port}")
    assert (got.error, got.error_detail) == ("connection", f"connection refused by 127.0.0.1:{port}")


def test_an_http_status_says_status_reason_and_host(session):
    with HostileServer() as srv:
        srv.route("/gone", lambda h: respond(h, 503, b"down"))
        got = fetch_url(session, srv.url("/gone"), allow=srv.host_port)
    assert (got.error, got.error_detail) == ("http_503", "HTTP 503 Service Unavailable from 127.0.0.1")


def test_a_server_that_never_answers_says_timed_out_and_the_host(session):
    with HostileServer() as srv:
        srv.route("/hang", lambda h: hang(h, srv.stopping))
        got = fetch_url(session, srv.url("/hang"), allow=srv.host_port, read_timeout_s=0.5, total_deadline_s=5)
    assert (got.error, got.error_detail) == ("timeout", "timed out waiting for 127.0.0.1 to answer")


def test_an_untrusted_certificate_says_tls_and_why(session, tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl not available to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out",
                    str(cert)], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with HostileServer(tls=context) as srv:
        srv.route("/feed", lambda h: respond(h, 200, b"<rss/>"))
        got = fetch_url(session, srv.url("/feed"), allow=srv.host_port)
    assert got.error == "tls"
    assert got.error_detail.startswith("TLS error with 127.0.0.1: certificate verify failed: self")
    assert "Pool" not in got.error_detail and "Max retries" not in got.error_detail
