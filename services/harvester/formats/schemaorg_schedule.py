"""schema.org ``eventSchedule`` (a ``Schedule``) expanded into occurrences, and ISO durations.

Supports ``repeatFrequency`` ``P{n}D``/``P{n}W``/``P{n}M`` (or Daily/Weekly/Monthly),
``byDay`` (schema.org day URLs, names or iCalendar ``MO``..``SU``), ``startTime``/``endTime``
or ``duration``, ``exceptDate`` and ``scheduleTimezone``; expansion stays inside the harvest
window and under ``ctx.max_occurrences``.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime, time, timedelta
from typing import Any

from shared.model import Occurrence

from .assemble import occurrence
from .base import ParseContext
from .jsonutil import parse_when, text, zone

_DURATION = re.compile(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_DAYS = {
    d: i
    for i, d in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
}
_ICAL_DAYS = {d: i for i, d in enumerate(("mo", "tu", "we", "th", "fr", "sa", "su"))}


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _str(value: Any) -> str | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name")
    raw = text(value)
    return html.unescape(raw) if raw else None


def duration(raw: str | None) -> timedelta | None:
    m = _DURATION.match(raw.strip().upper()) if raw else None
    if not m or not any(m.groups()):
        return None
    w, d, h, mi, s = (int(g or 0) for g in m.groups())
    return timedelta(weeks=w, days=d, hours=h, minutes=mi, seconds=s)


def schedule_occurrences(value: Any, ctx: ParseContext, status: str) -> list[Occurrence]:
    """Occurrences of a schema.org ``Schedule`` (daily/weekly/monthly), within the window."""
    sched = _first(value)
    if not isinstance(sched, dict):
        return []
    local = zone(_str(sched.get("scheduleTimezone")), ctx.timezone)
    freq = (_str(sched.get("repeatFrequency")) or "").upper()
    m = re.fullmatch(r"P(\d+)([DWM])", freq)
    unit, step = (
        (m.group(2), int(m.group(1)))
        if m
        else ({"DAILY": "D", "WEEKLY": "W", "MONTHLY": "M"}.get(freq, ""), 1)
    )
    first = parse_when(_str(sched.get("startDate")), local)
    last = parse_when(_str(sched.get("endDate")), local)
    if not unit or step < 1 or first is None:
        return []
    day0 = first[0].astimezone(local).date()
    stop = min(last[0].date() if last else date.max, ctx.window_end.astimezone(local).date())
    days = {_weekday(d) for d in _list(sched.get("byDay"))} - {None} or {day0.weekday()}
    excluded = {
        found[0].date()
        for x in _list(sched.get("exceptDate"))
        if (found := parse_when(_str(x), local))
    }
    start_t, end_t = _clock(sched.get("startTime")), _clock(sched.get("endTime"))
    span = duration(_str(sched.get("duration")))
    occs: list[Occurrence] = []
    day = max(day0, ctx.window_start.astimezone(local).date())
    while day <= stop and len(occs) < ctx.max_occurrences:
        if _due(unit, step, days, day0, day) and day not in excluded:
            begin = datetime.combine(day, start_t or time(0), local)
            end = datetime.combine(day, end_t, local) if end_t else None
            if end is None and span:
                end = begin + span
            occ = occurrence(begin, end, tz=local, status=status, all_day=start_t is None)
            if occ:
                occs.append(occ)
        day += timedelta(days=1)
    return occs


def _due(unit: str, step: int, days: set[int | None], day0: date, day: date) -> bool:
    delta = (day - day0).days
    if unit == "D":
        return delta % step == 0
    if unit == "W":
        return day.weekday() in days and (delta // 7) % step == 0
    months = (day.year - day0.year) * 12 + day.month - day0.month
    return day.day == day0.day and months % step == 0


def _weekday(value: Any) -> int | None:
    raw = (_str(value) or "").rsplit("/", 1)[-1].lower()
    return _DAYS.get(raw, _ICAL_DAYS.get(raw[:2]) if len(raw) == 2 else None)


def _clock(value: Any) -> time | None:
    m = re.match(r"\s*(\d{1,2}):(\d{2})", _str(value) or "")
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        return None
    return time(int(m.group(1)), int(m.group(2)))
