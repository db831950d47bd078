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

from collections.abc import Sequence
from typing import Any

from elasticsearch import ApiError, AsyncElasticsearch, NotFoundError

from shared.errors import RejectedMessages
from shared.store import elastic_index as ix
from shared.store import elastic_query as eq
from shared.store.base import Outcome, SearchPage
from shared.store.directory_base import (
    FACETS,
    DirectoryMessage,
    DirectoryQuery,
    complete,
    public_doc,
    shape_facets,
)
from shared.store.elastic_bulk import ItemsRejected, StoreError, bulk, unwritable
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


class ElasticDirectory:
    """:class:`~shared.store.directory_base.DirectoryStore` on Elasticsearch."""

    def __init__(self, url: str, index: str, *, refresh: bool = False,
                 replicas: int | None = None) -> None:
        self.es = AsyncElasticsearch(url, request_timeout=30)
        self.alias = index
        self.refresh = refresh
        self.replicas = replicas
        self._ready = False

    async def ensure(self) -> None:
        if self._ready:
            return
        if not await self.es.indices.exists_alias(name=self.alias):
            await ix.create(self.es, ix.versioned(self.alias), self.alias, DIRECTORY,
                            self.replicas)
        self._ready = True

    async def drop(self) -> None:
        names = await ix.concrete(self.es, [self.alias])
        if names:
            await self.es.indices.delete(index=",".join(names), ignore_unavailable=True)
        self._ready = False

    async def reset(self) -> None:
        await self.drop()
        await self.ensure()

    async def close(self) -> None:
        await self.es.close()

    async def settle(self) -> None:
        await self.ensure()
        await self.es.indices.refresh(index=self.alias)

    async def apply(self, messages: Sequence[DirectoryMessage]) -> list[Outcome]:
        refused = {i: f"refused for Elasticsearch: {why}" for i, msg in enumerate(messages)
                   if (why := unwritable(msg.aid, msg.seq))}
        if refused:
            raise RejectedMessages(refused)
        await self.ensure()
        ops: list[dict[str, Any]] = []
        for msg in messages:
            ops += [{"index": {"_index": self.alias, "_id": msg.aid, "version": msg.seq,
                               "version_type": "external_gte" if msg.refresh else "external",
                               "require_alias": True}},
                    directory_source(msg)]
        try:
            results = await bulk(self.es, ops, refresh=self.refresh, conflicts_ok=True)
        except ItemsRejected as exc:
            index_of = {m.aid: i for i, m in enumerate(messages)}
            raise RejectedMessages({index_of[item.id]: item.reason for item in exc.items
                                    if item.id in index_of}) from exc
        except (StoreError, ApiError):
            self._ready = False
            raise
        return [Outcome.STALE if r.get("status") == 409
                else Outcome.RETRACTED if m.doc is None else Outcome.APPLIED
                for m, r in zip(messages, results, strict=True)]

    async def get(self, aid: str) -> dict[str, Any] | None:
        await self.ensure()
        try:
            found = await self.es.get(index=self.alias, id=aid)
        except NotFoundError:
            return None
        src = found["_source"]
        return None if src.get("deleted") else dict(src["doc"])

    async def count(self) -> int:
        await self.ensure()
        resp = await self.es.count(index=self.alias, query={"term": {"deleted": False}})
        return int(resp["count"])

    async def search(self, query: DirectoryQuery) -> SearchPage:
        body = search_body(query)
        await self.ensure()
        resp = await self.es.search(index=self.alias, body=body)
        return shape_page(query, dict(resp))
