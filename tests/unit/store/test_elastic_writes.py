"""The Elasticsearch store's write path against a stand-in node (``fake_elastic``).

The stand-in makes writes visible to searches only at a refresh, as Elasticsearch does
between two refreshes, while get and mget are real time: what a batch reads of the previous
ones must come from a refresh or from a real-time read.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared.errors import RejectedMessages
from shared.store import elastic_bulk
from shared.store.base import Outcome
from shared.store.elastic import ElasticStore
from shared.store.elastic_bulk import StoreError
from tests.contract.conftest import Factory
from tests.unit.store.fake_elastic import Doc, EsError, FakeElastic, running


def canonical(fake: FakeElastic) -> dict[str, dict[str, Any]]:
    """The canonical documents of alias ``t``: id -> the document."""
    return {k: v["doc"] for k, v in fake.all_docs("t").items()}


def titles(fake: FakeElastic) -> list[str]:
    return sorted(d["title"] for d in canonical(fake).values())


def members_of(fake: FakeElastic) -> dict[str, Any]:
    return fake.all_docs("t-members")


async def test_versions_are_written_last_with_external_versioning() -> None:
    async with running() as fake:
        store = ElasticStore(fake.url, "t")
        make = Factory()
        ev = make.event("a", "Concert")
        await store.apply([make.upsert(ev, 7)])
        bulks = [r.body for r in fake.calls("_bulk")]
        assert next(iter(bulks[0][0].values()))["_index"] == "t-members"
        last = bulks[-1]
        assert last[0] == {"index": {"_index": "t-events", "_id": ev.id, "version": 7,
                                     "version_type": "external", "require_alias": True}}
        assert last[1]["version"] == 7 and last[1]["deleted"] is False
        assert last[1]["data"]["title"] == "Concert"  # kept to put the event back if needed
        await store.close()


async def test_a_rescheduled_event_right_after_its_first_version_leaves_no_old_document(
) -> None:
    # nothing refreshes between the two batches: the second must still see the cluster id
    # the first one gave the old occurrence
    async with running() as fake:
        store = ElasticStore(fake.url, "t")
        make = Factory()
        ev = make.event("a", "Bal folk", hour=18)
        await store.apply([make.upsert(ev)])
        await store.apply([make.upsert(ev.with_(occurrences=make.event(
            "a", hour=21).occurrences))])
        (doc,) = canonical(fake).values()
        assert doc["start_ts"] == int(make.at(0, 21).timestamp())
        assert len(members_of(fake)) == 1
        await store.close()


async def test_a_writer_dying_between_members_and_documents_is_repaired_by_the_next_batch(
) -> None:
    async with running() as fake:
        store = ElasticStore(fake.url, "t")
        make = Factory()
        a = make.event("a", "Bal folk", source="ics")
        b = make.event("a", "Bal folk", source="rss", source_format="rss")
        await store.apply([make.upsert(a), make.upsert(b)])
        assert len(canonical(fake)) == 1
        bulks = {"n": 0}

        def die_on_the_document_write(rec) -> None:
            if rec.path == "/_bulk":
                bulks["n"] += 1
                if bulks["n"] == 2:  # after the members, before the documents
                    raise ConnectionResetError("the indexer was killed")

        fake.before.append(die_on_the_document_write)
        moved = a.with_(title="Conférence sur le climat", occurrences=make.event(
            "a", day=3).occurrences)
        with pytest.raises(Exception):  # noqa: B017 (the request died: any error)
            await store.apply([make.upsert(moved)])
        fake.before.clear()
        assert "journal" in fake.all_docs("t-meta")
        # the redelivered message is superseded meanwhile: a newer version is what comes
        newer = moved.with_(title="Conférence sur le climat, reportée")
        assert await store.apply([make.upsert(newer)]) == [Outcome.APPLIED]
        assert titles(fake) == ["Bal folk", "Conférence sur le climat, reportée"]
        by_id = canonical(fake)
        for mid, member in members_of(fake).items():
            assert member["cluster_id"] in by_id, mid  # every member has its document
        for doc in by_id.values():  # and every document its members
            assert set(doc["members"]) <= set(members_of(fake))
        assert "journal" not in fake.all_docs("t-meta")
        await store.close()


async def test_a_document_refused_for_its_content_names_its_message_and_puts_it_back(
) -> None:
    async with running() as fake:
        store = ElasticStore(fake.url, "t")
        make = Factory()
        good = make.event("good", "Atelier vélo", hour=9)
        was = make.event("bad", "Concert de jazz", hour=20)
        await store.apply([make.upsert(good), make.upsert(was, 10)])
        fake.reject(lambda index, _id, src: "immense term in [keywords]"
                    if "x" * 40_000 in (src.get("doc") or {}).get("keywords", []) else None)
        poison = was.with_(title="Concert de rock", keywords=("x" * 40_000,))
        other = make.event("other", "Vide-grenier", hour=11)
        with pytest.raises(RejectedMessages) as caught:
            await store.apply([make.upsert(other), make.upsert(poison, 11)])
        assert list(caught.value.reasons) == [1]
        assert "immense term" in caught.value.reasons[1]
        # the refused event is back as it was stored, the other one applies on its own
        assert await store.apply([make.upsert(other)]) == [Outcome.APPLIED]
        assert titles(fake) == ["Atelier vélo", "Concert de jazz", "Vide-grenier"]
        assert fake.source("t-events", was.id)["version"] == 10
        assert "journal" not in fake.all_docs("t-meta")
        await store.close()


async def test_a_new_event_refused_for_its_content_leaves_nothing_behind() -> None:
    async with running() as fake:
        store = ElasticStore(fake.url, "t")
        make = Factory()
        fake.reject(lambda index, _id, src: "document_parsing_exception"
                    if (src.get("doc") or {}).get("title") == "Poison" else None)
        with pytest.raises(RejectedMessages):
            await store.apply([make.upsert(make.event("p", "Poison"))])
        assert canonical(fake) == {} and members_of(fake) == {}
        assert fake.all_docs("t-events") == {}
        await store.close()


async def test_a_newer_version_written_meanwhile_is_not_overwritten_and_outcome_is_stale(
) -> None:
    async with running() as fake:
        store = ElasticStore(fake.url, "t")
        make = Factory()
        ev = make.event("a", "Titre ancien")
        await store.apply([make.upsert(ev, 10)])
        newer = ev.with_(title="Titre du plus récent")

        def another_writer_first(rec) -> None:  # one that lost track of the lease
            if rec.path == "/_bulk" and rec.body[0].get("index", {}).get("_index") == \
                    "t-events" and fake.source("t-events", ev.id)["version"] == 10:
                index = fake.indices["t-events-v1"]
                index.seq += 1
                index.docs[ev.id] = Doc({"source_id": ev.source_id, "version": 30,
                                         "deleted": False, "data": newer.to_dict()},
                                        index.seq, 30)

        fake.before.append(another_writer_first)
        outcome = await store.apply([make.upsert(ev.with_(title="Titre moyen"), 20)])
        assert outcome == [Outcome.STALE]  # not "applied": the 409 is not swallowed
        assert titles(fake) == ["Titre du plus récent"]  # the newer content put back
        assert fake.source("t-events", ev.id)["version"] == 30
        await store.close()


async def test_a_conflict_with_our_own_version_is_an_applied_retry() -> None:
    # the version write is applied, its answer lost (503): the client sends it again and
    # gets a 409 for a version equal to ours, which is the same write, not a conflict
    async with running() as fake:
        store = ElasticStore(fake.url, "t")
        make = Factory()
        lost = {"done": False}

        def apply_then_answer_503(rec) -> None:
            if rec.path == "/_bulk" and rec.body[0].get("index", {}).get("_index") == \
                    "t-events" and not lost["done"]:
                lost["done"] = True
                fake._bulk(rec.body, rec.params)
                raise EsError(503, "unavailable_shards_exception", "answer lost")

        fake.before.append(apply_then_answer_503)
        assert await store.apply([make.upsert(make.event("a", "Concert"), 10)]) == [
            Outcome.APPLIED]
        assert lost["done"] and titles(fake) == ["Concert"]
        await store.close()


async def test_large_batches_are_split_into_bounded_bulk_requests(monkeypatch) -> None:
    monkeypatch.setattr(elastic_bulk, "CHUNK_BYTES", 20_000)
    async with running() as fake:
        store = ElasticStore(fake.url, "t")
        make = Factory()
        events = [make.event(f"e{i}", f"Atelier {i}", hour=8 + i % 10,
                             description="texte " * 300) for i in range(12)]
        await store.apply([make.upsert(e) for e in events])
        sizes = [sum(len(str(line)) for line in r.body) for r in fake.calls("_bulk")]
        assert len(sizes) > 3
        assert len(canonical(fake)) == 12
        await store.close()


async def test_items_refused_with_429_are_sent_again() -> None:
    async with running() as fake:
        store = ElasticStore(fake.url, "t")
        await store.ensure()
        original = fake._write
        busy = {"answered": False}

        def busy_once(kind, meta, body):
            if not busy["answered"]:
                busy["answered"] = True
                return {"_index": "t-v1", "_id": "x", "status": 429,
                        "error": {"type": "es_rejected_execution_exception", "reason": "busy"}}
            return original(kind, meta, body)

        fake._write = busy_once
        await elastic_bulk.bulk(store.es, [{"index": {"_index": "t", "_id": "x"}}, {"a": 1}])
        assert fake.source("t", "x") == {"a": 1}
        assert len(fake.calls("_bulk")) == 2
        await store.close()


async def test_items_failing_for_the_store_are_a_store_error_for_a_retry() -> None:
    async with running() as fake:
        store = ElasticStore(fake.url, "t")
        await store.ensure()
        original = fake._write

        def read_only(kind, meta, body):
            return {"_index": "t-v1", "_id": meta["_id"], "status": 403,
                    "error": {"type": "cluster_block_exception", "reason": "read-only"}}

        fake._write = read_only
        with pytest.raises(StoreError):
            await elastic_bulk.bulk(store.es, [{"index": {"_index": "t", "_id": "x"}},
                                               {"a": 1}])
        fake._write = original
        await store.close()


# -- mget: a document the cluster cannot read is a failure, never "not found" ------------

async def test_an_unreadable_version_fails_the_batch_before_any_write() -> None:
    # Elasticsearch answers an mget whose shard is down with a 200 and an ``error`` in place
    # of each document: read as "absent", an older message looked new and overwrote the
    # members and the canonical document, and the versions, written last, then failed
    async with running() as fake:
        store = ElasticStore(fake.url, "t", refresh=True)
        make = Factory()
        ev = make.event("a", "Concert du soir")
        await store.apply([make.upsert(ev, 20)])
        fake.unavailable.add("t-events-v1")
        bulks = len(fake.calls("_bulk"))
        with pytest.raises(StoreError, match="no_shard_available_action_exception"):
            await store.apply([make.upsert(ev.with_(title="Ancien titre"), 10)])
        assert len(fake.calls("_bulk")) == bulks  # nothing written
        assert titles(fake) == ["Concert du soir"]
        fake.unavailable.clear()
        assert await store.apply([make.upsert(ev.with_(title="Ancien titre"), 10)]) == [
            Outcome.STALE]
        await store.close()


async def test_an_unreadable_member_fails_the_batch() -> None:
    async with running() as fake:
        store = ElasticStore(fake.url, "t", refresh=True)
        make = Factory()
        await store.apply([make.upsert(make.event("a", "Bal folk"))])

        def members_down(rec) -> None:
            if rec.path == "/t-members/_mget":
                fake.unavailable.add("t-members-v1")

        fake.before.append(members_down)
        with pytest.raises(StoreError, match="mget of"):
            await store.apply([make.upsert(make.event("b", "Bal folk", source="s2"))])
        await store.close()


# -- what Elasticsearch refuses for a whole bulk request is one message's fault ------------

@pytest.mark.parametrize(("event_id", "version", "why"), [
    ("ev_" + "x" * 510, 5, "id of 513 bytes"),  # IndexRequest: ids of 512 bytes at most
    ("ev_" + "é" * 255, 5, "id of 513 bytes"),  # bytes, not characters
    ("", 5, "an empty id"),
    ("ev_big", 2**63, "version 9223372036854775808"),  # past a long
])
async def test_a_message_elasticsearch_refuses_as_a_request_is_dead_lettered_alone(
        event_id, version, why) -> None:
    # BulkRequest.validate refuses the whole request for one of them (400
    # action_request_validation_exception, not a per-item error): the batch failed and
    # was retried forever, the stream blocked behind it
    async with running() as fake:
        store = ElasticStore(fake.url, "t", refresh=True)
        make = Factory()
        good = make.upsert(make.event("a", "Atelier vélo"))
        bad = make.upsert(make.event("b", "Poison"), version)
        bad = type(bad)(bad.kind, event_id, bad.source_id, version, bad.event, None)
        with pytest.raises(RejectedMessages) as refused:
            await store.apply([good, bad])
        assert list(refused.value.reasons) == [1]
        assert why in refused.value.reasons[1]
        assert not fake.calls("_bulk")  # refused before any write
        assert await store.apply([good]) == [Outcome.APPLIED]
        assert titles(fake) == ["Atelier vélo"]
        await store.close()


# -- a per-item 400 is the document's fault only when it is about the document -------------

def two_indices_no_writer(fake: FakeElastic) -> None:
    fake.indices["t-meta-v2"] = fake.indices["t-meta-v1"].__class__({}, {})
    fake.aliases["t-meta"] = {"t-meta-v1": {}, "t-meta-v2": {}}


@pytest.mark.parametrize(("break_it", "error"), [
    (lambda fake: fake.closed.add("t-meta-v1"), "index_closed_exception"),
    (two_indices_no_writer, "no write index is defined for alias"),
])
async def test_the_bulk_helper_sorts_store_faults_from_document_faults(break_it, error) -> None:
    # a closed index (IndexClosedException) and an alias without a write index (an
    # IllegalArgumentException) are 400s in the bulk items too: taken for documents the
    # cluster refused, they sent good messages to the dead-letter stream (the events
    # store's restoring happened to turn them into a retry; nothing else did)
    async with running() as fake:
        store = ElasticStore(fake.url, "t")
        await store.ensure()
        break_it(fake)
        with pytest.raises(StoreError, match=error) as failed:
            await elastic_bulk.bulk(store.es, [
                {"index": {"_index": "t-meta", "_id": "x", "require_alias": True}}, {"a": 1},
                {"delete": {"_index": "t-meta", "_id": "y"}}])
        assert not isinstance(failed.value, elastic_bulk.ItemsRejected)
        fake.closed.clear()
        fake.aliases["t-meta"] = {"t-meta-v1": {"is_write_index": True}}
        fake.reject(lambda index, _id, src: "document_parsing_exception: bad" if src.get(
            "a") == 2 else None)
        with pytest.raises(elastic_bulk.ItemsRejected):
            await elastic_bulk.bulk(store.es, [
                {"index": {"_index": "t-meta", "_id": "x", "require_alias": True}}, {"a": 2}])
        await store.close()


async def test_an_integer_over_64_bits_is_written_not_a_failed_batch() -> None:
    # a source's JSON may carry one in an event's ``extra``; orjson refuses it, JSON does not
    async with running() as fake:
        store = ElasticStore(fake.url, "t")
        await store.ensure()
        huge = 2**70
        await elastic_bulk.bulk(store.es, [{"index": {"_index": "t", "_id": "x"}},
                                           {"extra": {"id": huge}}])
        assert fake.source("t", "x") == {"extra": {"id": huge}}
        await store.close()
