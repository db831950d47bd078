"""The JSON API of venues and the calendar of their free slots.

    GET /v1/venues                   the list, from the board (:mod:`.list_pages`)
    GET /v1/venues/{id}              one venue (public fields, read from the store of
                                     record, placed by its board document) and its free
                                     slots to come
    GET /v1/venues/{id}/slots.ics    its free slots to come as a calendar people subscribe
                                     to, written as the agenda's ICS export writes events
                                     (:mod:`services.query.exports.ics`: Europe/Paris
                                     VTIMEZONE, stable UIDs, no METHOD, folded lines)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from services.accounts.web import Unavailable, site
from services.query.errors import ApiError
from services.query.exports.ics import (
    PRODID,
    escape_text,
    fold,
    plain,
    uri,
    vtimezone,
)
from services.venues.list_pages import api_list, board
from services.venues.model import TZ, Slot, Venue, moment
from services.venues.storage import Venues

#: What the board adds to the record: where the venue is.
PLACE = ("quartier", "commune", "lat", "lon")


async def placed(request: web.Request, vid: str) -> dict[str, Any]:
    store = board(request)
    doc = await store.get("venue", vid) if store is not None else None
    return {k: doc[k] for k in PLACE if doc and doc.get(k) is not None}


async def _found(request: web.Request) -> tuple[Venues, Venue]:
    try:
        venues = Venues(site(request).ready())
    except Unavailable:
        raise ApiError(503, "venues are unavailable for now",
                       headers={"Retry-After": "30"}) from None
    venue = await venues.get(request.match_info["id"])
    if venue is None:
        raise ApiError(404, "no such venue", code="venue_not_found",
                       details={"id": request.match_info["id"]})
    return venues, venue


async def get_venue(request: web.Request) -> web.Response:
    venues, venue = await _found(request)
    slots = await venues.free_slots(venue.id)
    item = {**venue.public(), **await placed(request, venue.id),
            "slots": [s.public() for s in slots],
            "slots_ics": f"/v1/venues/{venue.id}/slots.ics"}
    response = web.json_response({"item": item})
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def _local(value: str) -> str:
    t = moment(value).astimezone(TZ)
    return "%04d%02d%02dT%02d%02d%02d" % (t.year, t.month, t.day,  # noqa: UP031
                                          t.hour, t.minute, t.second)


def _utc(value: datetime) -> str:
    t = value.astimezone(UTC)
    return "%04d%02d%02dT%02d%02d%02dZ" % (t.year, t.month, t.day,  # noqa: UP031
                                           t.hour, t.minute, t.second)


def calendar(venue: Venue, slots: list[Slot], *, base: str, now: datetime) -> bytes:
    """The VCALENDAR of a venue's free slots (``base``: the site's URL)."""
    page = f"{base}/salles/{venue.id}"
    years = [moment(s.starts).year for s in slots] or [now.year]
    title = f"Créneaux libres — {venue.name}"
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", fold("PRODID:" + escape_text(PRODID)),
        "CALSCALE:GREGORIAN",
        fold("X-WR-CALDESC:" + plain(f"Les créneaux libres de {venue.name} sur Maillage")),
        fold("NAME:" + plain(title)), fold("X-WR-CALNAME:" + plain(title)),
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        fold("SOURCE;VALUE=URI:" + uri(f"{base}/v1/venues/{venue.id}/slots.ics")),
        "X-PUBLISHED-TTL:PT1H", fold("X-WR-TIMEZONE:" + plain(TZ.key)),
        vtimezone(TZ.key, min(years) - 1, max(years) + 1),
    ]
    stamp = _utc(now)
    for slot in slots:
        lines += [
            "BEGIN:VEVENT",
            fold("SUMMARY:" + escape_text(f"Libre : {venue.name}")),
            f"DTSTART;TZID={TZ.key}:{_local(slot.starts)}",
            f"DTEND;TZID={TZ.key}:{_local(slot.ends)}",
            f"DTSTAMP:{stamp}",
            fold("UID:" + escape_text(f"{venue.id}.{slot.id}@maillage")),
            "CLASS:PUBLIC",
            fold("DESCRIPTION:" + escape_text(
                f"Créneau libre de {venue.name} ({venue.owner_name}). "
                f"Demandez-le sur Maillage\u00a0: {page}")),
            *([fold("LOCATION:" + escape_text(venue.address))] if venue.address else ()),
            "STATUS:CONFIRMED", "TRANSP:TRANSPARENT", fold("URL:" + uri(page)),
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR\r\n")
    return "\r\n".join(lines).encode()


async def slots_ics(request: web.Request) -> web.Response:
    venues, venue = await _found(request)
    slots = await venues.free_slots(venue.id)
    base = str(site(request).settings.public_url or "").rstrip("/") or (
        f"{request.scheme}://{request.host}")
    body = calendar(venue, slots, base=base, now=datetime.now(UTC))
    return web.Response(body=body, content_type="text/calendar", charset="utf-8", headers={
        "Cache-Control": "public, max-age=300",
        "Content-Disposition": f'inline; filename="creneaux-{venue.id}.ics"'})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/venues", api_list)
    app.router.add_get("/v1/venues/{id}", get_venue)
    app.router.add_get("/v1/venues/{id}/slots.ics", slots_ics)
