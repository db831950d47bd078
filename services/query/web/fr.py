"""French wording of the web page: dates, times, periods, labels of codes.

Everything a visitor reads is French: ``samedi 12 décembre`` (the year only when it is not the
current one), ``20 h 30``, ``de 20 h 30 à 23 h``, ``du samedi 12 au dimanche 13 décembre``.
All-day occurrences end at an exclusive midnight, as in iCalendar.

:func:`typo` is the one French typography helper: curly apostrophes, no-break spaces inside
« » and before ``:``, narrow no-break spaces before ``; ! ?``, unbreakable ``12 h 30`` and
``12 €``. :func:`typo_html` applies it to the text of a rendered page (never to tags,
attributes, scripts or code), so every page and export reads the same.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shared.taxonomy import THEME_BY_CODE
from shared.text import fold
from shared.vocab import ACCESSIBILITY, AUDIENCES

DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
DAYS_SHORT = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")
#: The rolling periods of the API (``period=``), as the page names them.
PERIODS = {
    "today": "Aujourd’hui",
    "tomorrow": "Demain",
    "weekend": "Ce week-end",
    "week": "Cette semaine",
    "7d": "Dans les 7 jours",
    "30d": "Dans les 30 jours",
}
STATUS = {
    "cancelled": "Annulé",
    "postponed": "Reporté",
    "rescheduled": "Date modifiée",
    "moved_online": "En ligne",
    "full": "Complet",
    "tentative": "À confirmer",
}


NBSP, NNBSP = "\u00a0", "\u202f"
_TYPO = (
    (re.compile(r"(?<=\w)(?:'|&#39;|&#x27;)(?=\w)"), "’"),
    (re.compile(r"«[ \u00a0\u202f]*"), "«" + NBSP),
    (re.compile(r"[ \u00a0\u202f]*»"), NBSP + "»"),
    (re.compile(r"(?:(?<=\S)|^)[ \u202f]+:(?=\s|$|<)"), NBSP + ":"),
    (re.compile(r"(?:(?<=\S)|^)[ \u00a0]+(?=[;!?](?:\s|$|<|»|\)))"), NNBSP),
    (re.compile(r"\b(\d{1,2}) h (\d{2})\b"), "\\1" + NBSP + "h" + NBSP + "\\2"),
    (re.compile(r"\b(\d{1,2}) h\b"), "\\1" + NBSP + "h"),
    (re.compile(r"(?<=\d) (?=€|%)"), NBSP),
)
# What typo_html leaves alone: tags (with their attributes) and the text of these elements.
_RAW = re.compile(r"(<(script|style|pre|code|textarea)\b.*?</\2\s*>|<[^>]*>)", re.S | re.I)


# A text none of _TYPO can change lacks all of these (most of a page: words, blanks).
_TRIGGER = re.compile(r"['«»:;!?€%]|&#|\d h")


def typo(text: str) -> str:
    """French typography of a text (idempotent)."""
    if not _TRIGGER.search(text):  # one search instead of eight substitutions
        return text
    for pattern, replacement in _TYPO:
        text = pattern.sub(replacement, text)
    return text


def typo_html(html: str) -> str:
    """:func:`typo` over the text of an HTML document, its markup and raw elements kept."""
    parts = _RAW.split(html)
    out = []
    # re.split with two groups: text, whole match, inner group name, text, ...
    for n in range(0, len(parts), 3):
        out.append(typo(parts[n]))
        if n + 1 < len(parts):
            out.append(parts[n + 1])
    return "".join(out)


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
    """``20 h 30``, ``9 h`` (with no-break spaces)."""
    if moment.minute:
        return f"{moment.hour}{NBSP}h{NBSP}{moment.minute:02d}"
    return f"{moment.hour}{NBSP}h"


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


def join_place(*parts: Any) -> str:
    """Place name, address and city as one line, each piece once: sources often repeat the
    name in the address and the city in both ("Parc des Hautes-Ourmes, Parc des
    Hautes-Ourmes, 35200 Rennes, Rennes" is "Parc des Hautes-Ourmes, 35200 Rennes")."""
    pieces: list[str] = []
    folded_pieces: list[str] = []
    for part in parts:
        for piece in str(part or "").split(","):
            piece = " ".join(piece.split())
            key = fold(piece)
            # once each; a city already said with its postcode ("35200 Rennes") is not repeated
            if not key or any(key == seen or re.fullmatch(rf"\d{{5}}\s+{re.escape(key)}", seen)
                              for seen in folded_pieces):
                continue
            pieces.append(piece)
            folded_pieces.append(key)
    return ", ".join(pieces)


def place_label(item: dict[str, Any]) -> str:
    loc = item.get("location") or {}
    if loc.get("online") and not loc.get("name"):
        return "En ligne"
    return join_place(loc.get("name"), loc.get("address"), loc.get("city"))
