"""OpenAgenda API v2: ``/v2/agendas/{uid}/events`` lists, single events and bare event objects.

Each ``timings`` entry becomes an occurrence (a list response without ``timings`` falls back
to ``firstTiming``/``nextTiming``/``lastTiming`` and says so in ``extra``). Multilingual fields
prefer French. Paging follows the ``after`` cursor, passed back as ``after[]=...``. An
incremental harvest (:func:`incremental_url`) also returns removed events: they are listed in
``ParseResult.removed_uids`` and reported as skipped with a reason starting ``removed:``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from shared.errors import ParseError
from shared.model import Location, Skipped, Status

from .assemble import emit, occurrence
from .base import ParseContext, ParseResult
from .jsonutil import (
    absolute,
    accessibility_codes,
    age_audience,
    as_dict,
    as_float,
    as_list,
    dig,
    free_from_text,
    load_json,
    location_or_none,
    parse_dt,
    pick,
    pick_list,
    text,
    uniq,
    with_query,
    zone,
)

FORMAT = "openagenda"
STATUS_CODES = {
    1: Status.SCHEDULED,
    2: Status.RESCHEDULED,
    3: Status.MOVED_ONLINE,
    4: Status.POSTPONED,
    5: Status.FULL,
    6: Status.CANCELLED,
}
PUBLISHED_STATE = 2
_AGENDA_IN_URL = re.compile(r"/agendas/(\d+)")
_TIMING_KEYS = ("timings", "firstTiming", "lastTiming", "nextTiming")


def _is_event(obj: Any) -> bool:
    return (
        isinstance(obj, dict)
        and "uid" in obj
        and (any(k in obj for k in _TIMING_KEYS) or "removed" in obj)
    )


def matches(doc: Any) -> bool:
    """A ``{events: [...]}`` list response, a ``{event: {...}}`` response, or event objects."""
    if isinstance(doc, dict):
        events = doc.get("events")
        if isinstance(events, list):
            if events:
                return _is_event(events[0])
            return "after" in doc or doc.get("success") is True
        if _is_event(doc.get("event")):
            return True
        return _is_event(doc)
    if isinstance(doc, list) and doc:
        return _is_event(doc[0])
    return False


def incremental_url(base_url: str, since: datetime) -> str:
    """``base_url`` asking only for events updated since ``since``, removed ones included."""
    moment = since if since.tzinfo else since.replace(tzinfo=UTC)
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return with_query(
        base_url,
        ("updatedAt[gte]", "removed", "after[]", "after"),
        [("updatedAt[gte]", stamp), ("removed", "1")],
    )


def parse(body: bytes, ctx: ParseContext) -> ParseResult:
    doc = load_json(body, "OpenAgenda")
    result = ParseResult(format=FORMAT)
    if isinstance(doc, dict) and isinstance(doc.get("events"), list):
        items = doc["events"]
        result.next_url = _next_url(ctx.url, doc.get("after"), items)
    elif isinstance(doc, dict) and isinstance(doc.get("event"), dict):
        items = [doc["event"]]
    elif isinstance(doc, dict) and "uid" in doc:
        items = [doc]
    elif isinstance(doc, list):
        items = doc
    else:
        if isinstance(doc, dict) and doc.get("success") is False:
            message = text(doc.get("message")) or "no message"
            raise ParseError(f"OpenAgenda error response: {message}")
        raise ParseError("not an OpenAgenda response: no 'events' list and no event object")
    for item in items:
        if not isinstance(item, dict):
            result.skipped.append(Skipped("not an event object"))
            continue
        _event(item, ctx, result)
    return result


def _next_url(url: str | None, after: Any, items: list[Any]) -> str | None:
    if url is None or not items or after in (None, [], ""):
        return None
    values = after if isinstance(after, list) else [after]
    params = [("after[]", str(v)) for v in values]
    return with_query(url, ("after", "after[]", "from"), params)


def _event(raw: dict[str, Any], ctx: ParseContext, result: ParseResult) -> None:
    uid = text(raw.get("uid"))
    title = pick(raw.get("title"))
    state = raw.get("state")
    if uid and (raw.get("removed") is True or (isinstance(state, int) and state < PUBLISHED_STATE)):
        why = "removed from the agenda" if raw.get("removed") is True else f"state {state}"
        result.skipped.append(Skipped(f"removed: {why}", uid, title))
        result.removed_uids.append(uid)
        return
    tz_name = text(raw.get("timezone")) or ctx.timezone
    tz = zone(tz_name, ctx.timezone)
    code = raw.get("status")
    code = code.get("id") if isinstance(code, dict) else code
    status = STATUS_CODES.get(code if isinstance(code, int) else 1, Status.SCHEDULED)
    timings = raw.get("timings")
    extra: dict[str, Any] = {}
    if not isinstance(timings, list):
        timings = [raw.get(k) for k in ("firstTiming", "nextTiming", "lastTiming")]
        extra["timings_partial"] = True
    occs = [
        occurrence(t.get("begin"), t.get("end"), tz=tz, status=status)
        for t in timings
        if isinstance(t, dict)
    ]
    price = pick(raw.get("conditions"))
    registration = [
        v
        for r in as_list(raw.get("registration"))
        if isinstance(r, dict) and (v := text(r.get("value")))
    ]
    if registration:
        extra["registration"] = registration
    if online_link := text(raw.get("onlineAccessLink")):
        extra["online_url"] = online_link
    if date_range := pick(raw.get("dateRange")):
        extra["date_range"] = date_range
    if agenda := text(dig(raw, "originAgenda", "title")):
        extra["agenda"] = agenda
    emit(
        result,
        ctx,
        uid=uid,
        title=title,
        occurrences=occs,
        description=pick(raw.get("longDescription")) or pick(raw.get("description")) or "",
        url=_event_url(raw, ctx),
        location=_location(raw, status),
        keywords=uniq(pick_list(raw.get("keywords"))),
        accessibility=accessibility_codes(raw.get("accessibility")),
        audience=age_audience(dig(raw, "age", "min"), dig(raw, "age", "max")),
        price=price,
        is_free=free_from_text(price),
        image=_image(raw.get("image")),
        status=status,
        timezone=tz_name,
        source_format=FORMAT,
        updated=parse_dt(raw.get("updatedAt"), tz),
        extra=extra,
    )


def _event_url(raw: dict[str, Any], ctx: ParseContext) -> str | None:
    slug, agenda_slug = text(raw.get("slug")), text(dig(raw, "originAgenda", "slug"))
    if slug and agenda_slug:
        return f"https://openagenda.com/{agenda_slug}/events/{slug}"
    agenda_uid = text(dig(raw, "originAgenda", "uid"))
    if agenda_uid is None and ctx.url and (m := _AGENDA_IN_URL.search(ctx.url)):
        agenda_uid = m.group(1)
    if agenda_uid and text(raw.get("uid")):
        return f"https://openagenda.com/agendas/{agenda_uid}/events/{raw['uid']}"
    return None


def _location(raw: dict[str, Any], status: str) -> Location | None:
    loc = as_dict(raw.get("location"))
    lat, lon = as_float(loc.get("latitude")), as_float(loc.get("longitude"))
    return location_or_none(
        name=text(loc.get("name")),
        address=text(loc.get("address")),
        postcode=text(loc.get("postalCode")),
        city=text(loc.get("city")) or text(loc.get("adminLevel4")),
        lat=lat,
        lon=lon,
        quartier=text(loc.get("district")),
        insee=text(loc.get("insee")),
        online=raw.get("attendanceMode") == 2 or status == Status.MOVED_ONLINE,
    )


def _image(value: Any) -> str | None:
    if isinstance(value, dict):
        base, filename = text(value.get("base")), text(value.get("filename"))
        if filename:
            return absolute(base or "https://cdn.openagenda.com/main/", filename)
        return None
    return absolute(None, value)
