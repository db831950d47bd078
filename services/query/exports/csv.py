"""CSV export (RFC 4180, UTF-8, CRLF): one row per occurrence, for spreadsheets.

Text cells that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``,
``@``, tab or CR) are prefixed with an apostrophe (OWASP "CSV injection").

``precision`` says what ``lat``/``lon`` are (see :class:`shared.model.Location`): with
``commune``, the commune's centroid, not the event's place.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from services.query.exports.feed import Feed, moment
from shared.clean import http_url

CONTENT_TYPE = "text/csv"
EXTENSION = "csv"
COLUMNS = ("id", "event_id", "title", "start", "end", "all_day", "status", "place",
           "address", "postcode", "city", "quartier", "commune", "lat", "lon", "precision",
           "organizer",
           "themes", "keywords", "accessibility", "audience", "is_free", "price", "url",
           "page", "sources")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def row(item: dict[str, Any], feed: Feed) -> list[str]:
    loc = item.get("location") or {}

    def text(value: Any) -> str:
        return "" if value is None else safe(str(value))

    def number(value: Any) -> str:
        return "" if value is None else repr(float(value))

    def listed(values: Any) -> str:
        return safe("|".join(str(v) for v in values or ()))

    free = item.get("is_free")
    return [
        item["id"], item["event_id"], text(item.get("title")),
        moment(item["start"]).astimezone(feed.tz).isoformat(),
        moment(item["end"]).astimezone(feed.tz).isoformat(),
        "true" if item.get("all_day") else "false", text(item.get("status")),
        text(loc.get("name")), text(loc.get("address")), text(loc.get("postcode")),
        text(loc.get("city")), text(loc.get("quartier")), text(loc.get("commune")),
        number(loc.get("lat")), number(loc.get("lon")), text(loc.get("precision")),
        text(item.get("organizer")),
        listed(item.get("themes")), listed(item.get("keywords")),
        listed(item.get("accessibility")), listed(item.get("audience")),
        "" if free is None else ("true" if free else "false"), text(item.get("price")),
        text(http_url(item.get("url"))), feed.event_url(item),
        listed(s.get("source_id") for s in item.get("sources") or ()),
    ]


def render(items: list[dict[str, Any]], feed: Feed) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for item in items:
        writer.writerow(row(item, feed))
    return out.getvalue().encode("utf-8")
