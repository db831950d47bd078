"""Recurrence rules made cheap to walk, whatever a source wrote.

dateutil walks every RRULE from its DTSTART, one candidate date at a time: a rule from 1970
walks millions of dates before reaching the harvest window, and a rule that yields tens of
thousands of dates per period (``FREQ=YEARLY`` with ``BYHOUR``, ``BYMINUTE`` and ``BYSECOND``
lists) costs that much in every period. :func:`prepare` changes a master VEVENT's rules before
the expansion, so that the walk to the window stays under :data:`WALK_LIMIT` candidates:

- ``INTERVAL`` below 1 is read as 1; an unknown ``FREQ`` drops the rules (DTSTART is kept);
- a rule whose ``UNTIL`` (plus the event's length) is before the window is dropped: none of its
  dates can reach the window;
- a rule that may yield more than :data:`PERIOD_LIMIT` dates per period is refused;
- when the rules would walk more than :data:`WALK_LIMIT` candidates before the window, DTSTART
  is moved forward by a whole number of the rules' common period (the least common multiple of
  their periods: seconds for SECONDLY..WEEKLY, months for MONTHLY and YEARLY), so the dates
  generated from there are the same, to at least one period before the window (the moved
  DTSTART, always an occurrence by RFC 5545, ends before the window). ``COUNT`` is reduced by
  the dates skipped when that number is exact (a rule without BY parts and of a fixed period);
- when no such move exists (``COUNT`` with BY parts, day- and month-based rules together) the
  rules are refused: the event keeps DTSTART and its RDATEs, and the reason is reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import icalendar

#: icalendar components are typed loosely: their property values are a wide union.
Component = Any

#: Most dates one rule may yield in one period of its frequency.
PERIOD_LIMIT = 10_000
#: Most candidate dates the rules may walk before the window without moving DTSTART.
WALK_LIMIT = 20_000
#: Most candidate dates left to walk once DTSTART is moved; past it, the rules are refused.
MOVED_WALK_LIMIT = 100_000

_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3600,
    "DAILY": 86400,
    "WEEKLY": 7 * 86400,
}
_MONTHS = {"MONTHLY": 1, "YEARLY": 12}
_AVERAGE_MONTH_S = 30.436875 * 86400
#: BY part -> the frequencies it multiplies (for finer frequencies it only filters).
_EXPANDS = {
    "BYSECOND": ("MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"),
    "BYMINUTE": ("HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"),
    "BYHOUR": ("DAILY", "WEEKLY", "MONTHLY", "YEARLY"),
    "BYDAY": ("WEEKLY", "MONTHLY", "YEARLY"),
    "BYMONTHDAY": ("MONTHLY", "YEARLY"),
    "BYYEARDAY": ("YEARLY",),
    "BYWEEKNO": ("YEARLY",),
    "BYMONTH": ("YEARLY",),
}
_BY_PARTS = (*_EXPANDS, "BYSETPOS")


@dataclass(slots=True)
class Plan:
    """What :func:`prepare` made of a master's rules."""

    #: Upper bound of the dates the rules yield per second, to size the walk's chunks.
    density: float = 0.0
    notes: list[str] = field(default_factory=list)
    #: Why the rules were refused (they are then removed), or None.
    refused: str | None = None


@dataclass(slots=True)
class _Rule:
    rule: icalendar.vRecur
    freq: str
    interval: int
    per_period: int  # upper bound of the dates yielded per period
    filtered: bool  # a BY part only filters: the candidates walked outnumber the dates

    @property
    def period_s(self) -> float:
        if self.freq in _SECONDS:
            return float(_SECONDS[self.freq] * self.interval)
        return _MONTHS[self.freq] * self.interval * _AVERAGE_MONTH_S

    def first(self, key: str) -> Any:
        value = self.rule.get(key)
        return value[0] if isinstance(value, list) and value else value


def _rules(component: Component) -> list[icalendar.vRecur]:
    rules = component.get("RRULE")
    if rules is None:
        return []
    return list(rules) if isinstance(rules, list) else [rules]


def _set_rules(master: Component, rules: list[_Rule]) -> None:
    if "RRULE" in master:
        del master["RRULE"]
    for kept in rules:
        master.add("RRULE", kept.rule)


def _per_period(rule: icalendar.vRecur, freq: str) -> tuple[int, bool]:
    count, filtered = 1, False
    has_month = bool(rule.get("BYMONTH"))
    has_week = bool(rule.get("BYWEEKNO"))
    for part in _BY_PARTS:
        values = rule.get(part)
        if not values:
            continue
        if freq not in _EXPANDS.get(part, ()):
            filtered = True
            continue
        spread = 1
        if part == "BYDAY" and freq == "MONTHLY":
            spread = 5
        elif part == "BYDAY" and freq == "YEARLY":
            spread = 1 if has_week else 5 if has_month else 53
        elif part == "BYMONTHDAY" and freq == "YEARLY" and not has_month:
            spread = 12
        elif part == "BYWEEKNO":
            spread = 7
        count *= len(values) * spread
    return count, filtered


def _comparable(moment: datetime, like: date | datetime) -> date | datetime:
    if not isinstance(like, datetime):
        return moment.date()
    if like.tzinfo is None:
        return moment.replace(tzinfo=None)
    return moment.astimezone(like.tzinfo)


def _seconds_between(earlier: date | datetime, later: date | datetime) -> float:
    try:
        gap = later - earlier  # type: ignore[operator]
    except TypeError:
        return 0.0
    return gap.total_seconds() if isinstance(gap, timedelta) else 0.0


def _ends_before(rule: _Rule, window_start: datetime, duration: timedelta) -> bool:
    until = rule.first("UNTIL")
    if not isinstance(until, date):
        return False
    last = _comparable(window_start, until)
    try:
        return bool(until + duration < last)
    except TypeError:
        return False


def _walk(rules: list[_Rule], gap_s: float) -> float:
    """Candidate dates the rules walk over ``gap_s`` seconds (an upper bound)."""
    total = 0.0
    for r in rules:
        walked = gap_s / r.period_s * r.per_period
        count = r.first("COUNT")
        if count is not None and not r.filtered:
            walked = min(walked, float(count))
        total += walked
    return total


def _add_months(value: date | datetime, months: int) -> date | datetime:
    years, month = divmod(value.month - 1 + months, 12)
    return value.replace(year=value.year + years, month=month + 1)  # ValueError: no such day


def _shifted(start: date | datetime, rules: list[_Rule], window_start: datetime,
             duration: timedelta) -> date | datetime | None:
    """The moved DTSTART, or None when no move by whole common periods exists."""
    limit = _comparable(window_start, start)
    if all(r.freq in _SECONDS for r in rules):
        step_s = math.lcm(*(_SECONDS[r.freq] * r.interval for r in rules))
        if not isinstance(start, datetime):
            step_s = math.lcm(step_s, 86400)
        step = timedelta(seconds=step_s)
        k = int((_seconds_between(start, limit) - duration.total_seconds()) // step_s) - 1
        if k <= 0:
            return None
        if isinstance(start, datetime):  # wall-clock periods, as dateutil walks them
            return (start.replace(tzinfo=None) + k * step).replace(tzinfo=start.tzinfo)
        return start + k * step
    if all(r.freq in _MONTHS for r in rules):
        step_m = math.lcm(*(_MONTHS[r.freq] * r.interval for r in rules))
        months = (limit.year - start.year) * 12 + limit.month - start.month
        k = months // step_m - 1
        for candidate in range(k, max(k - 48, 0), -1):  # a 29 February, a 31st...
            try:
                moved = _add_months(start, candidate * step_m)
            except ValueError:
                continue
            if _seconds_between(moved, limit) >= duration.total_seconds():
                return moved
        return None
    return None


def _move(master: Component, new_start: date | datetime) -> None:
    start = master["DTSTART"].dt
    end_prop = master.get("DTEND")
    duration = (end_prop.dt - start) if end_prop is not None else None
    del master["DTSTART"]
    master.add("DTSTART", new_start)
    if end_prop is not None and isinstance(duration, timedelta):
        del master["DTEND"]
        master.add("DTEND", new_start + duration)


def _duration(master: Component) -> timedelta:
    start = master["DTSTART"].dt
    end_prop = master.get("DTEND")
    value: Any = None
    if end_prop is not None:
        try:
            value = end_prop.dt - start
        except TypeError:
            value = None
    elif master.get("DURATION") is not None:
        value = getattr(master["DURATION"], "dt", None)
    return value if isinstance(value, timedelta) and value > timedelta(0) else timedelta(0)


def _read(master: Component, plan: Plan) -> list[_Rule] | None:
    """The master's rules with INTERVAL fixed and their cost, or None for an unknown FREQ."""
    read: list[_Rule] = []
    for rule in _rules(master):
        freq_value = rule.get("FREQ")
        freq = str(freq_value[0] if isinstance(freq_value, list) and freq_value else "").upper()
        if freq not in _SECONDS and freq not in _MONTHS:
            plan.notes.append(f"RRULE with unknown FREQ {freq!r} ignored")
            return None
        raw = rule.get("INTERVAL")
        try:
            interval = int(raw[0] if isinstance(raw, list) else raw or 1)
        except (TypeError, ValueError):
            interval = 1
        if interval < 1:
            rule["INTERVAL"] = [1]
            plan.notes.append(f"RRULE INTERVAL={interval} read as 1")
            interval = 1
        per_period, filtered = _per_period(rule, freq)
        read.append(_Rule(rule, freq, interval, per_period, filtered))
    return read


def _refuse(master: Component, plan: Plan, reason: str) -> Plan:
    del master["RRULE"]
    plan.refused = reason
    plan.notes.append(f"recurrence refused: {reason}")
    return plan


def prepare(master: Component, window_start: datetime) -> Plan:
    """Make the master's RRULEs cheap to expand from ``window_start`` (see the module)."""
    plan = Plan()
    if "RRULE" not in master or "DTSTART" not in master:
        return plan
    rules = _read(master, plan)
    if rules is None:
        del master["RRULE"]
        return plan
    duration = _duration(master)
    dense = next((r for r in rules if r.per_period > PERIOD_LIMIT), None)
    if dense is not None:
        return _refuse(master, plan, f"FREQ={dense.freq} rule yielding up to "
                       f"{dense.per_period:,} dates per period (limit {PERIOD_LIMIT:,})")
    live = [r for r in rules if not _ends_before(r, window_start, duration)]
    if len(live) != len(rules):
        _set_rules(master, live)
    if not live:
        return plan
    start = master["DTSTART"].dt
    gap_s = _seconds_between(start, _comparable(window_start, start))
    if _walk(live, gap_s) > WALK_LIMIT:
        counted = [r for r in live if r.first("COUNT") is not None]
        exact = all(r.freq in _SECONDS and not any(p in r.rule for p in _BY_PARTS)
                    for r in counted)
        new_start = _shifted(start, live, window_start, duration) if exact else None
        if new_start is None:
            walked = _walk(live, gap_s)
            return _refuse(master, plan, f"it would walk about {walked:,.0f} dates from "
                           f"{start.isoformat()[:10]} before the window")
        for r in counted:  # exact: fixed periods, the step a multiple of each
            skipped = round(_seconds_between(start, new_start) / r.period_s)
            left = int(r.first("COUNT")) - skipped
            if left <= 0:
                live.remove(r)
            else:
                r.rule["COUNT"] = [left]
        _set_rules(master, live)
        _move(master, new_start)
        if live and _walk(live, _seconds_between(new_start, _comparable(window_start, start))
                          ) > MOVED_WALK_LIMIT:
            return _refuse(master, plan, "its rules have no common period short enough "
                           "to start near the window")
    plan.density = sum(r.per_period / r.period_s for r in live)
    return plan
