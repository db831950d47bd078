"""The Elasticsearch store's indices against a stand-in node: creation, races, drop, aliases.

Each test reads the requests the official client sent (``fake_elastic``), as Elasticsearch 9
would receive them.
"""

from __future__ import annotations

import asyncio

import pytest

from shared.store.elastic import ElasticStore
from shared.store.elastic_bulk import StoreError
from shared.store.elastic_calls import ElasticCallStore
from shared.store.elastic_index import DOCS, EVENTS
from tests.contract.conftest import Factory
from tests.unit.store.fake_elastic import running

ALIASES = ("t", "t-events", "t-members", "t-meta")


async def test_each_index_is_created_with_its_alias_and_mappings_in_one_request() -> None:
    async with running() as fake:
        store = ElasticStore(fake.url, "t", replicas=0)
        await store.ensure()
        creations = {r.path.strip("/"): r.body for r in fake.requests if r.method == "PUT"}
        assert set(creations) == {"t-v1", "t-events-v1", "t-members-v1", "t-meta-v1"}
        assert creations["t-v1"]["aliases"] == {"t": {"is_write_index": True}}
        assert creations["t-v1"]["mappings"] == DOCS["mappings"]
        assert creations["t-events-v1"]["mappings"] == EVENTS["mappings"]
        assert creations["t-v1"]["settings"]["number_of_replicas"] == 0
        assert not fake.calls("_index_template")  # no template to collide with another one
        await store.close()


async def test_two_processes_starting_at_once_leave_one_index_per_alias() -> None:
    async with running() as fake:
        stores = [ElasticStore(fake.url, "t") for _ in range(3)]
        await asyncio.gather(*(s.ensure() for s in stores))
        for alias in ALIASES:
            assert len(fake.aliases[alias]) == 1, alias
        refused = [r for r in fake.requests if r.method == "PUT"]
        assert len(refused) > 4  # the later creations were answered 400, and that is fine
        for s in stores:
            await s.close()


async def test_an_index_already_created_by_another_process_is_not_an_error() -> None:
    async with running() as fake:
        first, second = ElasticStore(fake.url, "t"), ElasticStore(fake.url, "t")
        await first.ensure()
        # the second saw no alias a moment ago, and creates now: resource_already_exists
        fake.aliases.pop("t")
        await second.ensure()
        fake.aliases["t"] = {"t-v1": {"is_write_index": True}}
        assert list(fake.indices).count("t-v1") == 1
        await first.close()
        await second.close()


async def test_drop_deletes_indices_by_name_never_by_wildcard() -> None:
    async with running() as fake:
        store = ElasticStore(fake.url, "t")
        await store.ensure()
        await store.es.indices.create(index="t-v7")  # left by an interrupted reindex
        await store.es.indices.create(index="t-vitrine-v1")  # another store's, kept
        await store.drop()
        deletes = [r for r in fake.requests if r.method == "DELETE"]
        assert deletes and all("*" not in r.path for r in deletes)
        assert set(fake.indices) == {"t-vitrine-v1"}
        await store.close()


async def test_reset_empties_the_store_through_a_named_delete() -> None:
    async with running() as fake:
        store = ElasticStore(fake.url, "t")
        make = Factory()
        await store.apply([make.upsert(make.event("a"))])
        await store.reset()
        assert await store.count() == 0
        assert fake.all_docs("t-events") == {}
        await store.close()


async def test_every_write_names_an_alias_and_requires_it() -> None:
    async with running() as fake:
        store = ElasticStore(fake.url, "t")
        make = Factory()
        await store.apply([make.upsert(make.event("a")), make.upsert(make.event("b", hour=9))])
        actions = [line for r in fake.calls("_bulk") for line in r.body
                   if len(line) == 1 and next(iter(line)) in ("index", "create", "update")]
        assert actions
        for action in actions:
            meta = next(iter(action.values()))
            assert meta["_index"] in ALIASES and meta["require_alias"] is True, action
        singles = [r for r in fake.requests if r.method == "PUT" and "/_doc/" in r.path]
        assert singles and all(r.params.get("require_alias") == "true" for r in singles)
        await store.close()


async def test_a_write_racing_a_drop_fails_and_creates_no_plain_index() -> None:
    async with running() as fake:
        store = ElasticStore(fake.url, "t")
        make = Factory()
        await store.apply([make.upsert(make.event("a"))])

        def drop_everything(rec) -> None:  # another process drops the store meanwhile
            if rec.path == "/_bulk" and fake.indices:
                fake.indices.clear()
                fake.aliases.clear()

        fake.before.append(drop_everything)
        with pytest.raises(StoreError):
            await store.apply([make.upsert(make.event("b"))])
        assert fake.indices == {}  # no index auto-created under an alias's name
        fake.before.clear()
        # the next batch checks the indices again and recreates them properly
        assert await store.apply([make.upsert(make.event("c"))]) == ["applied"]
        assert set(fake.aliases) == set(ALIASES)
        assert not any(index.auto_created for index in fake.indices.values())
        await store.close()


async def test_bulk_item_refused_for_a_missing_alias_is_a_store_error_not_a_new_index() -> None:
    async with running() as fake:
        store = ElasticStore(fake.url, "t")
        await store.ensure()
        from shared.store.elastic_bulk import bulk

        with pytest.raises(StoreError):
            await bulk(store.es, [{"index": {"_index": "t-gone", "_id": "x",
                                             "require_alias": True}}, {"a": 1}])
        assert "t-gone" not in fake.indices
        await store.close()


async def test_calls_store_indices_are_created_and_dropped_the_same_way(tmp_path) -> None:
    async with running() as fake:
        store = ElasticCallStore(fake.url, "c", tmp_path / "members.sqlite")
        await store.ensure()
        assert fake.aliases["c"] == {"c-v1": {"is_write_index": True}}
        assert "c-meta" in fake.aliases
        await store.drop()
        assert fake.indices == {}
        assert all("*" not in r.path for r in fake.requests if r.method == "DELETE")
        await store.close()
