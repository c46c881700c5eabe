"""tradewatch.toml: load and validate. Errors name the bad key and say what was expected."""

from __future__ import annotations

import contextlib
import ipaddress
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SOURCE_KINDS = ("feed", "federal_register", "ustr")


class ConfigError(ValueError):
    """A config file that cannot be used. The message names the key: 'sources[3].url: not an http(s) URL'."""


@dataclass(frozen=True)
class SourceConfig:
    id: str
    kind: str
    url: str
    every_minutes: int = 10  # polling period: failing for 3x longer raises one ops alert
    enabled: bool = True
    expect_items_hours: float | None = None  # no new item for this long raises one ops alert (source_silent)


@dataclass(frozen=True)
class Route:
    channel: str
    countries: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class SlackConfig:
    channel: str | None = None
    routes: tuple[Route, ...] = ()
    token_secret_block: str | None = None  # name of a Prefect Secret block holding the bot token
    pace_s: float = 1.0  # at most one message per second per channel
    digest_channel: str | None = None


@dataclass(frozen=True)
class FetchConfig:
    allow_hosts: frozenset[str] = frozenset()
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 10.0
    total_deadline_s: float = 30.0
    max_bytes: int = 10 * 1024 * 1024
    max_items_per_source: int = 500  # bounded work per run; the rest waits for the next run
    parse_timeout_s: float = 10.0
    parse_memory_mb: int = 512


@dataclass(frozen=True)
class AlertConfig:
    max_item_age_hours: float = 72.0  # older items update the warehouse but raise no alert
    max_per_run: int = 50  # beyond this a run posts one digest line instead of a flood


@dataclass(frozen=True)
class Config:
    path: Path
    warehouse_path: Path
    sources: tuple[SourceConfig, ...]
    fetch: FetchConfig = field(default_factory=FetchConfig)
    slack: SlackConfig = field(default_factory=SlackConfig)
    alerts: AlertConfig = field(default_factory=AlertConfig)
    extract: dict[str, Any] = field(default_factory=dict)

    @property
    def snapshot_path(self) -> Path:
        from warehouse.db import snapshot_path

        return snapshot_path(self.warehouse_path)


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _expect(cond: bool, key: str, message: str) -> None:
    if not cond:
        raise ConfigError(f"{key}: {message}")


def _table(raw: dict, key: str) -> dict:
    value = raw.get(key, {})
    _expect(isinstance(value, dict), key, "must be a table, e.g. [" + key + "]")
    return value


def _unknown(table: dict, known: set[str], where: str) -> None:
    extra = sorted(set(table) - known)
    if extra:
        raise ConfigError(f"{where}{extra[0]}: unknown key (expected one of: {', '.join(sorted(known))})")


def _number(table: dict, key: str, where: str, default, *, minimum=0):
    value = table.get(key, default)
    _expect(
        isinstance(value, int | float) and not isinstance(value, bool) and value >= minimum,
        f"{where}{key}",
        f"must be a number >= {minimum}, got {value!r}",
    )
    return value


def _host_port(value: Any, key: str) -> str:
    _expect(isinstance(value, str), key, "must be a string 'host:port'")
    host, sep, port = value.rpartition(":")
    _expect(
        bool(sep) and port.isdigit() and 0 < int(port) < 65536 and bool(host),
        key,
        f"{value!r} is not 'host:port' (the exact host and port to exempt, e.g. '127.0.0.1:8080')",
    )
    host = host.strip("[]").lower()
    with contextlib.suppress(ValueError):
        host = str(ipaddress.ip_address(host))
    return f"{host}:{int(port)}"


def _countries(value: Any, key: str) -> tuple[str, ...]:
    _expect(
        isinstance(value, list) and all(isinstance(v, str) for v in value), key, "must be a list of codes"
    )
    for v in value:
        _expect(
            v == "EU" or (len(v) == 2 and v.isalpha() and v.isupper()),
            key,
            f"{v!r} is not an ISO 3166-1 alpha-2 code or 'EU'",
        )
    return tuple(value)


def parse_config(raw: dict, path: Path) -> Config:
    _unknown(raw, {"warehouse", "fetch", "slack", "alerts", "sources", "extract"}, "")
    base = path.parent

    wh = _table(raw, "warehouse")
    _unknown(wh, {"path"}, "warehouse.")
    wh_path = wh.get("path", "tradewatch.duckdb")
    _expect(isinstance(wh_path, str) and wh_path.strip() != "", "warehouse.path", "must be a file path")
    warehouse_path = Path(wh_path).expanduser()
    if not warehouse_path.is_absolute():
        warehouse_path = base / warehouse_path

    f = _table(raw, "fetch")
    known_fetch = {
        "allow_hosts",
        "connect_timeout_s",
        "read_timeout_s",
        "total_deadline_s",
        "max_bytes",
        "max_items_per_source",
        "parse_timeout_s",
        "parse_memory_mb",
    }
    _unknown(f, known_fetch, "fetch.")
    hosts = f.get("allow_hosts", [])
    _expect(isinstance(hosts, list), "fetch.allow_hosts", "must be a list of 'host:port' strings")
    fetch = FetchConfig(
        allow_hosts=frozenset(_host_port(h, f"fetch.allow_hosts[{i}]") for i, h in enumerate(hosts)),
        connect_timeout_s=_number(f, "connect_timeout_s", "fetch.", 5.0),
        read_timeout_s=_number(f, "read_timeout_s", "fetch.", 10.0),
        total_deadline_s=_number(f, "total_deadline_s", "fetch.", 30.0),
        max_bytes=int(_number(f, "max_bytes", "fetch.", 10 * 1024 * 1024, minimum=1024)),
        max_items_per_source=int(_number(f, "max_items_per_source", "fetch.", 500, minimum=1)),
        parse_timeout_s=_number(f, "parse_timeout_s", "fetch.", 10.0),
        parse_memory_mb=int(_number(f, "parse_memory_mb", "fetch.", 512, minimum=64)),
    )

    s = _table(raw, "slack")
    _unknown(s, {"channel", "routes", "token_secret_block", "pace_s", "digest_channel"}, "slack.")
    for key in ("channel", "token_secret_block", "digest_channel"):
        _expect(
            s.get(key) is None or (isinstance(s[key], str) and s[key].strip() != ""),
            f"slack.{key}",
            "must be a non-empty string",
        )
    routes = []
    raw_routes = s.get("routes", [])
    _expect(isinstance(raw_routes, list), "slack.routes", "must be an array of tables [[slack.routes]]")
    for i, r in enumerate(raw_routes):
        where = f"slack.routes[{i}]."
        _expect(isinstance(r, dict), f"slack.routes[{i}]", "must be a table")
        _unknown(r, {"channel", "countries", "sources"}, where)
        _expect(
            isinstance(r.get("channel"), str) and r["channel"].strip() != "",
            where + "channel",
            "is required: the channel this rule sends to",
        )
        srcs = r.get("sources", [])
        _expect(
            isinstance(srcs, list) and all(isinstance(x, str) for x in srcs),
            where + "sources",
            "must be a list of source ids",
        )
        routes.append(
            Route(
                channel=r["channel"],
                countries=_countries(r.get("countries", []), where + "countries"),
                sources=tuple(srcs),
            )
        )
    slack = SlackConfig(
        channel=s.get("channel"),
        routes=tuple(routes),
        token_secret_block=s.get("token_secret_block"),
        pace_s=_number(s, "pace_s", "slack.", 1.0),
        digest_channel=s.get("digest_channel"),
    )

    a = _table(raw, "alerts")
    _unknown(a, {"max_item_age_hours", "max_per_run"}, "alerts.")
    alerts = AlertConfig(
        max_item_age_hours=_number(a, "max_item_age_hours", "alerts.", 72.0),
        max_per_run=int(_number(a, "max_per_run", "alerts.", 50, minimum=1)),
    )

    raw_sources = raw.get("sources", [])
    _expect(isinstance(raw_sources, list), "sources", "must be an array of tables [[sources]]")
    sources: list[SourceConfig] = []
    seen: set[str] = set()
    for i, src in enumerate(raw_sources):
        where = f"sources[{i}]."
        _expect(isinstance(src, dict), f"sources[{i}]", "must be a table")
        _unknown(src, {"id", "kind", "url", "every_minutes", "enabled", "expect_items_hours"}, where)
        sid = src.get("id")
        _expect(isinstance(sid, str) and sid.strip() != "", where + "id", "is required (a short unique name)")
        _expect(sid not in seen, where + "id", f"{sid!r} is used by an earlier source; ids must be unique")
        seen.add(sid)
        kind = src.get("kind", "feed")
        _expect(kind in SOURCE_KINDS, where + "kind", f"{kind!r} is not one of {', '.join(SOURCE_KINDS)}")
        url = src.get("url")
        _expect(isinstance(url, str) and _is_http_url(url), where + "url", f"not an http(s) URL: {url!r}")
        enabled = src.get("enabled", True)
        _expect(isinstance(enabled, bool), where + "enabled", "must be true or false")
        sources.append(
            SourceConfig(
                id=sid,
                kind=kind,
                url=url,
                every_minutes=int(_number(src, "every_minutes", where, 10, minimum=1)),
                enabled=enabled,
            )
        )

    extract = _table(raw, "extract")
    if extract:
        from tasks.extract import ExtractConfig

        try:
            ExtractConfig.from_dict(extract)
        except (TypeError, ValueError, KeyError) as exc:
            raise ConfigError(f"extract: {exc}") from None
    return Config(
        path=path,
        warehouse_path=warehouse_path,
        sources=tuple(sources),
        fetch=fetch,
        slack=slack,
        alerts=alerts,
        extract=extract,
    )


def load_config(path: str | Path) -> Config:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file (create one with `tradewatch init`)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return parse_config(raw, path.resolve())
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


STARTER_CONFIG = """\
# tradewatch configuration. Docs: README.md, "Configuration".

[warehouse]
path = "tradewatch.duckdb"          # relative to this file; a read-only snapshot is published beside it

[fetch]
allow_hosts = []                    # exact "host:port" exempt from the private-address guard
total_deadline_s = 30
max_bytes = 10485760

[slack]
channel = "#trade-watch"            # token from SLACK_BOT_TOKEN (or token_secret_block = "prefect-secret-name")
# [[slack.routes]]                  # optional: send some events elsewhere
# channel = "#korea-desk"
# countries = ["KR"]

[alerts]
max_item_age_hours = 72             # older items update the warehouse but raise no alert

[[sources]]
id = "ustr-press"
kind = "ustr"
url = "https://ustr.gov/about-us/policy-offices/press-office/press-releases"

[[sources]]
id = "federal-register-ustr"          # USTR notices and rules (effective dates are deadlines)
kind = "federal_register"
url = "https://www.federalregister.gov/api/v1/documents.json?conditions[agencies][]=trade-representative-office-of-united-states&order=newest&per_page=50&fields[]=document_number&fields[]=title&fields[]=type&fields[]=abstract&fields[]=html_url&fields[]=publication_date&fields[]=signing_date&fields[]=effective_on&fields[]=executive_order_number&fields[]=agencies"
every_minutes = 60

[[sources]]
id = "federal-register-presidential"  # executive orders and proclamations
kind = "federal_register"
url = "https://www.federalregister.gov/api/v1/documents.json?conditions[type][]=PRESDOCU&order=newest&per_page=50&fields[]=document_number&fields[]=title&fields[]=type&fields[]=abstract&fields[]=html_url&fields[]=publication_date&fields[]=signing_date&fields[]=effective_on&fields[]=executive_order_number&fields[]=agencies"
every_minutes = 60

[[sources]]
id = "whitehouse-actions"
kind = "feed"
url = "https://www.whitehouse.gov/presidential-actions/feed/"

[[sources]]
id = "yonhap"
kind = "feed"
url = "https://en.yna.co.kr/RSS/news.xml"
expect_items_hours = 6                # Yonhap publishes all day: silence this long means a problem

[[sources]]
id = "koreaherald"
kind = "feed"
url = "https://www.koreaherald.com/rss/newsAll"

[[sources]]
id = "koreatimes"
kind = "feed"
url = "https://www.koreatimes.co.kr/www/rss/nation.xml"

[[sources]]
id = "googlenews-trade-talks"
kind = "feed"
url = "https://news.google.com/rss/search?q=%22trade+talks%22+OR+%22tariff+talks%22&hl=en-US&gl=US&ceid=US:en"
"""
