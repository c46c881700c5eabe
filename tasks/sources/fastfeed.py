"""A fast path for the common feeds: lxml reads the document, and entries are built exactly as feedparser
(6.0.x, with sanitize_html=False, resolve_relative_uris=False, as feeds.py calls it) would build them.

`read_entries` returns the entries as plain dicts with the keys `entry_to_item` reads (title, summary,
content, link, id, published/updated and their *_parsed), or None to DECLINE: feeds.py then uses
feedparser. It only accepts what it fully understands, and declines everything else:

    - anything but a well-formed XML 1.0 document in UTF-8 (or ASCII) that feedparser would also read
      as UTF-8 without complaint (XML media type; HTTP charset and XML declaration agree);
    - any DOCTYPE (feedparser rewrites those), any `base`/`xml:base` attribute (feedparser rebases links);
    - a root other than RSS 2.0 <rss>, RSS 1.0 <rdf:RDF> or Atom 1.0 <feed>; zero entries;
    - an item/entry anywhere but where the format puts it (feedparser makes entries of them wherever);
    - an entry with attributes (feedparser reads lastmod/href there), a child element not on the
      format's list, a repeated child (feedparser's "which one wins" rules depend on depth and order),
      markup, comments or PIs inside a text child, content types other than text/html (base64, xhtml),
      Atom links without a plain href.

Why the result is the same: for the accepted children feedparser's handlers reduce to the few steps
mirrored in `_popped` (strip, resolve link/id against the base, undo UTF-8-read-as-Latin-1, map the C1
range to windows-1252) and the per-element rules in the `_read_*_entry` functions, applied in document
order. tests/tasks/sources/test_fastfeed.py compares whole ParseResults on every fixture and many generated variants.

Security: feeds.py runs `declares_entities` first; the parser here never resolves entities, loads a DTD
or touches the network, refuses huge trees, and any DOCTYPE at all declines.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from collections.abc import Callable
from typing import Any

from lxml import etree

from tasks.sources.feedparser_compat import (
    CP1252_TABLE,
    XML_PI_ENCODING,
    make_safe_absolute_uri,
    parse_content_type,
    parse_date,
    urljoin,
)

Entry = dict[str, Any]

RSS1_NS = "http://purl.org/rss/1.0/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"

_ATOM = f"{{{ATOM_NS}}}"
_UTF8 = codecs.lookup("utf-8").name
_ASCII = codecs.lookup("ascii").name


class Decline(Exception):
    """The document has something the fast path is not sure to read exactly as feedparser does."""


def read_entries(body: bytes, content_type: str, base_url: str | None) -> list[Entry] | None:
    """Entries of a plain RSS 2.0 / RSS 1.0 / Atom 1.0 document, or None (use feedparser).

    `content_type` is the Content-Type parse.py hands feedparser; `base_url` its Content-Location."""
    try:
        if not _read_as_utf8_by_feedparser(body, content_type):
            return None
        root = _parse(body)
        base = _base_uri(base_url)
        return _entries(root, base)
    except (Decline, etree.XMLSyntaxError, UnicodeError, ValueError):
        return None


# ---------------------------------------------------------------------------------------------------------
# Encoding: the same characters as feedparser's convert_to_utf8, without a CharacterEncodingOverride or
# NonXMLContentType (those make feedparser report the feed as malformed: error_detail)


def _read_as_utf8_by_feedparser(body: bytes, content_type: str) -> bool:
    data = body[3:] if body[:3] == codecs.BOM_UTF8 else body
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or b"\x00" in data[:4]:
        return False
    declared = XML_PI_ENCODING.match(data)
    xml_encoding = declared.group(1).decode("utf-8").lower() if declared else ""
    mime, http_encoding = parse_content_type(content_type)
    if mime in ("application/xml", "application/xml-dtd", "application/xml-external-parsed-entity") or (
        mime.startswith("application/") and mime.endswith("+xml")
    ):
        encoding = http_encoding or xml_encoding or "utf-8"
    elif mime in ("text/xml", "text/xml-external-parsed-entity") or (
        mime.startswith("text/") and mime.endswith("+xml")
    ):
        encoding = http_encoding or "us-ascii"
    else:
        return False  # feedparser flags NonXMLContentType
    # lxml reads the XML declaration; feedparser the encoding above: both must be UTF-8 (or ASCII bytes)
    if not all(_is_utf8_for(data, name) for name in (encoding, xml_encoding or "utf-8")):
        return False
    data.decode(encoding)  # UnicodeError: feedparser would fall back to another encoding
    return True


def _is_utf8_for(data: bytes, name: str) -> bool:
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return False
    return codec == _UTF8 or (codec == _ASCII and data.isascii())


# ---------------------------------------------------------------------------------------------------------
# Parsing


def _parse(body: bytes) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        dtd_validation=False,
        collect_ids=False,
    )
    tree = etree.fromstring(body, parser).getroottree()
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise Decline("DOCTYPE")  # feedparser rewrites doctypes (and Netscape RSS 0.91 means a version)
    if info.xml_version != "1.0":
        raise Decline("XML version")  # feedparser rewrites the declaration to 1.0
    if len(parser.error_log):
        raise Decline("parser warnings")
    return tree.getroot()


def _base_uri(base_url: str | None) -> str:
    """The base feedparser resolves links and ids against: the Content-Location made safe, then made
    absolute against itself at every start tag (stable after one step, or we decline)."""
    base = make_safe_absolute_uri(base_url or "") or ""
    if not base:
        return ""
    once = make_safe_absolute_uri(base, base) or base
    if (make_safe_absolute_uri(once, once) or once) != once:
        raise Decline("unstable base URI")
    return once


def _entries(root: etree._Element, base: str) -> list[Entry]:
    reader = _reader_for(root)
    items = reader.items(root)
    if not items:
        raise Decline("no entries")  # let feedparser tell an empty feed from a non-feed
    _check_document(root, items)
    return [reader.read(item, base) for item in items]


def _check_document(root: etree._Element, items: list[etree._Element]) -> None:
    chosen = set(items)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments and PIs outside entries: feedparser ignores them
        if any(_local(name).lower() == "base" for name in element.attrib):
            raise Decline("base attribute")  # xml:base, or even a bare "base": feedparser rebases
        if _local(element.tag).lower() in ("item", "entry") and element not in chosen:
            raise Decline("entry out of place")  # feedparser makes an entry of it wherever it is


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


# ---------------------------------------------------------------------------------------------------------
# Values as feedparser's `pop` leaves them


def _popped(text: str, *, resolve_against: str | None = None) -> str:
    """feedparser's _FeedParserMixin.pop for a text-only element, in its order of steps."""
    output = text.strip()
    if resolve_against is not None and output:
        output = urljoin(resolve_against, output)  # links, and ids when the guid is a permalink
    if output.isascii():
        return output  # both steps below change only non-ASCII text
    # "address common error where people take data that is already utf-8, presume ... iso-8859-1"
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        output = output.encode("iso-8859-1").decode("utf-8")
    return output.translate(CP1252_TABLE)


def _popped_link(text: str, base: str) -> str:
    # pop's extra step for an entry's <link>: "?a=1&b;=2" query fix-ups
    output = _popped(text, resolve_against=base).replace("&amp;", "&")
    return re.sub("&([A-Za-z0-9_]+);", r"&\g<1>", output)


def _text_of(element: etree._Element) -> str:
    """Text of a text-only element (CDATA included). Child elements, comments or PIs decline: lxml's
    .text would stop at them while feedparser joins around them or reads markup into the value."""
    if len(element):
        raise Decline("markup inside a text element")
    return element.text or ""


def _set_date(entry: Entry, key: str, value: str) -> None:
    entry[key] = value
    entry[key + "_parsed"] = parse_date(value)


def _attributes(element: etree._Element) -> dict[str, str]:
    """Attributes keyed as feedparser keys them: names lowercased; rel and type values lowercased.
    Namespaced attributes decline: feedparser keys them both by local name and by prefixed name."""
    out = {}
    for name, value in element.attrib.items():
        if "}" in name:
            raise Decline("namespaced attribute")
        key = name.lower()
        out[key] = value.lower() if key in ("rel", "type") else value
    return out


def _only_attributes(element: etree._Element, allowed: frozenset[str]) -> dict[str, str]:
    attributes = _attributes(element)
    if not attributes.keys() <= allowed:
        raise Decline(f"attributes on <{_local(element.tag)}>")
    return attributes


_NONE: frozenset[str] = frozenset()
_TEXT_TYPES = frozenset({"text", "html", "plain", "text/plain", "text/html"})


def _text_content_type(element: etree._Element, allowed: frozenset[str]) -> None:
    """Only plain or HTML text: other types make feedparser base64-decode or rebuild XHTML markup."""
    attributes = _only_attributes(element, allowed | {"type"})
    if attributes.get("type", "text") not in _TEXT_TYPES:
        raise Decline("content type")


def _children(entry_element: etree._Element) -> list[tuple[str, etree._Element]]:
    """(namespace-qualified tag, element) per child, declining repeats of the ones we read."""
    children = []
    seen = set()
    for child in entry_element:
        if not isinstance(child.tag, str):
            continue  # a comment or PI between children is ignored by feedparser too
        if child.tag in seen and child.tag not in _REPEATABLE:
            raise Decline(f"repeated <{child.tag}>")
        seen.add(child.tag)
        children.append((child.tag, child))
    return children


_REPEATABLE = frozenset({"category", f"{{{DC_NS}}}subject", f"{{{ATOM_NS}}}category", f"{{{ATOM_NS}}}link"})


# ---------------------------------------------------------------------------------------------------------
# RSS 2.0 (and RSS 1.0, which shares most elements)


class _Rss2:
    @staticmethod
    def items(root: etree._Element) -> list[etree._Element]:
        channels = [c for c in root if c.tag == "channel"]
        if len(channels) != 1:
            raise Decline("channels")
        return [c for c in channels[0] if c.tag == "item"]

    @staticmethod
    def read(item: etree._Element, base: str) -> Entry:
        if item.attrib:
            raise Decline("attributes on <item>")  # feedparser reads lastmod/href there
        return _read_rss_children(_children(item), base, ns="")


class _Rss1:
    @staticmethod
    def items(root: etree._Element) -> list[etree._Element]:
        if sum(1 for c in root if c.tag == f"{{{RSS1_NS}}}channel") != 1:
            raise Decline("channels")
        return [c for c in root if c.tag == f"{{{RSS1_NS}}}item"]

    @staticmethod
    def read(item: etree._Element, base: str) -> Entry:
        attributes = dict(item.attrib)
        about = attributes.pop(f"{{{RDF_NS}}}about", None)
        if attributes:
            raise Decline("attributes on <item>")
        return _read_rss_children(_children(item), base, ns=f"{{{RSS1_NS}}}", about=about)


def _read_rss_children(
    children: list[tuple[str, etree._Element]], base: str, *, ns: str, about: str | None = None
) -> Entry:
    """Feedparser's handlers for an RSS item's children, in document order."""
    entry: Entry = {}
    if about:
        entry["id"] = about  # _start_item: rdf:about as is (no strip, no resolving)
    for tag, child in children:
        handler = _RSS_CHILDREN.get(tag.removeprefix(ns) if ns else tag)  # RSS 1.0 elements are namespaced
        if handler is None:
            raise Decline(f"unknown item child <{tag}>")
        handler(entry, child, base)
    return entry


def _rss_title(entry: Entry, child: etree._Element, base: str) -> None:
    _only_attributes(child, _NONE)
    entry["title"] = _popped(_text_of(child))


def _rss_description(entry: Entry, child: etree._Element, base: str) -> None:
    # _start_description turns a description into content only when a summary is there without content:
    # impossible here, as only content:encoded (which counts as content) sets a summary before it
    _only_attributes(child, _NONE)
    entry["summary"] = _popped(_text_of(child))


def _rss_content_encoded(entry: Entry, child: etree._Element, base: str) -> None:
    _only_attributes(child, _NONE)
    value = _popped(_text_of(child))
    entry["content"] = [{"value": value}]
    entry.setdefault("summary", value)  # _end_content: text/html content doubles as the summary


def _rss_link(entry: Entry, child: etree._Element, base: str) -> None:
    _only_attributes(child, _NONE)
    entry["link"] = _popped_link(_text_of(child), base)  # overwrites a link a permalink guid set


def _rss_guid(entry: Entry, child: etree._Element, base: str) -> None:
    attributes = _only_attributes(child, frozenset({"ispermalink"}))
    is_link = attributes.get("ispermalink", "true") == "true"  # case-sensitive in feedparser
    value = _popped(_text_of(child), resolve_against=base if is_link else None)
    entry["id"] = value
    if is_link:
        entry.setdefault("link", value)  # a permalink guid is the link unless a <link> came first


def _rss_pubdate(entry: Entry, child: etree._Element, base: str) -> None:
    _only_attributes(child, _NONE)
    _set_date(entry, "published", _popped(_text_of(child)))


def _dc_date(entry: Entry, child: etree._Element, base: str) -> None:
    _only_attributes(child, _NONE)
    _set_date(entry, "updated", _popped(_text_of(child)))


def _inert_text(entry: Entry, child: etree._Element, base: str) -> None:
    # author, category, comments, dc:creator, dc:subject: feedparser stores them under keys we never read
    _text_of(child)


def _inert_empty(entry: Entry, child: etree._Element, base: str) -> None:
    # <enclosure url=... length=... type=.../>: a link with rel="enclosure", never the entry's link
    _only_attributes(child, frozenset({"url", "length", "type"}))
    if _text_of(child).strip():
        raise Decline("text in <enclosure>")


def _rss_source(entry: Entry, child: etree._Element, base: str) -> None:
    # <source url=...>name</source>: goes to entry["source"]; it also resets title_depth, harmless with
    # a single <title>
    _only_attributes(child, frozenset({"url"}))
    _text_of(child)


_RSS_CHILDREN: dict[str, Callable[[Entry, etree._Element, str], None]] = {
    "title": _rss_title,
    "description": _rss_description,
    "link": _rss_link,
    "guid": _rss_guid,
    "pubDate": _rss_pubdate,
    "author": _inert_text,
    "category": _inert_text,
    "comments": _inert_text,
    "enclosure": _inert_empty,
    "source": _rss_source,
    f"{{{CONTENT_NS}}}encoded": _rss_content_encoded,
    f"{{{DC_NS}}}date": _dc_date,
    f"{{{DC_NS}}}creator": _inert_text,
    f"{{{DC_NS}}}subject": _inert_text,
}


# ---------------------------------------------------------------------------------------------------------
# Atom 1.0


class _Atom:
    @staticmethod
    def items(root: etree._Element) -> list[etree._Element]:
        return [c for c in root if c.tag == f"{{{ATOM_NS}}}entry"]

    @staticmethod
    def read(entry_element: etree._Element, base: str) -> Entry:
        if entry_element.attrib:
            raise Decline("attributes on <entry>")
        entry: Entry = {}
        for tag, child in _children(entry_element):
            handler = _ATOM_CHILDREN.get(tag.removeprefix(_ATOM)) if tag.startswith(_ATOM) else None
            if handler is None:
                raise Decline(f"unknown entry child <{tag}>")
            handler(entry, child, base)
        return entry


def _atom_title(entry: Entry, child: etree._Element, base: str) -> None:
    _text_content_type(child, _NONE)
    entry["title"] = _popped(_text_of(child))


def _atom_summary(entry: Entry, child: etree._Element, base: str) -> None:
    # like RSS's description: becomes content only when a summary exists without content, impossible here
    _text_content_type(child, _NONE)
    entry["summary"] = _popped(_text_of(child))


def _atom_content(entry: Entry, child: etree._Element, base: str) -> None:
    _text_content_type(child, _NONE)  # no src, no mode
    value = _popped(_text_of(child))
    entry["content"] = [{"value": value}]
    entry.setdefault("summary", value)


def _atom_id(entry: Entry, child: etree._Element, base: str) -> None:
    # _start_id is _start_guid: without isPermaLink an Atom id counts as a permalink
    _only_attributes(child, _NONE)
    value = _popped(_text_of(child), resolve_against=base)
    entry["id"] = value
    entry.setdefault("link", value)


def _atom_link(entry: Entry, child: etree._Element, base: str) -> None:
    """_start_link: the last rel=alternate link of an HTML type is the entry's link, taken from the
    attribute as is apart from resolving (no strip, no pop clean-ups)."""
    attributes = _only_attributes(child, frozenset({"href", "rel", "type", "hreflang", "title", "length"}))
    if not attributes.get("href") or len(child) or (child.text or "").strip():
        raise Decline("atom link without a plain href")
    rel = attributes.get("rel", "alternate")
    link_type = attributes.get("type", "application/atom+xml" if rel == "self" else "text/html")
    link_type = {"html": "text/html", "xhtml": "application/xhtml+xml"}.get(link_type, link_type)
    if rel == "alternate" and link_type in ("text/html", "application/xhtml+xml"):
        entry["link"] = urljoin(base, attributes["href"])


def _atom_date(key: str) -> Callable[[Entry, etree._Element, str], None]:
    def read(entry: Entry, child: etree._Element, base: str) -> None:
        _only_attributes(child, _NONE)
        _set_date(entry, key, _popped(_text_of(child)))

    return read


def _atom_person(entry: Entry, child: etree._Element, base: str) -> None:
    # <author><name/><email/><uri/></author>: author details only
    _only_attributes(child, _NONE)
    for part in child:
        if part.tag not in (f"{{{ATOM_NS}}}name", f"{{{ATOM_NS}}}email", f"{{{ATOM_NS}}}uri"):
            raise Decline("unknown author child")
        _only_attributes(part, _NONE)
        _text_of(part)


def _atom_category(entry: Entry, child: etree._Element, base: str) -> None:
    _only_attributes(child, frozenset({"term", "scheme", "label"}))
    _text_of(child)


_ATOM_CHILDREN: dict[str, Callable[[Entry, etree._Element, str], None]] = {
    "title": _atom_title,
    "summary": _atom_summary,
    "content": _atom_content,
    "id": _atom_id,
    "link": _atom_link,
    "published": _atom_date("published"),
    "updated": _atom_date("updated"),
    "author": _atom_person,
    "category": _atom_category,
}


def _reader_for(root: etree._Element) -> type[_Rss2] | type[_Rss1] | type[_Atom]:
    if root.tag == "rss":
        return _Rss2
    if root.tag == f"{{{RDF_NS}}}RDF":
        return _Rss1
    if root.tag == f"{{{ATOM_NS}}}feed":
        return _Atom
    raise Decline("not a format the fast path reads")
