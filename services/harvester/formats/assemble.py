"""Occurrences and events from raw values: the last step shared by the structured parsers.

:func:`occurrence` turns a raw start/end into an :class:`Occurrence` (all-day rules, bad ends
dropped), :func:`emit` validates one event, keeps its occurrences inside the harvest window
and appends it (or a :class:`Skipped` entry with the reason) to the result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta, tzinfo
from typing import Any

from shared.model import Event, Occurrence, Skipped, Status

from .base import ParseContext, ParseResult
from .jsonutil import parse_when, text, zone


def occurrence(
    start: Any,
    end: Any = None,
    *,
    tz: str | tzinfo | None = None,
    status: str = Status.SCHEDULED,
    all_day: bool | None = None,
) -> Occurrence | None:
    """An occurrence from raw start/end values, or ``None`` without a usable start.

    A date-only start makes an all-day occurrence starting at local midnight; its end (a
    date, inclusive as sources write it) becomes the next local midnight (exclusive). An
    end before the start is dropped. A 00:00 to 23:59 slot of one day counts as all-day.
    """
    local = tz if isinstance(tz, tzinfo) else zone(tz)
    first = parse_when(start, local)
    if first is None:
        return None
    begin, date_only = first
    last = parse_when(end, local) if end is not None else None
    finish = last[0] if last else None
    whole_day = date_only if all_day is None else all_day
    if whole_day:
        begin = datetime.combine(begin.astimezone(local).date(), datetime.min.time(), local)
        if finish is not None:
            end_local = finish.astimezone(local)
            day = end_local.date()
            if last is not None and (last[1] or end_local.time() != datetime.min.time()):
                day += timedelta(days=1)  # an inclusive end date, or a time within the day
            finish = datetime.combine(day, datetime.min.time(), local)
            if finish <= begin:
                finish = begin + timedelta(days=1)
    elif finish is not None and _is_whole_local_day(begin, finish, local):
        whole_day = True
        begin = begin.astimezone(local)
        finish = datetime.combine(begin.date() + timedelta(days=1), datetime.min.time(), local)
    if finish is not None and finish < begin:
        finish = None
    return Occurrence(start=begin, end=finish, all_day=whole_day, status=status)


def _is_whole_local_day(begin: datetime, end: datetime, local: tzinfo) -> bool:
    b, e = begin.astimezone(local), end.astimezone(local)
    return b.date() == e.date() and (b.hour, b.minute) == (0, 0) and (e.hour, e.minute) == (23, 59)


def in_window(occs: Iterable[Occurrence], ctx: ParseContext) -> list[Occurrence]:
    """Occurrences overlapping the harvest window, sorted, capped at ``ctx.max_occurrences``."""
    lo, hi = ctx.window_start, ctx.window_end
    kept = {o.key(): o for o in occs if (o.end or o.start) >= lo and o.start <= hi}
    return sorted(kept.values(), key=lambda o: o.start)[: ctx.max_occurrences]


def emit(
    result: ParseResult,
    ctx: ParseContext,
    *,
    uid: str | None,
    title: str | None,
    occurrences: Iterable[Occurrence | None],
    **fields: Any,
) -> Event | None:
    """Validate, window and append one event to ``result`` (or a :class:`Skipped` entry)."""
    all_occs = [o for o in occurrences if o is not None]
    if not uid:
        result.skipped.append(Skipped("no identifier", None, title))
        return None
    if not title:
        result.skipped.append(Skipped("no title", uid, None))
        return None
    if not all_occs:
        result.skipped.append(Skipped("no usable date", uid, title))
        return None
    if any(e.source_uid == uid for e in result.events):
        result.skipped.append(Skipped("duplicate uid in the document", uid, title))
        return None
    occs = in_window(all_occs, ctx)
    if not occs:
        result.skipped.append(Skipped("outside the harvest window", uid, title))
        return None
    if fields.get("organizer") is None:
        fields["organizer"] = ctx.organizer
    fields.setdefault("timezone", ctx.timezone)
    event = Event.create(
        source_id=ctx.source_id, source_uid=uid, title=title, occurrences=occs, **fields
    )
    result.events.append(event)
    return event


_STATUS_WORDS = {
    "eventscheduled": Status.SCHEDULED,
    "scheduled": Status.SCHEDULED,
    "confirmed": Status.SCHEDULED,
    "eventcancelled": Status.CANCELLED,
    "eventcanceled": Status.CANCELLED,
    "cancelled": Status.CANCELLED,
    "canceled": Status.CANCELLED,
    "eventpostponed": Status.POSTPONED,
    "postponed": Status.POSTPONED,
    "eventrescheduled": Status.RESCHEDULED,
    "rescheduled": Status.RESCHEDULED,
    "eventmovedonline": Status.MOVED_ONLINE,
    "movedonline": Status.MOVED_ONLINE,
    "tentative": Status.TENTATIVE,
    "full": Status.FULL,
    "soldout": Status.FULL,
}


def status_from(value: Any) -> Status | None:
    """A :class:`Status` from schema.org URLs, iCalendar words or plain English."""
    raw = text(value)
    if raw is None:
        return None
    word = re.split(r"[/#:]", raw)[-1].lower().replace("_", "").replace(" ", "")
    return _STATUS_WORDS.get(word)
