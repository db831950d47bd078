"""SearchQuery -> Elasticsearch request body, one parameter per test."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.store import elastic_query as eq
from shared.store.base import SearchQuery, Sort

START = datetime(2026, 5, 1, 12, tzinfo=UTC)
END = datetime(2026, 5, 8, tzinfo=UTC)


def body(**kw) -> dict:
    return eq.search_body(SearchQuery(**kw))


def filters(**kw) -> list:
    return body(**kw)["query"]["bool"]["filter"]


def test_no_parameter_is_all_non_cancelled_in_date_order() -> None:
    b = body()
    assert b["query"]["bool"] == {"filter": [], "must_not": [
        {"term": {"status": "cancelled"}}]}
    assert b["sort"] == [{"start_ts": "asc"}, {"id": "asc"}]
    assert b["size"] == 21 and b["track_total_hits"] is True
    assert "aggs" not in b and "search_after" not in b


def test_start_keeps_events_not_yet_ended() -> None:
    assert filters(start=START) == [{"range": {"end_ts": {"gte": int(START.timestamp())}}}]


def test_end_keeps_events_starting_before_it() -> None:
    assert filters(end=END) == [{"range": {"start_ts": {"lt": int(END.timestamp())}}}]


def test_limit_asks_one_more_hit() -> None:
    assert body(limit=5)["size"] == 6


def test_text_requires_every_word_and_prefixes_the_last() -> None:
    must = body(q="Concerts de répar")["query"]["bool"]["must"][0]["bool"]["must"]
    assert must[0] == {"match": {"all_text": {"query": "concerts", "zero_terms_query": "all"}}}
    assert must[1]["bool"]["should"][1] == {"prefix": {"all_text.folded": {"value": "repar"}}}


def test_text_of_only_stop_words_is_no_text_query() -> None:
    assert "must" not in body(q="de la")["query"]["bool"]


@pytest.mark.parametrize(("attr", "field"), [
    ("themes", "themes"), ("keywords", "keywords"), ("quartiers", "quartier"),
    ("communes", "commune"), ("audiences", "audience"), ("organizers", "organizer"),
    ("sources", "source_ids"),
])
def test_multi_value_filters_accept_any_value(attr, field) -> None:
    assert filters(**{attr: ("a", "b")}) == [{"terms": {field: ["a", "b"]}}]


def test_statuses_filter_and_cancelled_asked_for() -> None:
    b = body(statuses=("cancelled",))
    assert b["query"]["bool"]["filter"] == [{"terms": {"status": ["cancelled"]}}]
    assert b["query"]["bool"]["must_not"] == []


def test_include_cancelled_drops_the_status_exclusion() -> None:
    assert body(include_cancelled=True)["query"]["bool"]["must_not"] == []


def test_accessibility_requires_every_value() -> None:
    assert filters(accessibility=("hi", "lsf")) == [{"term": {"accessibility": "hi"}},
                                                    {"term": {"accessibility": "lsf"}}]


@pytest.mark.parametrize("free", [True, False])
def test_free_filter(free) -> None:
    assert filters(free=free) == [{"term": {"is_free": free}}]


def test_bbox_is_a_geo_bounding_box() -> None:
    assert filters(bbox=(-1.7, 48.1, -1.6, 48.2)) == [{"geo_bounding_box": {"geo": {
        "top_left": {"lat": 48.2, "lon": -1.7}, "bottom_right": {"lat": 48.1, "lon": -1.6}}}}]


def test_near_with_radius_is_a_geo_distance() -> None:
    assert filters(near=(48.1, -1.68), radius_km=2.5) == [{"geo_distance": {
        "distance": "2.5km", "geo": {"lat": 48.1, "lon": -1.68}}}]


def test_near_without_radius_requires_coordinates() -> None:
    assert filters(near=(48.1, -1.68)) == [{"exists": {"field": "geo"}}]


def test_sort_by_relevance_needs_a_text() -> None:
    assert body(q="jazz", sort=Sort.RELEVANCE)["sort"][0] == {"_score": "desc"}
    assert body(sort=Sort.RELEVANCE)["sort"][0] == {"start_ts": "asc"}


def test_sort_by_distance() -> None:
    assert body(near=(48.1, -1.68), sort=Sort.DISTANCE)["sort"] == [
        {"_geo_distance": {"geo": {"lat": 48.1, "lon": -1.68}, "order": "asc", "unit": "km"}},
        {"id": "asc"}]


def test_cursor_becomes_search_after() -> None:
    cursor = eq.encode_cursor([1_700_000_000, "oc_1"])
    assert body(cursor=cursor)["search_after"] == [1_700_000_000, "oc_1"]


def test_cursor_of_another_sort_is_refused() -> None:
    cursor = eq.encode_cursor([1.5, 1_700_000_000, "oc_1"])
    with pytest.raises(ValueError):
        body(cursor=cursor)


def test_garbage_cursor_is_refused() -> None:
    with pytest.raises(ValueError):
        body(cursor="%%%")


def test_facets_are_terms_aggregations_on_the_same_query() -> None:
    aggs = body(facets=True)["aggs"]
    assert set(aggs) == {"theme", "quartier", "commune", "accessibility", "keyword",
                         "organizer", "audience", "source"}
    assert aggs["keyword"]["terms"]["size"] == 20
    assert aggs["source"]["terms"]["field"] == "source_ids"


def test_shape_facets_reads_buckets() -> None:
    got = eq.shape_facets({"theme": {"buckets": [{"key": "sport", "doc_count": 3}]},
                           "quartier": {"buckets": []}})
    assert got["theme"] == [{"value": "sport", "count": 3}]
    assert got["keyword"] == []


def test_related_body_weights_themes_twice_and_excludes_own_events() -> None:
    doc = {"id": "oc_1", "event_id": "ev_1", "start_ts": 1000, "themes": ["musique"],
           "keywords": ["jazz"], "location": {"quartier": "Centre"},
           "sources": [{"event_id": "ev_2"}]}
    q = eq.related_body(doc, 500, 14 * 86400, 24)["query"]["bool"]
    assert [c["constant_score"]["boost"] for c in q["should"]] == [2, 1]
    assert {"term": {"quartier": "Centre"}} in q["filter"]
    assert {"terms": {"member_event_ids": ["ev_1", "ev_2"]}} in q["must_not"]


def test_terms_body_knows_facet_names() -> None:
    assert eq.terms_body("themes", 0, 5)["aggs"]["t"]["terms"]["field"] == "themes"
    with pytest.raises(ValueError):
        eq.terms_body("colour", 0, 5)


def test_candidates_body_of_timed_member_takes_all_day_members_of_its_day() -> None:
    should = eq.candidates_body(10_000, 7, False, 1800)["query"]["bool"]["should"]
    assert should[0] == {"range": {"start_ts": {"gte": 8200, "lte": 11_800}}}
    assert should[1] == {"bool": {"filter": [{"term": {"day": 7}}, {"term": {"all_day": True}}]}}
