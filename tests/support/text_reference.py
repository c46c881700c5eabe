"""The oracle for html_to_text's fast path: the whole conversion by HTMLParser, layout line by line (what
tasks/sources/text.py did before its fast path). Independent of the product's code but for the element lists
and control stripping it shares by definition."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from tasks.sources.text import BLOCK_ELEMENTS, DROPPED_ELEMENTS, strip_controls

PARA, LINE = "\x01", "\x02"  # layout markers (controls: never in stripped text)
_WS = re.compile(r"\s+")
_MARKUP = re.compile(r"<[A-Za-z/!?]")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n\s*")
_BANG_TEXT = re.compile(r"<!(?!--|\[CDATA\[|doctype)", re.IGNORECASE)  # "<!channel>" is text


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.dropping = 0

    def handle_starttag(self, tag, attrs):
        if tag in DROPPED_ELEMENTS:
            self.dropping += 1
        elif tag == "br":
            self.out.append(LINE)
        elif tag in BLOCK_ELEMENTS:
            self.out.append(PARA)

    def handle_startendtag(self, tag, attrs):
        if tag == "br":
            self.out.append(LINE)
        elif tag in BLOCK_ELEMENTS:
            self.out.append(PARA)

    def handle_endtag(self, tag):
        if tag in DROPPED_ELEMENTS:
            self.dropping = max(0, self.dropping - 1)
        elif tag in BLOCK_ELEMENTS:
            self.out.append(PARA)

    def handle_data(self, data):
        if not self.dropping:
            self.out.append(_WS.sub(" ", strip_controls(data)))


def _markers(text: str) -> str:
    if not _MARKUP.search(text):
        return _BLANK_LINE.sub(PARA, strip_controls(unescape(text)))
    parser = _Extractor()
    try:
        parser.feed(_BANG_TEXT.sub("&lt;!", text))
        parser.close()
        return "".join(parser.out)
    except Exception:  # noqa: BLE001 - HTMLParser's last resort, as the product's
        return re.sub(r"<[^>]*>", " ", text)


def _layout(raw: str, paragraphs: bool) -> str:
    if not paragraphs:
        return _WS.sub(" ", raw.replace(PARA, " ").replace(LINE, " ")).strip()
    out = []
    for para in raw.split(PARA):
        lines = (_WS.sub(" ", line).strip() for line in para.split(LINE))
        text = "\n".join(line for line in lines if line)
        if text:
            out.append(text)
    return "\n\n".join(out)


def html_to_text_reference(html: str | None, *, paragraphs: bool = True) -> str:
    return _layout(_markers(strip_controls(html)), paragraphs) if html else ""
