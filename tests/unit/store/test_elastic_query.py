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
    assert b["sort"] == [{"rank_key": "asc"}, {"id": "asc"}]  # the SQLite rowid's order
    assert b["size"] == 21 and b["track_total_hits"] is True
    assert "aggs" not in b and "search_after" not in b


def test_start_keeps_events_not_yet_ended() -> None:
    assert filters(start=START) == [{"range": {"end_ts": {"gte": int(START.timestamp())}}}]


def test_end_keeps_events_starting_before_it() -> None:
    assert filters(end=END) == [{"range": {"start_ts": {"lt": int(END.timestamp())}}}]


def test_limit_asks_one_more_hit() -> None:
    assert body(limit=5)["size"] == 6


def test_text_requires_every_stem_and_prefixes_the_last_one() -> None:
    # the stems SQLite indexes and searches: Snowball French, folded, stop words out
    text = body(q="Concerts de répar")["query"]["bool"]["must"][0]["bool"]
    assert text["must"] == [
        {"term": {"text": "concert"}},
        {"bool": {"should": [{"term": {"text": "repar"}}, {"prefix": {"text": "repar"}}],
                  "minimum_should_match": 1}}]
    assert text["should"] == [{"match": {"title_text": {"query": "concert repar", "boost": 3}}}]


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
    assert body(sort=Sort.RELEVANCE)["sort"][0] == {"rank_key": "asc"}


def test_sort_by_distance() -> None:
    assert body(near=(48.1, -1.68), sort=Sort.DISTANCE)["sort"] == [
        {"_geo_distance": {"geo": {"lat": 48.1, "lon": -1.68}, "order": "asc", "unit": "km"}},
        {"rank_key": "asc"}, {"id": "asc"}]


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


# -- cursors: a cursor Elasticsearch would refuse is the caller's ValueError (400) ---------

@pytest.mark.parametrize(("sort", "values"), [
    (Sort.DATE, ["1700000000", "oc_1"]),  # a string where the rank key is a long
    (Sort.DATE, [1.5, "oc_1"]),  # a float where the rank key is a long
    (Sort.DATE, [2**63, "oc_1"]),  # past a long
    (Sort.DATE, [True, "oc_1"]),  # JSON true is no number
    (Sort.DATE, [1_700_000_000, 7]),  # the id must be a string
    (Sort.RELEVANCE, ["high", 1_700_000_000, "oc_1"]),
    (Sort.RELEVANCE, [float("nan"), 1_700_000_000, "oc_1"]),
    (Sort.DISTANCE, [None, 1_700_000_000, "oc_1"]),
])
def test_cursor_of_the_right_length_but_wrong_types_is_refused(sort, values) -> None:
    with pytest.raises(ValueError):
        body(q="jazz", near=(48.1, -1.68), sort=sort, cursor=eq.encode_cursor(values))


def test_cursor_of_each_sort_is_accepted_with_its_own_types() -> None:
    assert body(q="jazz", sort=Sort.RELEVANCE, cursor=eq.encode_cursor(
        [2.5, 1_700_000_000, "oc_1"]))["search_after"] == [2.5, 1_700_000_000, "oc_1"]
    assert body(near=(48.1, -1.68), sort=Sort.DISTANCE, cursor=eq.encode_cursor(
        [0.25, 1_700_000_000, "oc_1"]))["search_after"] == [0.25, 1_700_000_000, "oc_1"]


# -- related: ordered by Elasticsearch, ties never cut before the nearest are chosen -------

def test_related_body_sorts_by_points_then_distance_in_time_and_asks_only_the_limit() -> None:
    doc = {"id": "oc_1", "event_id": "ev_1", "start_ts": 1_000_000, "themes": ["musique"],
           "keywords": []}
    b = eq.related_body(doc, 500, 14 * 86400, 6)
    assert b["size"] == 6
    assert b["sort"][0] == {"_score": "desc"}
    script = b["sort"][1]["_script"]
    assert script["type"] == "number" and script["order"] == "asc"
    assert script["script"] == {"source": "Math.abs(doc['start_ts'].value - params.start)",
                                "params": {"start": 1_000_000}}
    assert b["sort"][2] == {"rank_key": "asc"}


# -- suggestions: tags over every upcoming document, titles apart, one per title -----------

def test_suggest_body_counts_tags_over_the_upcoming_set_and_filters_titles_after() -> None:
    b = eq.suggest_body("répar", 1_000, 8)
    assert b["query"] == {"bool": {"filter": [{"range": {"end_ts": {"gte": 1_000}}}]}}
    assert set(b["aggs"]) == {"keyword", "organizer", "place"}
    assert b["aggs"]["keyword"]["terms"]["size"] == eq.SUGGEST_BUCKETS
    assert b["post_filter"] == {"bool": {"filter": [{"bool": {"should": [
        {"term": {"title_text": "repar"}}, {"prefix": {"title_text": "repar"}}],
        "minimum_should_match": 1}}]}}
    assert b["collapse"] == {"field": "title_key"}
    assert b["size"] == 8 and b["sort"] == [{"rank_key": "asc"}, {"id": "asc"}]


def test_suggest_body_of_stop_words_asks_no_title() -> None:
    b = eq.suggest_body("de la", 1_000, 8)
    assert b["size"] == 0 and "post_filter" not in b and "collapse" not in b


# -- candidates: paged in member id order, never one capped window --------------------------

def test_candidates_body_pages_by_member_id() -> None:
    first = eq.candidates_body(10_000, 7, True, 1800)
    assert first["size"] == eq.PAGE and first["sort"] == [{"mid": "asc"}]
    assert "search_after" not in first
    assert eq.candidates_body(10_000, 7, True, 1800, ["m_9"])["search_after"] == ["m_9"]
