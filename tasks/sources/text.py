"""Plain-text helpers shared by the stages: HTML → text, control-character stripping, canonical URLs.

Pure functions, standard library only (they run inside the parser worker processes too).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape as html_unescape
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

# C0 controls except \t and \n, DEL, C1 controls, zero-width and bidi marks, bidi embeddings/overrides/isolates,
# BOM, lone surrogates. Zero-width characters (space, non-joiner, joiner, word joiner, invisible operators,
# Mongolian vowel separator) are invisible: left in, "Korea\u200b-US talks" would not read as "Korea-US talks".
_CONTROL_CODEPOINTS = (
    [c for c in range(0x00, 0x20) if c not in (0x09, 0x0A)]
    + [0x7F]
    + list(range(0x80, 0xA0))
    + [0x180E]
    + list(range(0x200B, 0x2010))  # zero-width space, non-joiner, joiner; left-to-right and right-to-left marks
    + list(range(0x2060, 0x2065))  # word joiner, invisible function application, times, separator, plus
    + list(range(0x202A, 0x202F))
    + list(range(0x2066, 0x206A))
    + [0xFEFF, 0xFFFE, 0xFFFF]
    + list(range(0xD800, 0xE000))
    + list(range(0xFDD0, 0xFDF0))  # noncharacters
)
_CONTROL_TABLE = dict.fromkeys(_CONTROL_CODEPOINTS)
_CONTROL_RE = re.compile("[" + "".join(re.escape(chr(c)) for c in _CONTROL_CODEPOINTS) + "]")


_ASCII_CONTROLS = bytes(c for c in _CONTROL_CODEPOINTS if c < 0x80)


def strip_controls(text: str) -> str:
    """Remove control characters (C0 except tab and newline, DEL, C1), zero-width characters and bidi marks and
    override characters."""
    if text.isascii():  # the common case: a bytes scan is ~10x faster than the regex
        if len(text.encode("ascii").translate(None, _ASCII_CONTROLS)) == len(text):
            return text
    elif not _CONTROL_RE.search(text):
        return text
    return text.translate(_CONTROL_TABLE)


# Elements whose content is never text for a reader.
DROPPED_ELEMENTS = frozenset({"script", "style", "template", "noscript", "iframe", "object", "svg", "math"})
# Elements that separate paragraphs.
BLOCK_ELEMENTS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption", "figure",
        "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol",
        "p", "pre", "section", "table", "tbody", "thead", "tfoot", "tr", "ul",
    }
)  # fmt: skip
# Layout markers: C0 controls, removed from input (and from entity output) by strip_controls, so never
# ambiguous; ASCII and not whitespace, so text with markers stays a compact ASCII string for _layout.
_PARA = "\x01"
_LINE = "\x02"
_WS_RE = re.compile(r"\s+")
_MARKUP_RE = re.compile(r"<[A-Za-z/!?]")
_BLANK_LINE_RE = re.compile(r"\n[^\S\n]*\n\s*")
# "<!" that is not a comment, CDATA section or doctype: text such as Slack's "<!channel>", kept literally.
_BANG_TEXT_RE = re.compile(r"<!(?!--|\[CDATA\[|doctype)", re.IGNORECASE)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._drop_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED_ELEMENTS:
            self._drop_depth += 1
        elif tag == "br":
            self.out.append(_LINE)
        elif tag in BLOCK_ELEMENTS:
            self.out.append(_PARA)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.out.append(_LINE)
        elif tag in BLOCK_ELEMENTS:
            self.out.append(_PARA)

    def handle_endtag(self, tag: str) -> None:
        if tag in DROPPED_ELEMENTS:
            self._drop_depth = max(0, self._drop_depth - 1)
        elif tag in BLOCK_ELEMENTS:
            self.out.append(_PARA)

    def handle_data(self, data: str) -> None:
        if not self._drop_depth:
            self.out.append(_WS_RE.sub(" ", strip_controls(data)))  # entities may have produced controls


# --- fast path: simple markup --------------------------------------------------------------------------
#
# For a fragment made only of text and simple tags (no comments, CDATA, declarations, processing
# instructions, no `<` that is not a tag, only elements below), HTMLParser's tokenisation is fully
# determined: every `<` starts a tag that ends at its `>`, the text between tags is passed through
# html.unescape one chunk per gap, and none of these elements switches the parser into a raw-text mode
# (script/style are not among them). So splitting on the tags ourselves gives the same events.
# Anything else declines to the HTMLParser path; tests/tasks/sources/test_text.py proves the two agree.
_INLINE_TAGS = (
    "a", "abbr", "b", "bdi", "big", "cite", "code", "data", "dfn", "em", "font", "i", "img", "kbd", "q",
    "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "var", "wbr",
    "caption", "center", "col", "colgroup", "td", "th", "del", "ins", "mark", "figure", "picture",
)  # fmt: skip
_START_MARKERS = {tag: "" for tag in _INLINE_TAGS} | {tag: _PARA for tag in BLOCK_ELEMENTS} | {"br": _LINE}
_END_MARKERS = {"/" + tag: "" for tag in _INLINE_TAGS} | {"/" + tag: _PARA for tag in BLOCK_ELEMENTS} | {"/br": ""}
_TAG_MARKERS = _START_MARKERS | _END_MARKERS
assert not _TAG_MARKERS.keys() & DROPPED_ELEMENTS  # dropped-content elements always take the HTMLParser path
# Only ASCII space/tab/newline separate (\r and \f are already stripped as controls); HTMLParser's name
# pattern stops exactly at those, "/" and ">". Attribute values must not hold "<" or ">" (HTMLParser
# copes with them inside quotes; we simply decline), and each attribute needs whitespace before it.
_ATTR = r"""[ \t\n]+[A-Za-z_:][-A-Za-z0-9_:.]*(?:[ \t\n]*=[ \t\n]*(?:"[^"<>]*"|'[^'<>]*'|[^ \t\n"'<>=`]+))?"""
_SIMPLE_TAG_RE = re.compile(
    rf"<(?:(/[A-Za-z][A-Za-z0-9]*)[ \t\n]*|([A-Za-z][A-Za-z0-9]*)(?:{_ATTR})*[ \t\n]*/?)>"
)


def _simple_markup_markers(text: str) -> str | None:
    """Text with layout markers for a fragment of simple markup, or None when it has anything else."""
    parts = _SIMPLE_TAG_RE.split(text)  # gap, end-tag name, start-tag name, gap, ..., gap
    # Each simple tag holds exactly one "<"; any other "<" (a comment, an odd tag, "a < b") declines.
    if text.count("<") != len(parts) // 3:
        return None
    names = zip(parts[1::3], parts[2::3], strict=True)
    markers = [_TAG_MARKERS.get((end or start).lower()) for end, start in names]
    if None in markers:  # an element we do not know to be harmless
        return None
    gaps = parts[0::3]
    if "&" in text:
        gaps = [_unescaped(gap) for gap in gaps]
    pieces = gaps + markers  # interleaved below: gap, marker, gap, ..., gap
    pieces[0::2] = gaps
    pieces[1::2] = markers
    return "".join(pieces)


def takes_fast_path(html: str) -> bool:
    """True when html_to_text reads this fragment without HTMLParser (text and simple tags only)."""
    return _simple_markup_markers(strip_controls(html)) is not None


def _unescaped(data: str) -> str:
    # HTMLParser unescapes each gap between tags on its own; entities may produce controls
    return strip_controls(html_unescape(data)) if "&" in data else data


def _parsed_markup_markers(text: str) -> str:
    """Text with layout markers, by HTMLParser: for any markup the fast path declines."""
    parser = _TextExtractor()
    try:
        parser.feed(_BANG_TEXT_RE.sub("&lt;!", text))
        parser.close()
        return "".join(parser.out)
    except Exception:  # HTMLParser is lenient; this is a last resort, not a code path we expect
        return re.sub(r"<[^>]*>", " ", text)


def _plain_text_markers(text: str) -> str:
    # plain text: entities still mean something, and a blank line is a paragraph break
    return _BLANK_LINE_RE.sub(_PARA, strip_controls(html_unescape(text)))


def _layout(raw: str, paragraphs: bool) -> str:
    """Final text from text with layout markers: each line's whitespace collapsed and stripped, empty
    lines and paragraphs dropped (without a regex pass per line)."""
    if not paragraphs:
        return _collapsed(raw.replace(_PARA, " ").replace(_LINE, " "))
    collapse = _collapsed if _has_whitespace_to_collapse(raw) else _stripped
    paras = (_lines_of(para, collapse) for para in raw.split(_PARA))
    return "\n\n".join(para for para in paras if para)


def _lines_of(para: str, collapse: Callable[[str], str]) -> str:
    if _LINE not in para:
        return collapse(para)
    lines = (collapse(line) for line in para.split(_LINE))
    return "\n".join(line for line in lines if line)


def _collapsed(text: str) -> str:
    # str.split() splits on exactly what \s matches (both are str.isspace), so this is the old
    # `_WS_RE.sub(" ", text).strip()`, ~4x faster
    return " ".join(text.split())


def _stripped(text: str) -> str:
    # `_collapsed` for text whose only whitespace is single spaces
    return text.strip(" ")


_ASCII_SPACES_BUT_SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"


def _has_whitespace_to_collapse(text: str) -> bool:
    """False when the only whitespace is single spaces: ASCII (str.isascii is O(1)), no double space
    and none of the other ASCII whitespace characters (each `in` is a memchr scan)."""
    if not text.isascii() or "  " in text:
        return True
    return any(c in text for c in _ASCII_SPACES_BUT_SPACE)


def html_to_text(html: str | None, *, paragraphs: bool = True) -> str:
    """Plain text of an HTML fragment (or of plain text, which passes through unchanged apart from spacing).

    Tags are removed, script/style content dropped, entities unescaped, whitespace collapsed. With
    ``paragraphs`` block elements become "\\n\\n" and <br> "\\n"; without, everything is one line.
    Control and bidi-override characters are stripped.
    """
    if not html:
        return ""
    text = strip_controls(html)
    if not _MARKUP_RE.search(text):
        return _layout(_plain_text_markers(text), paragraphs)
    raw = _simple_markup_markers(text)
    if raw is None:
        raw = _parsed_markup_markers(text)
    return _layout(raw, paragraphs)


# Query parameters that only track the click; dropped from canonical URLs (compared lowercased).
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid", "ttclid",
        "mc_cid", "mc_eid", "ref", "ref_src", "ref_url", "cmpid", "ocid", "_hsenc", "_hsmi", "mkt_tok",
        "smid", "sr_share", "at_medium", "at_campaign", "__twitter_impression", "oly_enc_id", "oly_anon_id",
        "vero_id", "_ga", "_gl",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_",)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(raw_pair: str) -> bool:
    key = unquote(raw_pair.split("=", 1)[0].replace("+", " ")).strip().lower()
    return key in TRACKING_PARAMS or key.startswith(_TRACKING_PREFIXES)


_SCHEME_RE = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.-]*:")


def is_absolute(url: str | None) -> bool:
    """True when the URL (or URI: tag:, urn:) names its scheme; a relative reference does not."""
    return bool(url) and bool(_SCHEME_RE.match(url))


def canonical_url(url: str | None, base: str | None = None) -> str | None:
    """The canonical form of an http(s) link, or None when it is not one (javascript:, mailto:, garbage).

    Lowercases scheme and host, drops the default port, the fragment and tracking parameters, and sorts
    the remaining query parameters. Everything else (path, parameter encoding) is kept byte for byte, so
    opaque links such as news.google.com/rss/articles/... survive.
    """
    if not url:
        return None
    url = re.sub(r"[\t\r\n]", "", strip_controls(url)).strip().replace(" ", "%20")
    if base and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url):
        try:
            url = urljoin(base, url)
        except ValueError:
            return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname  # already lowercased by urlsplit
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    pairs = sorted(p for p in parts.query.split("&") if p and not _is_tracking(p))
    return urlunsplit((scheme, netloc, parts.path or "/", "&".join(pairs), ""))
