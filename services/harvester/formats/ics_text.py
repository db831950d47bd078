"""Read iCalendar bytes into icalendar components, repairing what real exports get wrong.

Repairs are done on unfolded content lines before icalendar sees them:

- BOM, CRLF/LF/CR line ends, folding with a space or a TAB;
- a quoted TZID that swallowed the value (``DTSTART;TZID="W. Europe...:20200609T090000"``);
- spaces inside RRULE/EXRULE values (``BYDAY= TU``);
- date properties with an empty value (``EXDATE;VALUE=DATE:``), which are dropped;
- a VTIMEZONE holding several TZIDs, which is dropped (times fall back to the TZID's name);
- a missing ``END:VCALENDAR`` (truncated file) or a missing ``BEGIN:VCALENDAR``.

If icalendar still refuses the text, a second attempt drops every VTIMEZONE: zones are then
resolved by their TZID name (IANA or Windows), or read in the source's timezone.
"""

from __future__ import annotations

import re
import warnings

import icalendar

from shared.errors import ParseError

from .detect import decode_text

_FOLD = re.compile(r"\r\n[ \t]|\n[ \t]|\r[ \t]")
_LINE_END = re.compile(r"\r\n|\n|\r")
_QUOTED_TZID_VALUE = re.compile(r'^([^:]*;TZID=)"([^"]*):([0-9]{8}(?:T[0-9]{4,6}Z?)?)"\s*$', re.I)
_DATE_PROPS = {"DTSTART", "DTEND", "DUE", "EXDATE", "RDATE", "RECURRENCE-ID", "DTSTAMP"}
_NAME = re.compile(r"^([A-Za-z0-9-]+)")
_SPACES = re.compile(r"\s+")


def _prop_name(line: str) -> str:
    match = _NAME.match(line)
    return match.group(1).upper() if match else ""


def _value(line: str) -> str:
    """The value of a content line: what follows the first colon outside quotes."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == ":" and not quoted:
            return line[i + 1 :]
    return ""


def _repair_line(line: str) -> str | None:
    name = _prop_name(line)
    if name in _DATE_PROPS:
        match = _QUOTED_TZID_VALUE.match(line)
        if match:
            return f'{match.group(1)}"{match.group(2)}":{match.group(3)}'
        if not _value(line).strip():
            return None
    if name in ("RRULE", "EXRULE"):
        head, _, value = line.partition(":")
        return head + ":" + _SPACES.sub("", value)
    return line


def _drop_bad_timezones(lines: list[str], drop_all: bool) -> list[str]:
    out: list[str] = []
    block: list[str] | None = None
    for line in lines:
        upper = line.strip().upper()
        if upper == "BEGIN:VTIMEZONE":
            block = [line]
            continue
        if block is not None:
            block.append(line)
            if upper == "END:VTIMEZONE":
                tzids = sum(1 for b in block if _prop_name(b) == "TZID")
                if not drop_all and tzids == 1:
                    out.extend(block)
                block = None
            continue
        out.append(line)
    return out


def repair_lines(text: str, drop_timezones: bool = False) -> str:
    """Unfold, repair and re-join content lines (see the module docstring)."""
    unfolded = _FOLD.sub("", text)
    lines: list[str] = []
    for raw in _LINE_END.split(unfolded):
        if not raw.strip():
            continue
        repaired = _repair_line(raw)
        if repaired is not None:
            lines.append(repaired)
    lines = _drop_bad_timezones(lines, drop_timezones)
    uppers = [ln.strip().upper() for ln in lines]
    if "BEGIN:VCALENDAR" not in uppers:
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", *lines, "END:VCALENDAR"]
    elif uppers.count("END:VCALENDAR") < uppers.count("BEGIN:VCALENDAR"):
        # A truncated file: close the open components so what was read is still used.
        depth: list[str] = []
        for upper in uppers:
            if upper.startswith("BEGIN:"):
                depth.append(upper[6:])
            elif upper.startswith("END:") and depth:
                depth.pop()
        lines.extend(f"END:{name}" for name in reversed(depth))
    return "\r\n".join(lines) + "\r\n"


def read_calendars(body: bytes) -> tuple[list[icalendar.Calendar], list[str]]:
    """Parse ``body`` into calendars; also return notes about repairs that were needed."""
    text = decode_text(body)
    if "BEGIN:VCALENDAR" not in text.upper() and "BEGIN:VEVENT" not in text.upper():
        raise ParseError("not an iCalendar document: no BEGIN:VCALENDAR")
    notes: list[str] = []
    last_error: Exception | None = None
    for drop_timezones in (False, True):
        # icalendar keeps, for the whole process, the first VTIMEZONE it met under a TZID
        # that is not an IANA name (Windows names such as "Romance Standard Time", free
        # text): one source's definition would then apply to every later document. Each
        # document starts with an empty cache (use_zoneinfo() resets it).
        icalendar.use_zoneinfo()  # type: ignore[no-untyped-call]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cals = icalendar.Calendar.from_ical(
                    repair_lines(text, drop_timezones), multiple=True
                )
        except Exception as exc:  # noqa: BLE001 - icalendar raises many kinds
            last_error = exc
            continue
        if drop_timezones:
            notes.append(f"VTIMEZONE ignored (unreadable: {_one_line(last_error)})")
        return [c for c in cals if c.name == "VCALENDAR"], notes
    raise ParseError(f"unreadable iCalendar: {_one_line(last_error)}")


def _one_line(exc: Exception | None) -> str:
    text = str(exc) if exc is not None else "unknown error"
    text = " ".join(text.split())
    return text[:200]
