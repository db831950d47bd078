"""Exports of calls for projects: ICS of deadlines and RSS of new calls, for any search.

An association subscribes once to ``/v1/calls.ics?theme=culture`` (each call is an event at
its deadline, with a reminder a week before) or ``/v1/calls.rss?...`` (newest first).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from xml.sax import saxutils
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event

from services.query.web.fr import clock, day_label
from shared.calls import PERIMETERS
from shared.clean import http_url, xml_text

PARIS = ZoneInfo("Europe/Paris")  # the city's calls are dated in its time


def escape(text: str, entities: dict[str, str] | None = None) -> str:
    """XML-escaped ``text`` without the characters XML 1.0 forbids (a stored title with a
    stray control character must not make the whole feed unreadable)."""
    return saxutils.escape(xml_text(text), entities or {})


def _summary_lines(doc: dict[str, Any]) -> list[str]:
    lines = [f"Financeur\u00a0: {doc['funder']}"]
    amount = doc.get("amount") or {}
    if amount.get("max") or amount.get("min"):
        bounds = (v for v in (amount.get("min"), amount.get("max")) if v)
        lines.append("Montant\u00a0: " + " – ".join(
            f"{v:,.0f}\u00a0€".replace(",", "\u202f") for v in bounds))
    if amount.get("rate"):
        lines.append(f"Taux\u00a0: {amount['rate']:g}\u00a0%")
    if amount.get("text"):
        lines.append(amount["text"])
    where = PERIMETERS.get(doc.get("perimeter") or "", "")
    if doc.get("quartier"):
        where = f"Quartier {doc['quartier']}"
    if where:
        lines.append(f"Périmètre\u00a0: {where}")
    if doc.get("joint_welcome"):
        lines.append("Candidatures communes bienvenues")
    return lines


def calls_ics(docs: list[dict[str, Any]], base_url: str, name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Maillage//appels a projets//FR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Paris")
    stamp = datetime.now(UTC).replace(microsecond=0)
    for doc in docs:
        deadline = datetime.fromisoformat(doc["deadline"]).astimezone(UTC)
        page = f"{base_url}/appels/{doc['id']}"
        ev = Event()
        ev.add("uid", f"{doc['id']}@maillage")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", deadline)
        ev.add("dtend", deadline)
        ev.add("summary", f"Date limite\u00a0: {doc['title']}")
        apply = http_url(doc.get("application_url")) or page  # stored before the rule
        body = _summary_lines(doc) + [f"Candidater\u00a0: {apply}"]
        ev.add("description", "\n".join(body))
        ev.add("url", page)
        ev.add("transp", "TRANSPARENT")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Date limite dans une semaine\u00a0: {doc['title']}")
        alarm.add("trigger", timedelta(days=-7))
        ev.add_component(alarm)
        cal.add_component(ev)
    ical: bytes = cal.to_ical()
    return ical


def calls_rss(docs: list[dict[str, Any]], base_url: str, self_url: str, title: str) -> bytes:
    items = []
    for doc in docs:
        page = f"{base_url}/appels/{doc['id']}"
        deadline = datetime.fromisoformat(doc["deadline"]).astimezone(PARIS)
        text = _summary_lines(doc) + [
            f"Date limite\u00a0: {day_label(deadline.date())} à {clock(deadline)}",
        ]
        if doc.get("description_text"):
            text.append(doc["description_text"][:1000])
        seen = datetime.fromisoformat(doc["first_seen"])
        items.append(
            "<item>"
            f"<title>{escape(doc['title'])}</title>"
            f"<link>{escape(page)}</link>"
            f'<guid isPermaLink="false">{escape(doc["id"])}</guid>'
            f"<pubDate>{format_datetime(seen)}</pubDate>"
            f"<description>{escape(chr(10).join(text))}</description>"
            + "".join(f"<category>{escape(t)}</category>" for t in doc.get("themes", ()))
            + "</item>"
        )
    quoted_self = escape(self_url, {'"': "&quot;"})
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        f"<title>{escape(title)}</title><link>{escape(base_url)}/appels</link>"
        "<description>Nouveaux appels à projets pour les associations rennaises"
        "</description><language>fr</language>"
        f'<atom:link href="{quoted_self}" rel="self" type="application/rss+xml"/>'
        + "".join(items) + "</channel></rss>\n"
    )
    return xml.encode("utf-8")
