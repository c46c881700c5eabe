"""The daily digest to Slack exactly once per day and channel: the alert outbox's pattern, in core.digests.

    (none | failed) ──claim (commit)──▶ inflight ──chat.postMessage──▶ delivered (slack_ts)

The row is committed inflight BEFORE Slack is called, and the message carries the digest's key in its metadata.
A row found inflight (a crash, a timeout, a dropped connection after Slack may have posted) is reconciled
against the channel's history before anything is posted again; a delivered row is never posted again (a rerun,
a retry, a second scheduler). Slack refusing the post (a bad token, a missing channel) leaves it failed, so the
next call posts it, and comes back as an outcome with the reason in words, never as a traceback.

The warehouse is written only for the claim and the result, each under the run lock, waiting up to
`lock_wait_s` for a monitor cycle to finish; Slack is called outside it. Without a token the digest is printed
(a preview: nothing is recorded).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from records.config import SlackConfig
from tasks.alerts.digest import console_digest
from tasks.alerts.slack import SlackTokenError, make_client, resolve_token
from warehouse import connection
from warehouse import digest as store
from warehouse.errors import RunInProgress
from warehouse.lock import run_lock
from warehouse.outbox import alert_key

DIGEST_TZ = ZoneInfo("Asia/Seoul")  # the digest's day is its schedule's (flows/serve.py, prefect.yaml)
METADATA_EVENT_TYPE = "tradewatch_digest"
LOCK_WAIT_S = 600.0  # a cycle holding the warehouse is waited for, this long at most
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
_HINTS = {
    "invalid_auth": "the token is wrong: check SLACK_BOT_TOKEN (or slack.token_secret_block)",
    "not_authed": "no token reached Slack: check SLACK_BOT_TOKEN",
    "token_revoked": "the token was revoked: make a new one",
    "account_inactive": "the token's app or user is deactivated",
    "channel_not_found": "no such channel: check slack.digest_channel / slack.channel",
    "not_in_channel": "the bot is not in the channel: invite it (/invite @your-bot)",
    "is_archived": "the channel is archived",
    "missing_scope": "the token lacks a scope (chat:write; channels:history to reconcile)",
}


@dataclass(frozen=True)
class DigestOutcome:
    state: str  # posted | already_posted | printed | failed
    digest_date: date
    channel: str | None = None
    ts: str | None = None
    error: str | None = None

    def line(self) -> str:
        day = self.digest_date.isoformat()
        if self.state == "posted":
            return f"digest for {day} posted to {self.channel} (ts {self.ts})"
        if self.state == "already_posted":
            return f"digest for {day} was already posted to {self.channel} (ts {self.ts}): not posted again"
        if self.state == "printed":
            return f"digest for {day} printed (no SLACK_BOT_TOKEN: nothing posted)"
        return f"digest for {day} not posted to {self.channel or '(no channel)'}: {self.error}"


def digest_day(as_of: datetime) -> date:
    return as_of.astimezone(DIGEST_TZ).date()


def deliver_digest(db_path: str | Path, blocks: list[dict], text: str, *, slack: SlackConfig, as_of: datetime,
                   token: str | None = None, base_url: str | None = None, out: TextIO | None = None,
                   lock_wait_s: float = LOCK_WAIT_S) -> DigestOutcome:
    """Post the digest for `as_of`'s day once (see the module docstring). Never raises for Slack's answers."""
    day = digest_day(as_of)
    channel = slack.digest_channel or slack.channel
    try:
        token = resolve_token(slack, token)
    except SlackTokenError as exc:
        return DigestOutcome("failed", day, channel, error=str(exc))
    if token is None:
        print(console_digest(blocks, text), file=out or sys.stdout)
        return DigestOutcome("printed", day)
    if not channel:
        return DigestOutcome("failed", day, error="no slack.digest_channel or slack.channel configured")
    key = "digest-" + alert_key("digest", day.isoformat(), channel)
    try:
        with run_lock(db_path, wait_s=lock_wait_s), connection.writer(db_path) as con:
            row = store.digest_row(con, key)
            if row is not None and row[0] == "delivered":
                return DigestOutcome("already_posted", day, channel, ts=row[1])
            reconcile = row is not None and row[0] == "inflight"
            since = row[2] if row is not None else as_of
            store.claim_digest(con, key, digest_date=day, channel=channel, as_of=as_of, now=as_of, text=text)
    except RunInProgress as exc:
        return DigestOutcome("failed", day, channel, error=f"{exc} (waited {lock_wait_s:g} s)")
    client = make_client(token, base_url)
    posting = False  # an inflight row found: Slack may hold an earlier attempt however this one ends
    try:
        ts = _find_posted(client, channel, key, since) if reconcile else None
        if ts is None:
            posting = True  # from here on Slack may hold it whatever we hear back
            resp = client.chat_postMessage(
                channel=channel, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False,
                link_names=False, metadata={"event_type": METADATA_EVENT_TYPE, "event_payload": {"digest_id": key}})
            ts = resp["ts"]
    except SlackApiError as exc:
        status = getattr(exc.response, "status_code", 200)
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        error = str(data.get("error") or f"http_{status}")
        maybe_posted = reconcile or (posting and status >= 500)  # a refusal (ok: false, 4xx) posted nothing
        return _finish_failed(db_path, key, day, channel, error, maybe_posted, lock_wait_s)
    except Exception as exc:  # noqa: BLE001 - timeout, reset: Slack may or may not have posted
        return _finish_failed(db_path, key, day, channel, f"{type(exc).__name__}: {str(exc)[:200]}",
                              reconcile or posting, lock_wait_s)
    with run_lock(db_path, wait_s=lock_wait_s), connection.writer(db_path) as con:
        store.digest_delivered(con, key, ts, as_of)
    return DigestOutcome("posted", day, channel, ts=ts)


def _finish_failed(db_path, key: str, day: date, channel: str, error: str, maybe_posted: bool,
                   lock_wait_s: float) -> DigestOutcome:
    with run_lock(db_path, wait_s=lock_wait_s), connection.writer(db_path) as con:
        store.digest_failed(con, key, error, maybe_posted=maybe_posted)
    hint = _HINTS.get(error)
    words = f"{error} ({hint})" if hint else error
    if maybe_posted:
        words += "; Slack may have posted it: the next call checks the channel before posting again"
    return DigestOutcome("failed", day, channel, error=words)


def _find_posted(client, channel: str, key: str, since: datetime) -> str | None:
    """The ts of a message in the channel already carrying this digest's key, or None."""
    cid = channel if _CHANNEL_ID.match(channel) else _channel_id(client, channel)
    if cid is None:
        return None
    oldest = f"{(since - timedelta(minutes=10)).timestamp():.6f}"
    cursor = None
    for _ in range(10):
        resp = client.conversations_history(channel=cid, oldest=oldest, include_all_metadata=True, limit=200,
                                            cursor=cursor)
        for m in resp.get("messages") or []:
            meta = m.get("metadata") or {}
            if meta.get("event_type") == METADATA_EVENT_TYPE and (meta.get("event_payload") or {}).get(
                    "digest_id") == key:
                return m["ts"]
        cursor = (resp.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return None
    return None


def _channel_id(client, channel: str) -> str | None:
    name, cursor = channel.lstrip("#"), None
    for _ in range(20):
        resp = client.conversations_list(types="public_channel,private_channel", exclude_archived=True, limit=1000,
                                         cursor=cursor)
        for ch in resp.get("channels") or []:
            if ch.get("name") == name:
                return ch["id"]
        cursor = (resp.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return None
    return None
