"""What every export needs besides the items: where it lives, its name, its timezone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

STATUS_FR = {
    "cancelled": "Annulé",
    "postponed": "Reporté",
    "rescheduled": "Déplacé",
    "moved_online": "En ligne",
    "full": "Complet",
    "tentative": "À confirmer",
}


@dataclass(frozen=True, slots=True)
class Feed:
    """The context of one export.

    ``generated`` is a stable moment (the start of the current day) used where a format wants
    a timestamp the data does not give, so that the same results give the same bytes (and
    the same ETag) all day long.
    """

    title: str
    description: str
    base_url: str  # public base, no trailing slash
    self_url: str  # this export's absolute URL
    html_url: str  # the web page showing the same search
    tz: ZoneInfo
    generated: datetime

    def event_url(self, item: dict[str, Any]) -> str:
        return f"{self.base_url}/evenement/{item['id']}"

    def api_url(self, item: dict[str, Any]) -> str:
        return f"{self.base_url}/v1/events/{item['id']}"


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def all_day_dates(item: dict[str, Any], tz: ZoneInfo) -> tuple[date, date]:
    """First day and the day after the last (exclusive end) of an all-day occurrence."""
    first = moment(item["start"]).astimezone(tz).date()
    end = moment(item["end"]).astimezone(tz)
    last = end.date()
    if end.time() != end.time().min or last <= first:  # an end inside a day includes it
        last += timedelta(days=1)
    return first, max(last, first + timedelta(days=1))


def when_fr(item: dict[str, Any], tz: ZoneInfo) -> str:
    """``samedi 5 décembre 2026, de 20 h à 22 h`` (or the days of an all-day occurrence), in
    the page's words (:mod:`services.query.web.fr`), with the year: a feed is read later."""
    from services.query.web.fr import clock, day_label

    if item.get("all_day"):
        first, after = all_day_dates(item, tz)
        last = after - timedelta(days=1)
        if last == first:
            return day_label(first)
        return f"du {day_label(first)} au {day_label(last)}"
    start = moment(item["start"]).astimezone(tz)
    end = moment(item["end"]).astimezone(tz)
    if end <= start:
        return f"{day_label(start.date())}, {clock(start)}"
    if end.date() == start.date():
        return f"{day_label(start.date())}, de {clock(start)} à {clock(end)}"
    since, until = day_label(start.date()), day_label(end.date())
    return f"du {since} à {clock(start)} au {until} à {clock(end)}"


def place_label(item: dict[str, Any]) -> str:
    loc = item.get("location") or {}
    if loc.get("online") and not loc.get("name"):
        return "En ligne"
    from services.query.web.fr import join_place  # the pages' rule: each piece once

    town = " ".join(str(loc[k]) for k in ("postcode", "city") if loc.get(k))
    return join_place(loc.get("name"), loc.get("address"), town)
