"""A source's health after each poll: validators, error streak, backoff, and the operations alerts it raises."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from records.items import Fetched
from warehouse import sources as source_store

BACKOFF_BASE_S = 60.0
BACKOFF_CAP_S = 6 * 3600.0


def backoff_s(error_streak: int, retry_after_s: float | None) -> float:
    delay = min(BACKOFF_BASE_S * 2 ** max(error_streak - 1, 0), BACKOFF_CAP_S)
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, BACKOFF_CAP_S))
    return delay


@dataclass(frozen=True)
class HealthChange:
    """An operations alert to raise for a source, if any: 'source_down', 'source_recovered', 'source_gone'."""

    source_id: str
    kind: str
    text: str
    payload: dict


@dataclass(frozen=True)
class FetchOutcome:
    """One poll of one source: the response, how many new items it gave, and the fetch or parse error."""

    fetched: Fetched
    new_items: int = 0
    error: str | None = None
    error_detail: str | None = None


def next_source_state(old: dict, outcome: FetchOutcome, now: datetime) -> tuple[dict, HealthChange | None]:
    """Pure: a source's health after one poll, and the operations alert it raises, if any.

    Success resets the streak (a 304 keeps the validators; a 200 replaces them, with none when the run deferred
    items). Failure grows the streak and backs off exponentially (capped, Retry-After honoured); failing for
    3x the source's period raises one 'source_down', a 410 one 'source_gone'; a recovery raises one
    'source_recovered'. A source that answers but publishes nothing for `expect_items_hours` raises one
    'source_silent'."""
    f, sid = outcome.fetched, outcome.fetched.source_id
    new = dict(old)
    new.update(last_status=f.status, last_bytes=f.bytes_read, last_elapsed_s=f.elapsed_s, last_attempt_at=now,
               first_attempt_at=old["first_attempt_at"] or now)
    first_attempt_at = new["first_attempt_at"]
    if outcome.error is None:
        if f.status == 304:
            new.update(etag=f.etag or old["etag"], last_modified=f.last_modified or old["last_modified"])
        else:
            new.update(etag=f.etag, last_modified=f.last_modified)
        new.update(last_success_at=now, last_error=None, last_error_detail=None, error_streak=0,
                   next_attempt_at=now, gone=False, down_alerted=False,
                   items_seen=old["items_seen"] + outcome.new_items)
        change = None
        if old["down_alerted"]:
            change = HealthChange(sid, "source_recovered",
                                  f"Source {sid} is back after {old['error_streak']} failed polls",
                                  {"source_id": sid, "url": old["url"], "error": None, "error_streak": 0})
        last_new_at = old["last_new_item_at"] or first_attempt_at
        if outcome.new_items:
            new.update(last_new_item_at=now, silent_alerted=False)
            if old["silent_alerted"]:
                change = change or HealthChange(sid, "source_recovered", f"Source {sid} is publishing again",
                                                {"source_id": sid, "url": old["url"], "error": None,
                                                 "error_streak": 0})
        elif (old["expect_items_hours"] and not old["silent_alerted"]
              and now - last_new_at > timedelta(hours=old["expect_items_hours"])):
            new.update(silent_alerted=True)
            change = change or HealthChange(
                sid, "source_silent",
                f"Source {sid} has published nothing new since {last_new_at:%Y-%m-%d %H:%M} UTC "
                f"(expected within {old['expect_items_hours']:g} h)",
                {"source_id": sid, "url": old["url"], "error": "silent", "error_streak": 0})
        return new, change

    streak = old["error_streak"] + 1
    now_gone = f.status == 410
    since = old["last_success_at"] or first_attempt_at
    expected = timedelta(minutes=max(old["every_minutes"], 10) * 3)
    payload = {"source_id": sid, "url": old["url"], "error": outcome.error, "error_streak": streak,
               "detail": outcome.error_detail}
    change = None
    if now_gone and not old["gone"]:
        change = HealthChange(sid, "source_gone", f"Source {sid} answered 410 Gone; it stays configured and is "
                              "retried rarely. Remove or fix its URL.", payload)
    elif not old["down_alerted"] and not now_gone and now - since >= expected:
        change = HealthChange(sid, "source_down", f"Source {sid} failing since {since:%Y-%m-%d %H:%M} UTC: "
                              f"{outcome.error}", payload)
    new.update(last_error=outcome.error, last_error_detail=outcome.error_detail, error_streak=streak,
               next_attempt_at=now + timedelta(seconds=backoff_s(streak, f.retry_after_s)),
               gone=old["gone"] or now_gone,
               down_alerted=old["down_alerted"] or (change is not None and change.kind == "source_down"))
    return new, change


def record_outcomes(con: duckdb.DuckDBPyConnection, outcomes: Sequence[FetchOutcome], *,
                    now: datetime) -> list[HealthChange]:
    """Record every source's poll (new state and fetch log) in three statements, however many sources.
    Returns the operations alerts to raise."""
    if not outcomes:
        return []
    olds = source_store.read_health(con, [o.fetched.source_id for o in outcomes])
    states, changes = {}, []
    for o in outcomes:
        states[o.fetched.source_id], change = next_source_state(olds[o.fetched.source_id], o, now)
        if change is not None:
            changes.append(change)
    log = source_store.fetch_log_table([(o.fetched.source_id, now, o.fetched.status, o.fetched.bytes_read,
                                         o.fetched.elapsed_s, o.error, o.new_items) for o in outcomes])
    source_store.write_health(con, states, log)
    return changes
