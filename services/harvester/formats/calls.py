"""Calls for projects harvested from funders' feeds (sources with ``kind = "calls"``).

Three shapes are read:

* **Aides-territoires-style JSON APIs**: ``{"results": [...], "next": url}`` where each aid has
  ``name``, ``submission_deadline`` (and ``start_date``), ``description``, ``url`` or
  ``application_url``, ``financers`` (names or objects), ``targeted_audiences``,
  ``perimeter``. Aids that are not calls for projects (``is_call_for_project: false``) and
  aids without a deadline are skipped with their reason.
* **Maillage's own push format** (one call, a list or ``{"calls": [...]}``), so a funder can
  publish a static JSON file in the schema of the push API; validated the same way.
* **RSS/Atom**: each item is a call; the deadline is read from the text ("date limite",
  "jusqu'au", "avant le", "clôture") and the opening date from "à partir du"/"ouverture".
  An item whose text gives no deadline is skipped with that reason.

The source's ``id`` is the publisher; ``organizer`` names the funder when the feed does not.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import feedparser

from services.harvester.formats.base import ParseContext
from services.harvester.formats.jsonutil import (
    as_list,
    dig,
    load_json,
    parse_when,
    stable_uid,
    text,
)
from services.harvester.formats.rss_event_fields import declares_entities, strip_doctype
from services.harvester.formats.textdates import find_dates
from shared.calls import CALL_AUDIENCES, Call
from shared.errors import ParseError
from shared.model import Skipped

DEADLINE_WORDS = re.compile(
    r"(date\s+limite|jusqu'?\s*au|avant\s+le|cl[oô]ture|d[ée]p[oô]t\s+des\s+dossiers)",
    re.IGNORECASE,
)
OPENING_WORDS = re.compile(r"(à\s+partir\s+du|ouverture|ouvert\s+le|d[ée]but)", re.IGNORECASE)
AUDIENCE_WORDS = {
    "association": "associations",
    "collectif": "collectifs",
    "habitant": "habitants",
    "ess": "structures-ess",
    "etablissement": "etablissements",
    "artiste": "artistes",
    "jeune": "jeunes",
}


@dataclass(slots=True)
class CallsResult:
    format: str
    calls: list[Call] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    next_url: str | None = None


def parse_calls_document(body: bytes, ctx: ParseContext) -> CallsResult:
    if not body.strip():
        raise ParseError("empty document")
    head = body.lstrip()[:1]
    if head in (b"{", b"["):
        return _json(load_json(body, "calls"), ctx)
    return _feed(body, ctx)


def _deadline_at(value: Any, tz: ZoneInfo) -> datetime | None:
    """A deadline: a date alone means the end of that day."""
    when = parse_when(value, tz)
    if when is None:
        return None
    moment, all_day = when
    if all_day:
        return datetime.combine(moment.date(), time(23, 59), tz)
    return moment


def _audiences(values: list[Any]) -> tuple[str, ...]:
    found = []
    for value in values:
        raw = (text(value) or "").lower()
        for word, code in AUDIENCE_WORDS.items():
            if word in raw and code in CALL_AUDIENCES:
                found.append(code)
    return tuple(dict.fromkeys(found)) or ("associations",)


def _json(doc: Any, ctx: ParseContext) -> CallsResult:
    if isinstance(doc, dict) and isinstance(doc.get("results"), list):
        return _aides(doc, ctx)
    from services.ingest.validate import ValidationFailed, parse_calls

    try:
        calls = parse_calls(doc, ctx.source_id)
    except ValidationFailed as exc:
        first = exc.errors[0]
        raise ParseError(f"not a calls document: {first['path']}: {first['reason']}") from None
    return CallsResult("calls-json", [c.with_(origin="harvest") for c in calls])


def _aides(doc: dict[str, Any], ctx: ParseContext) -> CallsResult:
    tz = ZoneInfo(ctx.timezone)
    result = CallsResult("aides-territoires", next_url=text(doc.get("next")))
    for raw in doc["results"]:
        if not isinstance(raw, dict):
            continue
        title = text(raw.get("name")) or text(raw.get("title"))
        uid = text(raw.get("id")) or text(raw.get("slug")) or stable_uid(title)
        if not title:
            result.skipped.append(Skipped("no title", uid))
            continue
        if raw.get("is_call_for_project") is False:
            result.skipped.append(Skipped("not a call for projects", uid, title))
            continue
        deadline = _deadline_at(raw.get("submission_deadline"), tz)
        if deadline is None:
            result.skipped.append(Skipped("no deadline (permanent aid)", uid, title))
            continue
        financers = [text(f) if not isinstance(f, dict) else text(f.get("name"))
                     for f in as_list(raw.get("financers") or raw.get("financers_full"))]
        opens = parse_when(raw.get("start_date"), tz)
        result.calls.append(Call.create(
            publisher=ctx.source_id,
            publisher_id=uid,
            title=title,
            funder=next((f for f in financers if f), None) or ctx.organizer or ctx.source_id,
            deadline=deadline,
            opens=opens[0] if opens else None,
            description=text(raw.get("description")) or "",
            application_url=text(raw.get("application_url")) or text(raw.get("url"))
            or text(dig(raw, "origin_url")),
            audiences=_audiences(as_list(raw.get("targeted_audiences"))),
            perimeter="rennes-metropole" if "métropole" in (text(raw.get("perimeter")) or "")
            .lower() else "rennes",
            origin="harvest",
        ))
    return result


def _feed(body: bytes, ctx: ParseContext) -> CallsResult:
    if declares_entities(body):  # as the events' reader: no entity a document declares
        body = strip_doctype(body)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = feedparser.parse(io.BytesIO(body), sanitize_html=True, resolve_relative_uris=False)
    entries = list(parsed.get("entries", []))
    if not parsed.get("version") and not entries:
        raise ParseError("not a JSON calls document nor an RSS/Atom feed")
    tz = ZoneInfo(ctx.timezone)
    result = CallsResult("calls-rss")
    for entry in entries:
        title = (entry.get("title") or "").strip()
        uid = entry.get("id") or entry.get("link") or stable_uid(title)
        summary = entry.get("summary") or ""
        deadline, opens = _dates_in_text(f"{title}\n{summary}", tz, ctx.now)
        if not title:
            result.skipped.append(Skipped("no title", uid))
            continue
        if deadline is None:
            result.skipped.append(Skipped("no deadline in the item's text", uid, title))
            continue
        result.calls.append(Call.create(
            publisher=ctx.source_id,
            publisher_id=uid,
            title=title,
            funder=ctx.organizer or (parsed.get("feed", {}).get("title") or ctx.source_id),
            deadline=deadline,
            opens=opens,
            description=summary,
            application_url=entry.get("link"),
            audiences=_audiences([summary]),
            origin="harvest",
        ))
    return result


def _dates_in_text(
    content: str, tz: ZoneInfo, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """The deadline (a date after a deadline word, else the last date) and the opening."""
    deadline = opens = None
    for match in DEADLINE_WORDS.finditer(content):
        found = find_dates(content[match.end(): match.end() + 60], tz, now)
        if found:
            day = found[0].start
            deadline = day if not found[0].all_day else datetime.combine(day.date(), time(23, 59),
                                                                         tz)
            break
    for match in OPENING_WORDS.finditer(content):
        found = find_dates(content[match.end(): match.end() + 60], tz, now)
        if found:
            opens = found[0].start
            break
    if deadline is None:
        found = find_dates(content, tz, now)
        if found:
            last = found[-1]
            deadline = last.start if not last.all_day else datetime.combine(
                last.start.date(), time(23, 59), tz)
    return deadline, opens
