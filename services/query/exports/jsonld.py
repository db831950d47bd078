"""JSON-LD export: a schema.org ``ItemList`` of ``Event`` s (one per occurrence)."""

from __future__ import annotations

import json
from typing import Any

from services.query.exports.feed import Feed
from shared.clean import http_url
from shared.model import exact_point
from shared.taxonomy import theme_label

CONTENT_TYPE = "application/ld+json"
EXTENSION = "jsonld"
EVENT_STATUS = {
    "cancelled": "https://schema.org/EventCancelled",
    "postponed": "https://schema.org/EventPostponed",
    "rescheduled": "https://schema.org/EventRescheduled",
    "moved_online": "https://schema.org/EventMovedOnline",
}


def location(item: dict[str, Any], feed: Feed) -> dict[str, Any] | None:
    loc = item.get("location") or {}
    if loc.get("online") or item.get("status") == "moved_online":
        return {"@type": "VirtualLocation",
                "url": http_url(item.get("url")) or feed.event_url(item)}
    if not loc:
        return None
    place: dict[str, Any] = {"@type": "Place"}
    if loc.get("name"):
        place["name"] = loc["name"]
    address = {k: v for k, v in (("streetAddress", loc.get("address")),
                                 ("postalCode", loc.get("postcode")),
                                 ("addressLocality", loc.get("city"))) if v}
    if address:
        place["address"] = {"@type": "PostalAddress", "addressCountry": "FR", **address}
    point = exact_point(loc)  # a commune's centre is not the event's place: no geo
    if point:
        place["geo"] = {"@type": "GeoCoordinates", "latitude": point[0],
                        "longitude": point[1]}
    return place


def event(item: dict[str, Any], feed: Feed) -> dict[str, Any]:
    online = bool((item.get("location") or {}).get("online"))
    data: dict[str, Any] = {
        "@type": "Event",
        "@id": feed.event_url(item),
        "identifier": item["id"],
        "name": item.get("title") or "",
        "url": feed.event_url(item),
        "startDate": item["start"][:10] if item.get("all_day") else item["start"],
        "endDate": item["end"][:10] if item.get("all_day") else item["end"],
        "eventStatus": EVENT_STATUS.get(str(item.get("status")),
                                        "https://schema.org/EventScheduled"),
        "eventAttendanceMode": "https://schema.org/" + (
            "OnlineEventAttendanceMode" if online else "OfflineEventAttendanceMode"),
    }
    if item.get("description_text"):
        data["description"] = item["description_text"]
    place = location(item, feed)
    if place:
        data["location"] = place
    if item.get("organizer"):
        data["organizer"] = {"@type": "Organization", "name": item["organizer"]}
    if item.get("is_free") is not None:
        data["isAccessibleForFree"] = bool(item["is_free"])
    image = http_url(item.get("image"))  # links: http(s) only, even stored before the rule
    if image:
        data["image"] = image
    keywords = [theme_label(c) for c in item.get("themes") or ()] + list(
        item.get("keywords") or ())
    if keywords:
        data["keywords"] = ", ".join(dict.fromkeys(keywords))
    same = http_url(item.get("url"))
    if same:
        data["sameAs"] = same
    return data


def render(items: list[dict[str, Any]], feed: Feed) -> bytes:
    doc = {
        "@context": "https://schema.org",
        "@type": "ItemList",
        "name": feed.title,
        "url": feed.self_url,
        "numberOfItems": len(items),
        "itemListElement": [
            {"@type": "ListItem", "position": n, "item": event(item, feed)}
            for n, item in enumerate(items, start=1)
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=1).encode()
