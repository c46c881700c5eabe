"""Extraction: one Item in, Findings out (relevance, countries, meetings, deadlines). Pure.

from tasks.extract import extract, ExtractConfig
findings = extract(item)                      # defaults: every country watched
findings = extract(item, ExtractConfig.from_dict(toml["extract"]))
"""

from __future__ import annotations

from records.findings import ExtractConfig, Findings
from records.items import Item
from tasks.extract.context import build_context
from tasks.extract.deadlines import extract_deadlines
from tasks.extract.gazetteer import load_gazetteer
from tasks.extract.meetings import extract_meetings
from tasks.extract.relevance import judge, quick_verdict

__all__ = ["extract"]


def extract(item: Item, config: ExtractConfig | None = None) -> Findings:
    config = config or ExtractConfig()
    early = quick_verdict(item, config)
    if early is not None:  # other news: not read any further (the common case: well under a millisecond)
        return Findings(item.item_id, False, early.reason)
    ctx = build_context(item, load_gazetteer(config.gazetteer_path), config)
    meetings = extract_meetings(ctx)
    deadlines = extract_deadlines(ctx)
    # (in the order the findings name them: a set's order would change the tie-breaks of main_countries per run)
    for code in dict.fromkeys([*(c for m in meetings for c in m.parties), *(c for d in deadlines for c in d.countries)]):
        if code not in ctx.country_counts:
            ctx.country_counts[code] = 1
    verdict = judge(ctx, len(meetings), len(deadlines))
    countries = tuple(sorted(c for c in ctx.gaz.expand(ctx.country_counts, ctx.ref) if config.watches(c)))
    if not verdict.relevant:
        return Findings(item.item_id, False, verdict.reason, countries)
    return Findings(item.item_id, True, verdict.reason, countries, tuple(meetings), tuple(deadlines))
