"""The board on Elasticsearch (same contract as the SQLite one, :mod:`shared.store.board_sqlite`).

One document per board document (id ``kind:rid``) in the index behind the alias
``<MAILLAGE_ES_INDEX>-board`` (created by the store with its mappings in one request,
:func:`shared.store.elastic_index.create`): the record's stream sequence is the document's
external version, so the cluster itself refuses an older state arriving late (409:
``Outcome.STALE``; a ``refresh`` is ``external_gte``); a removal is a tombstone
(``deleted``) with its sequence. Words are the same accent-folded French stems as SQLite's
(:func:`shared.store.sqlite_docs.index_text`), matched alike (every stem, the last one as a
prefix); relevance is "the title holds the words" (a constant score) then the most recent,
as SQLite orders it. Facet values are one keyword field of ``facet=value`` tags: filters on
it go in ``post_filter``, so that each filtered facet is counted by an aggregation with the
other facets' filters only, and the others by one aggregation with all of them. Pages are
offsets (``from``) within the first :data:`~shared.store.board_base.MAX_OFFSET` results.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.store import elastic_index as ix
from shared.store import elastic_query as eq
from shared.store.base import SearchPage
from shared.store.board_base import (
    MAX_OFFSET,
    BoardMessage,
    BoardQuery,
    BoardSort,
    Checked,
    check,
    encode_offset,
    fields,
)
from shared.store.directory_base import shape_facets
from shared.store.elastic_records import ElasticRecords
from shared.store.sqlite_docs import index_text

#: Most ``facet=value`` tags counted per aggregation (thousands of documents per kind).
FACET_SIZE = 2000
DOUBLE: dict[str, Any] = {"type": "double"}
BOARD: dict[str, Any] = {
    "settings": {"number_of_shards": 1, "refresh_interval": "1s"},
    "mappings": {"dynamic": False, "properties": {
        "key": ix.KEYWORD, "kind": ix.KEYWORD, "seq": ix.LONG, "deleted": {"type": "boolean"},
        "title_text": ix.STEMS, "text": ix.STEMS, "tags": ix.KEYWORD,
        "starts": DOUBLE, "ends": DOUBLE, "updated": DOUBLE,
        "location": {"type": "geo_point"}, "owner": ix.KEYWORD, "doc": ix.STORED,
    }},
}


def tag(facet: str, value: str) -> str:
    return f"{facet}={value}"


def board_source(msg: BoardMessage) -> dict[str, Any]:
    """The indexed document of a message (a tombstone when it leaves the board)."""
    if msg.doc is None:
        return {"key": msg.key, "kind": msg.kind, "seq": msg.seq, "deleted": True}
    f = fields(msg.doc)
    title = index_text(f.title)
    src: dict[str, Any] = {
        "key": msg.key, "kind": msg.kind, "seq": msg.seq, "deleted": False,
        "title_text": title, "text": f"{title} {index_text(f.text)}".strip(),
        "tags": [tag(facet, v) for facet, values in f.facets.items() for v in values],
        "starts": f.starts, "ends": f.ends, "updated": f.updated, "owner": f.owner,
        "doc": msg.doc}
    if f.lat is not None and f.lon is not None:
        src["location"] = {"lat": f.lat, "lon": f.lon}
    return src


def _and(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    return {"bool": {"filter": clauses}} if clauses else {"match_all": {}}


def _sort(query: BoardQuery, checked: Checked) -> list[Any]:
    """The order SQLite gives: each sort's key, then the most recent, then the key."""
    recent = [{"updated": {"order": "desc", "missing": "_last"}}, {"key": "asc"}]
    if checked.sort is BoardSort.SOONEST:
        return [{"starts": {"order": "asc", "missing": "_last"}}, *recent]
    if checked.sort is BoardSort.DISTANCE and query.near is not None:
        lat, lon, _ = query.near
        return [{"_geo_distance": {"location": {"lat": lat, "lon": lon}, "order": "asc",
                                   "unit": "km"}}, *recent]
    if checked.sort is BoardSort.RELEVANCE and checked.terms:
        return [{"_score": "desc"}, *recent]
    return recent


def search_body(query: BoardQuery) -> dict[str, Any]:
    """The search request of ``query`` (an invalid query: ``ValueError``, a 400)."""
    checked = check(query)
    flt: list[dict[str, Any]] = [{"term": {"deleted": False}}, {"term": {"kind": query.kind}}]
    should: list[dict[str, Any]] = []
    if checked.terms is not None:
        if not checked.terms:
            flt.append({"ids": {"values": []}})  # only stop words: nothing, as SQLite
        else:
            flt += eq.words_query("text", checked.terms)
            should.append({"constant_score": {
                "filter": _and(eq.words_query("title_text", checked.terms)), "boost": 1.0}})
    if checked.end is not None:
        flt.append({"range": {"starts": {"lte": checked.end}}})
    if checked.start is not None:
        flt.append({"range": {"ends": {"gte": checked.start}}})
    if query.near is not None:
        lat, lon, radius = query.near
        flt.append({"geo_distance": {"distance": f"{radius}km",
                                     "location": {"lat": lat, "lon": lon}}})
    if query.owner is not None:
        flt.append({"term": {"owner": query.owner}})
    by_facet = {facet: {"terms": {"tags": [tag(facet, v) for v in values]}}
                for facet, values in sorted(query.facets.items()) if values}
    body: dict[str, Any] = {
        "query": {"bool": {"filter": flt, "should": should}},
        "sort": _sort(query, checked), "from": checked.offset, "size": checked.limit,
        "track_total_hits": True, "_source": ["doc"]}
    if by_facet:
        body["post_filter"] = _and(list(by_facet.values()))
    if query.with_facets:
        counted = {"terms": {"field": "tags", "size": FACET_SIZE,
                             "order": [{"_count": "desc"}, {"_key": "asc"}]}}
        body["aggs"] = {"all": {"filter": _and(list(by_facet.values())),
                                "aggs": {"tags": counted}}}
        for facet in by_facet:
            others = [clause for other, clause in by_facet.items() if other != facet]
            body["aggs"][f"but:{facet}"] = {"filter": _and(others), "aggs": {"tags": counted}}
    return body


def facet_counts(query: BoardQuery, aggs: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """``{facet: {value: count}}`` from the aggregations of :func:`search_body`."""
    counts: dict[str, dict[str, int]] = {}

    def add(buckets: list[dict[str, Any]], only: str | None) -> None:
        for bucket in buckets:
            facet, _, value = str(bucket["key"]).partition("=")
            if (facet == only) if only is not None else facet not in filtered:
                counts.setdefault(facet, {})[value] = int(bucket["doc_count"])

    filtered = {facet for facet, values in query.facets.items() if values}
    add(aggs["all"]["tags"]["buckets"], None)
    for facet in filtered:
        add(aggs[f"but:{facet}"]["tags"]["buckets"], facet)
    return counts


def shape_page(query: BoardQuery, resp: Mapping[str, Any]) -> SearchPage:
    checked = check(query)
    total = int(resp["hits"]["total"]["value"])
    page = SearchPage(total=total,
                      items=[dict(h["_source"]["doc"]) for h in resp["hits"]["hits"]])
    end = checked.offset + checked.limit
    if end < min(total, MAX_OFFSET):
        page.next = encode_offset(end)
    if query.with_facets:
        page.facets = shape_facets(facet_counts(query, resp["aggregations"]))
    return page


class ElasticBoard(ElasticRecords):
    """:class:`~shared.store.board_base.BoardStore` on Elasticsearch."""

    definition = BOARD

    def doc_id(self, msg: BoardMessage) -> str:
        return msg.key

    def source(self, msg: BoardMessage) -> dict[str, Any]:
        return board_source(msg)

    async def get(self, kind: str, rid: str) -> dict[str, Any] | None:
        return await self._get(f"{kind}:{rid}")

    async def count(self, kind: str | None = None) -> int:
        flt: list[dict[str, Any]] = [{"term": {"deleted": False}}]
        if kind is not None:
            flt.append({"term": {"kind": kind}})
        return await self._count(_and(flt))

    async def search(self, query: BoardQuery) -> SearchPage:
        body = search_body(query)
        return shape_page(query, await self._search(body))
