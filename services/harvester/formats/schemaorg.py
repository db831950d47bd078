"""schema.org ``Event`` (and subtypes) as plain dicts -> the fields of a Maillage event.

The dicts come from JSON-LD, or from microdata and h-event converted to the same shape
(:mod:`.html_extract`), so one mapping serves the three syntaxes. Values may be strings,
nested objects, lists or ``{"@id": ...}`` references resolved through ``index``.
"""

from __future__ import annotations

import html
import re
from datetime import tzinfo
from typing import Any

from shared.model import Location, Occurrence, Status

from .assemble import occurrence, status_from
from .base import ParseContext
from .jsonutil import (
    absolute,
    age_audience,
    as_float,
    location_or_none,
    parse_when,
    pick_list,
    stable_uid,
    text,
    uniq,
    zone,
)
from .schemaorg_schedule import duration, schedule_occurrences

OTHER_EVENT_TYPES = {"Festival", "Hackathon", "EventSeries"}


def type_names(node: Any) -> set[str]:
    """Short type names of a node: ``http://schema.org/MusicEvent`` -> ``MusicEvent``."""
    kind = node.get("@type") if isinstance(node, dict) else None
    kinds = kind if isinstance(kind, list) else [kind]
    return {re.split(r"[/#:]", k.strip())[-1] for k in kinds if isinstance(k, str) and k.strip()}


def is_event(node: Any) -> bool:
    return any(t.endswith("Event") or t in OTHER_EVENT_TYPES for t in type_names(node))


def _deref(value: Any, index: dict[str, Any]) -> Any:
    if isinstance(value, dict) and set(value) == {"@id"}:
        return index.get(str(value["@id"]), value)
    return value


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _str(value: Any) -> str | None:
    """A string from a value that may be a list, a ``{"@value"}`` or a named object."""
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name")
    raw = text(value)
    return html.unescape(raw) if raw else None


def _names(value: Any, index: dict[str, Any]) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [n for v in items if (n := _str(_deref(v, index)))]


def convert(
    node: dict[str, Any], ctx: ParseContext, index: dict[str, Any], page_url: str | None
) -> dict[str, Any]:
    """Keyword arguments for :func:`.jsonutil.emit` from one Event node."""
    base = ctx.url
    tz = zone(ctx.timezone)
    status = status_from(_str(node.get("eventStatus"))) or Status.SCHEDULED
    location = _location(node.get("location"), index, base)
    domestic = _domestic(node.get("location"), index, location)
    schedule = schedule_occurrences(node.get("eventSchedule"), ctx, status)
    occs: list[Occurrence | None] = list(schedule)
    extra: dict[str, Any] = {}
    if not occs:
        start_raw, offset = _wall_clock(_str(node.get("startDate")), tz, domestic)
        end_raw, _ = _wall_clock(_str(node.get("endDate")), tz, domestic)
        if end_raw is None and (span := duration(_str(node.get("duration")))):
            start = parse_when(start_raw, tz)
            end_raw = (start[0] + span).isoformat() if start and not start[1] else None
        occs = [occurrence(start_raw, end_raw, tz=tz, status=status)]
        if offset:
            extra["source_offset_ignored"] = offset
    mode = _str(node.get("eventAttendanceMode")) or ""
    if mode.endswith("OnlineEventAttendanceMode") or status == Status.MOVED_ONLINE:
        location = Location(**{**(location.to_dict() if location else {}), "online": True})
    offers = [_deref(o, index) for o in _list(node.get("offers"))]
    price, is_free = _price(offers, node.get("isAccessibleForFree"))
    if offers and all(_sold_out(o) for o in offers) and status == Status.SCHEDULED:
        status = Status.FULL
    kinds = sorted(t for t in type_names(node) if t != "Event")
    performers = _names(node.get("performer"), index)
    if performers:
        extra["performers"] = performers
    url = absolute(base, _str(node.get("url"))) or page_url
    title = _str(node.get("name"))
    node_id = absolute(base, text(node.get("@id")))
    first_start = next((o.start.isoformat() for o in occs if o), None)
    return {
        "uid": node_id or url or stable_uid(base, title, first_start),
        "title": title,
        "occurrences": occs,
        "description": _str(node.get("description")) or "",
        "url": url,
        "location": location,
        "organizer": ", ".join(uniq(_names(node.get("organizer"), index))) or None,
        "categories": uniq(kinds),
        "keywords": uniq(k for v in _list(node.get("keywords")) for k in pick_list(v, sep=",")),
        "audience": _audience(node, index),
        "price": price,
        "is_free": is_free,
        "image": _image(node.get("image"), index, base),
        "status": status,
        "source_format": "html",
        "extra": extra,
    }


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _wall_clock(raw: str | None, tz: tzinfo, domestic: bool) -> tuple[str | None, str | None]:
    """Drop an offset that cannot be right for a local event (``08:30-0400`` in Grenoble).

    Pages often carry an offset copied from a template or the wrong side of DST while the
    wall-clock time is right. For an event in the source's country, an offset other than UTC
    that differs from the local zone's is ignored and the time read in the local zone;
    the ignored offset is returned so it can be recorded.
    """
    found = parse_when(raw, tz)
    if not domestic or not found or found[1] or found[0].tzinfo is tz:
        return raw, None
    moment = found[0]
    given = moment.utcoffset()
    wall = moment.replace(tzinfo=None)
    local = wall.replace(tzinfo=tz).utcoffset()
    if given is None or not given or given == local:
        return raw, None
    minutes = int(given.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return wall.isoformat(), f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


_HOME_COUNTRIES = {"fr", "fra", "france"}


def _domestic(value: Any, index: dict[str, Any], location: Location | None) -> bool:
    """Whether the event is (as far as we can tell) in metropolitan France."""
    for place in (_deref(v, index) for v in _list(value)):
        address = _deref(_first(place.get("address")), index) if isinstance(place, dict) else None
        country = _str(address.get("addressCountry")) if isinstance(address, dict) else None
        if country and country.strip().lower() not in _HOME_COUNTRIES:
            return False
    if location and location.lat is not None and location.lon is not None:
        return 41.0 <= location.lat <= 51.5 and -5.5 <= location.lon <= 10.0
    return True


def _location(value: Any, index: dict[str, Any], base: str | None) -> Location | None:
    places = [_deref(v, index) for v in _list(value)]
    online = any("VirtualLocation" in type_names(p) for p in places)
    physical = [p for p in places if "VirtualLocation" not in type_names(p)]
    place = physical[0] if physical else None
    if place is None:
        return Location(online=True) if online else None
    if not isinstance(place, dict):
        return location_or_none(name=_str(place), online=online)
    address = _deref(_first(place.get("address")), index)
    street = city = postcode = None
    if isinstance(address, dict):
        street = _str(address.get("streetAddress"))
        city = _str(address.get("addressLocality"))
        postcode = _str(address.get("postalCode"))
        if not (street or city or postcode):
            street = _str(address.get("name"))
    else:
        street = _str(address)
    geo = _deref(_first(place.get("geo")), index)
    geo = geo if isinstance(geo, dict) else place
    lat, lon = as_float(_first(geo.get("latitude"))), as_float(_first(geo.get("longitude")))
    return location_or_none(
        name=_str(place.get("name")),
        address=street,
        city=city,
        postcode=postcode,
        lat=lat,
        lon=lon,
        online=online,
    )


def _price(offers: list[Any], free_flag: Any) -> tuple[str | None, bool | None]:
    is_free: bool | None = None
    if free_flag in (True, "true", "True", "https://schema.org/True"):
        is_free = True
    elif free_flag in (False, "false", "False"):
        is_free = False
    texts: list[str] = []
    for offer in offers:
        if not isinstance(offer, dict):
            raw = _str(offer)
            if raw and not absolute(None, raw) and "/" not in raw:
                texts.append(raw)  # a bare price text; a link to a ticket shop is not a price
            continue
        currency = _str(offer.get("priceCurrency")) or ""
        low, high = _str(offer.get("lowPrice")), _str(offer.get("highPrice"))
        price = _str(offer.get("price"))
        if price is not None and as_float(price) == 0:
            is_free = True if is_free is None else is_free
        if price is not None:
            texts.append(f"{price} {currency}".strip())
        elif low is not None:
            span = f"{low} – {high}" if high and high != low else f"dès {low}"
            texts.append(f"{span} {currency}".strip())
    return (" / ".join(uniq(texts)) or None), is_free


def _sold_out(offer: Any) -> bool:
    return isinstance(offer, dict) and (_str(offer.get("availability")) or "").endswith("SoldOut")


def _image(value: Any, index: dict[str, Any], base: str | None) -> str | None:
    value = _deref(_first(value), index)
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return absolute(base, _str(value))


def _audience(node: dict[str, Any], index: dict[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    ages = _str(node.get("typicalAgeRange"))
    if ages and (m := re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+))?\s*(\+)?\s*", ages)):
        out.extend(age_audience(m.group(1), m.group(2)))
    for aud in _list(node.get("audience")):
        aud = _deref(aud, index)
        if name := _str(aud.get("audienceType") if isinstance(aud, dict) else aud):
            out.append(name)
    return uniq(out)
