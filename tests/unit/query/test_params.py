"""Search parameters: what is accepted, and one precise 400 per error case."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from multidict import MultiDict

from services.query.errors import ApiError
from services.query.params import parse_search
from shared.store.base import SearchQuery, Sort

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


def parse(query: str | list[tuple[str, str]], **kw: object) -> SearchQuery:
    pairs = query if isinstance(query, list) else [
        tuple(p.split("=", 1)) for p in query.split("&") if p]  # type: ignore[misc]
    return parse_search(MultiDict(pairs), tz=PARIS, now=NOW, **kw)  # type: ignore[arg-type]


def rejected(query: str | list[tuple[str, str]], **kw: object) -> tuple[str, str]:
    with pytest.raises(ApiError) as caught:
        parse(query, **kw)
    assert caught.value.status_code == 400
    error = caught.value.body_data["error"]
    assert error["code"] == "invalid_parameter"
    assert error["details"]["parameter"] in error["message"]
    return error["details"]["parameter"], error["details"]["reason"]


# -- accepted -------------------------------------------------------------------------------


def test_defaults_start_now_sorted_by_date_with_facets() -> None:
    query = parse("")
    assert query.start == NOW and query.end is None
    assert (query.sort, query.limit, query.facets, query.include_cancelled) == (
        Sort.DATE, 20, True, False)


def test_q_defaults_to_relevance_sort() -> None:
    assert parse("q=chorale").sort == Sort.RELEVANCE


def test_repeated_and_comma_lists_are_merged_and_deduplicated() -> None:
    query = parse([("theme", "culture,sport"), ("theme", "sport"), ("keyword", "vélo")])
    assert query.themes == ("culture", "sport")
    assert query.keywords == ("vélo",)


def test_audience_accepts_english_names() -> None:
    assert parse("audience=children,students,enfants").audiences == ("enfants", "etudiants")


def test_date_from_is_local_midnight_and_date_to_is_inclusive() -> None:
    query = parse("from=2026-07-01&to=2026-07-01")
    assert query.start == datetime(2026, 7, 1, tzinfo=PARIS)
    assert query.end == datetime(2026, 7, 2, tzinfo=PARIS)


def test_datetime_with_z_suffix_is_utc() -> None:
    assert parse("from=2026-07-01T10:00:00Z").start == datetime(2026, 7, 1, 10, tzinfo=UTC)


def test_near_radius_and_distance_sort() -> None:
    query = parse("near=48.11,-1.68&radius_km=2&sort=distance")
    assert (query.near, query.radius_km, query.sort) == ((48.11, -1.68), 2.0, Sort.DISTANCE)


def test_bbox_is_min_lon_min_lat_max_lon_max_lat() -> None:
    assert parse("bbox=-1.8,48.0,-1.5,48.2").bbox == (-1.8, 48.0, -1.5, 48.2)


def test_status_cancelled_is_a_filter_value() -> None:
    assert parse("status=cancelled").statuses == ("cancelled",)


def test_booleans_accept_true_false() -> None:
    query = parse("free=false&include_cancelled=true&facets=false")
    assert (query.free, query.include_cancelled, query.facets) == (False, True, False)


def test_allow_unknown_lets_the_web_page_pass_its_own_parameters() -> None:
    assert parse("vue=liste", allow_unknown=frozenset({"vue"})).q is None


def test_default_start_replaces_now() -> None:
    midnight = datetime(2026, 6, 10, tzinfo=PARIS)
    assert parse("", default_start=midnight).start == midnight


# -- one 400 per error case -------------------------------------------------------------------


def test_unknown_parameter() -> None:
    assert rejected("colour=red") == ("colour", "unknown parameter")


def test_scalar_given_twice() -> None:
    assert rejected("q=a&q=b") == ("q", "given more than once")


def test_q_too_long() -> None:
    assert rejected("q=" + "a" * 201)[0] == "q"


def test_from_not_a_date() -> None:
    param, reason = rejected("from=demain")
    assert param == "from" and "ISO 8601" in reason


def test_from_impossible_date() -> None:
    assert rejected("from=2026-02-30")[0] == "from"


def test_from_year_out_of_range() -> None:
    param, reason = rejected("from=0001-01-01")
    assert param == "from" and "year" in reason


def test_to_before_from() -> None:
    assert rejected("from=2026-07-02&to=2026-07-01") == ("to", "must be after 'from'")


def test_to_in_the_past_without_from() -> None:
    param, reason = rejected("to=2026-01-01")
    assert param == "to" and "future" in reason


def test_limit_not_an_integer() -> None:
    assert rejected("limit=ten") == ("limit", "expected an integer")


def test_limit_zero() -> None:
    assert rejected("limit=0")[0] == "limit"


def test_limit_above_max() -> None:
    assert rejected("limit=101", max_limit=100) == (
        "limit", "expected an integer between 1 and 100")


def test_unknown_theme() -> None:
    param, reason = rejected("theme=cultur")
    assert param == "theme" and "'cultur'" in reason and "culture" in reason


def test_unknown_accessibility_code() -> None:
    assert rejected("accessibility=wheelchair")[0] == "accessibility"


def test_unknown_audience() -> None:
    assert rejected("audience=martians")[0] == "audience"


def test_unknown_status() -> None:
    assert rejected("status=maybe")[0] == "status"


def test_too_many_list_values() -> None:
    assert rejected("keyword=" + ",".join(f"k{i}" for i in range(51)))[0] == "keyword"


def test_list_value_too_long() -> None:
    assert rejected("organizer=" + "x" * 201)[0] == "organizer"


def test_free_not_a_boolean() -> None:
    assert rejected("free=maybe") == ("free", "expected true or false")


def test_include_cancelled_not_a_boolean() -> None:
    assert rejected("include_cancelled=2")[0] == "include_cancelled"


def test_facets_not_a_boolean() -> None:
    assert rejected("facets=all")[0] == "facets"


def test_near_with_one_number() -> None:
    param, reason = rejected("near=48.1")
    assert param == "near" and "lat,lon" in reason


def test_near_not_numbers() -> None:
    assert rejected("near=rennes,centre") == ("near", "lat is not a number")


def test_near_latitude_out_of_range() -> None:
    assert rejected("near=95,-1.6") == ("near", "lat must be between -90 and 90")


def test_near_not_finite() -> None:
    assert rejected("near=nan,-1.6")[0] == "near"


def test_radius_without_near() -> None:
    assert rejected("radius_km=2") == ("radius_km", "needs 'near'")


def test_radius_out_of_range() -> None:
    assert rejected("near=48.1,-1.6&radius_km=0")[0] == "radius_km"


def test_bbox_with_three_numbers() -> None:
    assert rejected("bbox=1,2,3")[0] == "bbox"


def test_bbox_inverted() -> None:
    assert rejected("bbox=-1.5,48.2,-1.8,48.0")[0] == "bbox"


def test_bbox_latitude_out_of_range() -> None:
    assert rejected("bbox=-1.8,-91,-1.5,48") == ("bbox", "min_lat must be between -90 and 90")


def test_unknown_sort() -> None:
    assert rejected("sort=price")[0] == "sort"


def test_relevance_sort_without_q() -> None:
    assert rejected("sort=relevance") == ("sort", "relevance needs 'q'")


def test_distance_sort_without_near() -> None:
    assert rejected("sort=distance") == ("sort", "distance needs 'near'")


def test_empty_cursor() -> None:
    assert rejected("cursor=") == ("cursor", "malformed cursor")


def test_cursor_too_long() -> None:
    assert rejected("cursor=" + "a" * 201)[0] == "cursor"


def test_cursor_not_ascii() -> None:
    assert rejected("cursor=é")[0] == "cursor"


def test_list_given_too_many_times() -> None:
    assert rejected([("audience", "")] * 51)[0] == "audience"


def test_list_occurrence_too_long() -> None:
    assert rejected("keyword=" + ",".join(["a" * 100] * 11))[0] == "keyword"


def test_q_with_padding_counts_raw_length() -> None:
    assert rejected("q=" + " " * 5 + "a" * 199)[0] == "q"


def test_near_too_long() -> None:
    assert rejected("near=48.1,-1.6" + "0" * 60) == ("near", "at most 60 characters")


# -- rolling periods --------------------------------------------------------------------------


def paris(day: int, month: int = 12) -> datetime:
    return datetime(2026, month, day, tzinfo=PARIS)


@pytest.mark.parametrize(("period", "now_day", "first", "after_last"), [
    ("weekend", 4, 5, 7),    # Friday 4 December: Saturday 5 and Sunday 6
    ("weekend", 11, 12, 14),  # the Friday after: the next weekend
    ("weekend", 6, 6, 7),    # on Sunday: what is left of it
    ("today", 4, 4, 5),
    ("tomorrow", 4, 5, 6),
    ("week", 2, 2, 7),       # Wednesday 2 to Sunday 6
    ("7d", 4, 4, 11),
    ("30d", 4, 4, 35),
])
def test_period_is_resolved_against_the_clock(period: str, now_day: int, first: int,
                                              after_last: int) -> None:
    now = datetime(2026, 12, now_day, 18, 0, tzinfo=PARIS)
    query = parse_search(MultiDict(period=period), tz=PARIS, now=now)
    assert query.start == paris(first)
    expected_end = paris(after_last) if after_last <= 31 else datetime(2027, 1, after_last - 31,
                                                                         tzinfo=PARIS)
    assert query.end == expected_end


def test_unknown_period_and_period_with_dates_are_refused() -> None:
    assert rejected("period=demain")[0] == "period"
    assert rejected("period=weekend&from=2026-12-05") == (
        "period", "cannot be combined with 'from' or 'to'")
