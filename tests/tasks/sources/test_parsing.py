"""Hostile input against the bounded parser: time and memory limits, a pool that survives its casualties,
and whole documents fetched from a loopback server and parsed as the monitor would.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import UTC, datetime

import pytest

from tasks.sources.feeds import parse_feed
from tasks.sources.http import FetchPolicy, fetch, make_session
from tasks.sources.parsing import ParserPool, parse_feed_bounded
from tests.support.hostile_server import HostileServer, respond, serve_gzip
from tests.support.paths import FIXTURES as ALL_FIXTURES

NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)
FIXTURES = ALL_FIXTURES / "feeds"
SMALL = b'<rss version="2.0"><channel><title>T</title><item><title>ok</title><guid>1</guid></item></channel></rss>'


def big_feed(entries: int) -> bytes:
    """Large but perfectly legal: many ordinary entries."""
    item = (
        "<item><title>Item {i}: tariff talks</title><link>https://example.com/{i}</link><guid>{i}</guid>"
        "<description>&lt;p&gt;Paragraph {i} about the talks.&lt;/p&gt;</description></item>"
    )
    items = "".join(item.format(i=i) for i in range(entries))
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()
    )


def _alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


@pytest.fixture(scope="module")
def pool():
    with ParserPool(2, timeout_s=20, memory_mb=256) as p:
        yield p


def test_pool_results_equal_in_process_results(pool):
    body = (FIXTURES / "rss20_basic.xml").read_bytes()
    assert pool.parse(body, source_id="s", now=NOW) == parse_feed(body, source_id="s", now=NOW)


def test_a_parse_over_time_is_killed_and_the_pool_keeps_working(pool):
    slow = big_feed(30_000)  # takes seconds to parse; far more than the 0.3 s allowed
    result = pool.parse(slow, source_id="s", now=NOW, timeout_s=0.3)
    assert (result.error, result.items) == ("parse_timeout", ())
    for _ in range(3):  # both workers, including the replacement
        assert [i.title for i in pool.parse(SMALL, source_id="s", now=NOW).items] == ["ok"]


def test_a_parse_over_memory_is_an_error_value_and_the_pool_keeps_working():
    huge = b'<rss version="2.0"><channel><item><title>x</title><description>'
    huge += b"a" * (48 * 1024 * 1024) + b"</description></item></channel></rss>"
    with ParserPool(1, timeout_s=30, memory_mb=150) as small_pool:
        result = small_pool.parse(huge, source_id="s", now=NOW)
        assert (result.error, result.items) == ("parse_memory", ())
        assert small_pool.parse(SMALL, source_id="s", now=NOW).items[0].title == "ok"


def test_a_worker_killed_while_idle_is_replaced_transparently():
    with ParserPool(1, timeout_s=20) as p:
        assert p.parse(SMALL, source_id="s", now=NOW).error is None
        (pid,) = p.workers.pids()
        os.kill(pid, signal.SIGKILL)
        while p.workers.pids() == [pid] and _alive(pid):
            time.sleep(0.01)
        assert p.parse(SMALL, source_id="s", now=NOW).items[0].title == "ok"


def test_closing_without_waiting_returns_at_once_and_every_worker_still_exits():
    p = ParserPool(2, timeout_s=20)
    p.workers.start()
    assert p.parse(SMALL, source_id="s", now=NOW).error is None
    pids = p.workers.pids()
    assert len(pids) == 2 and all(_alive(pid) for pid in pids)
    started = time.monotonic()
    p.close(wait=False)
    assert time.monotonic() - started < 0.5  # the waiting is left to a thread
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any(_alive(pid) for pid in pids)


def test_a_pool_started_small_adds_a_worker_only_when_a_feed_stalls_it():
    """ParserPool(2, start=1): quick feeds share one worker; a feed that holds it for over stall_s gets the
    next caller a second worker, so the others are not held up; a worker killed for its time is not replaced
    beyond the one that starts."""
    with ParserPool(2, start=1, stall_s=0.3, timeout_s=20) as p:
        for _ in range(6):
            assert p.parse(SMALL, source_id="s", now=NOW).items[0].title == "ok"
        assert len(p.workers.pids()) == 1
        slow: dict = {}
        thread = threading.Thread(target=lambda: slow.update(r=p.parse(big_feed(30_000), source_id="s", now=NOW)))
        thread.start()
        deadline = time.monotonic() + 30
        while p.workers.busy() == 0 and time.monotonic() < deadline:
            time.sleep(0.01)  # until the slow feed has the one worker (however loaded the machine is)
        assert p.parse(SMALL, source_id="s", now=NOW).items[0].title == "ok"
        assert thread.is_alive() and len(p.workers.pids()) == 2  # done while the slow feed is still being parsed
        thread.join(60)
        assert len(slow["r"].items) == 30_000
        before = set(p.workers.pids())
        assert p.parse(big_feed(30_000), source_id="s", now=NOW, timeout_s=0.3).error == "parse_timeout"
        after = set(p.workers.pids())
        assert len(after) == 1 and after < before  # the killed one is not replaced: one is left
        assert p.parse(SMALL, source_id="s", now=NOW).items[0].title == "ok"


def test_the_pool_is_thread_safe(pool):
    bodies = {n: big_feed(n) for n in range(1, 9)}
    counts: dict[int, int] = {}

    def work(n: int) -> None:
        counts[n] = len(pool.parse(bodies[n], source_id="s", now=NOW).items)

    threads = [threading.Thread(target=work, args=(n,)) for n in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert counts == {n: n for n in bodies}


def test_bounded_parse_of_entity_bombs_is_refused_up_front():
    body = (FIXTURES / "billion_laughs.xml").read_bytes()
    assert parse_feed_bounded(body, source_id="s", now=NOW, timeout_s=5).error == "xml_entities"


def test_deeply_nested_markup_is_an_error_value_or_a_feed_never_a_crash(pool):
    nested = b"<div>" * 200_000 + b"deep" + b"</div>" * 200_000
    body = b'<rss version="2.0"><channel><title>T</title><item><title>n</title><guid>n</guid><description>'
    body += nested.replace(b"<", b"&lt;").replace(b">", b"&gt;") + b"</description></item></channel></rss>"
    result = pool.parse(body, source_id="s", now=NOW, timeout_s=20)
    assert result.error in (None, "parse_timeout", "parse_memory", "parse_failed")
    if result.error is None:
        assert result.items[0].body == "deep"


# --- fetched, then parsed ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    with HostileServer() as srv:
        bomb = (FIXTURES / "billion_laughs.xml").read_bytes()
        srv.route("/laughs", lambda h: respond(h, 200, bomb, {"Content-Type": "application/rss+xml"}))
        page = (FIXTURES / "html_page.html").read_bytes()
        srv.route("/html", lambda h: respond(h, 200, page, {"Content-Type": "text/html; charset=utf-8"}))
        latin = (FIXTURES / "charset_http_utf8_xml_latin1.xml").read_bytes()
        srv.route(
            "/latin", lambda h: respond(h, 200, latin, {"Content-Type": "application/rss+xml; charset=utf-8"})
        )
        import gzip

        feed = gzip.compress((FIXTURES / "atom10_basic.xml").read_bytes())
        srv.route("/gz", lambda h: serve_gzip(h, feed, declare_length=True))
        yield srv


@pytest.mark.parametrize(
    ("path", "error", "titles"),
    [
        ("/laughs", "xml_entities", []),
        ("/html", "not_a_feed", []),
        ("/latin", None, ["Café crème, Zürich"]),
        ("/gz", None, ["Korea-US 2+2 trade talks", "Plain & simple"]),
    ],
)
def test_fetched_then_parsed(server, pool, path, error, titles):
    with make_session() as session:
        got = fetch(
            "src",
            server.url(path),
            etag=None,
            last_modified=None,
            session=session,
            policy=FetchPolicy(allow_hosts=frozenset({server.host_port})),
        )
    assert got.error is None and got.body
    result = pool.parse(got.body, source_id="src", now=NOW, content_type=got.content_type, base_url=got.url)
    assert result.error == error
    assert [i.title for i in result.items] == titles
