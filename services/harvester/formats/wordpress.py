"""WordPress "The Events Calendar" REST API (``/wp-json/tribe/events/v1/events``).

Times come from ``utc_start_date``/``utc_end_date`` when present (the site's ``timezone`` may
be a bare ``UTC+1`` offset), else from ``start_date``/``end_date`` read in the event's
timezone. All-day events keep their local dates. ``next_rest_url`` gives the next page.
WordPress escapes titles and names as HTML entities; they are unescaped here.
"""

from __future__ import annotations

import html
from datetime import UTC
from typing import Any

from shared.errors import ParseError
from shared.model import Location, Skipped, Status

from .assemble import emit, occurrence, status_from
from .base import ParseContext, ParseResult
from .jsonutil import (
    absolute,
    as_float,
    as_list,
    dig,
    free_from_text,
    load_json,
    location_or_none,
    parse_dt,
    text,
    uniq,
    zone,
)

FORMAT = "wordpress"


def _is_event(obj: Any) -> bool:
    return (
        isinstance(obj, dict)
        and "start_date" in obj
        and ("utc_start_date" in obj or "all_day" in obj or "start_date_details" in obj)
    )


def matches(doc: Any) -> bool:
    """A tribe events list (``{"events": [...], "rest_url": ...}``) or one tribe event."""
    if not isinstance(doc, dict):
        return False
    events = doc.get("events")
    if isinstance(events, list):
        if events:
            return _is_event(events[0])
        return "rest_url" in doc and "total_pages" in doc
    return _is_event(doc) and "id" in doc


def parse(body: bytes, ctx: ParseContext) -> ParseResult:
    doc = load_json(body, "The Events Calendar")
    if isinstance(doc, dict) and text(doc.get("code")) and text(doc.get("message")):
        raise ParseError(f"WordPress REST error {doc['code']}: {doc['message']}")
    if not matches(doc):
        raise ParseError("not a The Events Calendar REST response: no 'events' list")
    result = ParseResult(format=FORMAT)
    items = doc["events"] if isinstance(doc.get("events"), list) else [doc]
    if items:
        result.next_url = absolute(ctx.url, doc.get("next_rest_url"))
    for item in items:
        if isinstance(item, dict):
            _event(item, ctx, result)
        else:
            result.skipped.append(Skipped("not an event object"))
    return result


def _clean(value: Any) -> str | None:
    raw = text(value)
    return html.unescape(raw).replace("\xa0", " ").strip() or None if raw else None


def _event(raw: dict[str, Any], ctx: ParseContext, result: ParseResult) -> None:
    uid = text(raw.get("global_id")) or text(raw.get("id"))
    title = _clean(raw.get("title"))
    tz_name = text(raw.get("timezone"))
    local = zone(tz_name, ctx.timezone)
    status = status_from(raw.get("event_status")) or Status.SCHEDULED
    if raw.get("all_day") is True:
        occ = occurrence(
            raw.get("start_date"), raw.get("end_date"), tz=local, status=status, all_day=True
        )
    elif text(raw.get("utc_start_date")):
        occ = occurrence(
            raw.get("utc_start_date"), raw.get("utc_end_date"), tz=UTC, status=status, all_day=False
        )
    else:
        occ = occurrence(
            raw.get("start_date"), raw.get("end_date"), tz=local, status=status, all_day=False
        )
    price = _clean(raw.get("cost"))
    values = as_list(dig(raw, "cost_details", "values"))
    is_free = free_from_text(price)
    if values and all(as_float(v) == 0 for v in values):
        is_free = True
    extra: dict[str, Any] = {}
    if website := text(raw.get("website")):
        extra["website"] = website
    emit(
        result,
        ctx,
        uid=uid,
        title=title,
        occurrences=[occ],
        description=text(raw.get("description")) or text(raw.get("excerpt")) or "",
        url=absolute(ctx.url, raw.get("url")) or absolute(ctx.url, website),
        location=_venue(raw),
        organizer=_organizers(raw.get("organizer")),
        categories=_names(raw.get("categories")),
        keywords=_names(raw.get("tags")),
        price=price,
        is_free=is_free,
        image=absolute(ctx.url, dig(raw, "image", "url")),
        status=status,
        timezone=tz_name if tz_name and str(local) == tz_name else ctx.timezone,
        source_format=FORMAT,
        updated=parse_dt(raw.get("modified_utc"), UTC) or parse_dt(raw.get("modified"), local),
        extra=extra,
    )


def _venue(raw: dict[str, Any]) -> Location | None:
    venue = raw.get("venue")
    if isinstance(venue, list):
        venue = next((v for v in venue if isinstance(v, dict)), None)
    online = raw.get("is_virtual") is True
    if not isinstance(venue, dict) or not venue:
        return Location(online=True) if online else None
    lat, lon = as_float(venue.get("geo_lat")), as_float(venue.get("geo_lng"))
    return location_or_none(
        name=_clean(venue.get("venue")),
        address=_clean(venue.get("address")),
        postcode=text(venue.get("zip")),
        city=_clean(venue.get("city")),
        lat=lat,
        lon=lon,
        online=online,
    )


def _organizers(value: Any) -> str | None:
    items = value if isinstance(value, list) else [value]
    names = uniq(n for o in items if isinstance(o, dict) and (n := _clean(o.get("organizer"))))
    return ", ".join(names) or None


def _names(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else []
    return uniq(n for c in items if isinstance(c, dict) and (n := _clean(c.get("name"))))
