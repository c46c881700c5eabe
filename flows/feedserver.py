"""A loopback HTTP server that serves a timeline of items as RSS feeds, one feed per source, showing only
what was published by its clock. Used by the demo and the scorer (`tradewatch eval`): the real pipeline
polls it over real HTTP, tick by tick.
"""

from __future__ import annotations

import hashlib
import threading
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class TimelineItem:
    source: str
    guid: str
    url: str
    title: str
    published: datetime  # aware
    summary: str
    body: str


def render_rss(source: str, items: Iterable[TimelineItem]) -> bytes:
    entries = []
    for it in sorted(items, key=lambda i: i.published, reverse=True):
        paragraphs = "".join(f"<p>{escape(p)}</p>" for p in it.body.split("\n\n"))
        entries.append(
            "<item>"
            f"<title>{escape(it.title)}</title>"
            f"<link>{escape(it.url)}</link>"
            f'<guid isPermaLink="false">{escape(it.guid)}</guid>'
            f"<pubDate>{format_datetime(it.published)}</pubDate>"
            f"<description>{escape(it.summary)}</description>"
            f"<content:encoded><![CDATA[{paragraphs}]]></content:encoded>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{escape(source)}</title><link>http://example.invalid/{escape(source)}</link>"
        f"<description>{escape(source)} (tradewatch timeline)</description>"
        + "".join(entries)
        + "</channel></rss>"
    ).encode("utf-8")


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


class LoopbackFeedServer:
    """A loopback HTTP/1.1 (keep-alive) server for /feeds/<source>.xml with a strong ETag: If-None-Match with
    the current ETag gets 304, an unknown source 404. Subclasses say what each feed holds (`document`)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.requests = 0
        self.not_modified = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                server.requests += 1
                path = self.path.split("?", 1)[0]
                doc = None
                if path.startswith("/feeds/") and path.endswith(".xml"):
                    doc = server.document(path[len("/feeds/") : -len(".xml")])
                if doc is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body, etag = doc
                if self.headers.get("If-None-Match") == etag:
                    server.not_modified += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def document(self, source: str) -> tuple[bytes, str] | None:
        """The feed's body and ETag now, or None for an unknown source."""
        raise NotImplementedError

    @property
    def host_port(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"{host}:{port}"

    def url(self, source: str) -> str:
        return f"http://{self.host_port}/feeds/{source}.xml"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class TimelineServer(LoopbackFeedServer):
    """Serves each source's items published at or before `now` (set it before each tick)."""

    def __init__(self, items: Iterable[TimelineItem], host: str = "127.0.0.1", port: int = 0):
        self.items = list(items)
        self.sources = sorted({i.source for i in self.items})
        self.now = datetime.min.replace(tzinfo=UTC)
        super().__init__(host, port)

    def document(self, source: str) -> tuple[bytes, str] | None:
        if source not in self.sources:
            return None
        body = render_rss(source, [i for i in self.items if i.source == source and i.published <= self.now])
        return body, strong_etag(body)


def ticks_for(items: Iterable[TimelineItem], *, every_hours: float | None = None) -> list[datetime]:
    """The instants to run a cycle at: just after each distinct publication time, or on a fixed grid (plus the
    last publication) leaving out the grid instants with nothing published since the one before: a cycle there
    would find nothing new."""
    times = sorted({i.published.astimezone(UTC) for i in items})
    if not times:
        return []
    if every_hours is None:
        return times
    grid, t = [], times[0]
    while t <= times[-1]:
        grid.append(t)
        t += timedelta(hours=every_hours)
    grid.append(times[-1])
    out, seen = [], 0  # seen: how many publication times the ticks so far cover
    for tick in grid:
        covered = bisect_right(times, tick)
        if covered > seen or not out:
            out.append(tick)
        seen = covered
    return out


def write_config(path, server: TimelineServer, warehouse: str, *, channel: str = "#trade-watch",
                 extra: str = "") -> None:
    """A tradewatch.toml that polls every source of the timeline server."""
    lines = [
        "[warehouse]", f'path = "{warehouse}"', "",
        "[fetch]", f'allow_hosts = ["{server.host_port}"]', "",
        "[slack]", f'channel = "{channel}"', "",
        "[alerts]", "max_item_age_hours = 72", "",
    ]
    for source in server.sources:
        lines += ["[[sources]]", f'id = "{source}"', 'kind = "feed"', f'url = "{server.url(source)}"', ""]
    path.write_text("\n".join(lines) + extra, encoding="utf-8")
