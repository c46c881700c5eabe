"""A source's stored polling state: its validators, backoff and health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SourceState:
    source_id: str
    etag: str | None
    last_modified: str | None
    next_attempt_at: datetime | None
    error_streak: int
    gone: bool

    def is_due(self, now: datetime) -> bool:
        return self.next_attempt_at is None or self.next_attempt_at <= now
