"""The name of a subscribed calendar or feed: what it holds, in French.

A visitor who subscribes to "Sport" events of "Ce week-end" sees, in the list of their
calendars, ``Agenda Maillage — Sport et plein air, ce week-end`` (a rolling period, resolved
at each request) or, for dates typed in the form, ``…, week-end du samedi 5 décembre``,
rather than the same
generic name for every subscription. Without filters the name is the setting
``MAILLAGE_CALENDAR_NAME``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from multidict import MultiMapping

from shared.taxonomy import theme_label
from shared.vocab import ACCESSIBILITY, AUDIENCES

SHORT_NAME = "Agenda Maillage"
MAX_PARTS = 6


def _day(value: date, today: date) -> str:
    from services.query.web.fr import day_label  # the page's words (no import cycle here)

    return day_label(value, today)


def _parse_day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None


def period_label(first: date | None, last: date | None, today: date) -> str:
    """``aujourd’hui``, ``demain``, ``week-end du samedi 5 décembre``, ``le mardi 8
    décembre``, ``du … au …``, ``à partir du …``, ``jusqu’au …``; empty without dates."""
    if first is None and last is None:
        return ""
    if first is not None and last is not None:
        if first == last:
            if first == today:
                return "aujourd’hui"
            if first == today + timedelta(days=1):
                return "demain"
            return f"le {_day(first, today)}"
        if first.weekday() == 5 and last == first + timedelta(days=1):
            return f"week-end du {_day(first, today)}"
        return f"du {_day(first, today)} au {_day(last, today)}"
    if first is not None:
        return f"à partir du {_day(first, today)}"
    assert last is not None
    return f"jusqu’au {_day(last, today)}"


def _labels(params: MultiMapping[str], name: str, label: Callable[[str], str]) -> list[str]:
    values: list[str] = []
    for raw in params.getall(name, []):
        values += [v.strip() for v in raw.split(",") if v.strip()]
    return [label(v) for v in dict.fromkeys(values)]


def selection_name(params: MultiMapping[str], today: date, default: str) -> str:
    """The name of the calendar of the search ``params`` (the API's parameters)."""
    parts: list[str] = []
    q = " ".join(params.get("q", "").split())
    if q:
        parts.append(f"«\u202f{q[:40]}\u202f»")
    parts += _labels(params, "theme", theme_label)
    parts += _labels(params, "quartier", str)
    parts += _labels(params, "commune", str)
    parts += _labels(params, "organizer", str)
    parts += _labels(params, "audience", lambda c: AUDIENCES.get(c, c))
    parts += _labels(params, "accessibility", lambda c: ACCESSIBILITY.get(c, c))
    if params.get("free", "").lower() in ("true", "1", "oui", "yes"):
        parts.append("gratuit")
    if params.get("near"):
        parts.append("autour d’un lieu")
    if len(parts) > MAX_PARTS:
        parts = [*parts[:MAX_PARTS], "…"]
    from services.query.web.fr import PERIODS  # the page's words (no import cycle here)

    rolling = params.get("period", "")
    period = PERIODS[rolling].lower() if rolling in PERIODS else period_label(
        _parse_day(params.get("from", "")), _parse_day(params.get("to", "")), today)
    if period:
        parts.append(period)
    if not parts:
        return default
    text = ", ".join(parts)
    return f"{SHORT_NAME} — {text[:1].upper()}{text[1:]}"
