"""Recurring events on the page: one card per series, with its rhythm and its dates.

A weekly workshop has one search document per date. The list view shows the series once, at
its next date, with ``tous les jeudis, 10 dates`` (:func:`fold`), instead of a card per date;
the event page lists the dates (:func:`upcoming`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.store.base import SearchStore

from .fr import DAYS

DAYS_PLURAL = ("lundis", "mardis", "mercredis", "jeudis", "vendredis", "samedis", "dimanches")
#: Series of one page whose dates are looked up (one store read each).
MAX_SERIES = 12


def start(doc: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(doc["start"])


def upcoming(docs: Iterable[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The dates not yet over, in date order (cancelled ones included: they are marked)."""
    return sorted((d for d in docs if datetime.fromisoformat(d.get("end") or d["start"]) >= now),
                  key=start)


def rhythm(docs: list[dict[str, Any]], tz: ZoneInfo) -> str:
    """``tous les jeudis, 10 dates``; ``un samedi sur deux, 4 dates``; ``tous les jours,
    5 dates``; ``le mardi, 3 dates``; ``4 dates``; empty for fewer than two dates."""
    days = sorted({start(d).astimezone(tz).date() for d in docs})
    if len(days) < 2:
        return ""
    count = f"{len(days)} dates"
    gaps = {(b - a).days for a, b in zip(days, days[1:], strict=False)}
    weekdays = {d.weekday() for d in days}
    if gaps == {1}:
        return f"tous les jours, {count}"
    if len(weekdays) != 1:
        return count
    weekday = weekdays.pop()
    if gaps == {7}:
        return f"tous les {DAYS_PLURAL[weekday]}, {count}"
    if gaps == {14}:
        return f"un {DAYS[weekday]} sur deux, {count}"
    return f"le {DAYS[weekday]}, {count}"


async def fold(store: SearchStore, items: list[dict[str, Any]], tz: ZoneInfo,
               now: datetime | None = None) -> list[dict[str, Any]]:
    """``items`` with each event that has several dates among them kept once, at its first
    date, marked with ``series`` (its rhythm over all its coming dates) and ``series_count``."""
    now = now or datetime.now(UTC)
    counts = Counter(i.get("event_id") for i in items if i.get("event_id"))
    kept: dict[str, dict[str, Any]] = {}
    out = []
    for item in items:
        event_id = item.get("event_id")
        if event_id and counts[event_id] > 1:
            if event_id in kept:
                continue
            kept[event_id] = item
        out.append(item)
    for n, (event_id, item) in enumerate(kept.items()):
        docs = upcoming(await store.event_docs(event_id), now) if n < MAX_SERIES else []
        if len(docs) < counts[event_id]:  # the store knew fewer: what the page saw
            docs = [i for i in items if i.get("event_id") == event_id]
        item["series"] = rhythm(docs, tz)
        item["series_count"] = len(docs)
    return out
