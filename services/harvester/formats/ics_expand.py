"""Bounded expansion of one iCalendar series (a master and its RECURRENCE-ID overrides).

recurring-ical-events does the RFC 5545 work (RRULE, RDATE, EXDATE, overrides, RANGE=
THISANDFUTURE, overrides without a master). This module keeps it cheap whatever the source
says:

- the master's rules are first made cheap to walk to the window, or refused
  (:mod:`.ics_rules`);
- the window is then walked in order, in chunks sized from the rules' density (about
  :data:`CHUNK_DATES` dates each, so no chunk builds a huge list), and stops at the window's
  end, at ``max_occurrences`` or at the deadline, each stop reported in ``notes``;
- every occurrence is taken from the document's :class:`Budget`, which refuses the whole
  document (``too_many_occurrences``) once it is spent: one document cannot publish more
  occurrences than its source may, however many series share them.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import icalendar
import recurring_ical_events

from shared.errors import ParseError

from .ics_rules import prepare

#: icalendar components are typed loosely: their property values are a wide union.
Component = Any

#: Dates one chunk of the walk should hold, from the rules' density.
CHUNK_DATES = 2_000
#: Shortest chunk of the walk.
MIN_CHUNK = timedelta(minutes=1)


class Budget:
    """What one document may still spend: occurrences (of its source's cap) and time."""

    __slots__ = ("deadline", "left", "limit")

    def __init__(self, occurrences: int, deadline: float) -> None:
        self.limit = occurrences
        self.left = occurrences
        self.deadline = deadline

    def take(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise ParseError(
                f"more than {self.limit:,} occurrences in the document "
                "(MAILLAGE_MAX_SOURCE_OCCURRENCES)",
                kind="too_many_occurrences",
            )


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
    refused: str | None = None


def _key(value: date | datetime) -> tuple[int, ...]:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return (1, *value.timetuple()[:6])
    return (0, value.year, value.month, value.day)


def _first_step(density: float, window: timedelta) -> timedelta:
    if density <= 0:
        return window
    return min(max(timedelta(seconds=CHUNK_DATES / density), MIN_CHUNK), window)


def expand(
    components: list[Component],
    window_start: datetime,
    window_end: datetime,
    max_occurrences: int,
    deadline: float,
    budget: Budget,
) -> Expansion:
    """Expand one series (same UID) within the window, bounded in count and time."""
    result = Expansion()
    shifts: dict[tuple[int, ...], timedelta] = {}
    density = 0.0
    for component in components:
        rid = component.get("RECURRENCE-ID")
        if rid is None:
            plan = prepare(component, window_start)
            result.notes.extend(plan.notes)
            result.refused = result.refused or plan.refused
            density += plan.density
        elif rid.params.get("RANGE", "").upper() == "THISANDFUTURE" and "DTSTART" in component:
            try:
                shifts[_key(rid.dt)] = component["DTSTART"].dt - rid.dt
            except TypeError:
                shifts[_key(rid.dt)] = timedelta(0)
    calendar = icalendar.Calendar()
    for component in components:
        calendar.add_component(component)
    query = recurring_ical_events.of(calendar)
    step = _first_step(density, window_end - window_start)
    seen: set[tuple[int, ...]] = set()
    chunk_start = window_start
    while chunk_start < window_end:
        if clock.monotonic() > deadline:
            result.notes.append(
                f"expansion stopped by the time budget at {chunk_start.date().isoformat()}"
            )
            break
        chunk_end = min(chunk_start + step, window_end)
        found = query.between(chunk_start, chunk_end)
        fresh: list[Instance] = []
        for occ in found:
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
            if key not in seen:
                seen.add(key)
                fresh.append(Instance(occ, start, end, original))
        fresh.sort(key=lambda i: _key(i.start))
        room = max_occurrences - len(result.instances)
        for instance in fresh[:room]:
            budget.take()
            result.instances.append(instance)
        if len(fresh) > room or len(result.instances) >= max_occurrences:
            result.notes.append(f"expansion truncated at {max_occurrences} occurrences")
            break
        chunk_start = chunk_end
    return result
