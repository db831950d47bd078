"""The Elasticsearch directory's requests, as sent (the stand-in node checks the behaviour in
the contract suite; these pin the query a real cluster gets)."""

import pytest

from shared.store import elastic_query as eq
from shared.store.directory_base import DirectoryMessage, DirectoryQuery
from shared.store.elastic_directory import directory_source, search_body


def test_words_are_required_stems_and_names_weigh_more() -> None:
    body = search_body(DirectoryQuery(q="jardins partagés"))
    query = body["query"]["bool"]
    assert query["must"] == eq.words_query("text", ["jardin", "partag"])
    assert query["should"] == [{"match": {"names_text": {"query": "jardin partag",
                                                         "boost": 10}}}]
    assert body["sort"] == [{"_score": "desc"}, {"name_key": "asc"}, {"aid": "asc"}]
    assert body["track_total_hits"] is True and body["_source"] == ["doc"]


def test_facets_filter_and_aggregate_on_their_fields() -> None:
    body = search_body(DirectoryQuery(themes=("sport",), quartiers=("Centre", "Thabor"),
                                      states=("active",), facets=True))
    flt = body["query"]["bool"]["filter"]
    assert {"term": {"deleted": False}} in flt
    assert {"terms": {"themes": ["sport"]}} in flt
    assert {"terms": {"quartier_values": ["Centre", "Thabor"]}} in flt
    assert {"terms": {"state_values": ["active"]}} in flt
    assert body["sort"] == [{"name_key": "asc"}, {"aid": "asc"}]
    assert set(body["aggs"]) == {"theme", "rna_theme", "quartier", "commune", "tool", "state",
                                 "declared_tool", "harvested_tool"}
    assert body["aggs"]["commune"]["terms"]["field"] == "commune_values"


def test_upcoming_events_filter_and_facet() -> None:
    having = frozenset({"b", "a"})
    body = search_body(DirectoryQuery(has_events=False, organizers_with_events=having,
                                      facets=True))
    clause = {"terms": {"organizer_keys": ["a", "b"]}}
    assert body["query"]["bool"]["must_not"] == [clause]
    assert body["aggs"]["has_events"]["filters"]["filters"] == {
        "true": clause, "false": {"bool": {"must_not": [clause]}}}
    unknown = search_body(DirectoryQuery(has_events=True))  # no organizers known: no filter
    assert unknown["query"]["bool"]["must_not"] == []
    assert "has_events" not in search_body(DirectoryQuery(facets=True))["aggs"]


def test_cursor_belongs_to_its_order() -> None:
    cursor = eq.encode_cursor(["name", "velo club", "velo"])
    assert search_body(DirectoryQuery(cursor=cursor))["search_after"] == ["velo club", "velo"]
    with pytest.raises(ValueError):
        search_body(DirectoryQuery(q="velo", cursor=cursor))
    with pytest.raises(ValueError):
        search_body(DirectoryQuery(cursor="garbage"))


def test_indexed_document_and_tombstone() -> None:
    src = directory_source(DirectoryMessage("velo", 7, {
        "id": "velo", "name": "Vélo Club", "acronym": "VC", "quartier": "Centre",
        "quartiers": ["Thabor"], "commune": "Rennes", "organizers": ["Vélo Rennes"],
        "themes": ["sport"]}))
    assert src["seq"] == 7 and src["deleted"] is False and src["name_key"] == "vélo club"
    assert src["quartier_values"] == ["Centre", "Thabor"]
    assert src["organizer_keys"] == ["vélo club", "vélo rennes"]
    assert src["names_text"] == "velo club vc" and "name_key" not in src["doc"]
    assert directory_source(DirectoryMessage("velo", 8, None)) == {
        "aid": "velo", "seq": 8, "deleted": True}
