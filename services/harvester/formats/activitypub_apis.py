"""The non-ActivityPub APIs of the fediverse agendas, read by :mod:`.activitypub`.

Gancio's public ``/api/events`` (unix-second ``start_datetime``/``end_datetime``, ``place``,
``tags``, ``media`` served under ``/media/``; event pages at ``/event/{slug}``) and Mobilizon's
GraphQL event objects (``beginsOn``/``endsOn``, ``physicalAddress`` with a ``"lon;lat"``
point, ``tags``, ``organizerActor``).
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

from shared.model import Status

from .assemble import emit, occurrence, status_from
from .base import ParseContext, ParseResult
from .jsonutil import (
    absolute,
    as_dict,
    as_float,
    as_list,
    dig,
    location_or_none,
    parse_dt,
    text,
    uniq,
    zone,
)


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def gancio_event(raw: dict[str, Any], ctx: ParseContext, result: ParseResult) -> None:
    origin = _origin(ctx.url)
    place = as_dict(raw.get("place"))
    lat, lon = as_float(place.get("latitude")), as_float(place.get("longitude"))
    slug = text(raw.get("slug")) or text(raw.get("id"))
    media = as_list(raw.get("media"))
    image = next((text(m.get("url")) for m in media if isinstance(m, dict)), None)
    tags = [t if isinstance(t, str) else dig(t, "tag") for t in as_list(raw.get("tags"))]
    online = place.get("name") == "online" or bool(raw.get("online_locations"))
    extra: dict[str, Any] = {}
    if raw.get("multidate"):
        extra["multidate"] = True
    if raw.get("parentId") or raw.get("recurrent"):
        extra["recurrent"] = True
    emit(
        result,
        ctx,
        uid=text(raw.get("id")),
        title=_unescape(raw.get("title")),
        occurrences=[
            occurrence(raw.get("start_datetime"), raw.get("end_datetime"), tz=ctx.timezone)
        ],
        description=text(raw.get("description")) or "",
        url=f"{origin}/event/{slug}" if origin and slug else None,
        location=location_or_none(
            name=text(place.get("name")),
            address=text(place.get("address")),
            lat=lat,
            lon=lon,
            online=online,
        ),
        categories=uniq(t.strip().lstrip("#") for t in tags if isinstance(t, str)),
        image=absolute(f"{origin}/media/" if origin else None, image),
        source_format="gancio",
        updated=parse_dt(raw.get("updatedAt"), ctx.timezone),
        extra=extra,
    )


def _unescape(value: Any) -> str | None:
    raw = text(value)
    return html.unescape(raw) if raw else None


def mobilizon_event(raw: dict[str, Any], ctx: ParseContext, result: ParseResult) -> None:
    status = status_from(raw.get("status")) or Status.SCHEDULED
    address = as_dict(raw.get("physicalAddress"))
    lat, lon = _geom(address.get("geom"))
    online = dig(raw, "options", "isOnline") is True or bool(text(raw.get("onlineAddress")))
    tags = [text(t.get("title")) for t in as_list(raw.get("tags")) if isinstance(t, dict)]
    category = text(raw.get("category"))
    actor = raw.get("organizerActor") or raw.get("attributedTo")
    tz = zone(text(dig(raw, "options", "timezone")) or text(address.get("timezone")), ctx.timezone)
    emit(
        result,
        ctx,
        uid=text(raw.get("uuid")) or text(raw.get("url")) or text(raw.get("id")),
        title=text(raw.get("title")),
        occurrences=[occurrence(raw.get("beginsOn"), raw.get("endsOn"), tz=tz, status=status)],
        description=text(raw.get("description")) or "",
        url=text(raw.get("url")),
        location=location_or_none(
            name=text(address.get("description")),
            address=text(address.get("street")),
            postcode=text(address.get("postalCode")),
            city=text(address.get("locality")),
            lat=lat,
            lon=lon,
            online=online,
        ),
        organizer=text(dig(actor, "name")) or text(dig(actor, "preferredUsername")),
        categories=uniq([category.lower() if category else "", *(t for t in tags if t)]),
        image=text(dig(raw, "picture", "url")),
        status=status,
        source_format="mobilizon",
        updated=parse_dt(raw.get("updatedAt"), tz),
    )


def _geom(value: Any) -> tuple[float | None, float | None]:
    """Mobilizon points: ``"lon;lat"`` or WKT ``POINT(lon lat)``."""
    raw = text(value) or ""
    numbers = re.findall(r"-?\d+(?:\.\d+)?", raw)
    if len(numbers) != 2:
        return None, None
    return as_float(numbers[1]), as_float(numbers[0])
