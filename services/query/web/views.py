"""Shape search results for the templates: days, calendar grids, places, facet options.

Pure functions over search documents (plain dicts), so the templates only loop and print.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shared.model import exact_point

from . import fr


@dataclass(slots=True)
class Day:
    day: date
    label: str
    items: list[dict[str, Any]] = field(default_factory=list)
    relative: str | None = None
    in_month: bool = True
    today: bool = False

    @property
    def iso(self) -> str:
        return self.day.isoformat()


def group_by_day(
    items: Iterable[dict[str, Any]], tz: ZoneInfo, today: date, floor: date | None = None
) -> list[Day]:
    """Items under the day they start, or under ``floor`` when they started before it (an
    exhibition already open is listed on the first day shown)."""
    days: dict[date, Day] = {}
    for item in items:
        start = fr.bounds(item, tz)[0].date()
        day = max(start, floor) if floor else start
        if day not in days:
            days[day] = Day(day, fr.day_label(day, today), relative=fr.relative_day(day, today))
        days[day].items.append(item)
    return [days[d] for d in sorted(days)]


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """First day shown and the day after the last day shown (whole weeks, Monday first)."""
    first = date(year, month, 1)
    start = first - timedelta(days=first.weekday())
    last = date(year, month, calendar.monthrange(year, month)[1])
    end = last + timedelta(days=7 - last.weekday())
    return start, end


def spread(items: Iterable[dict[str, Any]], tz: ZoneInfo, days: list[Day]) -> None:
    """Put each item on every day of ``days`` it covers."""
    index = {d.day: d for d in days}
    first, last = days[0].day, days[-1].day
    for item in items:
        start, end = fr.bounds(item, tz)
        day = max(start.date(), first)
        while day <= min(end.date(), last):
            index[day].items.append(item)
            day += timedelta(days=1)


def month_grid(
    year: int, month: int, items: Iterable[dict[str, Any]], tz: ZoneInfo, today: date
) -> list[list[Day]]:
    start, end = month_bounds(year, month)
    days = [
        Day(d, fr.day_label(d, today), in_month=d.month == month, today=d == today)
        for d in (start + timedelta(days=n) for n in range((end - start).days))
    ]
    spread(items, tz, days)
    return [days[n:n + 7] for n in range(0, len(days), 7)]


def week_days(
    monday: date, items: Iterable[dict[str, Any]], tz: ZoneInfo, today: date
) -> list[Day]:
    days = [
        Day(d, fr.day_label(d, today), relative=fr.relative_day(d, today), today=d == today)
        for d in (monday + timedelta(days=n) for n in range(7))
    ]
    spread(items, tz, days)
    return days


@dataclass(slots=True)
class Place:
    name: str
    address: str
    quartier: str
    lat: float
    lon: float
    items: list[dict[str, Any]] = field(default_factory=list)
    #: only the commune is known: the point is its centre, shown as an area, not a place
    commune_only: bool = False


def places(items: Iterable[dict[str, Any]]) -> tuple[list[Place], int]:
    """Located items grouped by place (most events first), and how many had no coordinates.

    Items placed only at their commune's centre (:func:`shared.model.exact_point` is
    ``None``) are grouped by commune, as one area per commune, whatever their place names.
    """
    found: dict[tuple[Any, ...], Place] = {}
    unlocated = 0
    for item in items:
        loc = item.get("location") or {}
        lat, lon = loc.get("lat"), loc.get("lon")
        if lat is None or lon is None:
            unlocated += 1
            continue
        commune_only = exact_point(loc) is None
        key = (round(lat, 5), round(lon, 5), None if commune_only else loc.get("name"))
        if key not in found:
            address = fr.join_place(loc.get("address"), loc.get("city"))
            if commune_only:
                name = loc.get("commune") or loc.get("city") or "Commune inconnue"
                found[key] = Place(name, "", "", float(lat), float(lon), commune_only=True)
            else:
                found[key] = Place(loc.get("name") or address or "Lieu sans nom", address,
                                   loc.get("quartier") or "", float(lat), float(lon))
        found[key].items.append(item)
    ordered = sorted(found.values(), key=lambda p: (-len(p.items), p.name.casefold()))
    return ordered, unlocated


def map_data(places_: list[Place], tz: ZoneInfo, today: date) -> list[dict[str, Any]]:
    """What the map script reads (as JSON, never as HTML)."""
    return [
        {
            "lat": p.lat, "lon": p.lon, "name": p.name, "address": p.address,
            "commune_only": p.commune_only,
            "events": [
                {"title": i.get("title") or "", "url": f"/evenement/{i['id']}",
                 "when": fr.period(i, tz, today)}
                for i in p.items[:8]
            ],
            "more": max(0, len(p.items) - 8),
        }
        for p in places_
    ]


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str
    count: int | None
    checked: bool


def facet_buckets(facets: Mapping[str, Any], *names: str) -> dict[str, int] | None:
    """``{value: count}`` of the first facet present among ``names`` (stores differ)."""
    for name in names:
        buckets = facets.get(name)
        if buckets is not None:
            return {str(b["value"]): int(b.get("count", 0)) for b in buckets}
    return None


def options(
    counts: dict[str, int] | None,
    selected: list[str],
    label: Callable[[str], str],
    order: Iterable[str] | None = None,
    always: Iterable[str] = (),
) -> list[Option]:
    """Checkbox options: values with results (or every value of ``order`` when the store gave
    no counts), the selected ones and those of ``always`` (shown with 0 rather than vanishing
    when a search matches none); in ``order`` when given, else alphabetical."""
    if counts is None:
        values = list(order or ())
    else:
        values = [v for v, n in counts.items() if n > 0]
    values += [v for v in (*selected, *always) if v not in values]
    if order is not None:
        rank = {v: n for n, v in enumerate(order)}
        values.sort(key=lambda v: (rank.get(v, len(rank)), v))
    else:
        values.sort(key=lambda v: label(v).casefold())
    return [
        Option(v, label(v), None if counts is None else counts.get(v, 0), v in selected)
        for v in values
    ]
