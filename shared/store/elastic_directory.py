"""The directory of associations on Elasticsearch (same contract as the SQLite one).

One document per association in the index behind the alias ``<MAILLAGE_ES_INDEX>-associations``
(created by the store with its mappings, :func:`shared.store.elastic_index.create`): the
stream sequence of its last record as the document's external version, so the cluster itself
refuses an older state arriving late (409: ``Outcome.STALE``); a removal is a tombstone
(``deleted``) with its sequence. Words are the same accent-folded French stems as SQLite's
(:func:`shared.store.sqlite_docs.index_text`), names weigh more; facets are terms
aggregations; pages follow ``search_after`` on (score,) name key and id.
"""

from __future__ import annotations

from typing import Any

from shared.store import elastic_index as ix
from shared.store import elastic_query as eq
from shared.store.base import SearchPage
from shared.store.directory_base import (
    FACETS,
    DirectoryMessage,
    DirectoryQuery,
    complete,
    public_doc,
    shape_facets,
)
from shared.store.elastic_records import ElasticRecords
from shared.store.sqlite_docs import index_text
from shared.text import stems

FACET_SIZE = 1000
DIRECTORY: dict[str, Any] = {
    "settings": {"number_of_shards": 1, "refresh_interval": "1s"},
    "mappings": {"dynamic": False, "properties": {
        "aid": ix.KEYWORD, "seq": ix.LONG, "deleted": {"type": "boolean"},
        "name_key": ix.KEYWORD, "names_text": ix.STEMS, "text": ix.STEMS,
        **{field: ix.KEYWORD for field in FACETS.values()},
        "organizer_keys": ix.KEYWORD, "doc": ix.STORED,
    }},
}


def directory_source(msg: DirectoryMessage) -> dict[str, Any]:
    """The indexed document of a message (a tombstone when it leaves the directory)."""
    if msg.doc is None:
        return {"aid": msg.aid, "seq": msg.seq, "deleted": True}
    doc = complete(msg.doc)
    names = " ".join(filter(None, [doc.get("name"), doc.get("acronym"),
                                   *(doc.get("aliases") or ())]))
    body = " ".join(filter(None, [doc.get("purpose"), *(doc.get("themes") or ()),
                                  doc.get("commune"), doc.get("quartier"),
                                  *(doc.get("quartiers") or ())]))
    return {"aid": msg.aid, "seq": msg.seq, "deleted": False, "name_key": doc["name_key"],
            "names_text": index_text(names), "text": index_text(f"{names} {body}"),
            **{field: list(doc.get(field) or ()) for field in FACETS.values()},
            "organizer_keys": doc["organizer_keys"], "doc": public_doc(doc)}


def search_body(query: DirectoryQuery) -> dict[str, Any]:
    """The search request of ``query`` (a malformed cursor: ``ValueError``, a 400)."""
    flt: list[dict[str, Any]] = [{"term": {"deleted": False}}]
    must_not: list[dict[str, Any]] = []
    must: list[dict[str, Any]] = []
    should: list[dict[str, Any]] = []
    words = stems(query.q) if query.q else []
    if query.q and not words:
        flt.append({"ids": {"values": []}})  # only stop words: nothing, as SQLite
    if words:
        must = eq.words_query("text", words)
        should = [{"match": {"names_text": {"query": " ".join(words), "boost": 10}}}]
    for attr, facet in (("themes", "theme"), ("rna_themes", "rna_theme"),
                        ("quartiers", "quartier"), ("communes", "commune"),
                        ("tools", "tool"), ("states", "state")):
        values = getattr(query, attr)
        if values:
            flt.append({"terms": {FACETS[facet]: list(values)}})
    with_events = ({"terms": {"organizer_keys": sorted(query.organizers_with_events)}}
                   if query.organizers_with_events is not None else None)
    if query.has_events is not None and with_events is not None:
        (flt if query.has_events else must_not).append(with_events)
    if words:
        sort: list[Any] = [{"_score": "desc"}, {"name_key": "asc"}, {"aid": "asc"}]
        shape: tuple[str, ...] = ("number", "str", "str")
    else:
        sort, shape = [{"name_key": "asc"}, {"aid": "asc"}], ("str", "str")
    body: dict[str, Any] = {
        "query": {"bool": {"filter": flt, "must": must, "should": should,
                           "must_not": must_not}},
        "sort": sort, "size": query.limit + 1, "track_total_hits": True,
        "_source": ["doc"]}
    if query.cursor:
        values = eq.decode_cursor(query.cursor, ("str", *shape))
        if values[0] != ("words" if words else "name"):
            raise ValueError("cursor does not belong to this search")
        body["search_after"] = values[1:]
    if query.facets:
        body["aggs"] = {facet: {"terms": {"field": field, "size": FACET_SIZE,
                                          "order": [{"_count": "desc"}, {"_key": "asc"}]}}
                        for facet, field in FACETS.items()}
        if with_events is not None:
            body["aggs"]["has_events"] = {"filters": {"filters": {
                "true": with_events, "false": {"bool": {"must_not": [with_events]}}}}}
    return body


def shape_page(query: DirectoryQuery, resp: dict[str, Any]) -> SearchPage:
    hits = resp["hits"]["hits"]
    page = SearchPage(total=resp["hits"]["total"]["value"],
                      items=[dict(h["_source"]["doc"]) for h in hits[: query.limit]])
    if len(hits) > query.limit:
        kind = "words" if query.q and stems(query.q) else "name"
        page.next = eq.encode_cursor([kind, *hits[query.limit - 1]["sort"]])
    if query.facets:
        aggs = resp["aggregations"]
        counts = {facet: {str(b["key"]): int(b["doc_count"]) for b in aggs[facet]["buckets"]}
                  for facet in FACETS}
        if "has_events" in aggs:
            counts["has_events"] = {k: int(b["doc_count"])
                                    for k, b in aggs["has_events"]["buckets"].items()}
        page.facets = shape_facets(counts)
    return page


class ElasticDirectory(ElasticRecords):
    """:class:`~shared.store.directory_base.DirectoryStore` on Elasticsearch."""

    definition = DIRECTORY

    def doc_id(self, msg: DirectoryMessage) -> str:
        return msg.aid

    def source(self, msg: DirectoryMessage) -> dict[str, Any]:
        return directory_source(msg)

    async def get(self, aid: str) -> dict[str, Any] | None:
        return await self._get(aid)

    async def count(self) -> int:
        return await self._count({"term": {"deleted": False}})

    async def search(self, query: DirectoryQuery) -> SearchPage:
        body = search_body(query)
        return shape_page(query, await self._search(body))
