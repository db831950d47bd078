"""Write the demo associations' calendars (ICS, RSS with event dates, HTML with JSON-LD).

``generate(directory, today)`` writes one file per association, dated relative to ``today``,
a funder's feed of calls for projects (:mod:`demo.calls`), a calendar left out of the sources
for a newcomer to add from the site (``OWN_CALENDAR``), and a sources file pointing at the
demo feed server.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape
from zoneinfo import ZoneInfo

import icalendar

from demo.calls import FEED_ID, FEED_PATH, write_calls_rss
from demo.catalog import ASSOCIATIONS, OWN_CALENDAR, Association, DemoEvent

PARIS = ZoneInfo("Europe/Paris")


def start_of(event: DemoEvent, today: date) -> datetime | date:
    day = today + timedelta(days=event.day)
    if event.start is None:
        return day
    hour, minute = map(int, event.start.split(":"))
    return datetime.combine(day, time(hour, minute), PARIS)


def end_of(event: DemoEvent, today: date) -> datetime | date:
    start = start_of(event, today)
    if isinstance(start, datetime):
        return start + timedelta(minutes=event.minutes)
    return start + timedelta(days=max(event.minutes // (24 * 60), 1))


def write_ics(assoc: Association, today: date) -> str:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Maillage demo//" + assoc.name + "//FR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", assoc.name)
    cal.add("x-wr-timezone", "Europe/Paris")
    stamp = datetime.combine(today, time(8), PARIS)
    for ev in assoc.events:
        vevent = icalendar.Event()
        vevent.add("uid", ev.uid)
        vevent.add("dtstamp", stamp)
        vevent.add("summary", ev.title)
        vevent.add("dtstart", start_of(ev, today))
        vevent.add("dtend", end_of(ev, today))
        vevent.add("location", f"{ev.venue}, {ev.address}")
        vevent.add("description", ev.description)
        if ev.categories:
            vevent.add("categories", list(ev.categories))
        if ev.weekly_count:
            vevent.add("rrule", {"freq": "weekly", "count": ev.weekly_count})
        vevent.add("status", "CANCELLED" if ev.cancelled else "CONFIRMED")
        vevent.add("organizer", f"mailto:contact@{assoc.id}.demo",
                   parameters={"cn": ev.organizer or assoc.name})
        cal.add_component(vevent)
    text: str = cal.to_ical().decode()
    return text


def write_rss(assoc: Association, today: date, base_url: str) -> str:
    items = []
    published = datetime.combine(today - timedelta(days=2), time(9), PARIS)
    for ev in assoc.events:
        start, end = start_of(ev, today), end_of(ev, today)
        cats = "".join(f"<category>{xml_escape(c)}</category>" for c in ev.categories)
        items.append(
            "<item>"
            f"<title>{xml_escape(ev.title)}</title>"
            f"<link>{base_url}/{assoc.id}/{ev.uid}.html</link>"
            f"<guid isPermaLink=\"false\">{ev.uid}</guid>"
            f"<pubDate>{format_datetime(published)}</pubDate>"
            f"<description>{xml_escape(ev.description)}</description>"
            f"{cats}"
            f"<ev:startdate>{start.isoformat()}</ev:startdate>"
            f"<ev:enddate>{end.isoformat()}</ev:enddate>"
            f"<ev:location>{xml_escape(ev.venue + ', ' + ev.address)}</ev:location>"
            f"<ev:organizer>{xml_escape(ev.organizer or assoc.name)}</ev:organizer>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:ev="http://purl.org/rss/1.0/modules/event/">'
        f"<channel><title>{xml_escape(assoc.name)}</title>"
        f"<link>{base_url}/{assoc.id}/</link>"
        f"<description>Agenda de {xml_escape(assoc.name)}</description>"
        f"<language>fr</language>{''.join(items)}</channel></rss>\n"
    )


def write_html(assoc: Association, today: date, base_url: str) -> str:
    blocks = []
    cards = []
    for ev in assoc.events:
        start, end = start_of(ev, today), end_of(ev, today)
        street, _, rest = ev.address.partition(", ")
        postcode, _, city = rest.partition(" ")
        data = {
            "@context": "https://schema.org",
            "@type": "Event",
            "name": ev.title,
            "startDate": start.isoformat(),
            "endDate": end.isoformat(),
            "description": ev.description,
            "url": f"{base_url}/{assoc.id}/#{ev.uid}",
            "eventStatus": "https://schema.org/EventScheduled",
            "isAccessibleForFree": bool(ev.free),
            "organizer": {"@type": "Organization", "name": ev.organizer or assoc.name},
            "location": {
                "@type": "Place",
                "name": ev.venue,
                "address": {"@type": "PostalAddress", "streetAddress": street,
                            "postalCode": postcode, "addressLocality": city},
                **({"geo": {"@type": "GeoCoordinates", "latitude": ev.lat,
                            "longitude": ev.lon}} if ev.lat is not None else {}),
            },
            "identifier": ev.uid,
        }
        blocks.append(
            '<script type="application/ld+json">'
            + json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
            + "</script>"
        )
        cards.append(f'<article id="{ev.uid}"><h2>{escape(ev.title)}</h2>'
                     f"<p>{escape(ev.description)}</p></article>")
    return (
        f'<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{escape(assoc.name)}</title>{''.join(blocks)}</head>"
        f"<body><h1>{escape(assoc.name)}</h1>{''.join(cards)}</body></html>\n"
    )


def sources_toml(base_url: str, interval: int) -> str:
    lines = ["# Demo sources, served by the demo feed server (python -m demo.server).", ""]
    for assoc in ASSOCIATIONS:
        lines += [
            "[[sources]]",
            f'id = "{assoc.id}"',
            f'url = "{base_url}/{assoc.path}"',
            f'organizer = "{assoc.name}"',
            f"interval = {interval}",
            *([f"themes = {list(assoc.themes)!r}".replace("'", '"')] if assoc.themes else []),
            "",
        ]
    lines += [
        "# A funder's feed of calls for projects (the City's own calls are pushed).",
        "[[sources]]",
        f'id = "{FEED_ID}"',
        f'url = "{base_url}/{FEED_PATH}"',
        'kind = "calls"',
        'format = "rss"',
        'organizer = "Rennes Métropole"',
        f"interval = {interval}",
        "",
    ]
    return "\n".join(lines)


def generate(directory: Path, today: date, base_url: str, interval: int = 60) -> Path:
    """Write every demo file under ``directory``; returns the sources file's path."""
    for assoc in (*ASSOCIATIONS, OWN_CALENDAR):  # the last one is served, not harvested
        path = directory / "site" / assoc.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if assoc.format == "ics":
            text = write_ics(assoc, today)
        elif assoc.format == "rss":
            text = write_rss(assoc, today, base_url)
        else:
            text = write_html(assoc, today, base_url)
        path.write_text(text, encoding="utf-8")
    feed = directory / "site" / FEED_PATH
    feed.parent.mkdir(parents=True, exist_ok=True)
    feed.write_text(write_calls_rss(today, base_url), encoding="utf-8")
    sources = directory / "sources.toml"
    sources.write_text(sources_toml(base_url, interval), encoding="utf-8")
    return sources
