"""Event fields that RSS/Atom items may carry besides the publication date.

- mod_event (``http://purl.org/rss/1.0/modules/event/``): ``ev:startdate``, ``ev:enddate``,
  ``ev:location``, ``ev:organizer``;
- xCal (``urn:ietf:params:xml:ns:xcal``): ``dtstart``, ``dtend``, ``location``, either with the
  value as text or, as in RFC 6321, in a ``date-time``/``date`` child with a ``tzid`` parameter.

They are read with defusedxml (no entity expansion, no external entities), by namespace URI,
whatever prefix the feed uses. A feed that is not well-formed XML gets ``None`` and the caller
falls back to what feedparser found under the usual prefixes.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

EV = "http://purl.org/rss/1.0/modules/event/"
XCAL = "urn:ietf:params:xml:ns:xcal"
_FIELDS = {
    (EV, "startdate"): "start",
    (EV, "enddate"): "end",
    (EV, "location"): "location",
    (EV, "organizer"): "organizer",
    (XCAL, "dtstart"): "start",
    (XCAL, "dtend"): "end",
    (XCAL, "location"): "location",
    (XCAL, "organizer"): "organizer",
}
_BASIC = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?(Z)?)?$")
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


def strip_doctype(body: bytes) -> bytes:
    """Remove a DOCTYPE and its internal subset (where entities are declared)."""
    match = _DOCTYPE.search(body)
    if match is None:
        return body
    start = match.start()
    bracket = body.find(b"[", start)
    close = body.find(b">", start)
    if bracket != -1 and (close == -1 or bracket < close):
        end = body.find(b"]>", bracket)
        if end == -1:
            end = body.find(b"]", bracket)
            end = body.find(b">", end) if end != -1 else -1
        else:
            end += 1
    else:
        end = close
    return body[:start] + body[end + 1 :] if end != -1 else body[:start]


def declares_entities(body: bytes) -> bool:
    return b"<!ENTITY" in body.upper() if _DOCTYPE.search(body) else False


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        return uri, local.lower()
    return "", tag.lower()


def _value(element: Any) -> dict[str, str]:
    """Text of an element, or of its RFC 6321 value child, and its tzid parameter."""
    found = {"text": (element.text or "").strip()}
    for child in element.iter():
        _, local = _split(child.tag)
        if local in ("date-time", "date", "text") and (child.text or "").strip():
            if local == "text" and "text" in found and found["text"]:
                continue
            found["text"] = child.text.strip()
        if local == "tzid":
            tz_text = "".join(child.itertext()).strip()
            if tz_text:
                found["tzid"] = tz_text
    return found


def item_fields(body: bytes) -> list[dict[str, dict[str, str]]] | None:
    """Per item/entry (document order), the event fields found; ``None`` if not XML."""
    try:
        root = SafeET.fromstring(body, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, SafeET.ParseError, ValueError):
        return None
    items: list[dict[str, dict[str, str]]] = []
    for element in root.iter():
        if _split(element.tag)[1] not in ("item", "entry"):
            continue
        fields: dict[str, dict[str, str]] = {}
        for child in element.iter():
            name = _FIELDS.get(_split(child.tag))
            if name and name not in fields:
                fields[name] = _value(child)
        items.append(fields)
    return items


def parse_when(raw: str, tzid: str | None, default_tz: ZoneInfo) -> tuple[datetime, bool] | None:
    """(aware datetime, all_day) from ISO 8601 / W3C-DTF / iCalendar basic format."""
    text = raw.strip()
    if not text:
        return None
    tz = default_tz
    if tzid:
        try:
            tz = ZoneInfo(tzid.strip())
        except (ValueError, OSError, KeyError):
            tz = default_tz
    value: date | datetime
    match = _BASIC.match(text)
    try:
        if match:
            y, m, d, hh, mm, ss, z = match.groups()
            if hh is None:
                value = date(int(y), int(m), int(d))
            else:
                value = datetime(int(y), int(m), int(d), int(hh), int(mm), int(ss or 0))
                if z:
                    value = value.replace(tzinfo=ZoneInfo("UTC"))
        else:
            cleaned = text.replace("Z", "+00:00").replace(" ", "T", 1)
            value = (
                datetime.fromisoformat(cleaned) if "T" in cleaned else date.fromisoformat(cleaned)
            )
    except ValueError:
        return None
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), tzinfo=tz), True
    if value.tzinfo is None:
        return value.replace(tzinfo=tz), False
    return value.astimezone(tz), False


def all_day_end(start: datetime, end: datetime | None) -> datetime:
    """Exclusive end of an all-day span whose end date may be given inclusively."""
    if end is None or end <= start:
        return start + timedelta(days=1)
    return end
