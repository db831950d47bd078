"""Parse and validate the parameters of ``/v1/calls`` (and its exports and alerts).

    q                 words to find (French stems, the last one as a prefix)
    theme, audience   codes, repeated or comma-separated (any of them matches)
    status            open (default), upcoming, closed or all; several allowed
    deadline_before   a date (the whole day is included) or a date-time with offset
    deadline_after    a date (from its start) or a date-time with offset
    funder, perimeter, quartier, publisher   exact values (case-insensitive), repeatable
    sort              deadline (default), relevance or new (first seen, newest first)
    limit, cursor     page size (1..max) and the ``next`` of the previous page
    facets            true to count themes, audiences, funder, perimeter, quartier, status

Errors raise :func:`~services.query.errors.invalid_parameter` (400, parameter and reason).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from multidict import MultiDict, MultiDictProxy

from services.query.errors import invalid_parameter
from services.query.params import MAX_VALUES
from shared.calls import CALL_AUDIENCES, PERIMETERS
from shared.store.calls_sqlite import CallQuery, CallSort
from shared.taxonomy import THEMES

THEME_CODES = frozenset(t.code for t in THEMES)
STATUSES = ("open", "upcoming", "closed")
Params = MultiDict[str] | MultiDictProxy[str] | Mapping[str, str]


def values(params: Params, name: str) -> tuple[str, ...]:
    raw = params.getall(name, []) if hasattr(params, "getall") else (
        [params[name]] if name in params else [])
    if len(raw) > MAX_VALUES:  # the spec's maxItems, as on /v1/events
        raise invalid_parameter(name, f"at most {MAX_VALUES} values")
    out: list[str] = []
    for item in raw:
        for part in str(item).split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return tuple(out)


def codes(params: Params, name: str, allowed: frozenset[str]) -> tuple[str, ...]:
    found = values(params, name)
    for code in found:
        if code not in allowed:
            raise invalid_parameter(name, f"unknown value {code!r}")
    return found


def moment(params: Params, name: str, tz: ZoneInfo, end_of_day: bool) -> datetime | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            start = datetime.combine(day, time(0), tz)
            return start + timedelta(days=1) if end_of_day else start
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise invalid_parameter(name, "expected a date (YYYY-MM-DD) or an ISO date-time"
                                ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def integer(params: Params, name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_parameter(name, "expected an integer") from None
    if not low <= value <= high:
        raise invalid_parameter(name, f"must be between {low} and {high}")
    return value


def flag(params: Params, name: str) -> bool:
    raw = (params.get(name) or "").lower()
    if raw in ("", "0", "false", "no"):
        return False
    if raw in ("1", "true", "yes"):
        return True
    raise invalid_parameter(name, "expected true or false")


#: The parameters of a search of calls (``/v1/calls``, its exports, a saved alert's search).
CALL_PARAMS = frozenset({
    "q", "status", "sort", "deadline_before", "deadline_after", "theme", "audience", "funder",
    "perimeter", "quartier", "publisher", "limit", "cursor", "facets",
})


def parse_call_query(params: Params, *, tz: ZoneInfo, now: datetime, max_limit: int = 100,
                     strict: bool = True, **overrides: Any) -> CallQuery:
    """The :class:`CallQuery` of ``params``; a 400 :class:`ApiError` on bad input, an unknown
    parameter included unless not ``strict`` (a saved alert from before names were checked
    keeps being delivered)."""
    if strict:
        for name in params:
            if name not in CALL_PARAMS:
                raise invalid_parameter(name, "unknown parameter")
    q = (params.get("q") or "").strip() or None
    if q is not None and len(q) > 200:
        raise invalid_parameter("q", "at most 200 characters")
    statuses = values(params, "status") or ("open",)
    for status in statuses:
        if status not in (*STATUSES, "all"):
            raise invalid_parameter("status", f"unknown value {status!r}; expected "
                                    "open, upcoming, closed or all")
    if "all" in statuses:
        statuses = ()
    sort = params.get("sort") or ("relevance" if q else "deadline")
    if sort not in tuple(CallSort):
        raise invalid_parameter("sort", "expected deadline, relevance or new")
    before = moment(params, "deadline_before", tz, end_of_day=True)
    after = moment(params, "deadline_after", tz, end_of_day=False)
    if before and after and after >= before:
        raise invalid_parameter("deadline_after", "must be before deadline_before")
    query = dict(
        now=now, q=q,
        themes=codes(params, "theme", THEME_CODES),
        audiences=codes(params, "audience", frozenset(CALL_AUDIENCES)),
        statuses=statuses, deadline_before=before, deadline_after=after,
        funders=values(params, "funder"),
        perimeters=codes(params, "perimeter", frozenset(PERIMETERS)),
        quartiers=values(params, "quartier"), publishers=values(params, "publisher"),
        sort=CallSort(sort), limit=integer(params, "limit", 20, 1, max_limit),
        cursor=params.get("cursor") or None, facets=flag(params, "facets"),
    )
    query.update(overrides)
    return CallQuery(**query)  # type: ignore[arg-type]
