"""A strict, line-based check of an iCalendar stream against RFC 5545's syntax, written from the RFC and
independent of both parsers the tests use (icalendar, which writes the feed, and vobject): CRLF line endings,
content lines of at most 75 octets folded with one space or tab, valid UTF-8 never split inside a character,
`name *(";" param) ":" value` on every unfolded line, no control characters but HTAB, balanced BEGIN/END, and
the properties a VCALENDAR and each VEVENT must hold exactly once."""

from __future__ import annotations

import re

_NAME = r"(?:[A-Za-z0-9-]+)"
_PARAM = rf';{_NAME}=(?:"[^"\x00-\x08\x0a-\x1f\x7f]*"|[^";:,\x00-\x08\x0a-\x1f\x7f]*)(?:,(?:"[^"]*"|[^";:,]*))*'
_CONTENT_LINE = re.compile(rf"^(?P<name>{_NAME})(?P<params>(?:{_PARAM})*):(?P<value>.*)$", re.S)
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f]")

REQUIRED = {
    "VCALENDAR": ("PRODID", "VERSION"),
    "VEVENT": ("UID", "DTSTAMP", "DTSTART"),
}


class ICalError(AssertionError):
    pass


def unfold(data: bytes) -> list[str]:
    """The content lines, unfolded, after checking the physical lines."""
    if not data.endswith(b"\r\n"):
        raise ICalError("the stream does not end with CRLF")
    physical = data[:-2].split(b"\r\n")
    for n, line in enumerate(physical, 1):
        if b"\n" in line or b"\r" in line:
            raise ICalError(f"line {n}: a bare CR or LF")
        if len(line) > 75:
            raise ICalError(f"line {n}: {len(line)} octets (at most 75)")
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ICalError(f"line {n}: not UTF-8 on its own (a character split by folding?): {exc}") from None
    out: list[str] = []
    for n, line in enumerate(physical, 1):
        text = line.decode("utf-8")
        if text[:1] in (" ", "\t"):
            if not out:
                raise ICalError(f"line {n}: a continuation before any content line")
            out[-1] += text[1:]
        else:
            out.append(text)
    return out


def check(data: bytes) -> list[dict[str, list[str]]]:
    """Check the stream; return each VEVENT as {property name: [raw values]}."""
    stack: list[str] = []
    props: list[dict[str, list[str]]] = []
    events = []
    for n, line in enumerate(unfold(data), 1):
        m = _CONTENT_LINE.match(line)
        if m is None:
            raise ICalError(f"content line {n} is not name[;params]:value: {line!r}")
        if _CONTROL.search(m.group("value")):
            raise ICalError(f"content line {n}: a control character in the value: {line!r}")
        name, value = m.group("name").upper(), m.group("value")
        if name == "BEGIN":
            stack.append(value.upper())
            props.append({})
            continue
        if name == "END":
            if not stack or stack[-1] != value.upper():
                raise ICalError(f"content line {n}: END:{value} closes {stack[-1] if stack else 'nothing'}")
            component, found = stack.pop(), props.pop()
            for required in REQUIRED.get(component, ()):
                if len(found.get(required, [])) != 1:
                    raise ICalError(f"{component} must hold {required} exactly once: {found.get(required)}")
            if component == "VEVENT":
                events.append(found)
            continue
        if not stack:
            raise ICalError(f"content line {n}: a property outside any component")
        props[-1].setdefault(name, []).append(value)
    if stack:
        raise ICalError(f"unclosed: {stack}")
    return events
