"""What one cycle did, in a few lines for the console and the flow run's log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tasks.alerts.delivery import DeliveryReport
from tasks.cycle.extract import Extracted
from tasks.events.apply import EventCounts
from tasks.sources.store import Stored


@dataclass(frozen=True)
class CycleSummary:
    as_of: datetime
    sources_polled: int = 0
    sources_ok: int = 0
    sources_not_modified: int = 0
    sources_failed: dict[str, str] = field(default_factory=dict)
    sources_skipped: int = 0  # backing off
    items_deferred: int = 0  # over the per-source bound: stored by later runs
    new_items: int = 0
    edited_items: int = 0
    relevant_items: int = 0
    events: EventCounts = field(default_factory=EventCounts)
    delivery: DeliveryReport | None = None

    @classmethod
    def of(cls, now: datetime, *, enabled: int, stored: Stored, extracted: Extracted, events: EventCounts,
           delivery: DeliveryReport | None) -> CycleSummary:
        polled = stored.sources
        failed = {p.source_id: p.error + (f" ({p.error_detail})" if p.error_detail else "")
                  for p in polled if p.error}
        return cls(as_of=now, sources_polled=len(polled), sources_ok=len(polled) - len(failed),
                   sources_not_modified=sum(1 for p in polled if not p.error and p.status == 304),
                   sources_failed=failed, sources_skipped=enabled - len(polled),
                   items_deferred=sum(p.deferred for p in polled), new_items=len(stored.new_ids),
                   edited_items=len(stored.edited_ids), relevant_items=extracted.relevant, events=events,
                   delivery=delivery)

    def lines(self) -> list[str]:
        e = self.events
        out = [
            f"cycle as of {self.as_of.isoformat()}",
            f"  sources: {self.sources_ok} ok ({self.sources_not_modified} unchanged), "
            f"{len(self.sources_failed)} failed, {self.sources_skipped} backing off",
            f"  items: {self.new_items} new, {self.edited_items} edited, {self.relevant_items} relevant"
            + (f", {self.items_deferred} deferred to the next run" if self.items_deferred else ""),
            f"  events: {e.new_meetings} new meetings, {e.meeting_updates} meeting updates, "
            f"{e.new_deadlines} new deadlines, {e.deadline_changes} deadline changes",
            f"  alerts: {e.alerts_pending} queued, {e.alerts_suppressed} recorded without sending",
        ]
        for sid, err in sorted(self.sources_failed.items()):
            out.append(f"  ! {sid}: {err if len(err) <= 160 else err[:159] + '…'}")
        d = self.delivery
        if d is not None:
            where = "console (no SLACK_BOT_TOKEN)" if d.console else "Slack"
            line = f"  delivery to {where}: {d.delivered} delivered, {d.failed} failed, {d.pending_left} waiting"
            out.append(line + "".join(f"; {ch}: {err}" for ch, err in sorted(d.errors.items())))
        return out
