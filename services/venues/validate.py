"""Checks of what people send about venues, slots and bookings, with French messages
(:class:`InvalidInput`, every error of a form at once), and the expansion of a weekly series
of slots into its occurrences (``dateutil.rrule``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from dateutil.rrule import WEEKLY, rrule

from services.query.web import fr
from services.venues.model import EQUIPMENT, RATE_AUDIENCES, RATE_UNITS, TZ
from shared.clean import xml_text
from shared.errors import InvalidInput
from shared.vocab import ACCESSIBILITY

MAX_NAME = 150
MAX_TEXT = 4000
MAX_CONDITIONS = 2000
MAX_PURPOSE = 1000
MAX_RATES = 10
#: Rows of rates a form shows.
RATE_ROWS = 5
MAX_CAPACITY = 100_000
MAX_SURFACE = 100_000
MAX_PRICE_CENTS = 10_000_000
#: Occurrences a weekly series may make at most (half a year), and how far ahead slots may be.
MAX_OCCURRENCES = 26
HORIZON_DAYS = 400
POSTCODE = re.compile(r"[0-9]{5}")
HHMM = re.compile(r"([01][0-9]|2[0-4])[:hH]([0-5][0-9])")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def text(data: Mapping[str, Any], key: str) -> str:
    """One line, blanks collapsed, control characters dropped."""
    value = data.get(key)
    return " ".join(xml_text(value).split()) if isinstance(value, str) else ""


def long_text(data: Mapping[str, Any], key: str) -> str:
    """Lines kept, trailing blanks and control characters dropped."""
    value = data.get(key)
    return "\n".join(line.rstrip() for line in xml_text(value).strip().splitlines()
                     ) if isinstance(value, str) else ""


def values(data: Mapping[str, Any], key: str) -> list[str]:
    raw = data.getall(key, []) if hasattr(data, "getall") else data.get(key) or []
    return [str(v) for v in ([raw] if isinstance(raw, str) else raw)]


def whole(data: Mapping[str, Any], key: str, top: int, errors: dict[str, str],
          message: str) -> int | None:
    raw = text(data, key).replace("\u202f", "").replace(" ", "")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= top:
        errors[key] = message
        return None
    return int(raw)


def price_cents(raw: str) -> int:
    """``"12,50"``, ``"12.5"``, ``"12 €"``, ``"0"`` or ``"gratuit"`` → cents; ValueError else."""
    cleaned = raw.strip().lower().removesuffix("€").replace("\u202f", "").replace(
        "\u00a0", "").replace(" ", "").replace(",", ".")
    if cleaned in ("gratuit", "0"):
        return 0
    if not re.fullmatch(r"[0-9]+(\.[0-9]{1,2})?", cleaned):
        raise ValueError(raw)
    try:
        cents = int((Decimal(cleaned) * 100).quantize(Decimal(1), ROUND_HALF_UP))
    except InvalidOperation as exc:
        raise ValueError(raw) from exc
    if cents > MAX_PRICE_CENTS:
        raise ValueError(raw)
    return cents


def rates_of(data: Mapping[str, Any], errors: dict[str, str]) -> list[dict[str, Any]]:
    """The rates of a form's rows ``rate-<i>-unit``, ``-audience``, ``-price`` (a row left
    blank is skipped), or of a JSON list ``rates``."""
    rows: list[tuple[str, str, str, str]] = []
    if isinstance(data.get("rates"), list):
        for i, r in enumerate(data["rates"]):
            if isinstance(r, dict):
                rows.append((f"rate-{i}", str(r.get("unit") or ""),
                             str(r.get("audience") or ""), str(r.get("price") or "")))
    else:
        for i in range(MAX_RATES):
            unit, audience, price = (text(data, f"rate-{i}-{k}")
                                     for k in ("unit", "audience", "price"))
            if price or (unit and audience and data.get(f"rate-{i}-price") is not None):
                rows.append((f"rate-{i}", unit, audience, price))
    out: list[dict[str, Any]] = []
    for key, unit, audience, price in rows:
        if not price:
            continue
        if unit not in RATE_UNITS:
            errors[f"{key}-unit"] = "Choisissez la durée louée dans la liste."
            continue
        if audience not in RATE_AUDIENCES:
            errors[f"{key}-audience"] = "Choisissez à qui s’applique ce tarif."
            continue
        try:
            cents = price_cents(price)
        except ValueError:
            errors[f"{key}-price"] = ("Indiquez un prix en euros, par exemple 12,50 "
                                      "(0 pour gratuit).")
            continue
        if any(r["unit"] == unit and r["audience"] == audience for r in out):
            errors[f"{key}-price"] = "Ce tarif est déjà indiqué sur une autre ligne."
            continue
        out.append({"unit": unit, "audience": audience, "cents": cents})
    if len(out) > MAX_RATES:
        errors["rates"] = f"Au plus {MAX_RATES} tarifs."
    return out


def venue_form(data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a venue form, checked; every error at once."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {k: text(data, k) for k in ("name", "street", "postcode", "city")}
    if not out["name"]:
        errors["name"] = "Indiquez le nom de la salle."
    elif len(out["name"]) > MAX_NAME:
        errors["name"] = f"Le nom doit faire au plus {MAX_NAME} caractères."
    if not out["street"]:
        errors["street"] = "Indiquez l’adresse (numéro et rue)."
    elif len(out["street"]) > MAX_NAME:
        errors["street"] = f"L’adresse doit faire au plus {MAX_NAME} caractères."
    if out["postcode"] and not POSTCODE.fullmatch(out["postcode"]):
        errors["postcode"] = "Le code postal a cinq chiffres, par exemple 35000."
    if len(out["city"]) > 80:
        errors["city"] = "La commune doit faire au plus 80 caractères."
    out["city"] = out["city"] or "Rennes"
    out["description"] = long_text(data, "description")
    if len(out["description"]) > MAX_TEXT:
        errors["description"] = f"La description doit faire au plus {MAX_TEXT} caractères."
    out["conditions"] = long_text(data, "conditions")
    if len(out["conditions"]) > MAX_CONDITIONS:
        errors["conditions"] = f"Les conditions doivent faire au plus {MAX_CONDITIONS} caractères."
    out["capacity"] = whole(data, "capacity", MAX_CAPACITY, errors,
                            "Indiquez la capacité en nombre de personnes, par exemple 80.")
    out["surface"] = whole(data, "surface", MAX_SURFACE, errors,
                           "Indiquez la surface en mètres carrés, par exemple 120.")
    equipment = values(data, "equipment")
    if any(e not in EQUIPMENT for e in equipment):
        errors["equipment"] = "Choisissez les équipements dans la liste proposée."
    out["equipment"] = [e for e in EQUIPMENT if e in equipment]
    access = values(data, "accessibility")
    if any(a not in ACCESSIBILITY for a in access):
        errors["accessibility"] = "Choisissez l’accessibilité dans la liste proposée."
    out["accessibility"] = [a for a in ACCESSIBILITY if a in access]
    out["rates"] = rates_of(data, errors)
    if errors:
        raise InvalidInput(errors)
    return out


def _clock(raw: str) -> time | None:
    """``"18:00"``, ``"18h00"``, ``"24:00"`` (midnight, the day's end) → a time; None if not."""
    match = HHMM.fullmatch(raw.strip())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour == 24:
        return time(0, 0) if minute == 0 else None
    return time(hour, minute)


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def exists(day: date, at: time) -> bool:
    """Whether ``at`` happens on local ``day`` (not in the hour skipped in March)."""
    local = datetime.combine(day, at, TZ)
    return local.astimezone(UTC).astimezone(TZ).replace(tzinfo=None) == local.replace(
        tzinfo=None)


def occurrence(day: date, start: time, end: time) -> tuple[str, str]:
    """A slot on local ``day`` from ``start`` to ``end`` (midnight ``end``: the day's end),
    as ISO date-times with their offset (summer and winter time each as it falls)."""
    begins = datetime.combine(day, start, TZ)
    ends = datetime.combine(day + timedelta(days=1) if end == time(0) else day, end, TZ)
    return begins.isoformat(), ends.isoformat()


def slot_form(data: Mapping[str, Any], *, today: date | None = None
              ) -> list[tuple[str, str]]:
    """The slots a form publishes: one on ``date`` from ``start`` to ``end``, or, with
    ``until``, the same every week on that weekday until that date (included)."""
    today = today or datetime.now(TZ).date()
    errors: dict[str, str] = {}
    first = _day(text(data, "date"))
    start, end = _clock(text(data, "start")), _clock(text(data, "end"))
    until_raw = text(data, "until")
    until = _day(until_raw) if until_raw else None
    if first is None:
        errors["date"] = "Indiquez la date du créneau (jj/mm/aaaa)."
    elif first < today:
        errors["date"] = "Cette date est passée."
    elif first > today + timedelta(days=HORIZON_DAYS):
        errors["date"] = "Publiez des créneaux à moins d’un an."
    if start is None:
        errors["start"] = "Indiquez l’heure de début, par exemple 18:00."
    if end is None:
        errors["end"] = "Indiquez l’heure de fin, par exemple 22:00 (24:00 pour minuit)."
    elif start is not None and end != time(0) and end <= start:
        errors["end"] = "L’heure de fin doit venir après l’heure de début."
    if until_raw and until is None:
        errors["until"] = "Indiquez la date de fin de la série (jj/mm/aaaa)."
    elif until is not None and first is not None and until < first:
        errors["until"] = "La fin de la série doit venir après le premier créneau."
    elif until is not None and until > today + timedelta(days=HORIZON_DAYS):
        errors["until"] = "Une série s’arrête à moins d’un an."
    if errors:
        raise InvalidInput(errors)
    assert first is not None and start is not None and end is not None
    days = [first]
    if until is not None:
        days = [d.date() for d in rrule(WEEKLY, dtstart=datetime.combine(first, time()),
                                        until=datetime.combine(until, time()))]
        if len(days) > MAX_OCCURRENCES:
            raise InvalidInput({"until": f"Une série fait au plus {MAX_OCCURRENCES} "
                                         "créneaux : choisissez une date de fin plus proche."})
    for d in days:  # a time in the hour skipped in March would end before it starts
        for key, at in (("start", start), ("end", end)):
            if at != time(0) and not exists(d, at):
                raise InvalidInput({key: f"Le {fr.day_label(d)}, {at:%H:%M} n’existe pas "
                                         "(passage à l’heure d’été)\u00a0: choisissez une "
                                         "autre heure."})
    return [occurrence(d, start, end) for d in days]


def booking_form(data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    purpose = long_text(data, "purpose")
    if not purpose:
        errors["purpose"] = "Dites ce que vous prévoyez dans la salle."
    elif len(purpose) > MAX_PURPOSE:
        errors["purpose"] = f"Au plus {MAX_PURPOSE} caractères."
    people = whole(data, "people", MAX_CAPACITY, errors,
                   "Indiquez le nombre de personnes attendues, par exemple 25.")
    if people is None and "people" not in errors:
        errors["people"] = "Indiquez le nombre de personnes attendues, par exemple 25."
    association = text(data, "association")
    if not association:
        errors["association"] = "Choisissez l’association au nom de laquelle vous demandez."
    if errors:
        raise InvalidInput(errors)
    return {"purpose": purpose, "people": people, "association": association}
