"""Events written into a real warehouse by the real writers (warehouse/items.py, warehouse/events.py), in one
transaction, for tests of what is read back from them."""

from __future__ import annotations

from datetime import datetime

from warehouse import events as event_store
from warehouse.items import store_items
from warehouse.transaction import transaction


def write_events(con, *, now: datetime, items=(), meetings=(), deadlines=(), values=(), mentions=(), changes=()):
    with transaction(con):
        store_items(con, list(items), now=now)
        event_store.upsert_meetings(con, list(meetings), now=now)
        event_store.upsert_deadlines(con, list(deadlines), now=now)
        event_store.append_deadline_values(con, list(values))
        event_store.add_mentions(con, list(mentions))
        event_store.append_meeting_changes(con, list(changes))
