"""Load the fixture texts in tests/fixtures/texts: each file carries its text and what extraction must find."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from records.items import Item
from tests.support.paths import FIXTURES

TEXTS = FIXTURES / "texts"


def fixture_files() -> list[Path]:
    return sorted(TEXTS.glob("*.json"))


def load_fixture(path: Path) -> tuple[Item, dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    published = datetime.fromisoformat(data["published"])
    item = Item(
        item_id=path.stem,
        source_id=data.get("source", "test"),
        guid=None,
        url=None,
        title=data["title"],
        summary=data.get("summary", ""),
        body=data["body"],
        published_at=published.astimezone(UTC),
        published_offset_min=int(published.utcoffset().total_seconds() // 60),
    )
    return item, data["expect"]
