"""Bounded expansion of one iCalendar series (a master and its RECURRENCE-ID overrides).

recurring-ical-events does the RFC 5545 work (RRULE, RDATE, EXDATE, overrides, RANGE=
THISANDFUTURE, overrides without a master). This module keeps it cheap whatever the source
says, since dateutil walks a rule from its DTSTART and ``between`` builds a list:

- ``INTERVAL`` below 1 is read as 1; an unknown ``FREQ`` drops the rule (first date kept);
- a fine-grained rule (SECONDLY..WEEKLY) that starts long before the window has its DTSTART
  moved forward by whole periods (the generated dates are the same), COUNT reduced to match;
- the window is walked in chunks of a bounded number of periods, stopping at the window end,
  at ``max_occurrences`` or at the deadline. Every stop is reported in ``notes``.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import icalendar
import recurring_ical_events

#: icalendar components are typed loosely: their property values are a wide union.
Component = Any


_UNITS = {
    "SECONDLY": timedelta(seconds=1),
    "MINUTELY": timedelta(minutes=1),
    "HOURLY": timedelta(hours=1),
    "DAILY": timedelta(days=1),
    "WEEKLY": timedelta(weeks=1),
    "MONTHLY": timedelta(days=28),
    "YEARLY": timedelta(days=365),
}
_SHIFTABLE = ("SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY")
_BY_PARTS = (
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
)
#: Rule periods walked before the window before DTSTART is moved forward.
SHIFT_AFTER_PERIODS = 10_000
#: Rule periods walked per chunk of the window.
CHUNK_PERIODS = 5_000


@dataclass(slots=True)
class Instance:
    """One occurrence: its component (a copy carrying DTSTART/DTEND), start, end, original."""

    component: Component
    start: date | datetime
    end: date | datetime
    original: date | datetime


@dataclass(slots=True)
class Expansion:
    instances: list[Instance] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _rules(component: Component) -> list[icalendar.vRecur]:
    rules = component.get("RRULE")
    if rules is None:
        return []
    return list(rules) if isinstance(rules, list) else [rules]


def _first(rule: icalendar.vRecur, key: str, default: Any = None) -> Any:
    value = rule.get(key)
    if isinstance(value, list):
        return value[0] if value else default
    return default if value is None else value


def _comparable(moment: datetime, like: date | datetime) -> date | datetime:
    if not isinstance(like, datetime):
        return moment.date()
    if like.tzinfo is None:
        return moment.replace(tzinfo=None)
    return moment.astimezone(like.tzinfo)


def _shift_start(
    master: Component,
    rule: icalendar.vRecur,
    period: timedelta,
    window_start: datetime,
    notes: list[str],
) -> None:
    """Move DTSTART forward by whole periods when the rule starts long before the window."""
    start = master["DTSTART"].dt
    end_prop = master.get("DTEND")
    duration = (end_prop.dt - start) if end_prop is not None else timedelta(0)
    if isinstance(duration, timedelta) and duration < timedelta(0):
        duration = timedelta(0)
    gap = _comparable(window_start, start) - start
    if not isinstance(gap, timedelta) or gap / period < SHIFT_AFTER_PERIODS:
        return
    periods = int((gap - duration) / period) - 1
    if periods <= 0:
        return
    count = _first(rule, "COUNT")
    if count is not None:
        if any(part in rule for part in _BY_PARTS):
            del master["RRULE"]
            notes.append("recurrence with COUNT too long to expand: only DTSTART kept")
            return
        if int(count) <= periods:
            del master["RRULE"]
            return
        rule["COUNT"] = [int(count) - periods]
    if isinstance(start, datetime) and start.tzinfo is not None:
        naive = start.replace(tzinfo=None) + periods * period
        new_start: date | datetime = naive.replace(tzinfo=start.tzinfo)
    else:
        new_start = start + periods * period
    del master["DTSTART"]
    master.add("DTSTART", new_start)
    if end_prop is not None:
        del master["DTEND"]
        master.add("DTEND", new_start + duration)


def sanitize_rules(master: Component, window_start: datetime) -> tuple[timedelta | None, list[str]]:
    """Make the master's RRULE safe to expand; return its shortest period and notes."""
    notes: list[str] = []
    shortest: timedelta | None = None
    rules = _rules(master)
    for rule in rules:
        freq = str(_first(rule, "FREQ", "")).upper()
        if freq not in _UNITS:
            del master["RRULE"]
            notes.append(f"RRULE with unknown FREQ {freq!r} ignored")
            return None, notes
        interval = _first(rule, "INTERVAL", 1)
        try:
            interval = int(interval)
        except (TypeError, ValueError):
            interval = 1
        if interval < 1:
            rule["INTERVAL"] = [1]
            notes.append(f"RRULE INTERVAL={interval} read as 1")
            interval = 1
        period = _UNITS[freq] * interval
        shortest = period if shortest is None else min(shortest, period)
    if len(rules) == 1 and shortest is not None and "DTSTART" in master:
        freq = str(_first(rules[0], "FREQ", "")).upper()
        if freq in _SHIFTABLE:
            _shift_start(master, rules[0], shortest, window_start, notes)
    return shortest, notes


def _key(value: date | datetime) -> tuple[int, ...]:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return (1, *value.timetuple()[:6])
    return (0, value.year, value.month, value.day)


def expand(
    components: list[Component],
    window_start: datetime,
    window_end: datetime,
    max_occurrences: int,
    deadline: float,
) -> Expansion:
    """Expand one series (same UID) within the window, bounded in count and time."""
    result = Expansion()
    shifts: dict[tuple[int, ...], timedelta] = {}
    shortest: timedelta | None = None
    for component in components:
        rid = component.get("RECURRENCE-ID")
        if rid is None:
            if "RRULE" in component:
                period, notes = sanitize_rules(component, window_start)
                result.notes.extend(notes)
                shortest = period if shortest is None else min(shortest, period or shortest)
        elif rid.params.get("RANGE", "").upper() == "THISANDFUTURE" and "DTSTART" in component:
            try:
                shifts[_key(rid.dt)] = component["DTSTART"].dt - rid.dt
            except TypeError:
                shifts[_key(rid.dt)] = timedelta(0)
    calendar = icalendar.Calendar()
    for component in components:
        calendar.add_component(component)
    query = recurring_ical_events.of(calendar)
    step = window_end - window_start
    if shortest is not None and shortest < timedelta(days=1):
        step = max(shortest * CHUNK_PERIODS, timedelta(hours=1))
    seen: set[tuple[int, ...]] = set()
    chunk_start = window_start
    while chunk_start < window_end:
        chunk_end = min(chunk_start + step, window_end)
        for occ in sorted(
            query.between(chunk_start, chunk_end), key=lambda c: _key(c["DTSTART"].dt)
        ):
            start = occ["DTSTART"].dt
            end = occ["DTEND"].dt if "DTEND" in occ else start
            rid = occ.get("RECURRENCE-ID")
            original = rid.dt if rid is not None else start
            if rid is not None and rid.params.get("RANGE", "").upper() == "THISANDFUTURE":
                shift = shifts.get(_key(rid.dt), timedelta(0))
                try:
                    original = start - shift
                except TypeError:
                    original = start
            key = _key(original)
            if key in seen:
                continue
            seen.add(key)
            result.instances.append(Instance(occ, start, end, original))
        if len(result.instances) >= max_occurrences:
            result.instances.sort(key=lambda i: _key(i.start))
            del result.instances[max_occurrences:]
            result.notes.append(f"expansion truncated at {max_occurrences} occurrences")
            break
        chunk_start = chunk_end
        if chunk_start < window_end and clock.monotonic() > deadline:
            result.notes.append(
                f"expansion stopped by the time budget at {chunk_start.date().isoformat()}"
            )
            break
    return result
