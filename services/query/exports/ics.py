"""RFC 5545 iCalendar export, written with the ``icalendar`` package.

A stable, subscribable calendar: one VEVENT per occurrence with a UID derived from the
occurrence id (stable across harvests, so a subscribed calendar updates instead of
duplicating), times in the ``Europe/Paris`` VTIMEZONE, ``STATUS:CANCELLED`` for cancelled
occurrences, ``DTSTAMP`` and ``LAST-MODIFIED`` from the event's last update. No ``METHOD``
(a published calendar, not an iTIP message), so ``DTSTAMP`` is the last revision time.
``icalendar`` escapes text, folds lines at 75 octets and ends lines with CRLF.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import icalendar

from services.query.exports.feed import Feed, all_day_dates, moment, place_label
from shared.taxonomy import theme_label

CONTENT_TYPE = "text/calendar"
EXTENSION = "ics"
PRODID = "-//Maillage//Agenda des associations rennaises//FR"
STATUS = {"cancelled": "CANCELLED", "tentative": "TENTATIVE", "postponed": "TENTATIVE"}


def uid(item: dict[str, Any]) -> str:
    return f"{item['id']}@maillage"


def revised(item: dict[str, Any], feed: Feed) -> datetime:
    updated = item.get("updated")
    return moment(updated).astimezone(UTC) if updated else feed.generated.astimezone(UTC)


def description(item: dict[str, Any], feed: Feed) -> str:
    parts = [item.get("description_text") or ""]
    facts = []
    if item.get("organizer"):
        facts.append(f"Organisé par : {item['organizer']}")
    if item.get("is_free"):
        facts.append("Gratuit")
    elif item.get("price"):
        facts.append(f"Tarif : {item['price']}")
    if item.get("url"):
        facts.append(f"Source : {item['url']}")
    facts.append(f"Sur Maillage : {feed.event_url(item)}")
    parts.append("\n".join(facts))
    return "\n\n".join(p for p in parts if p)


def vevent(item: dict[str, Any], feed: Feed) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid(item))
    stamp = revised(item, feed)
    event.add("dtstamp", stamp)
    event.add("last-modified", stamp)
    if item.get("all_day"):
        first, after = all_day_dates(item, feed.tz)
        event.add("dtstart", first)
        event.add("dtend", after)
    else:
        start = moment(item["start"]).astimezone(feed.tz)
        end = moment(item["end"]).astimezone(feed.tz)
        event.add("dtstart", start)
        if end > start:
            event.add("dtend", end)
    event.add("summary", item.get("title") or "")
    event.add("description", description(item, feed))
    place = place_label(item)
    if place:
        event.add("location", place)
    loc = item.get("location") or {}
    if loc.get("lat") is not None and loc.get("lon") is not None:
        event.add("geo", (float(loc["lat"]), float(loc["lon"])))
    event.add("url", feed.event_url(item))
    themes = [theme_label(code) for code in item.get("themes") or ()]
    if themes:
        event.add("categories", themes)
    event.add("status", STATUS.get(str(item.get("status")), "CONFIRMED"))
    event.add("transp", "TRANSPARENT")
    event.add("class", "PUBLIC")
    return event


def year_range(items: list[dict[str, Any]], feed: Feed) -> tuple[date, date]:
    """The span the VTIMEZONE must cover: whole years around every occurrence."""
    years = [moment(i[k]).year for i in items for k in ("start", "end")]
    years = years or [feed.generated.year]
    return date(min(years) - 1, 1, 1), date(max(years) + 1, 12, 31)


def render(items: list[dict[str, Any]], feed: Feed) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", feed.title)
    cal.add("x-wr-caldesc", feed.description)
    cal.add("x-wr-timezone", feed.tz.key)
    cal.add("name", feed.title)
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    cal.add("source", feed.self_url, parameters={"VALUE": "URI"})
    first, last = year_range(items, feed)
    cal.add_component(icalendar.Timezone.from_tzid(feed.tz.key, first_date=first,
                                                   last_date=last))
    for item in items:
        cal.add_component(vevent(item, feed))
    return bytes(cal.to_ical())
