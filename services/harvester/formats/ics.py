"""iCalendar (RFC 5545) feeds: VEVENTs become events, their recurrences occurrences.

Reading and repairing the text is in :mod:`.ics_text`, time zones in :mod:`.ics_time`, the
bounded expansion of recurrences in :mod:`.ics_expand`. This module maps one series (a master
VEVENT and its RECURRENCE-ID overrides, grouped by UID) to one :class:`Event`.

Occurrences keep their status: an override with ``STATUS:CANCELLED`` is an occurrence marked
cancelled, so the index can show or hide it. Series with no occurrence in the window, and
VEVENTs without DTSTART or SUMMARY, are reported in ``skipped``.
"""

from __future__ import annotations

import time as clock
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import x_wr_timezone

from shared.errors import MaillageError, ParseError
from shared.model import Event, Occurrence, Skipped, Status

from . import ics_fields
from .base import ParseContext, ParseResult
from .ics_expand import Budget, Instance, expand
from .ics_text import read_calendars
from .ics_time import calendar_zone, display_zone, is_all_day, to_aware

#: icalendar components are typed loosely: their property values are a wide union.
Component = Any


FORMAT = "ics"


def _occurrence(inst: Instance, zone: ZoneInfo, status: str) -> Occurrence:
    """One occurrence; its end is its own component's (an override keeps its DTEND even when
    the master has none). recurring-ical-events gives an end-less one ``end == start``."""
    all_day = is_all_day(inst.start)
    start = to_aware(inst.start, zone)
    end: datetime | None = to_aware(inst.end, zone)
    if all_day:
        if end is None or end <= start:
            end = start + timedelta(days=1)
    elif end is not None and end <= start:
        end = None
    cancelled = ics_fields.status(inst.component) == Status.CANCELLED
    occ_status = Status.CANCELLED if cancelled else status
    key = to_aware(inst.original, zone).astimezone(UTC).isoformat()
    return Occurrence(start=start, end=end, all_day=all_day, status=occ_status, recurrence_key=key)


def _series_event(
    components: list[Any],
    ctx: ParseContext,
    cal_zone: ZoneInfo,
    deadline: float,
    budget: Budget,
    result: ParseResult,
) -> None:
    master = next((c for c in components if c.get("RECURRENCE-ID") is None), components[0])
    uid = ics_fields.uid(master)
    titles = (ics_fields.text(c, "SUMMARY") for c in [master, *components])
    title = next((t for t in titles if t), "")
    if not title:
        # No SUMMARY: the first line of the description, if any, names the event.
        first_line = (ics_fields.text(master, "DESCRIPTION").splitlines() or [""])[0].strip()
        title = first_line[:100]
    if not title:
        result.skipped.append(Skipped("no title (no SUMMARY nor DESCRIPTION)", uid=uid))
        return
    zone = display_zone(ics_fields.start_value(master), cal_zone, ctx.timezone)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expansion = expand(
                components,
                ctx.window_start.astimezone(zone),
                ctx.window_end.astimezone(zone),
                ctx.max_occurrences,
                deadline,
                budget,
            )
    except MaillageError:  # the document's budget is spent: the document is refused
        raise
    except Exception as exc:  # noqa: BLE001 - a broken series must not stop the document
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        result.skipped.append(Skipped(f"recurrence cannot be expanded: {reason}", uid, title))
        return
    if not expansion.instances and expansion.refused:
        result.skipped.append(Skipped(f"recurrence refused: {expansion.refused}", uid, title))
        return
    if not expansion.instances:
        result.skipped.append(
            Skipped(
                f"no occurrence between {ctx.window_start.date().isoformat()} and "
                f"{ctx.window_end.date().isoformat()}",
                uid,
                title,
            )
        )
        return
    status = ics_fields.status(master)
    occurrences = sorted(
        (_occurrence(i, zone, status) for i in expansion.instances),
        key=lambda o: o.start,
    )
    extra: dict[str, Any] = {}
    if expansion.notes:
        extra["expansion"] = expansion.notes
    if "RRULE" in master or "RDATE" in master or len(components) > 1 or expansion.refused:
        extra["recurring"] = True
    description = ics_fields.text(master, "DESCRIPTION") or ics_fields.text(master, "X-ALT-DESC")
    result.events.append(
        Event.create(
            source_id=ctx.source_id,
            source_uid=uid,
            title=title,
            occurrences=occurrences,
            description=description,
            url=ics_fields.url(master),
            location=ics_fields.location(master),
            organizer=ics_fields.organizer(master, ctx.organizer),
            categories=ics_fields.categories(master),
            image=ics_fields.image(master),
            status=status,
            timezone=zone.key,
            source_format=FORMAT,
            updated=ics_fields.updated(master),
            extra=extra,
        )
    )


def _range_key(component: Component) -> tuple[str, str] | None:
    rid = component.get("RECURRENCE-ID")
    value = getattr(rid, "dt", None)
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC)
    return ics_fields.text(component, "UID"), value.isoformat()


class _ZoneWalker(x_wr_timezone.UTCChangingWalker):  # type: ignore[misc]
    """x-wr-timezone's walker, told apart what has no zone at all from what has one.

    x-wr-timezone takes a value whose ``tzname()`` is ``None`` for a floating one, which is
    also true of a time in a VTIMEZONE without TZNAME (Outlook and Exchange exports): that
    11:00-05:00 came out as 11:00 in Paris. And it converts UTC values whether or not the
    calendar declares X-WR-TIMEZONE: a UTC weekly series then followed Paris's DST, and its
    UTC EXDATE and RECURRENCE-ID no longer matched.
    """

    def __init__(self, timezone: ZoneInfo, convert_utc: bool) -> None:
        super().__init__(timezone)
        self.convert_utc = convert_utc

    def is_Floating(self, dt: datetime) -> bool:  # noqa: N802 - the library's name
        return dt.tzinfo is None

    def is_UTC(self, dt: datetime) -> bool:  # noqa: N802 - the library's name
        return self.convert_utc and dt.tzinfo is not None and bool(super().is_UTC(dt))


def _standardize(cal: icalendar.Calendar, ctx: ParseContext) -> tuple[Any, ZoneInfo]:
    """Read floating times in the calendar's zone, and UTC ones too under X-WR-TIMEZONE (the
    Google Calendar convention); a time with a zone, even one without TZNAME, is kept.

    x-wr-timezone rebuilds the date properties it converts and loses their parameters, so
    ``RANGE=THISANDFUTURE`` is put back on the overrides afterwards.
    """
    declared, cal_zone = calendar_zone(cal.get("X-WR-TIMEZONE"), ctx.timezone)
    ranges: dict[tuple[str, str] | None, str] = {}
    for component in cal.walk("VEVENT"):
        ics_fields.drop_broken(component)
        rid = component.get("RECURRENCE-ID")
        if rid is not None and "RANGE" in rid.params:
            ranges[_range_key(component)] = rid.params["RANGE"]
    try:
        standard = _ZoneWalker(declared or cal_zone, declared is not None).walk(cal)
    except Exception:  # noqa: BLE001 - floating times are then read by to_aware
        return cal, cal_zone
    if ranges:
        for component in standard.walk("VEVENT"):
            value = ranges.get(_range_key(component))
            if value is not None:
                component["RECURRENCE-ID"].params["RANGE"] = value
    return standard, cal_zone


def parse(body: bytes, ctx: ParseContext) -> ParseResult:
    """Parse an iCalendar document (see the module docstring).

    Bounded: a document with more VEVENTs than it may give occurrences is refused before it
    is read, and the expansion draws from one :class:`Budget` of occurrences and time for
    the whole document (:class:`ParseError` ``too_many_occurrences`` or ``parse_timeout``).
    """
    started = clock.monotonic()
    vevents = body.upper().count(b"BEGIN:VEVENT")
    if vevents > ctx.max_document_occurrences:
        raise ParseError(
            f"{vevents:,} VEVENTs in the document, more than the {ctx.max_document_occurrences:,}"
            " occurrences it may give (MAILLAGE_MAX_SOURCE_OCCURRENCES)",
            kind="too_many_occurrences",
        )
    calendars, notes = read_calendars(body)
    result = ParseResult(format=FORMAT)
    result.skipped.extend(Skipped(f"calendar: {note}") for note in notes)
    budget = Budget(ctx.max_document_occurrences, started + ctx.document_budget_s)
    others: set[str] = set()
    for raw_cal in calendars:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cal, cal_zone = _standardize(raw_cal, ctx)
        series: dict[str, list[Any]] = {}
        for component in cal.subcomponents:
            if component.name != "VEVENT":
                if component.name not in ("VTIMEZONE",):
                    others.add(component.name)
                continue
            if ics_fields.start_value(component) is None:
                result.skipped.append(
                    Skipped(
                        "no DTSTART",
                        ics_fields.text(component, "UID") or None,
                        ics_fields.text(component, "SUMMARY") or None,
                    )
                )
                continue
            series.setdefault(ics_fields.uid(component), []).append(component)
        for components in series.values():
            now = clock.monotonic()
            if now > budget.deadline:
                raise ParseError(
                    f"the document took more than {ctx.document_budget_s:g} s to read "
                    f"({len(result.events)} events read so far)",
                    kind="parse_timeout",
                )
            deadline = min(now + ctx.time_budget_s, budget.deadline)
            _series_event(components, ctx, cal_zone, deadline, budget, result)
    if not result.events and not result.skipped:
        found = f" (found {', '.join(sorted(others))})" if others else ""
        result.skipped.append(Skipped(f"no VEVENT in the calendar{found}"))
    return result
