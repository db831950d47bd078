"""What the Elasticsearch stores of records' projections share (the directory, the board).

One document per record in the index behind an alias (created with its mappings in one
request, :func:`shared.store.elastic_index.create`): the record's stream sequence is the
document's external version, so the cluster itself refuses an older state arriving late
(409: ``Outcome.STALE``; a ``refresh`` is ``external_gte``, applied at its own sequence
too); a removal is a tombstone (``deleted``) with its sequence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from elasticsearch import ApiError, AsyncElasticsearch, NotFoundError

from shared.errors import RejectedMessages
from shared.store import elastic_index as ix
from shared.store.base import Outcome
from shared.store.elastic_bulk import ItemsRejected, StoreError, bulk, unwritable


class ElasticRecords:
    """An index of records' projections; subclasses say its ``definition`` (settings and
    mappings), a message's document id (:meth:`doc_id`) and indexed form (:meth:`source`).
    A message has ``seq``, ``refresh`` and ``doc`` (``None``: a removal)."""

    definition: dict[str, Any] = {}

    def __init__(self, url: str, index: str, *, refresh: bool = False,
                 replicas: int | None = None) -> None:
        self.es = AsyncElasticsearch(url, request_timeout=30)
        self.alias = index
        self.refresh = refresh
        self.replicas = replicas
        self._ready = False

    def doc_id(self, msg: Any) -> str:
        raise NotImplementedError

    def source(self, msg: Any) -> dict[str, Any]:
        raise NotImplementedError

    async def ensure(self) -> None:
        if self._ready:
            return
        if not await self.es.indices.exists_alias(name=self.alias):
            await ix.create(self.es, ix.versioned(self.alias), self.alias, self.definition,
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

    async def apply(self, messages: Sequence[Any]) -> list[Outcome]:
        ids = [self.doc_id(msg) for msg in messages]
        refused = {i: f"refused for Elasticsearch: {why}" for i, msg in enumerate(messages)
                   if (why := unwritable(ids[i], msg.seq))}
        if refused:
            raise RejectedMessages(refused)
        await self.ensure()
        ops: list[dict[str, Any]] = []
        for doc_id, msg in zip(ids, messages, strict=True):
            ops += [{"index": {"_index": self.alias, "_id": doc_id, "version": msg.seq,
                               "version_type": "external_gte" if msg.refresh else "external",
                               "require_alias": True}},
                    self.source(msg)]
        try:
            results = await bulk(self.es, ops, refresh=self.refresh, conflicts_ok=True)
        except ItemsRejected as exc:
            index_of = {doc_id: i for i, doc_id in enumerate(ids)}
            raise RejectedMessages({index_of[item.id]: item.reason for item in exc.items
                                    if item.id in index_of}) from exc
        except (StoreError, ApiError):
            self._ready = False
            raise
        return [Outcome.STALE if r.get("status") == 409
                else Outcome.RETRACTED if m.doc is None else Outcome.APPLIED
                for m, r in zip(messages, results, strict=True)]

    async def _get(self, doc_id: str) -> dict[str, Any] | None:
        await self.ensure()
        try:
            found = await self.es.get(index=self.alias, id=doc_id)
        except NotFoundError:
            return None
        src = found["_source"]
        return None if src.get("deleted") else dict(src["doc"])

    async def _count(self, query: dict[str, Any]) -> int:
        await self.ensure()
        resp = await self.es.count(index=self.alias, query=query)
        return int(resp["count"])

    async def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        await self.ensure()
        return dict(await self.es.search(index=self.alias, body=body))
