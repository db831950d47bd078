"""Members and dedup clusters for :mod:`shared.store.elastic` (same algorithm as SQLite).

Writes the members of a batch, walks the match graph level by level (one ``msearch`` per level)
from the changed members and from the windows of the removed ones, reclusters what was reached
(:func:`shared.store.dedup.clusters`) and rewrites only the canonical documents that changed
(:func:`shared.store.dedup.cluster_changes`).
"""

from __future__ import annotations

from typing import Any

from shared.model import EventMessage
from shared.store import dedup
from shared.store import elastic_query as eq
from shared.store.dedup_merge import merge


async def _candidates(store: Any, probes: list[tuple[int, int, bool]]) -> list[list[Any]]:
    if not probes:
        return []
    body: list[dict[str, Any]] = []
    for start_ts, day, all_day in probes:
        body += [{"index": store.members}, eq.candidates_body(start_ts, day, all_day,
                                                              dedup.WINDOW_S)]
    resp = await store.es.msearch(searches=body)
    out = []
    for r in resp["responses"]:
        if "error" in r:
            raise RuntimeError(f"candidate search failed: {r['error']}")
        out.append([dedup.Features.from_json(h["_source"]["feat"]) for h in r["hits"]["hits"]])
    return out


async def recluster(store: Any, msgs: list[EventMessage]) -> None:
    from shared.store.elastic import member_ops

    es = store.es
    old = [h async for h in store._scan(
        store.members, {"terms": {"event_id": sorted({m.event_id for m in msgs})}},
        ["start_ts", "day", "all_day", "cluster_id"])]
    prior = {h["_id"]: h["_source"].get("cluster_id") for h in old}
    windows = [(h["_source"]["start_ts"], h["_source"]["day"], h["_source"]["all_day"])
               for h in old]
    new = member_ops(store.members, msgs)
    new_ids = {mid for mid, _ in new}
    ops: list[dict[str, Any]] = [{"delete": {"_index": store.members, "_id": h["_id"]}}
                                 for h in old if h["_id"] not in new_ids]
    for mid, src in new:
        ops += [{"index": {"_index": store.members, "_id": mid}}, src]
    await store._bulk(ops, missing_ok=True)
    await es.indices.refresh(index=store.members)

    reached = {mid: dedup.Features.from_json(src["feat"]) for mid, src in new}
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
    groups = dedup.clusters(reached.values(), pairs)

    docs: dict[str, dict[str, Any]] = {}
    old_of: dict[str, str | None] = {}
    ids = sorted(reached)
    for i in range(0, len(ids), 1000):
        resp = await es.mget(index=store.members, ids=ids[i:i + 1000],
                             source=["cluster_id", "doc"])
        for d in resp["docs"]:
            if d.get("found"):
                old_of[d["_id"]] = prior.get(d["_id"], d["_source"].get("cluster_id"))
                docs[d["_id"]] = d["_source"]["doc"]
    for mid, cid in prior.items():
        old_of.setdefault(mid, cid)
    deleted, dirty = dedup.cluster_changes(groups, old_of, new_ids)
    ops = [{"delete": {"_index": store.alias, "_id": cid}} for cid in sorted(deleted)]
    for group in dirty:
        canonical = merge([docs[m] for m in group])
        ops += [{"index": {"_index": store.alias, "_id": canonical["id"]}},
                _source(canonical)]
        for mid in group:
            ops += [{"update": {"_index": store.members, "_id": mid}},
                    {"doc": {"cluster_id": group[0]}}]
    if ops:
        await store._bulk(ops, missing_ok=True)


def _source(doc: dict[str, Any]) -> dict[str, Any]:
    from shared.store.elastic import es_source

    return es_source(doc)
