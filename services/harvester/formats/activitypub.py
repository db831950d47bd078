"""Mobilizon and Gancio: ActivityPub ``Event`` objects, Gancio's ``/api/events`` and Mobilizon's
GraphQL ``events``/``searchEvents`` answers. One registry name (``activitypub``); each event's
``source_format`` says which shape it came from (``activitypub``, ``gancio``, ``mobilizon``).

ActivityPub: bare ``Event`` objects, ``Create``/``Update``/``Announce`` activities wrapping
them, and ``OrderedCollection(Page)`` of either (``next``/``first`` give the next page).
``Delete`` activities report the deleted object in ``removed_uids``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from shared.errors import ParseError
from shared.model import Location, Skipped, Status

from .activitypub_apis import gancio_event, mobilizon_event
from .assemble import emit, occurrence, status_from
from .base import ParseContext, ParseResult
from .jsonutil import (
    absolute,
    as_float,
    as_list,
    dig,
    load_json,
    location_or_none,
    parse_dt,
    text,
    uniq,
    zone,
)

FORMAT = "activitypub"
WRAPPERS = ("Create", "Update", "Announce", "Add")
COLLECTIONS = ("OrderedCollection", "OrderedCollectionPage", "Collection", "CollectionPage")
_MOBILIZON_CATEGORY = re.compile(r"[A-Z][A-Z_]+")


def _types(obj: Any) -> set[str]:
    kind = obj.get("type") if isinstance(obj, dict) else None
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.rsplit(":", 1)[-1] for k in kinds if isinstance(k, str)}


def _is_gancio(obj: Any) -> bool:
    return isinstance(obj, dict) and "start_datetime" in obj and "title" in obj


def _graphql_events(doc: Any) -> list[dict[str, Any]] | None:
    """Event objects of a Mobilizon GraphQL answer (any ``elements`` list under ``data``)."""
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, dict):
        return None
    found: list[dict[str, Any]] = []
    stack: list[Any] = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "beginsOn" in node:
                found.append(node)
                continue
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return found if found or _has_elements(data) else None


def _has_elements(node: Any) -> bool:
    return isinstance(node, dict) and any(
        k == "elements" or _has_elements(v) for k, v in node.items() if isinstance(v, dict | list)
    )


def matches(doc: Any) -> bool:
    if isinstance(doc, list):
        return bool(doc) and _is_gancio(doc[0])
    if not isinstance(doc, dict):
        return False
    kinds = _types(doc)
    if "Event" in kinds or _is_gancio(doc):
        return True
    if kinds & {*WRAPPERS, "Delete"} and isinstance(doc.get("object"), dict | str):
        return "Event" in _types(doc.get("object")) or "Delete" in kinds
    if kinds & set(COLLECTIONS):
        return True
    return _graphql_events(doc) is not None


def parse(body: bytes, ctx: ParseContext) -> ParseResult:
    doc = load_json(body, "ActivityPub")
    result = ParseResult(format=FORMAT)
    if isinstance(doc, list) and all(_is_gancio(i) or not isinstance(i, dict) for i in doc):
        for item in doc:
            gancio_event(item, ctx, result) if isinstance(item, dict) else result.skipped.append(
                Skipped("not an event object")
            )
        return result
    if isinstance(doc, dict) and _is_gancio(doc):
        gancio_event(doc, ctx, result)
        return result
    if isinstance(doc, dict) and isinstance(doc.get("errors"), list) and not doc.get("data"):
        first = doc["errors"][0] if doc["errors"] else {}
        raise ParseError(f"Mobilizon GraphQL error: {text(dig(first, 'message')) or 'unknown'}")
    if not isinstance(doc, dict) or not matches(doc):
        raise ParseError("not an ActivityPub Event, Gancio or Mobilizon document")
    graphql = None if _types(doc) else _graphql_events(doc)
    if graphql is not None:
        for item in graphql:
            mobilizon_event(item, ctx, result)
        return result
    _activity(doc, ctx, result, depth=0)
    return result


def _activity(obj: Any, ctx: ParseContext, result: ParseResult, depth: int) -> None:
    if depth > 3 or not isinstance(obj, dict):
        if isinstance(obj, str):
            result.skipped.append(Skipped("object given by reference only", obj))
        return
    kinds = _types(obj)
    if "Event" in kinds:
        _ap_event(obj, ctx, result)
    elif "Delete" in kinds:
        target = obj.get("object")
        uid = text(target) or text(dig(target, "id"))
        if uid:
            result.removed_uids.append(uid)
            result.skipped.append(Skipped("removed: Delete activity", uid))
    elif kinds & set(WRAPPERS):
        _activity(obj.get("object"), ctx, result, depth + 1)
    elif kinds & set(COLLECTIONS):
        items = as_list(obj.get("orderedItems")) or as_list(obj.get("items"))
        for item in items:
            _activity(item, ctx, result, depth + 1)
        if isinstance(obj.get("first"), dict):
            _activity(obj["first"], ctx, result, depth + 1)
        following = obj.get("next") or (None if items else obj.get("first"))
        result.next_url = absolute(ctx.url, text(following) or dig(following, "id"))
    else:
        result.skipped.append(Skipped(f"not an Event ({', '.join(sorted(kinds)) or '?'})"))


def _first_url(value: Any) -> str | None:
    if isinstance(value, list):
        for item in value:
            if found := _first_url(item):
                return found
        return None
    if isinstance(value, dict):
        if value.get("mediaType") not in (None, "text/html"):
            return None
        return text(value.get("href")) or text(value.get("url"))
    return text(value)


def _actor_name(value: Any) -> str | None:
    """``user@host`` from an actor URL (``https://host/@user`` or ``.../u/user``)."""
    if isinstance(value, list):
        value = next((v for v in value if v), None)
    if isinstance(value, dict):
        return text(value.get("name")) or _actor_name(value.get("id"))
    url = text(value)
    if not url:
        return None
    parts = urlsplit(url)
    user = parts.path.rstrip("/").rsplit("/", 1)[-1].lstrip("@")
    return f"{user}@{parts.hostname}" if user and parts.hostname else url


def _place(value: Any) -> Location | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, dict)), None)
    if not isinstance(value, dict):
        return location_or_none(name=text(value))
    address = value.get("address")
    street = city = postcode = None
    if isinstance(address, dict):
        street = text(address.get("streetAddress"))
        city = text(address.get("addressLocality"))
        postcode = text(address.get("postalCode"))
    else:
        street = text(address)
    lat = as_float(value.get("latitude") or dig(value, "geo", "latitude"))
    lon = as_float(value.get("longitude") or dig(value, "geo", "longitude"))
    return location_or_none(
        name=text(value.get("name")),
        address=street,
        city=city,
        postcode=postcode,
        lat=lat,
        lon=lon,
    )


def _ap_event(obj: dict[str, Any], ctx: ParseContext, result: ParseResult) -> None:
    tz = zone(text(obj.get("timezone")) or text(obj.get("mz:timezone")), ctx.timezone)
    raw_status = obj.get("ical:status") or obj.get("status") or obj.get("mz:status")
    status = status_from(raw_status) or Status.SCHEDULED
    location = _place(obj.get("location"))
    if obj.get("isOnline") is True or obj.get("mz:isOnline") is True:
        location = replace(location or Location(), online=True)
    tags = as_list(obj.get("tag"))
    hashtags = [
        str(t["name"]).lstrip("#")
        for t in tags
        if isinstance(t, dict) and "Hashtag" in _types(t) and text(t.get("name"))
    ]
    category = text(obj.get("category"))
    if category and _MOBILIZON_CATEGORY.fullmatch(category):
        hashtags.insert(0, category.lower())
    emit(
        result,
        ctx,
        uid=text(obj.get("id")) or text(obj.get("url")),
        title=text(obj.get("name")),
        occurrences=[occurrence(obj.get("startTime"), obj.get("endTime"), tz=tz, status=status)],
        description=text(obj.get("content")) or text(obj.get("summary")) or "",
        url=absolute(ctx.url, _first_url(obj.get("url"))) or text(obj.get("id")),
        location=location,
        organizer=_actor_name(obj.get("attributedTo")) or _actor_name(obj.get("actor")),
        categories=uniq(hashtags),
        image=_image(obj),
        status=status,
        source_format=FORMAT,
        updated=parse_dt(obj.get("updated"), tz) or parse_dt(obj.get("published"), tz),
        extra={"attributed_to": text(obj.get("attributedTo"))} if obj.get("attributedTo") else {},
    )


def _image(obj: dict[str, Any]) -> str | None:
    image = obj.get("image")
    if isinstance(image, list):
        image = image[0] if image else None
    if found := text(image) or text(dig(image, "url")) or text(dig(image, "href")):
        return found
    for att in as_list(obj.get("attachment")):
        if isinstance(att, dict) and str(att.get("mediaType", "")).startswith("image/"):
            return text(att.get("url")) or text(att.get("href"))
    return None
