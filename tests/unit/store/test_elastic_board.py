"""The Elasticsearch board's requests, as sent (the stand-in node checks the behaviour in the
contract suite; these pin what a real cluster gets)."""

from datetime import datetime

import pytest

from shared.store import elastic_query as eq
from shared.store.board_base import BoardMessage, BoardQuery, BoardSort, encode_offset
from shared.store.elastic_board import BOARD, board_source, facet_counts, search_body
from shared.store.elastic_index import STEMS

DELETED_KIND = [{"term": {"deleted": False}}, {"term": {"kind": "skill"}}]
RECENT = [{"updated": {"order": "desc", "missing": "_last"}}, {"key": "asc"}]


def ts(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


def test_mappings_index_the_same_stems_as_sqlite() -> None:
    props = BOARD["mappings"]["properties"]
    assert props["title_text"] == props["text"] == STEMS
    assert props["location"] == {"type": "geo_point"}
    assert props["doc"] == {"type": "object", "enabled": False}
    assert BOARD["mappings"]["dynamic"] is False


def test_indexed_document_and_tombstone() -> None:
    src = board_source(BoardMessage("skill", "compta", 7, {
        "id": "compta", "title": "Aide à la comptabilité", "text": "L’atelier des comptes",
        "facets": {"skill": ["comptabilite", "comptabilite", ""]}, "owner": "asso-1",
        "starts": "2026-12-10T09:00:00+01:00", "lat": 48.1, "lon": -1.6,
        "updated": "2026-11-20T10:00:00Z"}))
    assert src["key"] == "skill:compta" and src["seq"] == 7 and src["deleted"] is False
    assert src["title_text"] == "aid comptabilit"
    assert src["text"] == "aid comptabilit ateli compt"  # the title's words too
    assert src["tags"] == ["skill=comptabilite"]
    assert src["starts"] == src["ends"] == ts("2026-12-10T08:00:00Z")  # no end: the start
    assert src["updated"] == ts("2026-11-20T10:00:00Z")
    assert src["location"] == {"lat": 48.1, "lon": -1.6} and src["owner"] == "asso-1"
    assert src["doc"]["title"] == "Aide à la comptabilité"
    assert board_source(BoardMessage("skill", "compta", 8, None)) == {
        "key": "skill:compta", "kind": "skill", "seq": 8, "deleted": True}


def test_words_are_required_stems_and_titles_come_first() -> None:
    body = search_body(BoardQuery("skill", q="jardins partagés"))
    query = body["query"]["bool"]
    assert query["filter"] == [*DELETED_KIND, *eq.words_query("text", ["jardin", "partag"])]
    assert query["should"] == [{"constant_score": {"filter": {"bool": {
        "filter": eq.words_query("title_text", ["jardin", "partag"])}}, "boost": 1.0}}]
    assert body["sort"] == [{"_score": "desc"}, *RECENT]
    assert body["from"] == 0 and body["size"] == 20
    assert body["track_total_hits"] is True and body["_source"] == ["doc"]
    nothing = search_body(BoardQuery("skill", q="les"))["query"]["bool"]["filter"]
    assert nothing == [*DELETED_KIND, {"ids": {"values": []}}]


def test_period_place_owner_and_sorts() -> None:
    body = search_body(BoardQuery("slot", start="2026-12-01T00:00:00Z",
                                  end="2026-12-02T00:00:00Z", near=(48.1, -1.6, 2.5),
                                  owner="asso-1", sort=BoardSort.DISTANCE, limit=5,
                                  cursor=encode_offset(10)))
    assert body["query"]["bool"]["filter"] == [
        {"term": {"deleted": False}}, {"term": {"kind": "slot"}},
        {"range": {"starts": {"lte": ts("2026-12-02T00:00:00Z")}}},
        {"range": {"ends": {"gte": ts("2026-12-01T00:00:00Z")}}},
        {"geo_distance": {"distance": "2.5km", "location": {"lat": 48.1, "lon": -1.6}}},
        {"term": {"owner": "asso-1"}}]
    assert body["sort"] == [{"_geo_distance": {"location": {"lat": 48.1, "lon": -1.6},
                                               "order": "asc", "unit": "km"}}, *RECENT]
    assert body["from"] == 10 and body["size"] == 5
    assert search_body(BoardQuery("skill", sort=BoardSort.SOONEST))["sort"] == [
        {"starts": {"order": "asc", "missing": "_last"}}, *RECENT]
    assert search_body(BoardQuery("skill"))["sort"] == RECENT
    assert search_body(BoardQuery("skill", q="x", sort=BoardSort.RECENT))["sort"] == RECENT
    # the last window stops at the deepest result Elasticsearch serves
    assert search_body(BoardQuery("skill", cursor=encode_offset(9_990)))["size"] == 10


def test_facet_filters_are_post_filters_each_counted_without_its_own() -> None:
    body = search_body(BoardQuery("skill", facets={"skill": ("a", "b"), "state": ("need",),
                                                   "empty": ()}, with_facets=True))
    skill = {"terms": {"tags": ["skill=a", "skill=b"]}}
    state = {"terms": {"tags": ["state=need"]}}
    assert body["post_filter"] == {"bool": {"filter": [skill, state]}}
    tags = {"terms": {"field": "tags", "size": 2000,
                      "order": [{"_count": "desc"}, {"_key": "asc"}]}}
    assert body["aggs"] == {
        "all": {"filter": {"bool": {"filter": [skill, state]}}, "aggs": {"tags": tags}},
        "but:skill": {"filter": {"bool": {"filter": [state]}}, "aggs": {"tags": tags}},
        "but:state": {"filter": {"bool": {"filter": [skill]}}, "aggs": {"tags": tags}}}
    unfiltered = search_body(BoardQuery("skill", with_facets=True))
    assert "post_filter" not in unfiltered
    assert unfiltered["aggs"] == {"all": {"filter": {"match_all": {}},
                                          "aggs": {"tags": tags}}}


def test_facet_counts_read_each_facet_from_its_aggregation() -> None:
    query = BoardQuery("skill", facets={"state": ("need",)}, with_facets=True)

    def buckets(*pairs: tuple[str, int]) -> dict:
        return {"tags": {"buckets": [{"key": k, "doc_count": n} for k, n in pairs]}}

    aggs = {"all": buckets(("state=need", 2), ("skill=a=b", 1)),
            "but:state": buckets(("state=need", 2), ("state=offer", 3), ("skill=a=b", 9))}
    assert facet_counts(query, aggs) == {"state": {"need": 2, "offer": 3},
                                         "skill": {"a=b": 1}}


@pytest.mark.parametrize("query", [BoardQuery("nothing"), BoardQuery("skill", limit=500),
                                   BoardQuery("skill", cursor="garbage")])
def test_invalid_queries_are_refused_before_any_request(query: BoardQuery) -> None:
    with pytest.raises(ValueError):
        search_body(query)
