"""Outbox → Slack, exactly once per alert.

    pending ──(commit)──▶ inflight ──chat.postMessage──▶ delivered (slack_ts, delivered_at)

A row is committed `inflight` BEFORE Slack is called, and every message carries its alert_id in its metadata
({"event_type": "tradewatch_alert", "event_payload": {"alert_id": ...}}). A row found `inflight` means an earlier
attempt crashed or failed ambiguously (timeout, dropped connection, 5xx): it is RECONCILED first —
conversations.history (include_all_metadata, from created_at minus a margin) and, for replies,
conversations.replies on the event's thread — and only posted when no message carries its alert_id.

Threads: one message per event and channel. new_meeting / new_deadline post a parent and record it in
core.event_threads; later alerts of that event (updates, moves, a repeated new_*) reply in the thread and the
parent is rewritten with chat.update to show the event's current state (core.meetings / core.deadlines).
Source alerts (source_down, ...) are plain messages.

Routing: one channel per row. An event that already has a thread stays in that thread's channel; otherwise the
FIRST route of `slack.routes` that matches (event parties/countries, or the source id of the triggering item
or of a source alert) wins, else `slack.channel`. An inflight row keeps the channel it was attempted in.
Channels are stored as configured ("#trade-watch" or "C0123…"); Slack calls that need an ID (history, replies,
update) use the ID Slack returned for a post in this run, else conversations.list (needs channels:read; configure
channel IDs to avoid the lookup).

Pacing. Posts to one channel are at least `slack.pace_s` apart, counted from the last post Slack ACCEPTED (not
from the start of an attempt: after a retried 429 the next post would go out at once and meet another 429). A
429 on a post holds the whole channel for its Retry-After (up to 30 s, else the channel waits for the next
run), then the same message is posted again (Slack did not take it). A stop requested by a signal
(tasks/stop.py) ends delivery between two messages, and wakes any wait: rows not sent stay pending.

Order. Rows are sent oldest first and, within a cycle, every new_* alert (a thread's parent) before the updates
that reply in threads (outbox.due).

Failures. Retries are slack-sdk retry handlers, bounded: 429 on other calls honours Retry-After (up to 30 s, else
the channel waits for the next run), 5xx and dropped connections are retried only for calls that are safe to repeat; a
chat.postMessage that fails ambiguously is reconciled and re-posted once in the run, else left inflight for the
next run. Auth errors stop the whole run, channel errors stop that channel; the row returns to `pending`
(attempts + 1, last_error) — unless Slack may already hold it, then it stays `inflight`. Nothing is dropped.

Flood bound: more than `max_new_per_channel` new-event alerts pending for one channel are posted as ONE summary message;
their rows are marked delivered with text "[digest <key>] …" (the key is the summary's alert id, so a crash
mid-way is reconciled like any other row).

Without a token the console notifier prints each alert to `out` and marks it delivered in channel "console".
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TextIO

import duckdb
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from records.config import SlackConfig
from tasks import stop
from tasks.alerts import format as fmt
from tasks.alerts.slack import MAX_RETRY_AFTER_S, make_client, resolve_token
from tasks.faults import CRASH_ENV, crash_point, kill_if_asked
from warehouse import connection, duckdb_compat, outbox, space
from warehouse.errors import explain
from warehouse.snapshot import snapshot_path

log = logging.getLogger(__name__)

CONSOLE = "console"
METADATA_EVENT_TYPE = "tradewatch_alert"
RECONCILE_MARGIN = timedelta(minutes=10)  # clock skew between us and Slack
RECONCILE_PAGES = 10  # at most 10 × 200 messages searched per reconcile
AMBIGUOUS_RETRIES = 1  # in-run reconcile-and-repost after an ambiguous post failure
RATE_LIMITED_RETRIES = 3  # a post refused with 429 is posted again after Retry-After, this many times

AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "not_allowed_token_type",
        "team_access_not_granted",
        "ekm_access_denied",
    }
)
CHANNEL_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "restricted_action",
        "cannot_resolve_channel",
        "ratelimited",
    }
)
NEW_EVENT_KINDS = frozenset({"new_meeting", "new_deadline"})
THREADED_EVENT_KINDS = frozenset({"meeting", "deadline"})
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
_DIGEST_MARK = re.compile(r"^\[digest (digest-[0-9a-f]+)\] ")


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int  # rows that reached `delivered` in this call
    failed: int  # rows attempted in this call that did not (back to pending, or left inflight)
    pending_left: int  # rows still pending or inflight after this call
    errors: Mapping[str, str] = field(default_factory=dict)  # channel → error key; "*" = all channels
    console: bool = False  # True when no token: alerts were printed, not posted


class CrashInjected(RuntimeError):
    """Raised by the TRADEWATCH_CRASH_AT test hook."""


class _SlackProblem(Exception):
    reconciling = False  # raised while searching Slack for an earlier copy: Slack may hold one, keep inflight

    def __init__(self, error: str):
        super().__init__(error)
        self.error = error


class _Stop(_SlackProblem):
    """A Slack error that ends the work for a channel (or for all channels when `auth`)."""

    def __init__(self, error: str, *, auth: bool = False):
        super().__init__(error)
        self.auth = auth


class _RowError(_SlackProblem):
    """Slack refused this message (e.g. invalid_blocks): retried later with backoff, other rows go on."""


class _Ambiguous(_SlackProblem):
    """Slack may or may not have acted (timeout, dropped connection, 5xx)."""


class _RateLimited(_SlackProblem):
    """429: Slack did not take the call; retry after `retry_after` seconds."""

    def __init__(self, retry_after: float):
        super().__init__("ratelimited")
        self.retry_after = retry_after


class _Interrupted(_SlackProblem):
    """A stop was requested while this row waited to be posted: nothing was sent."""


# ---------------------------------------------------------------- routing and reading


def route_channel(slack: SlackConfig, payload: Mapping[str, Any], item_source_id: str | None) -> str | None:
    """The FIRST route matching the event's countries/parties or the source ids involved, else the default."""
    event = payload.get("event") if isinstance(payload.get("event"), Mapping) else {}
    codes = {c for key in ("parties", "countries") for c in (event.get(key) or []) if isinstance(c, str)}
    sources = {s for s in (item_source_id, event.get("source_id")) if isinstance(s, str)}
    for route in slack.routes:
        if codes & set(route.countries) or sources & set(route.sources):
            return route.channel
    return slack.channel


def _retry_after(response) -> float:
    """Seconds a 429 asks to wait (Retry-After; 1 when missing or unreadable, as Slack's usual answer)."""
    for name, values in (getattr(response, "headers", None) or {}).items():
        if name.lower() == "retry-after":
            value = values[0] if isinstance(values, list) else values
            try:
                return max(float(value), 0.0)
            except (TypeError, ValueError):
                return 1.0
    return 1.0


def _digest_key(row: outbox.OutboxRow) -> str | None:
    """The key of the summary message a row was sent in, if it was one of a flood's."""
    m = _DIGEST_MARK.match(row.text or "")
    return m.group(1) if m else None


def read_evidence(con: duckdb.DuckDBPyConnection, event_kind: str, event_id: str) -> list[fmt.Evidence]:
    """Current evidence of an event."""
    return [fmt.Evidence(*row) for row in outbox.evidence(con, event_kind, event_id)]


# ---------------------------------------------------------------- entry point


def deliver_pending(
    db_path,
    *,
    slack: SlackConfig,
    now: datetime,
    token: str | None = None,
    base_url: str | None = None,
    out: TextIO | None = None,
    max_new_per_channel: int = 50,
    sleep: Callable[[float], object] = stop.wait,
) -> DeliveryReport:
    """Deliver every pending (and reconcile every inflight) outbox row. See the module docstring."""
    token = resolve_token(slack, token)
    with connection.writer(db_path) as con:
        rows = outbox.due(con, now)
        if rows:
            _make_sure_the_run_can_finish(con, db_path)
        if token is None:
            return _deliver_console(con, rows, now, out or sys.stdout)
        run = _Run(con, make_client(token, base_url), slack, now, sleep)
        run.deliver(rows, max_new_per_channel)
        crash_point("after_delivery")
        return DeliveryReport(
            delivered=run.delivered,
            failed=run.failed,
            pending_left=outbox.waiting(con),
            errors=dict(run.errors),
            console=False,
        )


def _make_sure_the_run_can_finish(con, db_path) -> None:
    """No alert from a run that then fails: before the first is sent, what the run committed is folded into the
    file (a full disk fails this checkpoint, not the one after delivery) and there must be room to publish the
    snapshot. Either failure is a WarehouseError and nothing is sent; the rows stay pending for the next run."""
    try:
        con.execute("CHECKPOINT")
    except duckdb.Error as exc:
        if duckdb_compat.classify(exc) in (duckdb_compat.DISK_FULL, duckdb_compat.CORRUPT):
            raise explain(db_path, exc) from exc
        log.warning("checkpoint before delivery: %s", exc)  # (another transaction open): the close folds it in
    space.require(db_path, space.for_publishing(db_path, snapshot_path(db_path)), "publishing the snapshot",
                  outcome="what this run stored is kept, no alert was sent")


def _deliver_console(con, rows: list[outbox.OutboxRow], now: datetime, out: TextIO) -> DeliveryReport:
    delivered = 0
    for row in rows:
        evidence = read_evidence(con, row.event_kind, row.event_id)
        print(fmt.console_text(row.payload, evidence, reports=len(evidence) or None), file=out)
        print(file=out)
        out.flush()
        outbox.mark_delivered(con, [row.alert_id], CONSOLE, None, now)
        delivered += 1
    return DeliveryReport(
        delivered=delivered, failed=0, pending_left=outbox.waiting(con), errors={}, console=True
    )


class _Run:
    def __init__(self, con, client: WebClient, slack: SlackConfig, now: datetime, sleep):
        self.con = con
        self.client = client
        self.slack = slack
        self.now = now
        self.sleep = sleep
        self.crash_at = os.environ.get(CRASH_ENV, "")
        self.threads = outbox.threads(con)
        self.ids: dict[str, str] = {}  # configured channel → Slack channel id
        self.not_before: dict[str, float] = {}  # channel → monotonic time its next post may go out
        self.errors: dict[str, str] = {}  # for the report
        self.stopped: set[str] = set()  # channels with no more work in this run
        self.auth_error: str | None = None
        self.delivered = 0
        self.failed = 0

    # ------------------------------------------------------------ plan

    def deliver(self, rows: list[outbox.OutboxRow], max_per_run: int) -> None:
        plain: list[tuple[outbox.OutboxRow, str | None]] = []
        digests: dict[str, list[outbox.OutboxRow]] = {}
        fresh_new: dict[str, list[outbox.OutboxRow]] = {}
        for row in rows:
            key = _digest_key(row)
            if row.state == "inflight" and key:
                digests.setdefault(key, []).append(row)
                continue
            channel = self._channel_for(row)
            if (
                row.state == "pending"
                and row.kind in NEW_EVENT_KINDS
                and channel
                and channel not in self.threads.get((row.event_kind, row.event_id), {})
            ):
                fresh_new.setdefault(channel, []).append(row)
            plain.append((row, channel))
        flooded: set[str] = set()
        for channel, group in fresh_new.items():
            if len(group) > max_per_run:
                ids = sorted(r.alert_id for r in group)
                key = "digest-" + hashlib.sha256("\n".join(ids).encode()).hexdigest()[:20]
                digests[key] = group
                flooded.update(ids)
                for r in group:
                    r.channel = channel
        for key, group in digests.items():
            if self.auth_error or stop.requested():
                break
            self._deliver_digest(key, group)
        for row, channel in plain:
            if self.auth_error or stop.requested():
                break
            if row.alert_id in flooded:
                continue
            self._deliver_row(row, channel)

    def _channel_for(self, row: outbox.OutboxRow) -> str | None:
        if row.state == "inflight" and row.channel:
            return row.channel
        existing = self.threads.get((row.event_kind, row.event_id), {})
        routed = route_channel(self.slack, row.payload, row.item_source_id)
        if existing and routed not in existing:
            return next(iter(existing))
        return routed

    # ------------------------------------------------------------ one alert

    def _deliver_row(self, row: outbox.OutboxRow, channel: str | None) -> None:
        if channel is None:
            self.errors.setdefault("(no channel)", "no slack.channel configured and no route matched")
            self.failed += 1
            return
        if channel in self.stopped:
            return  # this channel is stopped for this run; the row stays as it is
        thread_ts = self.threads.get((row.event_kind, row.event_id), {}).get(channel)
        as_reply = row.event_kind in THREADED_EVENT_KINDS and thread_ts is not None
        starts_thread = row.event_kind in THREADED_EVENT_KINDS and not as_reply
        evidence = read_evidence(self.con, row.event_kind, row.event_id)
        if as_reply:
            msg = fmt.thread_reply(row.payload, evidence)
        else:
            msg = fmt.alert_message(row.payload, evidence, reports=len(evidence) or None)
        reconcile = row.state == "inflight"
        self._mark_inflight([row.alert_id], channel)
        ambiguous = 0
        while True:
            try:
                ts = (
                    self._find_posted(channel, row.alert_id, row.created_at, thread_ts) if reconcile else None
                )
                if ts is None:
                    ts = self._post(channel, msg, row.alert_id, thread_ts if as_reply else None)
                self._mark_delivered(
                    [row.alert_id],
                    channel,
                    ts,
                    thread=(row.event_kind, row.event_id) if starts_thread else None,
                )
                if as_reply:
                    self._refresh_parent(channel, row.event_kind, row.event_id, thread_ts)
                return
            except _Ambiguous as exc:
                ambiguous += 1
                if ambiguous > AMBIGUOUS_RETRIES:
                    self._release([row.alert_id], f"ambiguous: {exc}", keep_inflight=True)
                    self._stop(channel, f"ambiguous: {exc}")
                    return
                reconcile = True
            except _Interrupted:
                self._release([row.alert_id], "stopped before it was sent", keep_inflight=reconcile)
                return
            except _Stop as exc:
                # Slack refused the post outright (it holds no copy): pending again. A refused *reconcile*
                # cannot tell, so that row stays inflight and is reconciled next time.
                self._release([row.alert_id], exc.error, keep_inflight=exc.reconciling)
                self._stop(channel, exc.error, auth=exc.auth)
                return
            except _RowError as exc:
                if (
                    as_reply
                    and exc.error in ("thread_not_found", "message_not_found")
                    and not exc.reconciling
                ):
                    # the parent was deleted in Slack: forget the thread; the next run posts a new parent
                    self._forget_thread(row.event_kind, row.event_id, channel)
                    self._release([row.alert_id], exc.error, keep_inflight=False)
                    return
                self._release([row.alert_id], exc.error, keep_inflight=exc.reconciling, backoff=True)
                self.errors.setdefault(channel, exc.error)
                return

    def _deliver_digest(self, key: str, group: list[outbox.OutboxRow]) -> None:
        channel = group[0].channel
        if channel is None or channel in self.stopped:
            return
        ids = [r.alert_id for r in group]
        texts = [_DIGEST_MARK.sub("", r.text) for r in group]
        msg = fmt.flood_digest(texts, len(group))
        reconcile = any(r.state == "inflight" for r in group)
        self._mark_inflight(ids, channel, digest_key=key)
        oldest = min(r.created_at for r in group)
        ambiguous = 0
        while True:
            try:
                ts = self._find_posted(channel, key, oldest, None) if reconcile else None
                if ts is None:
                    ts = self._post(channel, msg, key, None)
                self._mark_delivered(ids, channel, ts, thread=None)
                return
            except _Ambiguous as exc:
                ambiguous += 1
                if ambiguous > AMBIGUOUS_RETRIES:
                    self._release(ids, f"ambiguous: {exc}", keep_inflight=True)
                    self._stop(channel, f"ambiguous: {exc}")
                    return
                reconcile = True
            except _Interrupted:
                self._release(ids, "stopped before it was sent", keep_inflight=reconcile)
                return
            except _Stop as exc:
                self._release(ids, exc.error, keep_inflight=exc.reconciling)
                self._stop(channel, exc.error, auth=exc.auth)
                return
            except _RowError as exc:
                self._release(ids, exc.error, keep_inflight=exc.reconciling, backoff=True)
                self.errors.setdefault(channel, exc.error)
                return

    def _stop(self, channel: str, error: str, *, auth: bool = False) -> None:
        if auth:
            self.auth_error = error
            self.errors["*"] = error
        else:
            self.stopped.add(channel)
            self.errors[channel] = error

    # ------------------------------------------------------------ Slack calls

    def _call(self, method: Callable[..., Any], **kwargs):
        """One Web API call; errors become _Stop (auth/channel/rate limit), _RowError or _Ambiguous."""
        try:
            return method(**kwargs)
        except SlackApiError as exc:
            status = getattr(exc.response, "status_code", 200)
            error = (
                str((exc.response.data or {}).get("error") if isinstance(exc.response.data, dict) else "")
                or f"http_{status}"
            )
            if status == 429:
                if method == self.client.chat_postMessage:
                    raise _RateLimited(_retry_after(exc.response)) from None
                raise _Stop("ratelimited") from None
            if status >= 500:
                raise _Ambiguous(f"http_{status} {error}") from None
            if error in AUTH_ERRORS:
                raise _Stop(error, auth=True) from None
            if error in CHANNEL_ERRORS:
                raise _Stop(error) from None
            raise _RowError(error) from None
        except (_SlackProblem, CrashInjected):
            raise
        except Exception as exc:  # timeout, reset, dropped connection: Slack may or may not have acted
            raise _Ambiguous(f"{type(exc).__name__}: {str(exc)[:200]}") from None

    def _channel_id(self, channel: str) -> str:
        if channel in self.ids:
            return self.ids[channel]
        if _CHANNEL_ID.match(channel):
            return channel
        name = channel.lstrip("#")
        cursor = None
        for _ in range(20):
            try:
                resp = self._call(
                    self.client.conversations_list,
                    types="public_channel,private_channel",
                    exclude_archived=True,
                    limit=1000,
                    cursor=cursor,
                )
            except _Stop as exc:
                if exc.auth and exc.error != "missing_scope":
                    raise
                raise _Stop("cannot_resolve_channel") from None
            except _RowError:
                raise _Stop("cannot_resolve_channel") from None
            for ch in resp.get("channels") or []:
                if ch.get("name") == name:
                    self.ids[channel] = ch["id"]
                    return ch["id"]
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        raise _Stop("channel_not_found")

    def _wait_for(self, channel: str) -> None:
        """Until the channel may take its next post (pace, Retry-After). _Interrupted when a stop comes first."""
        wait = self.not_before.get(channel, 0.0) - time.monotonic()
        if wait > 0 and not stop.requested():
            self.sleep(wait)  # (stop.wait by default: wakes when a stop is requested)
        if stop.requested():
            raise _Interrupted("stopped")

    def _post(self, channel: str, msg: fmt.SlackMessage, alert_id: str, thread_ts: str | None) -> str:
        kwargs: dict[str, Any] = dict(
            channel=self.ids.get(channel, channel),
            text=msg.text,
            blocks=list(msg.blocks),
            metadata={"event_type": METADATA_EVENT_TYPE, "event_payload": {"alert_id": alert_id}},
            unfurl_links=False,
            unfurl_media=False,
            link_names=False,
        )
        if thread_ts:
            kwargs["channel"] = self._channel_id(channel)
            kwargs["thread_ts"] = thread_ts
        for attempt in range(RATE_LIMITED_RETRIES + 1):
            self._wait_for(channel)
            try:
                resp = self._call(self.client.chat_postMessage, **kwargs)
                break
            except _RateLimited as exc:  # not taken: the channel waits, then the same message goes again
                if exc.retry_after > MAX_RETRY_AFTER_S or attempt == RATE_LIMITED_RETRIES:
                    raise _Stop("ratelimited") from None
                self.not_before[channel] = time.monotonic() + exc.retry_after
        self.not_before[channel] = time.monotonic() + self.slack.pace_s  # from the post Slack accepted
        if resp.get("channel"):
            self.ids[channel] = resp["channel"]
        if self.crash_at == "after_post":
            kill_if_asked()
            raise CrashInjected(
                f"{CRASH_ENV}=after_post: Slack accepted {alert_id} but it is not marked delivered"
            )
        return resp["ts"]

    def _find_posted(
        self, channel: str, alert_id: str, created_at: datetime, thread_ts: str | None
    ) -> str | None:
        """The ts of a message already carrying this alert_id (channel history, then the event's thread)."""
        try:
            cid = self._channel_id(channel)
            oldest = f"{(created_at - RECONCILE_MARGIN).timestamp():.6f}"
            ts = self._search(self.client.conversations_history, alert_id, channel=cid, oldest=oldest)
            if ts is None and thread_ts:
                try:
                    ts = self._search(self.client.conversations_replies, alert_id, channel=cid, ts=thread_ts)
                except _RowError as exc:
                    if exc.error != "thread_not_found":  # no thread: no reply in it either
                        raise
            return ts
        except (_Stop, _RowError) as exc:
            exc.reconciling = True
            raise

    def _search(self, method, alert_id: str, **kwargs) -> str | None:
        cursor = None
        for _ in range(RECONCILE_PAGES):
            resp = self._call(method, include_all_metadata=True, limit=200, cursor=cursor, **kwargs)
            for m in resp.get("messages") or []:
                meta = m.get("metadata") or {}
                if (
                    meta.get("event_type") == METADATA_EVENT_TYPE
                    and (meta.get("event_payload") or {}).get("alert_id") == alert_id
                ):
                    return m["ts"]
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None

    def _refresh_parent(self, channel: str, event_kind: str, event_id: str, thread_ts: str) -> None:
        """chat.update the thread's parent to the event's current state. Best effort: the reply is the alert."""
        event = outbox.event(self.con, event_kind, event_id)
        if event is None:
            return
        evidence = read_evidence(self.con, event_kind, event_id)
        updated = event.get("updated_at")
        changed = f"{updated.day} {updated:%b %Y %H:%M %Z}".strip() if isinstance(updated, datetime) else None
        msg = fmt.current_state(
            event_kind, event_id, event, evidence, reports=len(evidence) or None, changed=changed
        )
        try:
            self._call(
                self.client.chat_update,
                channel=self._channel_id(channel),
                ts=thread_ts,
                text=msg.text,
                blocks=list(msg.blocks),
            )
        except _Stop as exc:
            self._stop(channel, exc.error, auth=exc.auth)
            return
        except (_RowError, _Ambiguous) as exc:
            self.errors.setdefault(channel, f"chat.update: {exc}")
            return
        outbox.thread_refreshed(self.con, event_id, channel, self.now)

    # ------------------------------------------------------------ outbox state

    def _mark_inflight(self, ids: list[str], channel: str, *, digest_key: str | None = None) -> None:
        outbox.mark_inflight(self.con, ids, channel, digest_key=digest_key)

    def _mark_delivered(self, ids: list[str], channel: str, ts: str, *, thread: tuple[str, str] | None) -> None:
        outbox.mark_delivered(self.con, ids, channel, ts, self.now, thread=thread)
        if thread:
            self.threads.setdefault(thread, {}).setdefault(channel, ts)
        self.delivered += len(ids)

    def _forget_thread(self, event_kind: str, event_id: str, channel: str) -> None:
        outbox.forget_thread(self.con, event_id, channel)
        self.threads.get((event_kind, event_id), {}).pop(channel, None)

    def _release(self, ids: list[str], error: str, *, keep_inflight: bool, backoff: bool = False) -> None:
        outbox.release(self.con, ids, error, self.now, keep_inflight=keep_inflight, backoff=backoff)
        self.failed += len(ids)
