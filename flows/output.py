"""One set of output options for every read command: --format table|csv|json, and --wide.

A table fits the terminal (`$COLUMNS`, else its width, else 100 columns): long cells are cut with "…" on one
line each; `wide` shows every cell whole, wrapped. csv and json are never cut."""

from __future__ import annotations

import contextlib
import csv
import json
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TextIO

FORMATS = ("table", "csv", "json")


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") + (" UTC" if value.utcoffset() == timedelta(0) else
                                                   value.strftime(" %z") if value.tzinfo else "")
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    return str(_plain(value))


def terminal_width() -> int:
    return shutil.get_terminal_size((100, 24)).columns


def fit_columns(names: Sequence[str], cells: Sequence[Sequence[str]], width: int) -> list[int]:
    """Each column's width so that the table fits `width`: the widest columns give way first, none below its
    heading (up to 10 characters) or 3."""
    natural = [max([len(n), *(max((len(line) for line in row[i].splitlines()), default=0) for row in cells)])
               for i, n in enumerate(names)]
    floors = [min(n, max(3, min(len(name), 10))) for n, name in zip(natural, names, strict=True)]
    room = width - (3 * len(names) + 1)  # borders and padding
    if sum(natural) <= room:
        return natural
    low, high = 0, max(natural)  # the largest cap that fits: columns above it are cut to it
    while low < high:
        cap = (low + high + 1) // 2
        if sum(max(f, min(n, cap)) for n, f in zip(natural, floors, strict=True)) <= room:
            low = cap
        else:
            high = cap - 1
    return [max(f, min(n, low)) for n, f in zip(natural, floors, strict=True)]


def render(names: Sequence[str], rows: Sequence[Sequence], fmt: str, out: TextIO | None = None,
           title: str | None = None, *, wide: bool = False) -> None:
    out = out or sys.stdout
    if fmt == "json":
        json.dump([dict(zip(names, (_plain(v) for v in row), strict=True)) for row in rows], out, indent=2,
                  ensure_ascii=False)
        out.write("\n")
    elif fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(names)
        for row in rows:
            writer.writerow([_cell(v) for v in row])
    else:
        from rich.console import Console
        from rich.table import Table

        cells = [[_cell(v) for v in row] for row in rows]
        width = terminal_width()
        caps = None if wide else fit_columns(names, cells, width)
        table = Table(title=title, show_lines=False)
        for i, n in enumerate(names):
            table.add_column(n, overflow="fold" if wide else "ellipsis", no_wrap=not wide,
                             max_width=caps[i] if caps else None)
        for row in cells:
            table.add_row(*row)
        if wide:  # every cell whole: as wide as the widest row needs (long cells still wrap past 400)
            width = max(width, min(400, Console(file=out, width=10_000).measure(table).maximum))
        Console(file=out, width=width, soft_wrap=False).print(table)
        out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")


@contextlib.contextmanager
def progress_bar(total: int, label: str, *, enabled: bool = True) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr for long work (replays, reprocess); yields a function to call per step."""
    if not enabled:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda: progress.advance(task)
