"""Read and validate search parameters into a :class:`SearchQuery`, with precise 400s.

Every parameter error names the parameter and says why, in the one error shape.
Repeated parameters (``theme=a&theme=b``) and comma lists (``theme=a,b``) are both accepted.
Values of closed vocabularies (themes, accessibility codes, audiences, statuses) are checked,
so a typo answers 400 instead of an empty page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from multidict import MultiMapping

from services.query.errors import invalid_parameter
from shared.store.base import SearchQuery, Sort
from shared.taxonomy import THEME_BY_CODE
from shared.vocab import ACCESSIBILITY, AUDIENCES

LIST_PARAMS = {
    "theme": "themes",
    "keyword": "keywords",
    "quartier": "quartiers",
    "commune": "communes",
    "accessibility": "accessibility",
    "audience": "audiences",
    "organizer": "organizers",
    "source": "sources",
    "status": "statuses",
}
SCALAR_PARAMS = {"q", "from", "to", "period", "limit", "cursor", "free", "near", "radius_km",
                 "bbox", "sort", "facets", "include_cancelled"}
#: Rolling periods, resolved against the clock at each request (a subscription to "this
#: weekend" shows next weekend's events once this one is over): code -> description.
PERIODS = {
    "today": "today",
    "tomorrow": "tomorrow",
    "weekend": "this weekend (Saturday and Sunday; the coming one on weekdays)",
    "week": "from today to Sunday",
    "7d": "today and the next 6 days",
    "30d": "today and the next 30 days",
}
KNOWN = set(LIST_PARAMS) | SCALAR_PARAMS
STATUSES = ("scheduled", "cancelled", "postponed", "rescheduled", "moved_online", "full",
            "tentative")
#: English names accepted for the audience codes of :data:`shared.vocab.AUDIENCES`.
AUDIENCE_ALIASES = {
    "children": "enfants", "kids": "enfants", "youth": "jeunes", "teens": "jeunes",
    "students": "etudiants", "families": "familles", "adults": "adultes",
    "elderly": "seniors", "all": "tout-public", "everyone": "tout-public",
}
#: Closed vocabularies: parameter -> allowed values (audience: with its English aliases).
VOCABULARIES: Mapping[str, tuple[str, ...]] = {
    "theme": tuple(THEME_BY_CODE),
    "accessibility": tuple(ACCESSIBILITY),
    "audience": tuple(AUDIENCES),  # aliases are translated before the check
    "status": STATUSES,
}
BLANK = " \t"  # stripped around list values
MAX_VALUES = 50  # values of one list parameter
MAX_VALUE_LENGTH = 200  # one value of a list parameter
MAX_RAW_LIST = 1000  # one occurrence of a list parameter (a comma list)
MAX_Q = 200
MAX_CURSOR = 200
#: longest raw value of each scalar parameter (others: MAX_VALUE_LENGTH)
MAX_LENGTHS = {"q": MAX_Q, "cursor": MAX_CURSOR, "from": 40, "to": 40, "near": 60,
               "bbox": 120}
YEARS = (1970, 2200)  # dates outside are refused: no calendar goes there


def parse_moment(name: str, raw: str, tz: ZoneInfo, end_of_day: bool = False) -> datetime:
    """An ISO date (local midnight, or the next midnight for ``to``) or ISO datetime."""
    raw = raw.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            moment = datetime.combine(day, time.min, tz)
        else:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise invalid_parameter(
            name, "expected an ISO 8601 date (2026-12-05) or date-time (2026-12-05T20:00+01:00)"
        ) from None
    if not YEARS[0] <= moment.year <= YEARS[1]:
        raise invalid_parameter(name, f"expected a year between {YEARS[0]} and {YEARS[1]}")
    if len(raw) == 10 and end_of_day:
        moment = datetime.combine(moment.date() + timedelta(days=1), time.min, tz)
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("true", "1", "yes", "oui"):
        return True
    if value in ("false", "0", "no", "non"):
        return False
    raise invalid_parameter(name, "expected true or false")


def parse_float(name: str, raw: str, low: float, high: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise invalid_parameter(name, "expected a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise invalid_parameter(name, f"expected a number between {low:g} and {high:g}")
    return value


def parse_int(name: str, raw: str, low: int, high: int) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise invalid_parameter(name, "expected an integer") from None
    if not low <= value <= high:
        raise invalid_parameter(name, f"expected an integer between {low} and {high}")
    return value


def parse_coords(name: str, raw: str, labels: tuple[str, ...]) -> list[float]:
    """Comma-separated coordinates; a label starting with ``lat`` is a latitude."""
    parts = raw.split(",")
    if len(parts) != len(labels):
        raise invalid_parameter(name, f"expected {len(labels)} comma-separated numbers: "
                                + ",".join(labels))
    values = []
    for label, part in zip(labels, parts, strict=True):
        bound = 90.0 if "lat" in label else 180.0
        try:
            value = float(part)
        except ValueError:
            raise invalid_parameter(name, f"{label} is not a number") from None
        if not math.isfinite(value) or not -bound <= value <= bound:
            raise invalid_parameter(name, f"{label} must be between {-bound:g} and {bound:g}")
        values.append(value)
    return values


def list_values(params: MultiMapping[str], name: str) -> tuple[str, ...]:
    """Values of a list parameter: repeated and comma-separated, deduplicated, checked."""
    raw_values = params.getall(name, [])
    if len(raw_values) > MAX_VALUES:
        raise invalid_parameter(name, f"at most {MAX_VALUES} values")
    values: list[str] = []
    for raw in raw_values:
        if len(raw) > MAX_RAW_LIST:
            raise invalid_parameter(name, f"at most {MAX_RAW_LIST} characters per occurrence")
        values.extend(v.strip(BLANK) for v in raw.split(",") if v.strip(BLANK))
    if len(values) > MAX_VALUES:
        raise invalid_parameter(name, f"at most {MAX_VALUES} values")
    for value in values:
        if len(value) > MAX_VALUE_LENGTH:
            raise invalid_parameter(name, f"values of at most {MAX_VALUE_LENGTH} characters")
    values = list(dict.fromkeys(values))
    if name == "audience":
        values = list(dict.fromkeys(AUDIENCE_ALIASES.get(v, v) for v in values))
    allowed = VOCABULARIES.get(name)
    if allowed is not None:
        for value in values:
            if value not in allowed:
                raise invalid_parameter(
                    name, f"unknown value {value!r}; one of {', '.join(allowed)}")
    return tuple(values)


def single(params: MultiMapping[str], name: str) -> str | None:
    values = params.getall(name, [])
    if len(values) > 1:
        raise invalid_parameter(name, "given more than once")
    if values and len(values[0]) > MAX_LENGTHS.get(name, MAX_VALUE_LENGTH):
        raise invalid_parameter(name, f"at most {MAX_LENGTHS.get(name, MAX_VALUE_LENGTH)} "
                                "characters")
    return values[0] if values else None


def check_names(params: MultiMapping[str], known: set[str] | frozenset[str]) -> None:
    for name in params:
        if name not in known:
            raise invalid_parameter(name, "unknown parameter")


def period_days(code: str, today: date) -> tuple[date, date]:
    """First and last day (inclusive) of the rolling period ``code`` seen on ``today``."""
    if code == "today":
        return today, today
    if code == "tomorrow":
        return today + timedelta(days=1), today + timedelta(days=1)
    sunday = today + timedelta(days=6 - today.weekday())
    if code == "weekend":
        return max(today, sunday - timedelta(days=1)), sunday
    if code == "week":
        return today, sunday
    if code == "7d":
        return today, today + timedelta(days=6)
    if code == "30d":
        return today, today + timedelta(days=30)
    raise ValueError(code)


def parse_period(raw: str, tz: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    code = raw.strip()
    if code not in PERIODS:
        raise invalid_parameter("period", "one of " + ", ".join(PERIODS))
    first, last = period_days(code, now.astimezone(tz).date())
    return (datetime.combine(first, time.min, tz),
            datetime.combine(last + timedelta(days=1), time.min, tz))


def parse_search(
    params: MultiMapping[str], *, tz: ZoneInfo, now: datetime, max_limit: int = 100,
    allow_unknown: frozenset[str] = frozenset(), default_start: datetime | None = None,
) -> SearchQuery:
    """The :class:`SearchQuery` of ``params``; raises a 400 :class:`ApiError` on bad input.

    ``allow_unknown`` names extra parameters the caller reads itself (the web page's);
    ``default_start`` replaces ``now`` as the default of ``from`` (exports use midnight).
    """
    check_names(params, KNOWN | allow_unknown)
    raw = {name: single(params, name) for name in SCALAR_PARAMS}
    lists = {attr: list_values(params, name) for name, attr in LIST_PARAMS.items()}

    q = (raw["q"] or "").strip() or None
    start = parse_moment("from", raw["from"], tz) if raw["from"] is not None else (
        default_start or now)
    end = parse_moment("to", raw["to"], tz, end_of_day=True) if raw["to"] is not None else None
    if raw["period"] is not None:
        if raw["from"] is not None or raw["to"] is not None:
            raise invalid_parameter("period", "cannot be combined with 'from' or 'to'")
        start, end = parse_period(raw["period"], tz, now)
    if end is not None and end <= start:
        reason = "must be after 'from'" if raw["from"] is not None else (
            "must be in the future (or give 'from')")
        raise invalid_parameter("to", reason)

    limit = parse_int("limit", raw["limit"], 1, max_limit) if raw["limit"] is not None else min(
        20, max_limit)

    near = None
    if raw["near"] is not None:
        lat, lon = parse_coords("near", raw["near"], ("lat", "lon"))
        near = (lat, lon)
    radius = None
    if raw["radius_km"] is not None:
        if near is None:
            raise invalid_parameter("radius_km", "needs 'near'")
        radius = parse_float("radius_km", raw["radius_km"], 0.01, 500.0)
    bbox = None
    if raw["bbox"] is not None:
        min_lon, min_lat, max_lon, max_lat = parse_coords(
            "bbox", raw["bbox"], ("min_lon", "min_lat", "max_lon", "max_lat"))
        if min_lon > max_lon or min_lat > max_lat:
            raise invalid_parameter("bbox", "min_lon must not exceed max_lon, nor min_lat max_lat")
        bbox = (min_lon, min_lat, max_lon, max_lat)

    sort = Sort.RELEVANCE if q else Sort.DATE
    if raw["sort"] is not None:
        try:
            sort = Sort(raw["sort"])
        except ValueError:
            raise invalid_parameter("sort", "one of date, relevance, distance") from None
        if sort == Sort.RELEVANCE and not q:
            raise invalid_parameter("sort", "relevance needs 'q'")
        if sort == Sort.DISTANCE and near is None:
            raise invalid_parameter("sort", "distance needs 'near'")

    cursor = raw["cursor"]
    if cursor is not None and (not cursor or len(cursor) > MAX_CURSOR or not cursor.isascii()):
        raise invalid_parameter("cursor", "malformed cursor")

    def flag(name: str, default: bool | None) -> bool | None:
        value = raw[name]
        return default if value is None else parse_bool(name, value)

    return SearchQuery(
        q=q,
        start=start,
        end=end,
        limit=limit,
        cursor=cursor,
        free=flag("free", None),
        include_cancelled=bool(flag("include_cancelled", False)),
        near=near,
        radius_km=radius,
        bbox=bbox,
        sort=sort,
        facets=bool(flag("facets", True)),
        **lists,
    )
