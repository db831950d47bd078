"""RSS 2.0 export: one item per occurrence, titled with its date, linking to its page.

Every text and attribute goes through :func:`shared.clean.xml_text`: a character XML 1.0
forbids (a stray ``\x01`` in a title stored before the model removed them) would make the
whole feed unreadable, and ElementTree writes such characters as they are.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from email.utils import format_datetime
from typing import Any

from services.query.exports.feed import STATUS_FR, Feed, moment, place_label, when_fr
from shared.clean import xml_text
from shared.taxonomy import theme_label

CONTENT_TYPE = "application/rss+xml"
EXTENSION = "rss"
ATOM = "http://www.w3.org/2005/Atom"


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    element.text = xml_text(text)
    return element


def item_title(item: dict[str, Any], feed: Feed) -> str:
    status = STATUS_FR.get(str(item.get("status")))
    title = item.get("title") or ""
    prefix = f"[{status}] " if status else ""
    return f"{prefix}{title} – {when_fr(item, feed.tz)}"


def item_description(item: dict[str, Any], feed: Feed) -> str:
    """Plain text (RSS readers show it as is; the XML writer escapes it)."""
    lines = [f"Quand\u00a0: {when_fr(item, feed.tz)}"]
    place = place_label(item)
    if place:
        lines.append(f"Où\u00a0: {place}")
    if item.get("organizer"):
        lines.append(f"Organisé par\u00a0: {item['organizer']}")
    text = item.get("description_text") or ""
    return "\n".join(lines) + ("\n\n" + text if text else "")


def render(items: list[dict[str, Any]], feed: Feed) -> bytes:
    ET.register_namespace("atom", ATOM)
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    _text(channel, "title", feed.title)
    _text(channel, "link", feed.html_url)
    _text(channel, "description", feed.description)
    _text(channel, "language", "fr-FR")
    _text(channel, "generator", "Maillage")
    _text(channel, "ttl", "60")
    ET.SubElement(channel, f"{{{ATOM}}}link",
                  {"href": xml_text(feed.self_url), "rel": "self", "type": CONTENT_TYPE})
    for doc in items:
        entry = ET.SubElement(channel, "item")
        _text(entry, "title", item_title(doc, feed))
        _text(entry, "link", feed.event_url(doc))
        _text(entry, "guid", feed.event_url(doc), isPermaLink="true")
        _text(entry, "description", item_description(doc, feed))
        for code in doc.get("themes") or ():
            _text(entry, "category", theme_label(code))
        if doc.get("updated"):
            _text(entry, "pubDate", format_datetime(moment(doc["updated"])))
    return bytes(ET.tostring(rss, encoding="utf-8", xml_declaration=True))
