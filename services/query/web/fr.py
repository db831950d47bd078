"""French wording of the web page: dates, times, periods, labels of codes.

Everything a visitor reads is French: ``samedi 12 décembre`` (the year only when it is not the
current one), ``20 h 30``, ``de 20 h 30 à 23 h``, ``du samedi 12 au dimanche 13 décembre``.
All-day occurrences end at an exclusive midnight, as in iCalendar.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shared.taxonomy import THEME_BY_CODE
from shared.vocab import ACCESSIBILITY, AUDIENCES

DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
DAYS_SHORT = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")
STATUS = {
    "cancelled": "Annulé",
    "postponed": "Reporté",
    "rescheduled": "Date modifiée",
    "moved_online": "En ligne",
    "full": "Complet",
    "tentative": "À confirmer",
}


def day_label(day: date, today: date | None = None) -> str:
    """``samedi 12 décembre``, with the year when it differs from ``today``'s."""
    text = f"{DAYS[day.weekday()]} {day.day}{'er' if day.day == 1 else ''} {MONTHS[day.month - 1]}"
    if today is None or day.year != today.year:
        text += f" {day.year}"
    return text


def relative_day(day: date, today: date) -> str | None:
    if day == today:
        return "Aujourd’hui"
    if day == today + timedelta(days=1):
        return "Demain"
    return None


def month_label(year: int, month: int) -> str:
    return f"{MONTHS[month - 1]} {year}"


def clock(moment: datetime) -> str:
    """``20 h 30``, ``9 h``."""
    return f"{moment.hour} h {moment.minute:02d}" if moment.minute else f"{moment.hour} h"


def local(value: str, tz: ZoneInfo) -> datetime:
    return datetime.fromisoformat(value).astimezone(tz)


def bounds(item: dict[str, Any], tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Local start and end of an occurrence (an all-day end is made inclusive)."""
    start = local(item["start"], tz)
    end = local(item.get("end") or item["start"], tz)
    if item.get("all_day") and end > start and end.time() == end.time().min:
        end -= timedelta(seconds=1)
    return start, max(start, end)


def last_day(item: dict[str, Any], tz: ZoneInfo) -> date:
    return bounds(item, tz)[1].date()


def hours(item: dict[str, Any], tz: ZoneInfo) -> str:
    """The time part of a one-day occurrence: ``20 h 30``, ``de 14 h à 17 h``."""
    if item.get("all_day"):
        return "Toute la journée"
    start, end = bounds(item, tz)
    if end > start and end.date() == start.date():
        return f"de {clock(start)} à {clock(end)}"
    return clock(start)


def period(item: dict[str, Any], tz: ZoneInfo, today: date) -> str:
    """The full French period of an occurrence, for an event page or a widget."""
    start, end = bounds(item, tz)
    if end.date() == start.date():
        return f"{day_label(start.date(), today)}, {hours(item, tz).lower()}"
    first, last = day_label(start.date(), today), day_label(end.date(), today)
    if item.get("all_day"):
        return f"du {first} au {last}"
    return f"du {first} à {clock(start)} au {last} à {clock(end)}"


def theme_label(code: str) -> str:
    theme = THEME_BY_CODE.get(code)
    return theme.label if theme else code


def access_label(code: str) -> str:
    return ACCESSIBILITY.get(code, code)


def audience_label(code: str) -> str:
    return AUDIENCES.get(code, code)


def status_label(status: str | None) -> str | None:
    return STATUS.get(status or "")


def count_label(n: int, singular: str, plural: str | None = None) -> str:
    """``1 événement``, ``12 événements``, ``aucun événement``."""
    if n == 0:
        return f"aucun {singular}"
    word = singular if n == 1 else (plural or singular + "s")
    return f"{n:,} {word}".replace(",", "\u202f")


def place_label(item: dict[str, Any]) -> str:
    loc = item.get("location") or {}
    if loc.get("online") and not loc.get("name"):
        return "En ligne"
    parts = [loc.get(k) for k in ("name", "address", "city")]
    return ", ".join(dict.fromkeys(str(p) for p in parts if p))
