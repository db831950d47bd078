"""Members and dedup clusters of :mod:`shared.store.elastic` (the algorithm of the SQLite store).

:func:`recluster` replaces the members of a batch's events, walks the match graph level by
level (one ``msearch`` per level) from the changed members and from the windows of the removed
ones, reclusters what it reached (:func:`shared.store.dedup.clusters`) and rewrites the
canonical documents that changed (:func:`shared.store.dedup.cluster_changes`).

What it reads is current: the members index is refreshed before it is searched (the members a
previous batch wrote and the cluster ids it set are visible), and members are read by id with
``mget``, which is real-time.

A batch writes in three bulk requests, none atomic, so it first writes a *journal* (one
document of the meta index) holding what a repair needs: the members it writes, the windows of
the members it removes, and, before the last request, the clusters every reached member
belonged to. A writer that dies half-way leaves the journal; the next writer (:func:`repair`,
called under the lease before any batch) walks from the journal's members and windows,
rewrites every cluster it reaches and deletes every journaled cluster that no longer exists,
so no canonical document is left without its members, even when the redelivered messages of
the batch have been superseded meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from elasticsearch import NotFoundError

from shared.model import EventMessage, Kind
from shared.store import dedup
from shared.store import elastic_query as eq
from shared.store.dedup_merge import merge
from shared.store.elastic_bulk import ItemsRejected, StoreError, bulk, mget_sources
from shared.store.sqlite_docs import event_dict, event_docs

JOURNAL = "journal"
MGET_CHUNK = 1000
MSEARCH_CHUNK = 200


class RejectedEvents(Exception):
    """Documents refused for their content, traced back to the events of the batch."""

    def __init__(self, reasons: dict[str, str], cause: ItemsRejected) -> None:
        super().__init__(cause.message)
        self.reasons = reasons
        self.cause = cause


def member_ops(msgs: Iterable[EventMessage]) -> list[tuple[str, dict[str, Any]]]:
    """``(member id, member source)`` of the upserts of ``msgs``."""
    out = []
    for msg in msgs:
        if msg.event is None or msg.kind == Kind.RETRACT:
            continue
        for doc in event_docs(msg.event, event_dict(msg.event)):
            feat = dedup.features(doc)
            out.append((doc["id"], {"mid": doc["id"], "event_id": doc["event_id"],
                                    "start_ts": doc["start_ts"], "day": feat.day,
                                    "all_day": feat.all_day, "cluster_id": None,
                                    "feat": feat.to_json(), "doc": doc}))
    return out


async def _members_of(store: Any, event_ids: list[str]) -> list[dict[str, Any]]:
    """Every member of ``event_ids`` (after a refresh: the previous batches' writes are
    visible), page by page."""
    await store.es.indices.refresh(index=store.members)
    out: list[dict[str, Any]] = []
    after: list[Any] | None = None
    while True:
        kw: dict[str, Any] = {"search_after": after} if after else {}
        resp = await store.es.search(
            index=store.members, size=eq.PAGE, sort=[{"mid": "asc"}],
            query={"terms": {"event_id": event_ids}},
            source_includes=["start_ts", "day", "all_day", "cluster_id"], **kw)
        hits = resp["hits"]["hits"]
        out += hits
        if len(hits) < eq.PAGE:
            return out
        after = hits[-1]["sort"]


async def _candidates(store: Any, probes: list[tuple[int, int, bool]]) -> list[list[Any]]:
    """The members in the dedup window of each probe, every page of each."""
    found: list[list[Any]] = [[] for _ in probes]
    todo: list[tuple[int, list[Any] | None]] = [(i, None) for i in range(len(probes))]
    while todo:
        nxt = []
        for start in range(0, len(todo), MSEARCH_CHUNK):
            chunk = todo[start:start + MSEARCH_CHUNK]
            body: list[dict[str, Any]] = []
            for i, after in chunk:
                start_ts, day, all_day = probes[i]
                body += [{"index": store.members},
                         eq.candidates_body(start_ts, day, all_day, dedup.WINDOW_S, after)]
            resp = await store.es.msearch(searches=body)
            for (i, _), r in zip(chunk, resp["responses"], strict=True):
                if "error" in r:
                    raise StoreError(f"candidate search failed: {r['error']}")
                hits = r["hits"]["hits"]
                found[i] += [dedup.Features.from_json(h["_source"]["feat"]) for h in hits]
                if len(hits) == eq.PAGE:
                    nxt.append((i, hits[-1]["sort"]))
        todo = nxt
    return found


async def _walk(store: Any, seeds: list[dedup.Features], windows: list[tuple[int, int, bool]]
                ) -> tuple[dict[str, dedup.Features], set[tuple[float, str, str]]]:
    """Every member reached from ``seeds`` and from the members in ``windows``, and the
    matching pairs among them."""
    reached = {f.id: f for f in seeds}
    frontier = list(reached.values())
    for found in await _candidates(store, windows):
        for feat in found:
            if feat.id not in reached:
                reached[feat.id] = feat
                frontier.append(feat)
    pairs: set[tuple[float, str, str]] = set()
    while frontier:
        results = await _candidates(store, [(f.start_ts, f.day, f.all_day) for f in frontier])
        nxt = []
        for node, found in zip(frontier, results, strict=True):
            for other in found:
                score = dedup.match(node, other) if other.id != node.id else None
                if score is None:
                    continue
                a, b = sorted((node.id, other.id))
                pairs.add((score, a, b))
                if other.id not in reached:
                    reached[other.id] = other
                    nxt.append(other)
        frontier = nxt
    return reached, pairs


async def _mget(store: Any, ids: list[str], fields: list[str]) -> dict[str, dict[str, Any]]:
    """The members ``ids`` that exist (real time), their ``fields``."""
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(ids), MGET_CHUNK):
        resp = await store.es.mget(index=store.members, ids=ids[i:i + MGET_CHUNK],
                                   source=fields)
        out.update(mget_sources(resp["docs"]))
    return out


async def _write(store: Any, ops: list[dict[str, Any]],
                 owners: dict[str, set[str]]) -> None:
    """Bulk-write ``ops`` under the lease; a refused document is traced to its events."""
    await store.lease.check()
    try:
        await bulk(store.es, ops, refresh=store.refresh, missing_ok=True)
    except ItemsRejected as exc:
        reasons: dict[str, str] = {}
        for item in exc.items:
            for event_id in owners.get(item.id, ()):
                reasons.setdefault(event_id, item.reason)
        if not reasons:  # a neighbour's document: nothing in this batch to blame
            raise
        raise RejectedEvents(reasons, exc) from exc


async def _journal(store: Any, journal: dict[str, Any]) -> None:
    await store.lease.check()
    await store.es.index(index=store.meta, id=JOURNAL, document=journal, require_alias=True)


async def read_journal(store: Any) -> dict[str, Any] | None:
    try:
        doc = await store.es.get(index=store.meta, id=JOURNAL)
    except NotFoundError:
        return None
    source: dict[str, Any] = doc["_source"]
    return source


async def clear_journal(store: Any) -> None:
    await store.lease.check()
    try:
        await store.es.delete(index=store.meta, id=JOURNAL)
    except NotFoundError:
        pass


def _cluster_ops(store: Any, groups: list[list[str]], docs: dict[str, dict[str, Any]],
                 deleted: Iterable[str]) -> tuple[list[dict[str, Any]], dict[str, set[str]]]:
    """Bulk lines deleting ``deleted`` canonical documents and writing those of ``groups``
    (and their members' cluster ids); which events each written document comes from."""
    from shared.store.elastic import es_source

    ops: list[dict[str, Any]] = [{"delete": {"_index": store.alias, "_id": cid}}
                                 for cid in sorted(deleted)]
    owners: dict[str, set[str]] = {}
    for group in groups:
        canonical = merge([docs[m] for m in group])
        owners[canonical["id"]] = {docs[m]["event_id"] for m in group}
        ops += [{"index": {"_index": store.alias, "_id": canonical["id"],
                           "require_alias": True}}, es_source(canonical)]
        for mid in group:
            owners[mid] = {docs[mid]["event_id"]}
            ops += [{"update": {"_index": store.members, "_id": mid, "require_alias": True}},
                    {"doc": {"cluster_id": group[0]}}]
    return ops, owners


async def recluster(store: Any, msgs: list[EventMessage],
                    carry: dict[str, Any] | None = None) -> None:
    """Replace the members of the events of ``msgs`` and rewrite the clusters around them.
    ``carry``: the journal of an interrupted batch, kept in this one's (repaired after)."""
    old = await _members_of(store, sorted({m.event_id for m in msgs}))
    prior = {h["_id"]: h["_source"].get("cluster_id") for h in old}
    windows = [(h["_source"]["start_ts"], h["_source"]["day"], h["_source"]["all_day"])
               for h in old]
    new = member_ops(msgs)
    new_ids = {mid for mid, _ in new}
    carry = carry or {}
    journal: dict[str, Any] = {
        "members": sorted(new_ids | set(carry.get("members") or ())),
        "windows": [*windows, *(carry.get("windows") or ())],
        "clusters": sorted({c for c in prior.values() if c} | set(carry.get("clusters") or ())),
    }
    await _journal(store, journal)
    ops: list[dict[str, Any]] = [{"delete": {"_index": store.members, "_id": h["_id"]}}
                                 for h in old if h["_id"] not in new_ids]
    for mid, src in new:
        ops += [{"index": {"_index": store.members, "_id": mid, "require_alias": True}}, src]
    await _write(store, ops, {mid: {src["event_id"]} for mid, src in new})
    await store.es.indices.refresh(index=store.members)

    seeds = [dedup.Features.from_json(src["feat"]) for _, src in new]
    reached, pairs = await _walk(store, seeds, windows)
    groups = dedup.clusters(reached.values(), pairs)
    stored = await _mget(store, sorted(reached), ["cluster_id", "doc"])
    old_of: dict[str, str | None] = {mid: prior.get(mid, src.get("cluster_id"))
                                     for mid, src in stored.items()}
    for mid, cid in prior.items():
        old_of.setdefault(mid, cid)
    deleted, dirty = dedup.cluster_changes(groups, old_of, new_ids)
    journal["clusters"] = sorted({c for c in old_of.values() if c} | set(journal["clusters"]))
    await _journal(store, journal)
    docs = {mid: src["doc"] for mid, src in stored.items()}
    ops, owners = _cluster_ops(store, dirty, docs, deleted)
    if ops:
        await _write(store, ops, owners)


async def repair(store: Any, journal: dict[str, Any]) -> None:
    """Make the canonical documents agree with the members around what ``journal`` names
    (the batch of a writer that died half-way), then drop the journal."""
    await store.es.indices.refresh(index=store.members)
    found = await _mget(store, list(journal.get("members") or ()), ["feat"])
    seeds = [dedup.Features.from_json(src["feat"]) for src in found.values()]
    windows = [(int(w[0]), int(w[1]), bool(w[2])) for w in journal.get("windows") or ()]
    reached, pairs = await _walk(store, seeds, windows)
    groups = dedup.clusters(reached.values(), pairs)
    stored = await _mget(store, sorted(reached), ["cluster_id", "doc"])
    current = {src.get("cluster_id") for src in stored.values()}
    keep = {g[0] for g in groups}
    gone = ({c for c in current if c} | set(journal.get("clusters") or ())) - keep
    docs = {mid: src["doc"] for mid, src in stored.items()}
    ops, owners = _cluster_ops(store, groups, docs, gone)
    if ops:
        await _write(store, ops, owners)
    await clear_journal(store)
