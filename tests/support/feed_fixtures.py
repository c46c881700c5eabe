"""Feed fixtures (tests/fixtures/feeds): each file carries its own description and expectations in a leading
comment (Description, Content-Type, Base-URL, Now, Expect lines), feedparser-style."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

_FIELD_RE = re.compile(r"^\s*(Description|Content-Type|Base-URL|Now|Expect):\s*(.*?)\s*$", re.MULTILINE)


def _fixture_text(data: bytes) -> str:
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(codec)
    return data.decode("latin-1")


def load_fixture(path: Path) -> tuple[bytes, dict[str, list[str]]]:
    data = path.read_bytes()
    comment = re.search(r"<!--(.*?)-->", _fixture_text(data), re.DOTALL)
    assert comment, f"{path.name} needs a leading comment with Description and Expect lines"
    fields: dict[str, list[str]] = {}
    for name, value in _FIELD_RE.findall(comment.group(1)):
        fields.setdefault(name, []).append(value)
    assert fields.get("Description") and fields.get("Expect"), f"{path.name}: Description and Expect required"
    return data, fields
