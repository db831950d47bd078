"""Read and validate search parameters into a :class:`SearchQuery`, with precise 400s.

Every parameter error names the parameter and says why, in the one error shape.
Repeated parameters (``theme=a&theme=b``) and comma lists (``theme=a,b``) are both accepted.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from multidict import MultiMapping

from services.query.errors import invalid_parameter
from shared.store.base import SearchQuery, Sort

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
SCALAR_PARAMS = {"q", "from", "to", "limit", "cursor", "free", "near", "radius_km", "bbox",
                 "sort", "facets", "include_cancelled"}
KNOWN = set(LIST_PARAMS) | SCALAR_PARAMS
STATUSES = {"scheduled", "cancelled", "postponed", "rescheduled", "moved_online", "full",
            "tentative"}


def parse_moment(name: str, raw: str, tz: ZoneInfo, end_of_day: bool = False) -> datetime:
    """An ISO date (local midnight, or the next midnight for ``to``) or ISO datetime."""
    raw = raw.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            moment = datetime.combine(day, time.min, tz)
            if end_of_day:
                moment = datetime.combine(date.fromordinal(day.toordinal() + 1), time.min, tz)
            return moment
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_parameter(
            name, "expected an ISO 8601 date (2026-12-05) or date-time (2026-12-05T20:00+01:00)"
        ) from None
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
        raise invalid_parameter(name, f"expected a number between {low} and {high}")
    return value


def parse_coords(name: str, raw: str, count: int) -> list[float]:
    parts = raw.split(",")
    if len(parts) != count:
        raise invalid_parameter(name, f"expected {count} comma-separated numbers")
    return [parse_float(name, p, -180.0, 180.0) for p in parts]


def list_values(params: MultiMapping[str], name: str) -> tuple[str, ...]:
    values: list[str] = []
    for raw in params.getall(name, []):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    return tuple(dict.fromkeys(values))


def parse_search(
    params: MultiMapping[str], *, tz: ZoneInfo, now: datetime, max_limit: int = 100,
    allow_unknown: frozenset[str] = frozenset(),
) -> SearchQuery:
    for name in params:
        if name not in KNOWN and name not in allow_unknown:
            raise invalid_parameter(name, "unknown parameter")
    for name in SCALAR_PARAMS:
        if len(params.getall(name, [])) > 1:
            raise invalid_parameter(name, "given more than once")
    lists = {attr: list_values(params, name) for name, attr in LIST_PARAMS.items()}
    bad = set(lists["statuses"]) - STATUSES
    if bad:
        raise invalid_parameter("status", f"unknown status {sorted(bad)[0]!r}; one of "
                                + ", ".join(sorted(STATUSES)))

    q = params.get("q", "").strip() or None
    if q is not None and len(q) > 200:
        raise invalid_parameter("q", "at most 200 characters")
    start = parse_moment("from", params["from"], tz) if "from" in params else now
    end = parse_moment("to", params["to"], tz, end_of_day=True) if "to" in params else None
    if end is not None and end <= start:
        raise invalid_parameter("to", "must be after 'from'")

    limit = 20
    if "limit" in params:
        try:
            limit = int(params["limit"])
        except ValueError:
            raise invalid_parameter("limit", "expected an integer") from None
        if not 1 <= limit <= max_limit:
            raise invalid_parameter("limit", f"expected an integer between 1 and {max_limit}")

    near = None
    if "near" in params:
        lat, lon = parse_coords("near", params["near"], 2)
        if not -90 <= lat <= 90:
            raise invalid_parameter("near", "latitude must be between -90 and 90")
        near = (lat, lon)
    radius = None
    if "radius_km" in params:
        if near is None:
            raise invalid_parameter("radius_km", "needs 'near'")
        radius = parse_float("radius_km", params["radius_km"], 0.01, 500.0)
    bbox = None
    if "bbox" in params:
        min_lon, min_lat, max_lon, max_lat = parse_coords("bbox", params["bbox"], 4)
        if min_lon > max_lon or min_lat > max_lat:
            raise invalid_parameter("bbox", "expected min_lon,min_lat,max_lon,max_lat")
        bbox = (min_lon, min_lat, max_lon, max_lat)

    sort = Sort.RELEVANCE if q else Sort.DATE
    if "sort" in params:
        try:
            sort = Sort(params["sort"])
        except ValueError:
            raise invalid_parameter("sort", "one of date, relevance, distance") from None
        if sort == Sort.RELEVANCE and not q:
            raise invalid_parameter("sort", "relevance needs 'q'")
        if sort == Sort.DISTANCE and near is None:
            raise invalid_parameter("sort", "distance needs 'near'")

    cursor = params.get("cursor")
    if cursor is not None and (not cursor or len(cursor) > 200):
        raise invalid_parameter("cursor", "malformed cursor")

    return SearchQuery(
        q=q,
        start=start,
        end=end,
        limit=limit,
        cursor=cursor,
        free=parse_bool("free", params["free"]) if "free" in params else None,
        include_cancelled=(
            parse_bool("include_cancelled", params["include_cancelled"])
            if "include_cancelled" in params else False
        ),
        near=near,
        radius_km=radius,
        bbox=bbox,
        sort=sort,
        facets=parse_bool("facets", params["facets"]) if "facets" in params else True,
        **lists,
    )
