"""Microdata items and h-event microformats of an HTML page, as schema.org-shaped dicts.

Microdata (``itemscope``/``itemtype``/``itemprop``, nested items) becomes
``{"@type": "Event", "name": ..., "location": {"@type": "Place", ...}}``; each h-event
(``p-name``, ``dt-start``, ``dt-end``, ``p-location``, ``u-url``...; legacy hCalendar
``vevent`` too) becomes the same shape, so :mod:`.schemaorg` maps all of them.
"""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup, Tag

from .jsonutil import absolute

MAX_DEPTH = 64
_URL_ATTR = {
    "a": "href",
    "area": "href",
    "link": "href",
    "img": "src",
    "audio": "src",
    "video": "src",
    "source": "src",
    "iframe": "src",
    "embed": "src",
    "track": "src",
    "object": "data",
}
_SPACES = re.compile(r"\s+")


def _text(el: Tag) -> str:
    return _SPACES.sub(" ", el.get_text(" ")).strip()


def _attr(el: Tag, name: str) -> str | None:
    value = el.get(name)
    if isinstance(value, list):
        value = " ".join(value)
    return value.strip() if isinstance(value, str) and value.strip() else None


# -- microdata -------------------------------------------------------------------------------


def microdata_items(soup: BeautifulSoup, base: str | None) -> list[dict[str, Any]]:
    """Top-level microdata items (nested items are inside them)."""
    items = []
    for el in soup.find_all(lambda tag: tag.has_attr("itemscope")):
        if not el.has_attr("itemprop") or el.find_parent(attrs={"itemscope": True}) is None:
            items.append(_item(el, base, 0))
    return items


def _item(el: Tag, base: str | None, depth: int) -> dict[str, Any]:
    item: dict[str, Any] = {}
    kind = _attr(el, "itemtype")
    if kind:
        item["@type"] = kind.split()[0]
    if ident := _attr(el, "itemid"):
        item["@id"] = ident
    if depth >= MAX_DEPTH:
        return item
    stack = list(reversed(el.find_all(True, recursive=False)))
    while stack:
        child = stack.pop()
        names = _attr(child, "itemprop")
        if names:
            value: Any = (
                _item(child, base, depth + 1)
                if child.has_attr("itemscope")
                else _value(child, base)
            )
            for name in names.split():
                _add(item, name, value)
        if not child.has_attr("itemscope"):
            stack.extend(reversed(child.find_all(True, recursive=False)))
    return item


def _add(item: dict[str, Any], name: str, value: Any) -> None:
    if value in (None, ""):
        return
    if name not in item:
        item[name] = value
    elif isinstance(item[name], list):
        item[name].append(value)
    else:
        item[name] = [item[name], value]


def _value(el: Tag, base: str | None) -> str | None:
    tag = el.name
    if tag == "meta":
        return _attr(el, "content")
    if tag in _URL_ATTR:
        return absolute(base, _attr(el, _URL_ATTR[tag])) or _attr(el, _URL_ATTR[tag])
    if tag == "time":
        return _attr(el, "datetime") or _text(el)
    if tag in ("data", "meter"):
        return _attr(el, "value") or _text(el)
    return _attr(el, "content") or _text(el) or None


# -- microformats ----------------------------------------------------------------------------

_ROOT = re.compile(r"^(h-[a-z-]+|vevent|vcard|adr|geo)$")
_LEGACY = {
    "summary": "p-name",
    "dtstart": "dt-start",
    "dtend": "dt-end",
    "location": "p-location",
    "url": "u-url",
    "description": "p-description",
    "category": "p-category",
    "duration": "dt-duration",
    "photo": "u-photo",
}


def h_events(soup: BeautifulSoup, base: str | None) -> list[dict[str, Any]]:
    """Every h-event (or hCalendar vevent) of the page as a schema.org-shaped Event dict."""
    roots = soup.find_all(class_=lambda c: c in ("h-event", "vevent"))
    return [_h_event(root, base) for root in roots if isinstance(root, Tag)]


def _classes(el: Tag) -> list[str]:
    value = el.get("class")
    return value if isinstance(value, list) else []


def _properties(root: Tag) -> list[tuple[str, Tag]]:
    """``(property, element)`` pairs of a root, not descending into nested roots."""
    found: list[tuple[str, Tag]] = []
    stack = list(reversed(root.find_all(True, recursive=False)))
    while stack:
        el = stack.pop()
        classes = _classes(el)
        for cls in classes:
            prop = _LEGACY.get(cls, cls)
            if re.match(r"^(p|u|dt|e)-", prop):
                found.append((prop, el))
        if not any(_ROOT.match(c) for c in classes):
            stack.extend(reversed(el.find_all(True, recursive=False)))
    return found


def _h_value(prop: str, el: Tag, base: str | None) -> str | None:
    if prop.startswith("dt-"):
        parts = el.find_all(class_="value")
        if parts:
            return "T".join(
                p
                for v in parts
                if (p := _attr(v, "datetime") or _attr(v, "title") or _attr(v, "value") or _text(v))
            )
        return (
            _attr(el, "datetime")
            or _attr(el, "title")
            or _attr(el, "value")
            or _attr(el, "content")
            or _text(el)
        )
    if prop.startswith("u-") and el.name in _URL_ATTR:
        raw = _attr(el, _URL_ATTR[el.name])
        return absolute(base, raw) or raw
    if prop.startswith("e-"):
        return el.decode_contents().strip()
    if el.name == "abbr" and _attr(el, "title"):
        return _attr(el, "title")
    if el.name in ("img", "area") and _attr(el, "alt"):
        return _attr(el, "alt")
    return _attr(el, "value") or _attr(el, "content") or _text(el)


def _place(el: Tag, base: str | None) -> dict[str, Any] | str | None:
    if not any(_ROOT.match(c) for c in _classes(el)):
        return _h_value("p-location", el, base)
    props = {p: _h_value(p, e, base) for p, e in reversed(_properties(el))}
    place: dict[str, Any] = {"@type": "Place", "name": props.get("p-name") or _text(el)}
    address = {
        k: props.get(p)
        for k, p in (
            ("streetAddress", "p-street-address"),
            ("addressLocality", "p-locality"),
            ("postalCode", "p-postal-code"),
        )
        if props.get(p)
    }
    if address:
        place["address"] = {"@type": "PostalAddress", **address}
    if props.get("p-latitude") and props.get("p-longitude"):
        place["latitude"], place["longitude"] = props["p-latitude"], props["p-longitude"]
    return place


def _h_event(root: Tag, base: str | None) -> dict[str, Any]:
    event: dict[str, Any] = {"@type": "Event"}
    keys = {
        "p-name": "name",
        "dt-start": "startDate",
        "dt-end": "endDate",
        "u-url": "url",
        "p-summary": "description",
        "p-description": "description",
        "e-content": "description",
        "e-description": "description",
        "u-photo": "image",
        "dt-duration": "duration",
        "p-status": "eventStatus",
    }
    categories: list[str] = []
    for prop, el in _properties(root):
        if prop == "p-location":
            event.setdefault("location", _place(el, base))
        elif prop == "p-category":
            if value := _h_value(prop, el, base):
                categories.append(value)
        elif prop in keys and keys[prop] not in event:
            value = _h_value(prop, el, base)
            if value:
                event[keys[prop]] = value
    if categories:
        event["keywords"] = categories
    return event
