"""One set of output options for every read command: --format table|csv|json."""

from __future__ import annotations

import contextlib
import csv
import json
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


def render(names: Sequence[str], rows: Sequence[Sequence], fmt: str, out: TextIO | None = None,
           title: str | None = None) -> None:
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

        table = Table(title=title, show_lines=False)
        for n in names:
            table.add_column(n, overflow="fold")
        for row in rows:
            table.add_row(*(_cell(v) for v in row))
        Console(file=out, width=max(100, min(200, Console().width))).print(table)
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
