"""Items as rows (an Item's fields in order, the date as ISO text): what workers send and receive for items.
Cheaper to write and read than objects; checked for shape on the way in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime

from records.items import Item

ITEM_FIELDS = tuple(f.name for f in fields(Item))
_PUBLISHED_AT = ITEM_FIELDS.index("published_at")


def item_rows(items: Sequence[Item]) -> list[list]:
    rows = []
    for item in items:
        row = [getattr(item, name) for name in ITEM_FIELDS]
        row[_PUBLISHED_AT] = item.published_at.isoformat() if item.published_at else None
        rows.append(row)
    return rows


def items_of(rows: Sequence) -> list[Item]:
    items = []
    for row in rows:
        if not isinstance(row, list) or len(row) != len(ITEM_FIELDS):
            raise ValueError("an item row of the wrong shape")
        published = row[_PUBLISHED_AT]
        row[_PUBLISHED_AT] = datetime.fromisoformat(published) if published else None
        items.append(Item(*row))
    return items
