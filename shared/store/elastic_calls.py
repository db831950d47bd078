"""The store of calls for projects on Elasticsearch (same contract as the SQLite one).

One document per call in the index behind the alias ``C`` (``MAILLAGE_ES_CALLS_INDEX``,
:data:`shared.store.elastic_index.CALLS`): its highest version, a tombstone flag, its dates as
epoch seconds, the order it was first seen (``first_seq``) and its JSON. The meta index
``C-meta`` holds the writer lease and the ``first_seq`` counter.

Batches are applied under the lease, one writer at a time, as SQLite's write lock does: the
``first_seq`` numbers are reserved (the counter written) before the calls that carry them, so
a crash leaves a gap, never a number given twice, and a call is always visible after every
call numbered before it (one shard, one writer): the alert sender, which reads the calls
numbered after the last it delivered, never skips one. The call documents are written with
external versioning (version = message version), so the cluster itself refuses an older one.

Association tokens, team-up declarations and alerts stay in the SQLite file of
``MAILLAGE_CALLS_SQLITE_PATH`` (:mod:`shared.store.calls_members`), for the SQLite and the
Elasticsearch stores alike, until they move to the store of record (decision 0001).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elasticsearch import ApiError, AsyncElasticsearch, NotFoundError

from shared.calls import Call, CallKind, CallMessage
from shared.errors import RejectedMessages
from shared.store import elastic_index as ix
from shared.store import elastic_query as eq
from shared.store.base import Outcome, SearchPage
from shared.store.calls_base import CallQuery, CallSort, call_doc
from shared.store.calls_members import MEMBERS_SCHEMA, MembersMixin, SqliteFile
from shared.store.elastic_bulk import (
    ItemsRejected,
    StoreError,
    bulk,
    mget_sources,
    unwritable,
)
from shared.store.elastic_lease import Lease
from shared.store.sqlite_docs import index_text
from shared.text import stems

SEQ = "first_seq"
FACET_SIZE = 1000
#: CallQuery attribute -> the ASCII-lower-cased keyword its values are compared with.
NOCASE = (("funders", "funder_nocase"), ("perimeters", "perimeter_nocase"),
          ("quartiers", "quartier_nocase"), ("publishers", "publisher_nocase"))
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def nocase(value: str | None) -> str | None:
    """``value`` as SQLite's ``COLLATE NOCASE`` compares it (only ASCII letters folded)."""
    return value.translate(_ASCII_LOWER) if value is not None else None


def status_of(src: dict[str, Any], now: int) -> str:
    if src["deadline_ts"] <= now:
        return "closed"
    if src.get("opens_ts") is not None and src["opens_ts"] > now:
        return "upcoming"
    return "open"


def status_query(status: str, now: int) -> dict[str, Any]:
    """The calls of ``status`` at ``now`` (the SQLite store's ``STATUS_SQL``)."""
    if status == "closed":
        return {"range": {"deadline_ts": {"lte": now}}}
    running = {"range": {"deadline_ts": {"gt": now}}}
    if status == "upcoming":
        return {"bool": {"filter": [running, {"range": {"opens_ts": {"gt": now}}}]}}
    return {"bool": {"filter": [running], "must_not": [{"range": {"opens_ts": {"gt": now}}}]}}


def call_source(call: Call, version: int, seq: int, seen: str) -> dict[str, Any]:
    text = [call.title, call.description_text or call.description, call.funder,
            " ".join([*call.themes, call.quartier or "", call.perimeter])]
    return {
        "call_id": call.id, "publisher": call.publisher, "version": version, "deleted": False,
        "first_seq": seq, "first_seen": seen,
        "opens_ts": int(call.opens.timestamp()) if call.opens else None,
        "deadline_ts": int(call.deadline.timestamp()), "funder": call.funder,
        "perimeter": call.perimeter, "quartier": call.quartier,
        "publisher_nocase": nocase(call.publisher), "funder_nocase": nocase(call.funder),
        "perimeter_nocase": nocase(call.perimeter), "quartier_nocase": nocase(call.quartier),
        "themes": list(call.themes), "audiences": list(call.audiences),
        "text": " ".join(filter(None, (index_text(part) for part in text))),
        "data": call.to_dict(),
    }


def search_body(query: CallQuery) -> dict[str, Any]:
    now = int(query.now.timestamp())
    flt: list[dict[str, Any]] = [{"term": {"deleted": False}}]
    must: list[dict[str, Any]] = []
    words = stems(query.q) if query.q else []
    if words:
        must = eq.words_query("text", words)
    if query.statuses:
        flt.append({"bool": {"should": [status_query(s, now) for s in query.statuses],
                             "minimum_should_match": 1}})
    if query.deadline_before:
        flt.append({"range": {"deadline_ts": {"lt": int(query.deadline_before.timestamp())}}})
    if query.deadline_after:
        flt.append({"range": {"deadline_ts": {"gte": int(query.deadline_after.timestamp())}}})
    if query.after_seq is not None:
        flt.append({"range": {"first_seq": {"gt": query.after_seq}}})
    for attr, field in NOCASE:
        values = getattr(query, attr)
        if values:
            flt.append({"terms": {field: [nocase(v) for v in values]}})
    for attr in ("themes", "audiences"):
        values = getattr(query, attr)
        if values:
            flt.append({"terms": {attr: list(values)}})
    sort, shape = _sort(query, bool(words))
    body: dict[str, Any] = {"query": {"bool": {"filter": flt, "must": must}}, "sort": sort,
                            "size": query.limit + 1, "track_total_hits": True,
                            "_source": ["data", "first_seen", "first_seq", "deadline_ts",
                                        "opens_ts"]}
    if query.cursor:
        values = eq.decode_cursor(query.cursor, ("str", *shape))
        if values[0] != str(query.sort):
            raise ValueError("cursor does not belong to this search")
        body["search_after"] = values[1:]
    if query.facets:
        body["aggs"] = {
            **{name: {"terms": {"field": name, "size": FACET_SIZE,
                                "order": [{"_count": "desc"}, {"_key": "asc"}]}}
               for name in ("themes", "audiences", "funder", "perimeter", "quartier")},
            "status": {"filters": {"filters": {s: status_query(s, now)
                                               for s in ("open", "upcoming", "closed")}}},
        }
    return body


def _sort(query: CallQuery, ranked: bool) -> tuple[list[Any], tuple[str, ...]]:
    if query.sort == CallSort.NEW:
        return [{"first_seq": "desc"}], ("long",)
    if query.sort == CallSort.RELEVANCE and ranked:
        return ([{"_score": "desc"}, {"deadline_ts": "asc"}, {"call_id": "asc"}],
                ("number", "long", "str"))
    if query.sort == CallSort.DEADLINE and tuple(query.statuses) == ("closed",):
        return [{"deadline_ts": "desc"}, {"call_id": "asc"}], ("long", "str")
    return [{"deadline_ts": "asc"}, {"call_id": "asc"}], ("long", "str")


class ElasticCallStore(MembersMixin, SqliteFile):
    """:class:`~shared.store.calls_base.CallsStore` on Elasticsearch; members in SQLite."""

    def __init__(self, url: str, index: str, members_path: Path | str, *,
                 refresh: bool = False, replicas: int | None = None) -> None:
        SqliteFile.__init__(self, members_path, MEMBERS_SCHEMA)
        self.es = AsyncElasticsearch(url, request_timeout=30)
        self.alias = index
        self.meta = f"{index}-meta"
        self.refresh = refresh
        self.replicas = replicas
        self.lease = Lease(self.es, self.meta, "calls-writer")
        self._ready = False

    async def ensure(self) -> None:
        if self._ready:
            return
        for alias, definition in ((self.meta, ix.META), (self.alias, ix.CALLS)):
            if not await self.es.indices.exists_alias(name=alias):
                await ix.create(self.es, ix.versioned(alias), alias, definition, self.replicas)
        self._ready = True

    async def drop(self) -> None:
        names = await ix.concrete(self.es, [self.alias, self.meta])
        if names:
            await self.es.indices.delete(index=",".join(names), ignore_unavailable=True)
        self._ready = False

    async def reset(self) -> None:
        await self.drop()
        await self.ensure()

    async def close(self) -> None:
        await self.es.close()
        self.close_sync()

    # -- writing -------------------------------------------------------------------------

    async def apply(self, messages: Sequence[CallMessage]) -> list[Outcome]:
        refused = {i: f"refused for Elasticsearch: {why}" for i, msg in enumerate(messages)
                   if msg.kind != CallKind.HIDE_INTEREST
                   and (why := unwritable(msg.call_id, msg.version))}
        if refused:
            raise RejectedMessages(refused)
        await self.ensure()
        try:
            return await self._apply(messages)
        except (StoreError, ApiError):
            self._ready = False  # the indices may be gone: look again before the next batch
            raise

    async def _apply(self, messages: Sequence[CallMessage]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        async with self.lease.hold():
            ids = sorted({m.call_id for m in messages if m.kind != CallKind.HIDE_INTEREST})
            state = await self._stored(ids)
            changed: dict[str, int] = {}  # call id -> index of its last message
            news: list[str] = []
            for i, msg in enumerate(messages):
                outcomes.append(self._decide(msg, state, news))
                if outcomes[-1] != Outcome.STALE and msg.kind != CallKind.HIDE_INTEREST:
                    changed[msg.call_id] = i
            if changed:
                for cid in await self._write_calls(state, changed, news):
                    outcomes[changed[cid]] = Outcome.STALE
        return outcomes

    def _decide(self, msg: CallMessage, state: dict[str, dict[str, Any]],
                news: list[str]) -> Outcome:
        """The outcome of ``msg`` on ``state`` (updated in place, as SQLite's rows)."""
        if msg.kind == CallKind.HIDE_INTEREST:
            self._write_sqlite(msg)
            return Outcome.APPLIED
        row = state.get(msg.call_id)
        if row is not None and row["version"] >= msg.version:
            return Outcome.STALE
        retract = msg.kind == CallKind.RETRACT or msg.call is None
        if row is None or (row["deleted"] and not retract):  # new, or back after a withdrawal
            news.append(msg.call_id)
            seq, seen = -len(news), _now_iso()  # the len(news)-th number reserved
        else:
            seq, seen = row["first_seq"], row["first_seen"]
        if retract:
            state[msg.call_id] = {"call_id": msg.call_id, "publisher": msg.publisher,
                                  "version": msg.version, "deleted": True, "first_seq": seq,
                                  "first_seen": seen}
            return Outcome.RETRACTED
        assert msg.call is not None
        state[msg.call_id] = call_source(msg.call, msg.version, seq, seen)
        return Outcome.APPLIED

    def _write_sqlite(self, msg: CallMessage) -> None:
        self._write(lambda conn: self._hide_interest(conn, msg.call_id, msg.interest_id or ""))

    async def _write_calls(self, state: dict[str, dict[str, Any]], changed: dict[str, int],
                           news: list[str]) -> set[str]:
        """Reserve the new ``first_seq`` numbers, then write the changed calls; the calls
        found newer in the index than the message (written by another writer)."""
        base = await self._reserve(len(news)) if news else 0
        ops: list[dict[str, Any]] = []
        for cid in changed:
            src = dict(state[cid])
            if src["first_seq"] < 0:
                src["first_seq"] = base - src["first_seq"]
            ops += [{"index": {"_index": self.alias, "_id": cid, "version": src["version"],
                               "version_type": "external", "require_alias": True}}, src]
        await self.lease.check()
        try:
            results = await bulk(self.es, ops, refresh=self.refresh, conflicts_ok=True)
        except ItemsRejected as exc:
            refused = {item.id: item.reason for item in exc.items}
            raise RejectedMessages({changed[c]: r for c, r in refused.items()
                                    if c in changed}) from exc
        conflicted = [cid for cid, r in zip(changed, results, strict=True)
                      if r.get("status") == 409]
        now = await self._stored(conflicted) if conflicted else {}
        return {c for c in conflicted if now.get(c, {}).get("version", -1)
                > state[c]["version"]}

    async def _reserve(self, count: int) -> int:
        """Add ``count`` to the ``first_seq`` counter (under the lease, and conditional on
        the value read: a writer that lost the lease gets a 409); its old value."""
        current, seq = await self._counter()
        condition: dict[str, Any] = (
            {"op_type": "create"} if seq is None
            else {"if_seq_no": seq[0], "if_primary_term": seq[1]})
        await self.lease.check()
        await self.es.index(index=self.meta, id=SEQ, document={"value": current + count},
                            require_alias=True, refresh=True if self.refresh else None,
                            **condition)
        return current

    async def _counter(self) -> tuple[int, tuple[int, int] | None]:
        try:
            doc = await self.es.get(index=self.meta, id=SEQ)
        except NotFoundError:
            return 0, None
        return int(doc["_source"]["value"]), (doc["_seq_no"], doc["_primary_term"])

    async def _stored(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for i in range(0, len(ids), 1000):
            resp = await self.es.mget(index=self.alias, ids=ids[i:i + 1000],
                                      source_excludes=["text", "data"])
            out.update(mget_sources(resp["docs"]))
        return out

    # -- reading -------------------------------------------------------------------------

    async def get(self, cid: str, now: datetime | None = None) -> dict[str, Any] | None:
        await self.ensure()
        try:
            doc = await self.es.get(index=self.alias, id=cid)
        except NotFoundError:
            return None
        src = doc["_source"]
        if src.get("deleted"):
            return None
        moment = int((now or datetime.now(UTC)).timestamp())
        return call_doc(src["data"], status_of(src, moment), src["first_seen"],
                        src["first_seq"])

    async def count(self) -> int:
        await self.ensure()
        resp = await self.es.count(index=self.alias, query={"term": {"deleted": False}})
        return int(resp["count"])

    async def max_seq(self) -> int:
        await self.ensure()
        return (await self._counter())[0]

    async def search(self, query: CallQuery) -> SearchPage:
        body = search_body(query)  # a malformed cursor: ValueError before any request
        await self.ensure()
        resp = await self.es.search(index=self.alias, body=body)
        now = int(query.now.timestamp())
        hits = resp["hits"]["hits"]
        items = [call_doc(h["_source"]["data"], status_of(h["_source"], now),
                          h["_source"]["first_seen"], h["_source"]["first_seq"])
                 for h in hits[: query.limit]]
        page = SearchPage(total=resp["hits"]["total"]["value"], items=items)
        if len(hits) > query.limit:
            page.next = eq.encode_cursor([str(query.sort), *hits[query.limit - 1]["sort"]])
        if query.facets:
            aggs = resp["aggregations"]
            page.facets = {name: [{"value": b["key"], "count": b["doc_count"]}
                                  for b in aggs[name]["buckets"]]
                           for name in ("themes", "audiences", "funder", "perimeter",
                                        "quartier")}
            counts = [(s, b["doc_count"]) for s, b in aggs["status"]["buckets"].items()
                      if b["doc_count"]]
            page.facets["status"] = [{"value": s, "count": n} for s, n in
                                     sorted(counts, key=lambda c: (-c[1], c[0]))]
        return page


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
