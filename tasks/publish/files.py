"""Where the calendar and the report are published (beside the snapshot: `<warehouse>.calendar.ics` and
`<warehouse>.report.html`), their URLs under `[publish] base_url`, the atomic write that publishes them (a
reader, be it a static file server, a calendar client or a browser, sees the old file or the new one, never half
of one), and the note of when they were last published (`<warehouse>.published.json`)."""

from __future__ import annotations

import contextlib
import filecmp
import json
import os
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

FILE_MODE = 0o644  # readable by the web server that serves it
WRITE_BUFFER = 1 << 20  # bytes gathered per write of a streamed file


def calendar_path(warehouse_path: str | Path) -> Path:
    p = Path(warehouse_path)
    return p.with_name(p.stem + ".calendar.ics")


def report_path(warehouse_path: str | Path) -> Path:
    p = Path(warehouse_path)
    return p.with_name(p.stem + ".report.html")


def note_path(warehouse_path: str | Path) -> Path:
    p = Path(warehouse_path)
    return p.with_name(p.stem + ".published.json")


def last_published(warehouse_path: str | Path) -> datetime | None:
    """The "as of" of the last calendar and report published beside this warehouse (None: none, or a note that
    cannot be read, which only means they are published again)."""
    try:
        value = datetime.fromisoformat(json.loads(note_path(warehouse_path).read_text(encoding="utf-8"))["as_of"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return value if value.tzinfo else None


def record_published(warehouse_path: str | Path, as_of: datetime) -> None:
    write_atomically(note_path(warehouse_path), json.dumps({"as_of": as_of.isoformat()}).encode("utf-8"))


def published_url(base_url: str, path: Path) -> str:
    """The URL of a published file under the base URL it is served from."""
    return base_url.rstrip("/") + "/" + quote(path.name)


def write_atomically(path: str | Path, data: bytes) -> bool:
    """Write `data` to a temp file beside `path`, flush it to disk, rename it over `path`. Returns False (and
    writes nothing) when the file already holds exactly these bytes, so that its mtime and a server's ETag only
    change with its content. On any failure the old file is untouched and the temp file removed."""
    path = Path(path)
    with contextlib.suppress(OSError):
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    return write_streamed(path, [data], compare=False)


def write_streamed(path: str | Path, chunks: Iterable[bytes], *, compare: bool = True) -> bool:
    """write_atomically for a file written as its pieces come (never whole in memory): the temp file is written
    first, and dropped (False) when it holds exactly what `path` does."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb", buffering=WRITE_BUFFER) as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            if compare and _same_bytes(Path(tmp), path):
                os.unlink(tmp)
                return False
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return True


def _same_bytes(a: Path, b: Path) -> bool:
    try:
        return a.stat().st_size == b.stat().st_size and filecmp.cmp(a, b, shallow=False)
    except OSError:
        return False
