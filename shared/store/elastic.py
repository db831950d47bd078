"""The Elasticsearch search store (async client), same semantics as the SQLite store.

Indices, for an alias ``A`` (``MAILLAGE_ES_INDEX``):

``A-events``   one document per source event: ``version`` and a tombstone flag. Written last in a
               batch with *external versioning* (version = message version), so a replayed or
               late message is refused by Elasticsearch itself (409 -> ``Outcome.STALE``).
``A-members``  one document per source occurrence (its dedup features, cluster id and JSON).
``A-v<N>``     canonical documents (one per dedup cluster), read and written through the alias
               ``A``; the index template (``deploy/elasticsearch/index-template.json``) gives them
               the French analyzer, keyword facets and ``geo_point``. :meth:`reindex` builds a new
               ``A-v<N+1>`` from the members and swaps the alias atomically.

A batch: read the stored versions (``mget``); for newer messages, write the members, refresh,
recompute the affected dedup clusters (:mod:`shared.store.dedup`, the walk is level by level
with ``msearch``) and bulk-write their canonical documents; then write the event versions.
A crash before the last step leaves the versions old, so the redelivered messages are applied
again (every step is idempotent). Bulk items failing with 429 are retried with backoff; any
other item error fails the batch (the indexer naks and retries it). One writer at a time.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elasticsearch import AsyncElasticsearch, NotFoundError

from shared.errors import TransientError
from shared.model import EventMessage, Kind
from shared.store import dedup
from shared.store import elastic_query as eq
from shared.store import suggest as suggestions
from shared.store.base import Outcome, SearchPage, SearchQuery, occurrence_docs
from shared.store.dedup_merge import merge
from shared.store.snippets import highlight
from shared.store.sqlite_reads import RELATED_PERIOD_S
from shared.text import stems

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "elasticsearch" / "index-template.json"
RETRIES_429 = 5


class StoreError(TransientError):
    """A write the cluster refused; the batch is retried (nak) by the indexer."""


def es_source(doc: dict[str, Any]) -> dict[str, Any]:
    """The indexed fields of a canonical document, plus the document itself (not indexed)."""
    loc = doc.get("location") or {}
    text = [doc.get("title") or "", doc.get("description_text") or "",
            " ".join(str(v) for v in loc.values() if isinstance(v, str)),
            " ".join([*doc.get("keywords", ()), *doc.get("categories", ()),
                      doc.get("organizer") or ""])]
    has_geo = loc.get("lat") is not None and loc.get("lon") is not None
    return {
        "id": doc["id"], "event_id": doc["event_id"], "members": doc.get("members", [doc["id"]]),
        "member_event_ids": sorted({s["event_id"] for s in doc.get("sources", ())}),
        "title": doc.get("title") or "", "all_text": "\n".join(text),
        "start_ts": doc["start_ts"], "end_ts": doc["end_ts"], "status": doc["status"],
        "themes": doc.get("themes", []), "keywords": doc.get("keywords", []),
        "accessibility": doc.get("accessibility", []), "audience": doc.get("audience", []),
        "organizer": doc.get("organizer"), "quartier": loc.get("quartier"),
        "commune": loc.get("commune"), "place_name": loc.get("name"),
        "source_ids": sorted({s["source_id"] for s in doc.get("sources", ())}),
        "is_free": doc.get("is_free"),
        "geo": {"lat": loc["lat"], "lon": loc["lon"]} if has_geo else None,
        "doc": doc,
    }


class ElasticStore:
    """:class:`~shared.store.base.SearchStore` on Elasticsearch 8."""

    def __init__(self, url: str, index: str = "maillage", *, refresh: bool = False,
                 replicas: int | None = None) -> None:
        self.es = AsyncElasticsearch(url, request_timeout=30)
        self.alias = index
        self.events = f"{index}-events"
        self.members = f"{index}-members"
        self.refresh = refresh  # tests: make every write visible at once
        self.replicas = replicas
        self._ready = False

    # -- setup ---------------------------------------------------------------------------

    def template(self) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(TEMPLATE.read_text())
        body["index_patterns"] = [f"{self.alias}-v*"]
        if self.replicas is not None:
            body["template"]["settings"]["number_of_replicas"] = self.replicas
        return body

    async def ensure(self) -> None:
        if self._ready:
            return
        tpl = self.template()
        await self.es.indices.put_index_template(
            name=f"{self.alias}-docs", index_patterns=tpl["index_patterns"],
            template=tpl["template"], priority=tpl["priority"], meta=tpl.get("_meta"))
        for name, props in ((self.events, {"version": {"type": "long"},
                                           "deleted": {"type": "boolean"}}),
                            (self.members, {"event_id": {"type": "keyword"},
                                            "start_ts": {"type": "long"},
                                            "day": {"type": "integer"},
                                            "all_day": {"type": "boolean"},
                                            "cluster_id": {"type": "keyword"}})):
            if not await self.es.indices.exists(index=name):
                await self.es.indices.create(index=name, mappings={
                    "dynamic": False, "properties": props}, settings={"number_of_shards": 1})
        if not await self.es.indices.exists_alias(name=self.alias):
            first = f"{self.alias}-v{int(time.time() * 1000)}"
            await self.es.indices.create(index=first, aliases={self.alias: {}})
        self._ready = True

    async def reset(self) -> None:
        await self.drop()
        self._ready = False
        await self.ensure()

    async def drop(self) -> None:
        """Delete every index of this store (tests, and ``reset``)."""
        await self.es.indices.delete(index=f"{self.alias}-v*,{self.events},{self.members}",
                                     ignore_unavailable=True, allow_no_indices=True)
        await self.es.options(ignore_status=404).indices.delete_index_template(
            name=f"{self.alias}-docs")

    async def reindex(self) -> str:
        """Build a new documents index from the members, then swap the alias atomically."""
        await self.ensure()
        new = f"{self.alias}-v{int(time.time() * 1000)}"
        await self.es.indices.create(index=new)
        members = [hit async for hit in self._scan(self.members, {"match_all": {}},
                                                   ["feat", "doc"])]
        docs = {h["_id"]: h["_source"]["doc"] for h in members}
        feats = [dedup.Features.from_json(h["_source"]["feat"]) for h in members]
        ops: list[dict[str, Any]] = []
        for group in dedup.clusters(feats):
            canonical = merge([docs[m] for m in group])
            ops += [{"index": {"_index": new, "_id": canonical["id"]}}, es_source(canonical)]
        await self._bulk(ops)
        await self.es.indices.refresh(index=new)
        old = list((await self.es.indices.get_alias(name=self.alias)).keys())
        actions = [{"remove": {"index": o, "alias": self.alias}} for o in old]
        await self.es.indices.update_aliases(actions=[*actions, {"add": {"index": new,
                                                                         "alias": self.alias}}])
        for o in old:
            await self.es.indices.delete(index=o, ignore_unavailable=True)
        return new

    async def warm(self) -> bool:
        """Nothing to prepare: Elasticsearch keeps its own structures."""
        return False

    async def close(self) -> None:
        await self.es.close()

    # -- writing -------------------------------------------------------------------------

    async def _bulk(self, ops: list[dict[str, Any]], *, conflicts_ok: bool = False,
                    missing_ok: bool = False) -> list[int]:
        """Bulk with per-item handling; returns the status of each action. Only 429s are
        retried; 409 (when ``conflicts_ok``) and 404 (when ``missing_ok``) are outcomes."""
        pairs = _pairs(ops)
        statuses = [0] * len(pairs)
        todo = list(range(len(pairs)))
        for attempt in range(RETRIES_429 + 1):
            if not todo:
                break
            body = [part for i in todo for part in pairs[i]]
            resp = await self.es.bulk(operations=body, refresh=self.refresh or False)
            retry = []
            for i, item in zip(todo, resp["items"], strict=True):
                status = next(iter(item.values()))["status"]
                statuses[i] = status
                if status == 429:
                    retry.append(i)
                elif status >= 300 and not ((status == 409 and conflicts_ok)
                                            or (status == 404 and missing_ok)):
                    raise StoreError(f"bulk item failed: {item}")
            todo = retry
            if todo:
                await asyncio.sleep(min(0.2 * 2 ** attempt, 5.0))
        if todo:
            raise StoreError(f"{len(todo)} bulk items still rejected (429) after retries")
        return statuses

    async def apply(self, messages: Sequence[EventMessage]) -> list[Outcome]:
        await self.ensure()
        if not messages:
            return []
        ids = sorted({m.event_id for m in messages})
        resp = await self.es.mget(index=self.events, ids=ids, source=["version"])
        stored = {d["_id"]: d["_source"]["version"] for d in resp["docs"] if d.get("found")}
        outcomes: list[Outcome] = []
        final: dict[str, EventMessage] = {}
        for msg in messages:
            if stored.get(msg.event_id, -1) >= msg.version:
                outcomes.append(Outcome.STALE)
                continue
            stored[msg.event_id] = msg.version
            final[msg.event_id] = msg
            is_retract = msg.kind == Kind.RETRACT or msg.event is None
            outcomes.append(Outcome.RETRACTED if is_retract else Outcome.APPLIED)
        if final:
            await self._write_members_and_clusters(list(final.values()))
            ops: list[dict[str, Any]] = []
            for msg in final.values():
                ops.append({"index": {"_index": self.events, "_id": msg.event_id,
                                      "version": msg.version, "version_type": "external"}})
                ops.append({"source_id": msg.source_id, "version": msg.version,
                            "deleted": msg.event is None or msg.kind == Kind.RETRACT})
            await self._bulk(ops, conflicts_ok=True)
        return outcomes

    async def _write_members_and_clusters(self, msgs: list[EventMessage]) -> None:
        from shared.store.elastic_dedup import recluster

        await recluster(self, msgs)

    # -- reading -------------------------------------------------------------------------

    async def search(self, query: SearchQuery) -> SearchPage:
        await self.ensure()
        body = eq.search_body(query)
        resp = await self.es.search(index=self.alias, body=body)
        hits = resp["hits"]["hits"]
        items = [h["_source"]["doc"] for h in hits[: query.limit]]
        nxt = eq.encode_cursor(hits[query.limit - 1]["sort"]) if len(hits) > query.limit else None
        page = SearchPage(total=resp["hits"]["total"]["value"], items=items, next=nxt)
        if query.q:
            highlight(items, stems(query.q))
            if body["sort"][0] == {"_score": "desc"}:
                for item, hit in zip(items, hits, strict=False):
                    item["score"] = hit["sort"][0]
        if query.facets:
            page.facets = eq.shape_facets(resp.get("aggregations") or {})
        return page

    async def get(self, doc_id: str) -> dict[str, Any] | None:
        await self.ensure()
        resp = await self.es.search(index=self.alias, size=1, source_includes=["doc"], query={
            "bool": {"should": [{"term": {"id": doc_id}}, {"term": {"members": doc_id}}]}})
        hits = resp["hits"]["hits"]
        return hits[0]["_source"]["doc"] if hits else None

    async def event_docs(self, event_id: str) -> list[dict[str, Any]]:
        await self.ensure()
        resp = await self.es.search(index=self.alias, size=10_000, source_includes=["doc"],
                                    query={"term": {"member_event_ids": event_id}},
                                    sort=[{"start_ts": "asc"}, {"id": "asc"}])
        return [h["_source"]["doc"] for h in resp["hits"]["hits"]]

    async def count(self) -> int:
        await self.ensure()
        return int((await self.es.count(index=self.alias))["count"])

    async def related(self, doc: dict[str, Any], limit: int = 6) -> list[dict[str, Any]]:
        if not doc.get("themes") and not doc.get("keywords"):
            return []
        await self.ensure()
        body = eq.related_body(doc, int(time.time()), RELATED_PERIOD_S, limit * 4)
        resp = await self.es.search(index=self.alias, body=body)
        start = int(doc["start_ts"])
        ranked = sorted(resp["hits"]["hits"], key=lambda h: (
            -h["_score"], abs(h["_source"]["doc"]["start_ts"] - start), h["_id"]))
        return [h["_source"]["doc"] for h in ranked[:limit]]

    async def terms(self, facet: str, *, start: datetime | None = None,
                    limit: int = 200) -> list[dict[str, Any]]:
        await self.ensure()
        moment = int((start or datetime.now(UTC)).timestamp())
        resp = await self.es.search(index=self.alias, body=eq.terms_body(facet, moment, limit))
        return [{"value": eq._key(b), "count": b["doc_count"]}
                for b in resp["aggregations"]["t"]["buckets"]]

    async def suggest(self, prefix: str, limit: int = 8) -> list[dict[str, Any]]:
        if len(suggestions.folded(prefix)) < 2:
            return []
        await self.ensure()
        resp = await self.es.search(index=self.alias,
                                    body=eq.suggest_body(prefix, int(time.time()), limit))
        tags = [(kind, str(b["key"]), suggestions.folded(str(b["key"])), b["doc_count"])
                for kind in ("keyword", "organizer", "place")
                for b in resp["aggregations"][kind]["buckets"]]
        tags.sort(key=lambda t: (-t[3], t[1]))
        out = suggestions.suggest_tags(tags, prefix, limit)
        titles = [hit["_source"]["doc"]["title"] for hit in resp["hits"]["hits"]]
        return suggestions.add_titles(out, titles, limit)

    async def _scan(self, index: str, query: dict[str, Any], source: list[str]) -> Any:
        """Every hit of ``query`` (search_after on ``_id``-free ``_doc`` order with a PIT)."""
        pit = await self.es.open_point_in_time(index=index, keep_alive="1m")
        after: list[Any] | None = None
        try:
            while True:
                kw: dict[str, Any] = {"search_after": after} if after else {}
                resp = await self.es.search(pit={"id": pit["id"], "keep_alive": "1m"},
                                            size=1000, query=query, source_includes=source,
                                            sort=["_shard_doc"], **kw)
                hits = resp["hits"]["hits"]
                if not hits:
                    return
                for hit in hits:
                    yield hit
                after = hits[-1]["sort"]
        finally:
            try:
                await self.es.close_point_in_time(id=pit["id"])
            except NotFoundError:
                pass


def _pairs(ops: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Group bulk lines into actions (``delete`` has no source line)."""
    out: list[list[dict[str, Any]]] = []
    i = 0
    while i < len(ops):
        if "delete" in ops[i]:
            out.append([ops[i]])
            i += 1
        else:
            out.append([ops[i], ops[i + 1]])
            i += 2
    return out


def member_ops(index: str, msgs: list[EventMessage]) -> list[tuple[str, dict[str, Any]]]:
    """``(member id, member source)`` of the upserts of ``msgs``."""
    out = []
    for msg in msgs:
        if msg.event is None or msg.kind == Kind.RETRACT:
            continue
        for doc in occurrence_docs(msg.event):
            feat = dedup.features(doc)
            out.append((doc["id"], {"event_id": doc["event_id"], "start_ts": doc["start_ts"],
                                    "day": feat.day, "all_day": feat.all_day,
                                    "cluster_id": None, "feat": feat.to_json(), "doc": doc}))
    return out
