"""RSS 2.0, RSS 1.0 (RDF) and Atom feeds, read with feedparser.

An item's ``pubDate``/``updated`` is when it was *published*, not when the event happens, so
it is never used as the event date. Event dates come from, in order:

1. the mod_event (``ev:startdate``) or xCal (``dtstart``) fields of the item
   (see :mod:`.rss_event_fields`);
2. French dates in the title, then the summary, only when the source sets
   ``options["dates_in_text"]`` (see :mod:`.textdates`).

An item with no event date is skipped with a reason, and listed in ``linked`` when it has a
link: the worker may find the event on that page (:mod:`services.harvester.event_pages`).

Safety: the body is handed to feedparser as a stream (given bytes, feedparser would try them
as a local file name), and a DOCTYPE that declares entities is removed first, so no entity
expansion ("billion laughs") can happen.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import feedparser

from shared.errors import ParseError
from shared.model import DEFAULT_TZ, Event, Location, Occurrence, Skipped

from .base import LinkedItem, ParseContext, ParseResult
from .rss_event_fields import declares_entities, item_fields, parse_when, strip_doctype
from .textdates import first_date

FORMAT = "rss"
_ONE_DAY = timedelta(days=1)
NO_DATE = "no event date: the item's pubDate is a publication date"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, OSError, KeyError):
        return ZoneInfo(DEFAULT_TZ)


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def _fallback_fields(entry: Any) -> dict[str, dict[str, str]]:
    """Event fields as feedparser names them, for feeds that are not well-formed XML."""
    fields: dict[str, dict[str, str]] = {}
    for key, name in (
        ("ev_startdate", "start"),
        ("ev_enddate", "end"),
        ("ev_location", "location"),
        ("ev_organizer", "organizer"),
        ("xcal_dtstart", "start"),
        ("xcal_dtend", "end"),
        ("xcal_location", "location"),
    ):
        value = entry.get(key)
        if isinstance(value, str) and value.strip() and name not in fields:
            fields[name] = {"text": value.strip()}
    return fields


def _occurrence(
    fields: dict[str, dict[str, str]],
    entry: Any,
    ctx: ParseContext,
    tz: ZoneInfo,
    published: datetime | None,
) -> Occurrence | None:
    start_field = fields.get("start")
    if start_field:
        start = parse_when(start_field["text"], start_field.get("tzid"), tz)
        if start is not None:
            end_field = fields.get("end")
            end = parse_when(end_field["text"], end_field.get("tzid"), tz) if end_field else None
            end_dt = end[0] if end else None
            if end is not None and end[1]:
                end_dt = end[0] + _ONE_DAY  # a date-only end is inclusive
            if end_dt is not None and end_dt <= start[0]:
                end_dt = start[0] + _ONE_DAY if start[1] else None
            if start[1] and end_dt is None:
                end_dt = start[0] + _ONE_DAY
            return Occurrence(start=start[0], end=end_dt, all_day=start[1])
    if ctx.options.get("dates_in_text"):
        ref = published or ctx.now
        for text in (entry.get("title", ""), entry.get("summary", "")):
            found = first_date(text or "", tz, ref)
            if found is not None:
                return Occurrence(start=found.start, end=found.end, all_day=found.all_day)
    return None


def _image(entry: Any) -> str | None:
    for enclosure in entry.get("enclosures", []) or []:
        href = enclosure.get("href") or enclosure.get("url")
        if href and str(enclosure.get("type", "")).startswith("image/"):
            return str(href)
    for key in ("media_content", "media_thumbnail"):
        for media in entry.get(key, []) or []:
            url = media.get("url")
            if url and (key == "media_thumbnail" or str(media.get("medium", "image")) == "image"):
                return str(url)
    return None


def _uid(entry: Any, title: str) -> str:
    for key in ("id", "link"):
        value = entry.get(key)
        if value:
            return str(value)
    stamp = entry.get("published") or entry.get("updated") or ""
    return "derived-" + hashlib.sha256(f"{title}\x1f{stamp}".encode()).hexdigest()[:24]


def _feed(body: bytes) -> tuple[Any, list[dict[str, dict[str, str]]] | None]:
    if declares_entities(body):
        body = strip_doctype(body)
    fields = item_fields(body)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = feedparser.parse(io.BytesIO(body), sanitize_html=True, resolve_relative_uris=False)
    return parsed, fields


def parse(body: bytes, ctx: ParseContext) -> ParseResult:
    """Parse an RSS/Atom document (see the module docstring)."""
    parsed, xml_fields = _feed(body)
    entries = list(parsed.get("entries", []))
    if not parsed.get("version") and not entries:
        problem = parsed.get("bozo_exception")
        detail = f": {' '.join(str(problem).split())[:160]}" if problem else ""
        raise ParseError(f"not an RSS or Atom feed{detail}")
    if xml_fields is not None and len(xml_fields) != len(entries):
        xml_fields = None
    tz = _zone(ctx.timezone)
    result = ParseResult(format=FORMAT)
    feed_author = parsed.get("feed", {}).get("author")
    for index, entry in enumerate(entries):
        title = " ".join(str(entry.get("title", "")).split())
        uid = _uid(entry, title)
        if not title:
            result.skipped.append(Skipped("no title", uid=uid))
            continue
        fields = xml_fields[index] if xml_fields is not None else _fallback_fields(entry)
        published = _struct_time(entry.get("published_parsed") or entry.get("updated_parsed"))
        occurrence = _occurrence(fields, entry, ctx, tz, published)
        link = str(entry.get("link") or "")
        content = entry.get("content") or []
        description = (content[0].get("value") if content else None) or entry.get("summary", "")
        if occurrence is None:
            result.skipped.append(Skipped(NO_DATE, uid=uid, title=title))
            if link.startswith(("http://", "https://")):
                result.linked.append(LinkedItem(uid, title, link, description or ""))
            continue
        if (
            occurrence.start > ctx.window_end
            or (occurrence.end or occurrence.start) < ctx.window_start
        ):
            result.skipped.append(
                Skipped(
                    f"event date {occurrence.start.date().isoformat()} outside the window "
                    f"{ctx.window_start.date().isoformat()}..{ctx.window_end.date().isoformat()}",
                    uid=uid,
                    title=title,
                )
            )
            continue
        occurrence = Occurrence(
            start=occurrence.start,
            end=occurrence.end,
            all_day=occurrence.all_day,
            recurrence_key=occurrence.start.astimezone(UTC).isoformat(),
        )
        location_text = fields.get("location", {}).get("text")
        organizer_text = fields.get("organizer", {}).get("text")
        result.events.append(
            Event.create(
                source_id=ctx.source_id,
                source_uid=uid,
                title=title,
                occurrences=[occurrence],
                description=description or "",
                url=link if link.startswith(("http://", "https://")) else None,
                location=Location(name=location_text) if location_text else None,
                organizer=organizer_text or ctx.organizer or entry.get("author") or feed_author,
                categories=tuple(
                    dict.fromkeys(
                        str(t.get("term")).strip()
                        for t in entry.get("tags", []) or []
                        if t.get("term") and str(t.get("term")).strip()
                    )
                ),
                image=_image(entry),
                timezone=tz.key,
                source_format=FORMAT,
                updated=_struct_time(entry.get("updated_parsed")) or published,
            )
        )
    if not entries:
        result.skipped.append(Skipped("the feed has no items"))
    return result
