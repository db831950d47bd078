"""Fields of a VEVENT other than its dates: text, uid, status, location, people, links.

Each function takes an icalendar component and returns a plain value for the event model;
none raises on odd input (unknown STATUS, GEO out of range, ``URL:F``...).
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.model import Location, Status

from .ics_time import to_aware

#: icalendar components are typed loosely: their property values are a wide union.
Component = Any


_STATUS = {"CANCELLED": Status.CANCELLED, "TENTATIVE": Status.TENTATIVE}
_DROPPABLE = {
    "DTEND",
    "DURATION",
    "EXDATE",
    "RDATE",
    "RRULE",
    "EXRULE",
    "RECURRENCE-ID",
    "GEO",
    "LAST-MODIFIED",
    "DTSTAMP",
    "CREATED",
}
_POSTCODE_CITY = re.compile(r"^(?:(.*?)\s+)?(\d{5})\s+(.+)$")
_UTC = ZoneInfo("UTC")


def text(component: Component, name: str) -> str:
    value = component.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return " ".join(str(value).split()) if name == "SUMMARY" else str(value).strip()


def uid(component: Component) -> str:
    value = text(component, "UID")
    if value:
        return value
    start = component.get("DTSTART")
    raw = start.to_ical().decode() if start is not None else ""
    digest = hashlib.sha256(f"{text(component, 'SUMMARY')}\x1f{raw}".encode()).hexdigest()
    return f"derived-{digest[:24]}"


def start_value(component: Component) -> date | None:
    try:
        value = component["DTSTART"].dt
    except Exception:  # noqa: BLE001 - missing or broken (vBroken) property
        return None
    return value if isinstance(value, date) else None


def drop_broken(component: Component) -> None:
    """Remove properties icalendar could not read, so they cannot break the expansion."""
    for name, _message in list(getattr(component, "errors", ()) or ()):
        if name and name.upper() in _DROPPABLE and name in component:
            del component[name]


def status(component: Component) -> str:
    return _STATUS.get(text(component, "STATUS").upper(), Status.SCHEDULED)


def categories(component: Component) -> tuple[str, ...]:
    found: list[str] = []
    props = component.get("CATEGORIES")
    for prop in props if isinstance(props, list) else [props] if props is not None else []:
        for cat in getattr(prop, "cats", None) or [str(prop)]:
            found.extend(part.strip() for part in str(cat).split(","))
    return tuple(dict.fromkeys(c for c in found if c))


def location(component: Component) -> Location | None:
    label = text(component, "LOCATION")
    lat: float | None = None
    lon: float | None = None
    geo = component.get("GEO")
    if geo is not None:
        try:
            lat, lon = float(geo.latitude), float(geo.longitude)
        except (AttributeError, TypeError, ValueError):
            lat = lon = None
        if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
            lat = lon = None
    if not label and lat is None:
        return None
    name = address = postcode = city = None
    parts = [p.strip() for p in re.split(r",|\n", label) if p.strip()]
    if parts:
        match = _POSTCODE_CITY.match(parts[-1])
        if match:
            postcode, city = match.group(2), match.group(3).strip()
            parts[-1] = match.group(1) or ""
            parts = [p for p in parts if p]
        if parts and not parts[0][:1].isdigit():
            name = parts.pop(0)
        address = ", ".join(parts) or None
    precision = "source" if lat is not None else None
    return Location(
        name=name,
        address=address,
        postcode=postcode,
        city=city,
        lat=lat,
        lon=lon,
        precision=precision,
    )


def organizer(component: Component, default: str | None) -> str | None:
    org = component.get("ORGANIZER")
    if isinstance(org, list):
        org = org[0] if org else None
    if org is not None:
        name = str(org.params.get("CN", "")).strip().strip('"')
        if name:
            return name
    return default


def url(component: Component) -> str | None:
    url = text(component, "URL")
    return url if url.lower().startswith(("http://", "https://")) else None


def image(component: Component) -> str | None:
    for name in ("IMAGE", "ATTACH"):
        props = component.get(name)
        for prop in props if isinstance(props, list) else [props] if props is not None else []:
            value = str(prop)
            fmt = str(getattr(prop, "params", {}).get("FMTTYPE", "")).lower()
            if value.startswith(("http://", "https://")) and (
                name == "IMAGE" or fmt.startswith("image/")
            ):
                return value
    return None


def updated(component: Component) -> datetime | None:
    for name in ("LAST-MODIFIED", "DTSTAMP"):
        prop = component.get(name)
        value = getattr(prop, "dt", None)
        if isinstance(value, datetime):
            return to_aware(value, _UTC)
    return None
