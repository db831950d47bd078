"""The Elasticsearch calls store's requests, against a stand-in node (``fake_elastic``).

Its behaviour is the calls contract (tests/contract/test_calls_contract.py, which runs it on
the stand-in too); here, the exact requests: the lease, the ``first_seq`` numbers reserved
before the calls that carry them, external versions, the filters and sorts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.calls import Call, CallKind, CallMessage
from shared.errors import RejectedMessages
from shared.store import elastic_query as eq
from shared.store.calls_base import CallQuery, CallSort
from shared.store.elastic_bulk import StoreError
from shared.store.elastic_calls import ElasticCallStore, search_body, status_query
from tests.unit.store.fake_elastic import running

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def call(pid: str, **kw) -> Call:
    kw.setdefault("title", "Jardins solidaires")
    return Call.create(publisher="ville", publisher_id=pid, funder="Ville de Rennes",
                       deadline=NOW + timedelta(days=30), **kw)


async def test_numbers_are_reserved_before_the_calls_that_carry_them(tmp_path: Path) -> None:
    async with running() as fake:
        store = ElasticCallStore(fake.url, "c", tmp_path / "m.sqlite")
        await store.apply([CallMessage.upsert(call("a"), 1), CallMessage.upsert(call("b"), 1)])
        writes = [r for r in fake.requests if r.method == "PUT" and "/_doc/" in r.path
                  or r.path == "/_bulk"]
        names = [r.path for r in writes]
        counter = names.index("/c-meta/_doc/first_seq")
        assert counter < names.index("/_bulk")
        assert writes[counter].body == {"value": 2}
        assert writes[counter].params["require_alias"] == "true"
        assert writes[counter].params["op_type"] == "create"  # no counter yet
        await store.apply([CallMessage.upsert(call("c"), 1)])
        again = [r for r in fake.requests if r.path == "/c-meta/_doc/first_seq"
                 and r.method == "PUT"][-1]
        assert {"if_seq_no", "if_primary_term"} <= set(again.params)  # compare-and-set
        (bulk,) = [r.body for r in writes if r.path == "/_bulk"]
        assert bulk[0] == {"index": {"_index": "c", "_id": call("a").id, "version": 1,
                                     "version_type": "external", "require_alias": True}}
        assert [bulk[1]["first_seq"], bulk[3]["first_seq"]] == [1, 2]
        lease = [r for r in fake.requests
                 if r.path == "/c-meta/_doc/calls-writer" and r.method == "PUT"]
        assert lease[0].params["op_type"] == "create"
        await store.close()


async def test_a_batch_that_died_after_its_reservation_leaves_a_gap_not_a_reuse(
        tmp_path: Path) -> None:
    async with running() as fake:
        store = ElasticCallStore(fake.url, "c", tmp_path / "m.sqlite")
        await store.apply([CallMessage.upsert(call("a"), 1)])

        def die(rec) -> None:
            if rec.path == "/_bulk":
                raise ConnectionResetError("killed")

        fake.before.append(die)
        with pytest.raises(Exception):  # noqa: B017 (the request died: any error)
            await store.apply([CallMessage.upsert(call("b"), 1)])
        fake.before.clear()
        await store.apply([CallMessage.upsert(call("c"), 1)])
        assert fake.source("c", call("c").id)["first_seq"] == 3  # 2 was reserved, then lost
        assert await store.max_seq() == 3
        await store.close()


async def test_an_old_hide_message_touches_neither_the_index_nor_the_members_file(
        tmp_path: Path) -> None:
    """Interests are records of the store of record now: a hide message left in the stream
    from before is applied as a no-op."""
    async with running() as fake:
        store = ElasticCallStore(fake.url, "c", tmp_path / "m.sqlite")
        c = call("a")
        await store.apply([CallMessage.upsert(c, 1)])
        bulks = len(fake.calls("_bulk"))
        hide = CallMessage(CallKind.HIDE_INTEREST, c.id, "ville", 2, interest_id="in_x")
        assert await store.apply([hide]) == ["applied"]
        assert len(fake.calls("_bulk")) == bulks
        await store.close()


def test_statuses_are_ranges_on_the_dates() -> None:
    now = 1_000
    assert status_query("closed", now) == {"range": {"deadline_ts": {"lte": now}}}
    assert status_query("upcoming", now) == {"bool": {"filter": [
        {"range": {"deadline_ts": {"gt": now}}}, {"range": {"opens_ts": {"gt": now}}}]}}
    assert status_query("open", now) == {"bool": {
        "filter": [{"range": {"deadline_ts": {"gt": now}}}],
        "must_not": [{"range": {"opens_ts": {"gt": now}}}]}}


def test_search_body_filters_as_the_sqlite_store_does() -> None:
    body = search_body(CallQuery(now=NOW, q="jardins partagés", funders=("VILLE de Rennes",),
                                 themes=("culture",), after_seq=4, statuses=()))
    flt = body["query"]["bool"]["filter"]
    assert {"terms": {"funder_nocase": ["ville de rennes"]}} in flt
    assert {"terms": {"themes": ["culture"]}} in flt
    assert {"range": {"first_seq": {"gt": 4}}} in flt
    assert {"term": {"deleted": False}} in flt
    assert body["query"]["bool"]["must"][0] == {"term": {"text": "jardin"}}
    assert body["sort"] == [{"deadline_ts": "asc"}, {"call_id": "asc"}]


@pytest.mark.parametrize(("sort", "statuses", "expected"), [
    (CallSort.NEW, ("open",), [{"first_seq": "desc"}]),
    (CallSort.DEADLINE, ("closed",), [{"deadline_ts": "desc"}, {"call_id": "asc"}]),
    (CallSort.RELEVANCE, ("open",), [{"_score": "desc"}, {"deadline_ts": "asc"},
                                     {"call_id": "asc"}]),
])
def test_sorts(sort, statuses, expected) -> None:
    assert search_body(CallQuery(now=NOW, q="jardin", sort=sort,
                                 statuses=statuses))["sort"] == expected


def test_cursor_names_its_sort_and_carries_its_values() -> None:
    cursor = eq.encode_cursor(["deadline", 1_700_000_000, "cp_1"])
    body = search_body(CallQuery(now=NOW, cursor=cursor))
    assert body["search_after"] == [1_700_000_000, "cp_1"]
    for wrong in (["new", 1_700_000_000, "cp_1"], ["deadline", "x", "cp_1"],
                  ["deadline", 1_700_000_000]):
        with pytest.raises(ValueError):
            search_body(CallQuery(now=NOW, cursor=eq.encode_cursor(wrong)))


async def test_an_unreadable_call_fails_the_batch_and_keeps_its_number(
        tmp_path: Path) -> None:
    # the mget of a shard relocating answers an ``error`` per document in a 200: read as
    # "absent", the stored call took a new ``first_seq`` (an alert sent twice) and lost its
    # ``first_seen``
    async with running() as fake:
        store = ElasticCallStore(fake.url, "c", tmp_path / "m.sqlite")
        await store.apply([CallMessage.upsert(call("a"), 1)])
        seen = fake.source("c", call("a").id)["first_seen"]
        fake.unavailable.add("c-v1")

        def back_for_the_write(rec) -> None:
            if rec.path in ("/c-meta/_doc/first_seq", "/_bulk"):
                fake.unavailable.clear()

        fake.before.append(back_for_the_write)
        with pytest.raises(StoreError, match="no_shard_available_action_exception"):
            await store.apply([CallMessage.upsert(call("a", title="Jardins partagés"), 2)])
        assert await store.max_seq() == 1
        stored = fake.source("c", call("a").id)
        assert (stored["first_seq"], stored["first_seen"], stored["version"]) == (1, seen, 1)
        assert await store.apply([CallMessage.upsert(call("a", title="Jardins partagés"),
                                                     2)]) == ["applied"]
        assert fake.source("c", call("a").id)["first_seq"] == 1
        await store.close()


async def test_a_deleted_calls_index_is_created_again_by_the_next_batch(
        tmp_path: Path) -> None:
    async with running() as fake:
        store = ElasticCallStore(fake.url, "c", tmp_path / "m.sqlite")
        await store.apply([CallMessage.upsert(call("a"), 1)])
        await store.es.indices.delete(index="c-v1")  # another process dropped it
        with pytest.raises(StoreError):
            await store.apply([CallMessage.upsert(call("b"), 1)])
        assert await store.apply([CallMessage.upsert(call("b"), 1)]) == ["applied"]
        assert fake.source("c", call("b").id)["version"] == 1
        await store.close()


@pytest.mark.parametrize(("version", "why"), [
    (-1, "version -1"), (2**63, "version 9223372036854775808")])
async def test_a_version_elasticsearch_refuses_as_a_request_is_dead_lettered_alone(
        tmp_path: Path, version: int, why: str) -> None:
    # an external version below 0 (VersionType.EXTERNAL) or past a long fails the whole
    # bulk request with a 400: the calls stream blocked behind the message
    async with running() as fake:
        store = ElasticCallStore(fake.url, "c", tmp_path / "m.sqlite")
        with pytest.raises(RejectedMessages) as refused:
            await store.apply([CallMessage.upsert(call("a"), 1),
                               CallMessage.upsert(call("b"), version)])
        assert list(refused.value.reasons) == [1] and why in refused.value.reasons[1]
        assert not fake.calls("_bulk")
        assert await store.apply([CallMessage.upsert(call("a"), 1)]) == ["applied"]
        await store.close()
