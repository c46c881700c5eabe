"""Prototypes of fixes in files this benchmark does not own, to measure their gain (`python -m bench.proposals`).

Nothing here is used by the pipeline or by `make bench`'s figures; each function patches a module at run time
so the gain can be measured on the benchmark's own items before the owner applies the change for real.

1. tasks/extract/sentences.py `fold`: an ASCII fast path (the loop runs per character, ~800k calls per 200
   items, most on ASCII text, which it returns unchanged).
2. tasks/extract/officials.py: the title and appositive patterns (a case-insensitive alternation of 77 titles)
   cost ~50 us per sentence, twice per sentence per item; skip sentences without any title word.
"""

from __future__ import annotations

import re
import sys
import time
from functools import cache

from tasks.extract import context, deadlines, gazetteer, meetings, officials, sentences

_original_fold = sentences.fold


def fast_fold(text: str) -> str:
    """Same result as sentences.fold; ASCII text is returned as is (it has nothing to fold or replace)."""
    if text.isascii():
        return text
    return _original_fold(text)


def apply_fold_fast_path() -> None:
    for module in (sentences, officials, gazetteer, context, deadlines, meetings):
        module.fold = fast_fold


class _TitlePrefiltered:
    """The title and appositive patterns need a title word; `(?i:Prime Minister|...)` tried at every position
    costs ~50 us per sentence. A substring test on the lower-cased sentence skips the ~95% without one."""

    def __init__(self, pattern: re.Pattern, titles: tuple[str, ...]) -> None:
        self.pattern = pattern
        self.words = tuple(sorted({fast_fold(t).lower().split()[0] for t in titles}))

    def finditer(self, text: str):
        low = text.lower()
        if not any(w in low for w in self.words):
            return iter(())
        return self.pattern.finditer(text)


def apply_title_prefilter() -> None:
    title_regex, appositive_regex = officials._title_regex, officials._appositive_regex

    @cache
    def title(gaz_id, titles):
        return _TitlePrefiltered(title_regex(gaz_id, titles), titles)

    @cache
    def appositive(gaz_id, titles):
        return _TitlePrefiltered(appositive_regex(gaz_id, titles), titles)

    officials._title_regex, officials._appositive_regex = title, appositive


def _measure(items, label: str) -> float:
    from tasks.extract import extract

    extract(items[0])
    t = time.perf_counter()
    for it in items:
        extract(it)
    rate = len(items) / (time.perf_counter() - t)
    print(f"{label:<44} {rate:8.1f} items/s", flush=True)
    return rate


def main(argv: list[str] | None = None) -> int:
    from bench.feeds import AS_OF, make_corpus
    from tasks.parse import parse_feed

    n_feeds = int((argv or sys.argv[1:] or ["4"])[0])
    corpus = make_corpus(feeds=n_feeds, items_per_feed=50)
    items = [it for s, b in corpus.bodies().items() for it in parse_feed(b, source_id=s, now=AS_OF).items]
    base = _measure(items, "extract as is")
    apply_fold_fast_path()
    folded = _measure(items, "+ fold ASCII fast path")
    apply_title_prefilter()
    both = _measure(items, "+ title-word prefilter in officials")
    print(f"gain: x{folded / base:.1f} (fold), x{both / base:.1f} (fold + prefilter)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
