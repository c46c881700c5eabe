"""`tradewatch doctor`: is everything a cycle needs reachable and right? One line per check, read-only.

Each source (one guarded GET without validators: DNS, TLS and the status as a cycle meets them, then the
body parsed as its kind in a parser worker: how many items, how fresh), the Slack token (auth.test) and each
configured channel (conversations.history: the bot is in it and may read it), the Prefect API when
PREFECT_API_URL names one, and the warehouse (its snapshot readable, its directory writable, the run lock).
A check is ok, failed, or a note (nothing wrong, but worth knowing: no token, no warehouse yet).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

from records.config import Config, SourceConfig

OK, FAILED, NOTE = "ok", "failed", "note"
_MARKS = {OK: ("✓", "green"), FAILED: ("✗", "red"), NOTE: ("–", "yellow")}
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")


@dataclass(frozen=True)
class Check:
    name: str  # "source ustr-press", "slack channel #trade-watch"
    status: str  # ok | failed | note
    detail: str


# ---------------------------------------------------------------- sources


def check_source(source: SourceConfig, config: Config, parse_feed) -> Check:
    from tasks.sources.http import fetch, make_session
    from tasks.sources.kinds import read_body
    from tasks.sources.poll import fetch_policy

    name = f"source {source.id}"
    with make_session() as session:
        got = fetch(source.id, source.url, etag=None, last_modified=None, session=session,
                    policy=fetch_policy(config.fetch))
    took = f"{got.elapsed_s:.1f} s"
    if got.error:
        return Check(name, FAILED, f"{got.error_detail or got.error} ({got.error}, {took})")
    result = read_body(source.kind, got.body or b"", source_id=source.id, now=datetime.now(UTC),
                       content_type=got.content_type, base_url=got.url, parse_feed=parse_feed)
    if result.error:
        return Check(name, FAILED, f"HTTP {got.status}, but the body does not parse as a {source.kind}: "
                                   f"{result.error_detail or result.error} ({result.error})")
    dates = [it.published_at for it in result.items if it.published_at is not None]
    parts = [f"HTTP {got.status}", f"{len(result.items)} item{'s' if len(result.items) != 1 else ''}"]
    if dates:
        parts.append(f"newest {max(dates):%Y-%m-%d %H:%M} UTC")
    if got.last_modified:
        parts.append(f"last modified {got.last_modified}")
    parts.append(took)
    if not source.enabled:
        parts.append("disabled in the config")
    return Check(name, OK if result.items else NOTE, ", ".join(parts) + ("" if result.items else
                                                                         " (the feed is empty)"))


def check_sources(config: Config, sources: Sequence[SourceConfig]) -> list[Check]:
    from tasks.sources.parsing import ParserPool

    with ParserPool(1, timeout_s=config.fetch.parse_timeout_s, memory_mb=config.fetch.parse_memory_mb) as pool:
        return [check_source(s, config, pool.parse) for s in sources]


# ---------------------------------------------------------------- Slack


def _channels(config: Config) -> list[str]:
    seen: dict[str, None] = {}
    for channel in (config.slack.channel, config.slack.digest_channel, *(r.channel for r in config.slack.routes)):
        if channel:
            seen.setdefault(channel)
    return list(seen)


def _slack_error(exc: Exception) -> str:
    from slack_sdk.errors import SlackApiError

    if isinstance(exc, SlackApiError):
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        return str(data.get("error") or f"HTTP {exc.response.status_code}")
    return f"{type(exc).__name__}: {str(exc)[:200]}"


_CHANNEL_HINTS = {
    "not_in_channel": "the bot is not in the channel: invite it (/invite @your-bot)",
    "channel_not_found": "no such channel, or a private one the bot is not in",
    "missing_scope": "the token lacks the channels:history (or groups:history) scope",
}


def check_slack(config: Config, *, base_url: str | None = None) -> list[Check]:
    from tasks.alerts.slack import SlackTokenError, make_client, resolve_token

    try:
        token = resolve_token(config.slack)
    except SlackTokenError as exc:
        return [Check("slack token", FAILED, str(exc))]
    if token is None:
        return [Check("slack token", NOTE, "none (SLACK_BOT_TOKEN unset, no slack.token_secret_block): "
                                           "alerts and the digest are printed on the console")]
    client = make_client(token, base_url, timeout=10)
    try:
        who = client.auth_test()
    except Exception as exc:  # noqa: BLE001 - every failure is one line
        return [Check("slack token", FAILED, f"auth.test refused it: {_slack_error(exc)}")]
    checks = [Check("slack token", OK, f"bot {who.get('user') or who.get('user_id')} in team "
                                       f"{who.get('team') or who.get('team_id')}")]
    names = None
    for channel in _channels(config):
        name = f"slack channel {channel}"
        cid = channel if _CHANNEL_ID.match(channel) else None
        if cid is None:
            if names is None:
                try:
                    names = {}
                    cursor = None
                    for _ in range(20):
                        page = client.conversations_list(types="public_channel,private_channel",
                                                         exclude_archived=True, limit=1000, cursor=cursor)
                        names.update({c["name"]: c["id"] for c in page.get("channels") or []})
                        cursor = (page.get("response_metadata") or {}).get("next_cursor")
                        if not cursor:
                            break
                except Exception as exc:  # noqa: BLE001
                    names = {}
                    checks.append(Check(name, FAILED, f"cannot look channel names up ({_slack_error(exc)}): "
                                                      "give the channel ID instead, or add channels:read"))
                    continue
            cid = names.get(channel.lstrip("#"))
            if cid is None:
                checks.append(Check(name, FAILED, "no such channel visible to the bot"))
                continue
        try:
            client.conversations_history(channel=cid, limit=1)
        except Exception as exc:  # noqa: BLE001
            error = _slack_error(exc)
            checks.append(Check(name, FAILED, f"{error}: {_CHANNEL_HINTS.get(error, 'the bot cannot use it')}"))
            continue
        checks.append(Check(name, OK, f"the bot is in it ({cid})"))
    if not _channels(config):
        checks.append(Check("slack channel", FAILED, "no slack.channel configured (nor any route)"))
    return checks


# ---------------------------------------------------------------- Prefect, warehouse


def check_prefect() -> Check:
    import requests
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        return Check("prefect api", NOTE, "PREFECT_API_URL unset: `run` uses a temporary local API, `serve` "
                                          "starts its own server")
    try:
        requests.get(url.rstrip("/") + "/health", timeout=5).raise_for_status()
    except requests.RequestException as exc:
        return Check("prefect api", FAILED, f"{url} does not answer ({type(exc).__name__}): start it "
                                            "(`prefect server start`) or unset PREFECT_API_URL")
    return Check("prefect api", OK, f"{url} answers")


def check_warehouse(config: Config, config_path: str) -> Check:
    from warehouse.errors import RunInProgress, WarehouseError
    from warehouse.lock import run_lock
    from warehouse.snapshot import open_snapshot, snapshot_path

    path = config.warehouse_path
    name = f"warehouse {path}"
    if not os.access(path.parent if path.parent.exists() else path.parent.parent, os.W_OK):
        return Check(name, FAILED, f"cannot write in {path.parent}")
    if not path.exists():
        return Check(name, NOTE, f"not created yet: the first `tradewatch run --config {config_path}` creates it")
    try:
        with run_lock(path):
            busy = ""
    except RunInProgress:
        busy = "; a run holds it now"
    try:
        con = open_snapshot(path)
    except WarehouseError as exc:
        return Check(name, FAILED, str(exc))
    try:
        items, meetings, deadlines, polled = con.execute(
            "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM meetings), (SELECT count(*) FROM"
            " deadlines), (SELECT max(last_attempt_at) FROM sources)").fetchone()
    finally:
        con.close()
    last = f", last poll {polled:%Y-%m-%d %H:%M %Z}" if polled else ", never polled"
    return Check(name, OK, f"{items} items, {meetings} meetings, {deadlines} deadlines{last}; snapshot "
                           f"{snapshot_path(path).name} readable{busy}")


# ---------------------------------------------------------------- all


def run_checks(config: Config, config_path: str, source_ids: Iterable[str] = ()) -> list[Check]:
    wanted = set(source_ids)
    sources = [s for s in config.sources if not wanted or s.id in wanted]
    checks = check_sources(config, sources)
    if wanted:  # one source asked for: that is the question
        return checks
    return [*checks, *check_slack(config), check_prefect(), check_warehouse(config, config_path)]


def print_checks(checks: Sequence[Check], out: TextIO | None = None) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(file=out or sys.stdout, soft_wrap=True, highlight=False)
    for check in checks:
        mark, colour = _MARKS[check.status]
        console.print(Text.assemble((f"{mark} {check.name}", colour), f": {check.detail}"))
    failed = sum(c.status == FAILED for c in checks)
    console.print(f"{len(checks)} checks, {failed} failed" if failed else f"{len(checks)} checks, all ok"
                  if not any(c.status == NOTE for c in checks) else f"{len(checks)} checks, none failed")
