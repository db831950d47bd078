"""The Elasticsearch search store (async client), same semantics as the SQLite store.

Indices (:mod:`shared.store.elastic_index`), for an alias ``A`` (``MAILLAGE_ES_INDEX``): the
canonical documents behind ``A``, one version document per source event behind ``A-events``,
one member document per source occurrence behind ``A-members``, the writer lease and the
journal behind ``A-meta``. Reads go through the aliases; writes too, with ``require_alias``.

Writers take turns (:mod:`shared.store.elastic_lease`): a batch is applied under the store's
writer lease, as SQLite's write lock makes its batches one at a time, so two indexers never
interleave the reads and writes of two reclusterings. A batch: repair what a writer that died
left (its journal, :func:`shared.store.elastic_dedup.repair`); read the stored versions
(``mget``, real time); for the newer messages, replace the members and rewrite the clusters
around them (:func:`shared.store.elastic_dedup.recluster`); then write the event versions with
*external versioning* (version = message version), so that the cluster itself refuses an
older version (409) even from a writer that lost the lease. A crash before that last step
leaves the versions old: the redelivered messages are applied again (every step is
idempotent) and the journal lets the next writer repair the documents meanwhile.

A document the cluster refuses for its content (a per-item 400) does not stop the stream: the
events behind it are put back as they were stored (their last accepted version, kept in
``A-events``) and :class:`~shared.errors.RejectedMessages` tells the indexer which messages to
send to the dead-letter stream; it applies the others again.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from elasticsearch import ApiError, AsyncElasticsearch, NotFoundError

from shared.errors import RejectedMessages
from shared.model import Event, EventMessage, Kind
from shared.store import dedup
from shared.store import elastic_index as ix
from shared.store import elastic_query as eq
from shared.store import suggest as suggestions
from shared.store.base import Outcome, SearchPage, SearchQuery
from shared.store.dedup_merge import merge
from shared.store.elastic_bulk import (
    ItemsRejected,
    StoreError,
    bulk,
    mget_sources,
    unwritable,
)
from shared.store.elastic_dedup import (
    RejectedEvents,
    clear_journal,
    read_journal,
    recluster,
    repair,
)
from shared.store.elastic_lease import Lease
from shared.store.snippets import highlight
from shared.store.sqlite_docs import doc_rowid, event_dict, index_text
from shared.store.sqlite_reads import RELATED_PERIOD_S
from shared.text import stems

__all__ = ["ElasticStore", "StoreError", "es_source"]

REQUEST_TIMEOUT_S = 30


@lru_cache(maxsize=2048)
def _stems(text: str | None) -> str:
    """:func:`index_text`, remembered: the occurrences of an event share their texts (the
    SQLite writer keeps them per batch for the same reason)."""
    return index_text(text)


def es_source(doc: dict[str, Any]) -> dict[str, Any]:
    """The indexed fields of a canonical document, plus the document itself (not indexed).
    The text is what the SQLite store puts in its FTS columns, as the same stems."""
    loc = doc.get("location") or {}
    text = [doc.get("title"), doc.get("description_text") or doc.get("description"),
            " ".join(str(v) for v in loc.values() if isinstance(v, str)),
            " ".join([*doc.get("keywords", ()), *doc.get("categories", ()),
                      doc.get("organizer") or ""])]
    has_geo = loc.get("lat") is not None and loc.get("lon") is not None
    return {
        "id": doc["id"], "event_id": doc["event_id"], "members": doc.get("members", [doc["id"]]),
        "member_event_ids": sorted({s["event_id"] for s in doc.get("sources", ())}),
        "rank_key": doc_rowid(doc),
        "title_text": _stems(doc.get("title")),
        "text": " ".join(filter(None, (_stems(part) for part in text))),
        "title_key": suggestions.folded(doc.get("title") or ""),
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


def _restore_message(event_id: str, stored: dict[str, Any] | None) -> EventMessage:
    """The message that puts ``event_id`` back as ``stored`` (its ``A-events`` document)."""
    if stored and not stored.get("deleted") and stored.get("data"):
        return EventMessage.upsert(Event.from_dict(stored["data"]), int(stored["version"]))
    return EventMessage.retract(event_id, (stored or {}).get("source_id") or "",
                                int((stored or {}).get("version") or 0), "restored")


class ElasticStore:
    """:class:`~shared.store.base.SearchStore` on Elasticsearch 9."""

    def __init__(self, url: str, index: str = "maillage", *, refresh: bool = False,
                 replicas: int | None = None) -> None:
        self.es = AsyncElasticsearch(url, request_timeout=REQUEST_TIMEOUT_S)
        self.alias = index
        self.events = f"{index}-events"
        self.members = f"{index}-members"
        self.meta = f"{index}-meta"
        self.refresh = refresh  # tests: make every write visible at once
        self.replicas = replicas
        self.lease = Lease(self.es, self.meta, "writer")
        self._ready = False

    # -- setup ---------------------------------------------------------------------------

    async def ensure(self) -> None:
        """Create what is missing; each index with its alias in one request (two processes
        starting at once: the second creation fails as ``resource_already_exists``)."""
        if self._ready:
            return
        for alias, definition in ((self.events, ix.EVENTS), (self.members, ix.MEMBERS),
                                  (self.meta, ix.META), (self.alias, ix.DOCS)):
            if not await self.es.indices.exists_alias(name=alias):
                await ix.create(self.es, ix.versioned(alias), alias, definition, self.replicas)
        self._ready = True

    async def reset(self) -> None:
        await self.drop()
        self._ready = False
        await self.ensure()

    async def drop(self) -> None:
        """Delete every index of this store, by name (tests, ``reset`` and ``maillage
        reindex``; a wildcard delete is refused by ``action.destructive_requires_name``)."""
        names = await ix.concrete(self.es, [self.alias, self.events, self.members, self.meta])
        if names:
            await self.es.indices.delete(index=",".join(names), ignore_unavailable=True)
        self._ready = False

    async def reindex(self) -> str:
        """Build a new documents index from the members, then swap the alias atomically."""
        await self.ensure()
        async with self.lease.hold():
            current = list((await self.es.indices.get_alias(name=self.alias)).keys())
            taken = [ix.version_of(self.alias, name) or 0
                     for name in await ix.concrete(self.es, [self.alias])]
            new = ix.versioned(self.alias, max(taken, default=0) + 1)
            spec = ix.body(ix.DOCS, self.replicas)
            await self.es.indices.create(index=new, settings=spec["settings"],
                                         mappings=spec["mappings"])
            members = [hit async for hit in self._scan(self.members, {"match_all": {}},
                                                       ["feat", "doc"])]
            docs = {h["_id"]: h["_source"]["doc"] for h in members}
            feats = [dedup.Features.from_json(h["_source"]["feat"]) for h in members]
            ops: list[dict[str, Any]] = []
            for group in dedup.clusters(feats):
                canonical = merge([docs[m] for m in group])
                ops += [{"index": {"_index": new, "_id": canonical["id"]}},
                        es_source(canonical)]
                for mid in group:
                    ops += [{"update": {"_index": self.members, "_id": mid,
                                        "require_alias": True}},
                            {"doc": {"cluster_id": group[0]}}]
            await self.lease.check()
            await bulk(self.es, ops)
            await self.es.indices.refresh(index=new)
            await self.lease.check()
            await self.es.indices.update_aliases(actions=[
                *({"remove": {"index": name, "alias": self.alias}} for name in current),
                {"add": {"index": new, "alias": self.alias, "is_write_index": True}}])
            if current:
                await self.es.indices.delete(index=",".join(current), ignore_unavailable=True)
        return new

    async def warm(self) -> bool:
        """Nothing to prepare: Elasticsearch keeps its own structures."""
        return False

    async def close(self) -> None:
        await self.es.close()

    # -- writing -------------------------------------------------------------------------

    async def apply(self, messages: Sequence[EventMessage]) -> list[Outcome]:
        if not messages:
            return []
        refused = {i: f"refused for Elasticsearch: {why}" for i, msg in enumerate(messages)
                   if (why := unwritable(msg.event_id, msg.version))}
        if refused:
            raise RejectedMessages(refused)
        await self.ensure()
        try:
            return await self._apply(messages)
        except (StoreError, ApiError):
            self._ready = False  # the indices may be gone: look again before the next batch
            raise

    async def _apply(self, messages: Sequence[EventMessage]) -> list[Outcome]:
        async with self.lease.hold():
            await self._recover()
            stored = await self._stored(sorted({m.event_id for m in messages}))
            versions = {e: int(src["version"]) for e, src in stored.items()}
            outcomes: list[Outcome] = []
            final: dict[str, EventMessage] = {}
            where: dict[str, int] = {}
            for i, msg in enumerate(messages):
                if versions.get(msg.event_id, -1) >= msg.version:
                    outcomes.append(Outcome.STALE)
                    continue
                versions[msg.event_id] = msg.version
                final[msg.event_id] = msg
                where[msg.event_id] = i
                is_retract = msg.kind == Kind.RETRACT or msg.event is None
                outcomes.append(Outcome.RETRACTED if is_retract else Outcome.APPLIED)
            if not final:
                return outcomes
            try:
                await recluster(self, list(final.values()))
                taken = await self._write_versions(final)
            except RejectedEvents as exc:
                culprits = {e: reason for e, reason in exc.reasons.items() if e in where}
                if not culprits:
                    raise StoreError(f"refused: {exc.cause.message}") from exc
                # the culprits' members first (the repair would rewrite what was refused)
                await self._restore(culprits, stored, carry=await read_journal(self))
                raise RejectedMessages({where[e]: r for e, r in culprits.items()}) from exc
            await clear_journal(self)
            if taken:  # newer versions written meanwhile by a writer without the lease
                now = await self._stored(sorted(taken))
                await self._restore(taken, now)
                for event_id in taken:
                    outcomes[where[event_id]] = Outcome.STALE
            return outcomes

    async def _recover(self) -> None:
        """Repair what the journal of an interrupted batch names."""
        journal = await read_journal(self)
        if journal is None:
            return
        try:
            await repair(self, journal)
        except RejectedEvents as exc:
            raise StoreError(f"repair refused: {exc.cause.message}") from exc

    async def _stored(self, event_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The version documents of ``event_ids`` that exist (real time); a document the
        cluster could not read is a :class:`StoreError`, never an absent one."""
        out: dict[str, dict[str, Any]] = {}
        for i in range(0, len(event_ids), 1000):
            resp = await self.es.mget(index=self.events, ids=event_ids[i:i + 1000])
            out.update(mget_sources(resp["docs"]))
        return out

    async def _restore(self, event_ids: Iterable[str], stored: dict[str, dict[str, Any]],
                       carry: dict[str, Any] | None = None) -> None:
        """Put ``event_ids`` back as ``stored`` says (members and clusters, not versions),
        then repair around them and around what the journal ``carry`` names."""
        msgs = [_restore_message(e, stored.get(e)) for e in sorted(event_ids)]
        try:
            await recluster(self, msgs, carry)
        except RejectedEvents as exc:
            raise StoreError(f"restoring refused: {exc.cause.message}") from exc
        await self._recover()

    async def _write_versions(self, final: dict[str, EventMessage]) -> set[str]:
        """Write the versions of ``final`` (external versioning); the events whose stored
        version turned out newer than ours."""
        ops: list[dict[str, Any]] = []
        for msg in final.values():
            deleted = msg.event is None or msg.kind == Kind.RETRACT
            ops.append({"index": {"_index": self.events, "_id": msg.event_id,
                                  "version": msg.version, "version_type": "external",
                                  "require_alias": True}})
            ops.append({"source_id": msg.source_id, "version": msg.version, "deleted": deleted,
                        "data": None if deleted or msg.event is None
                        else event_dict(msg.event)})
        await self.lease.check()
        try:
            results = await bulk(self.es, ops, refresh=self.refresh, conflicts_ok=True)
        except ItemsRejected as exc:
            raise RejectedEvents({item.id: item.reason for item in exc.items}, exc) from exc
        conflicted = sorted(msg.event_id for msg, r in zip(final.values(), results, strict=True)
                            if r.get("status") == 409)
        if not conflicted:
            return set()
        # a 409 is ours when the stored version equals the message's (a request retried
        # after it was applied); a newer one was written by another writer
        now = await self._stored(conflicted)
        return {e for e in conflicted if int(now.get(e, {}).get("version", -1))
                > final[e].version}

    # -- reading -------------------------------------------------------------------------

    async def search(self, query: SearchQuery) -> SearchPage:
        body = eq.search_body(query)  # a malformed cursor: ValueError before any request
        await self.ensure()
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
        """Every document of ``event_id`` in date order, page by page (no silent cap)."""
        await self.ensure()
        out: list[dict[str, Any]] = []
        after: list[Any] | None = None
        while True:
            kw: dict[str, Any] = {"search_after": after} if after else {}
            resp = await self.es.search(index=self.alias, size=eq.PAGE, source_includes=["doc"],
                                        query={"term": {"member_event_ids": event_id}},
                                        sort=list(eq.DATE_ORDER), **kw)
            hits = resp["hits"]["hits"]
            out += [h["_source"]["doc"] for h in hits]
            if len(hits) < eq.PAGE:
                return out
            after = hits[-1]["sort"]

    async def count(self) -> int:
        await self.ensure()
        return int((await self.es.count(index=self.alias))["count"])

    async def related(self, doc: dict[str, Any], limit: int = 6) -> list[dict[str, Any]]:
        if not doc.get("themes") and not doc.get("keywords"):
            return []
        await self.ensure()
        body = eq.related_body(doc, int(time.time()), RELATED_PERIOD_S, limit)
        resp = await self.es.search(index=self.alias, body=body)
        return [h["_source"]["doc"] for h in resp["hits"]["hits"]]

    async def terms(self, facet: str, *, start: datetime | None = None,
                    limit: int = 200) -> list[dict[str, Any]]:
        moment = int((start or datetime.now(UTC)).timestamp())
        body = eq.terms_body(facet, moment, limit)
        await self.ensure()
        resp = await self.es.search(index=self.alias, body=body)
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
        """Every hit of ``query`` through a point in time, in ``_shard_doc`` order; each
        request uses the newest PIT id the cluster returned, and the last one is closed."""
        pit = (await self.es.open_point_in_time(index=index, keep_alive="1m"))["id"]
        after: list[Any] | None = None
        try:
            while True:
                kw: dict[str, Any] = {"search_after": after} if after else {}
                resp = await self.es.search(pit={"id": pit, "keep_alive": "1m"},
                                            size=eq.PAGE, query=query, source_includes=source,
                                            sort=["_shard_doc"], **kw)
                pit = resp.get("pit_id") or pit
                hits = resp["hits"]["hits"]
                if not hits:
                    return
                for hit in hits:
                    yield hit
                after = hits[-1]["sort"]
        finally:
            try:
                await self.es.close_point_in_time(id=pit)
            except NotFoundError:
                pass
