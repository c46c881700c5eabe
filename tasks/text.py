"""Plain-text helpers shared by the stages: HTML → text, control-character stripping, canonical URLs.

Pure functions, standard library only (they run inside the parser worker processes too).
"""

from __future__ import annotations

import re
from html import unescape as html_unescape
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

# C0 controls except \t and \n, DEL, C1 controls, bidi embeddings/overrides/isolates, BOM, lone surrogates.
_CONTROL_CODEPOINTS = (
    [c for c in range(0x00, 0x20) if c not in (0x09, 0x0A)]
    + [0x7F]
    + list(range(0x80, 0xA0))
    + list(range(0x202A, 0x202F))
    + list(range(0x2066, 0x206A))
    + [0xFEFF, 0xFFFE, 0xFFFF]
    + list(range(0xD800, 0xE000))
    + list(range(0xFDD0, 0xFDF0))  # noncharacters; two of them serve as layout markers below
)
_CONTROL_TABLE = dict.fromkeys(_CONTROL_CODEPOINTS)
_CONTROL_RE = re.compile("[" + "".join(re.escape(chr(c)) for c in _CONTROL_CODEPOINTS) + "]")


def strip_controls(text: str) -> str:
    """Remove control characters (C0 except tab and newline, DEL, C1) and bidi override characters."""
    if not _CONTROL_RE.search(text):
        return text
    return text.translate(_CONTROL_TABLE)


# Elements whose content is never text for a reader.
_DROP_CONTENT = frozenset({"script", "style", "template", "noscript", "iframe", "object", "svg", "math"})
# Elements that separate paragraphs.
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption", "figure",
        "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol",
        "p", "pre", "section", "table", "tbody", "thead", "tfoot", "tr", "ul",
    }
)  # fmt: skip
_PARA = "\ufdd0"  # layout markers: noncharacters, removed from input by strip_controls, so never ambiguous
_LINE = "\ufdd1"
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
        if tag in _DROP_CONTENT:
            self._drop_depth += 1
        elif tag == "br":
            self.out.append(_LINE)
        elif tag in _BLOCKS:
            self.out.append(_PARA)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.out.append(_LINE)
        elif tag in _BLOCKS:
            self.out.append(_PARA)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_CONTENT:
            self._drop_depth = max(0, self._drop_depth - 1)
        elif tag in _BLOCKS:
            self.out.append(_PARA)

    def handle_data(self, data: str) -> None:
        if not self._drop_depth:
            self.out.append(_WS_RE.sub(" ", strip_controls(data)))  # entities may have produced controls


def _layout(raw: str, paragraphs: bool) -> str:
    if not paragraphs:
        return _WS_RE.sub(" ", raw.replace(_PARA, " ").replace(_LINE, " ")).strip()
    out = []
    for para in raw.split(_PARA):
        lines = (_WS_RE.sub(" ", line).strip() for line in para.split(_LINE))
        text = "\n".join(line for line in lines if line)
        if text:
            out.append(text)
    return "\n\n".join(out)


def html_to_text(html: str | None, *, paragraphs: bool = True) -> str:
    """Plain text of an HTML fragment (or of plain text, which passes through unchanged apart from spacing).

    Tags are removed, script/style content dropped, entities unescaped, whitespace collapsed. With
    ``paragraphs`` block elements become "\\n\\n" and <br> "\\n"; without, everything is one line.
    Control and bidi-override characters are stripped.
    """
    if not html:
        return ""
    text = strip_controls(html)
    if _MARKUP_RE.search(text):
        parser = _TextExtractor()
        try:
            parser.feed(_BANG_TEXT_RE.sub("&lt;!", text))
            parser.close()
            text = "".join(parser.out)
        except Exception:  # HTMLParser is lenient; this is a last resort, not a code path we expect
            text = re.sub(r"<[^>]*>", " ", text)
    else:  # plain text: entities still mean something, and a blank line is a paragraph break
        text = _BLANK_LINE_RE.sub(_PARA, strip_controls(html_unescape(text)))
    return _layout(text, paragraphs)


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
