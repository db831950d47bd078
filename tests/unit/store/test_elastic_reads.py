"""The Elasticsearch store's reads against a stand-in node (``fake_elastic``): suggestions,
related documents, paging past a result window, points in time, cursors, text fields."""

from __future__ import annotations

import pytest

from shared.store import elastic_query as eq
from shared.store.base import SearchQuery
from shared.store.elastic import ElasticStore, es_source
from shared.store.sqlite_docs import index_text
from tests.contract.conftest import Factory
from tests.unit.store.fake_elastic import running


async def test_suggested_tags_are_counted_over_every_upcoming_document() -> None:
    async with running() as fake:
        store = ElasticStore(fake.url, "t", refresh=True)
        make = Factory()
        await store.apply([
            make.upsert(make.event("a", "Atelier du samedi", keywords=("réparation vélo",))),
            make.upsert(make.event("b", "Atelier du dimanche", hour=10,
                                   keywords=("réparation vélo",))),
            make.upsert(make.event("c", "Réparer son grille-pain", hour=11,
                                   keywords=("réparer ensemble",))),
        ])
        got = await store.suggest("répar", limit=2)
        # the first keyword is on two documents whose titles do not match the prefix
        assert got == [{"text": "réparation vélo", "kind": "keyword"},
                       {"text": "réparer ensemble", "kind": "keyword"}]
        (search,) = fake.calls("/t/_search")
        assert "post_filter" in search.body and "aggs" in search.body
        await store.close()


async def test_a_recurring_title_takes_one_suggestion_not_the_whole_window() -> None:
    async with running() as fake:
        store = ElasticStore(fake.url, "t", refresh=True)
        make = Factory()
        weekly = make.event("w", "Atelier vélo", starts=[make.at(d, 9) for d in range(40)])
        await store.apply([make.upsert(weekly),
                           make.upsert(make.event("c", "Atelier couture", day=41))])
        got = await store.suggest("atel", limit=8)
        assert [s["text"] for s in got] == ["Atelier vélo", "Atelier couture"]
        await store.close()


async def test_related_keeps_the_nearest_of_many_equally_good_documents() -> None:
    async with running() as fake:
        store = ElasticStore(fake.url, "t", refresh=True)
        make = Factory()
        base = make.event("base", "Concert", day=5, themes=("musique",))
        # 30 documents score the same; the far ones are written (and so listed) first
        others = [make.event(f"o{i}", f"Autre {i}", day=5 + (12 - i % 13) * (1 if i % 2
                             else -1) // 2, hour=8 + i % 10, themes=("musique",))
                  for i in range(30)]
        await store.apply([make.upsert(e) for e in (*others[::-1], base)])
        (doc,) = await store.event_docs(base.id)
        related = await store.related(doc, limit=6)
        start = doc["start_ts"]
        gaps = sorted(abs(d["start_ts"] - start) for d in
                      [x["doc"] for x in fake.all_docs("t").values() if x["id"] != doc["id"]])
        assert [abs(d["start_ts"] - start) for d in related] == gaps[:6]
        await store.close()


async def test_every_occurrence_of_an_event_is_read_past_the_result_window(monkeypatch) -> None:
    monkeypatch.setattr(eq, "PAGE", 3, raising=False)
    async with running() as fake:
        fake.max_window = 4  # index.max_result_window, tiny here
        store = ElasticStore(fake.url, "t", refresh=True)
        make = Factory()
        ev = make.event("w", "Atelier", starts=[make.at(d, 9) for d in range(7)])
        await store.apply([make.upsert(ev)])
        docs = await store.event_docs(ev.id)
        assert len(docs) == 7
        assert [d["start_ts"] for d in docs] == sorted(d["start_ts"] for d in docs)
        await store.close()


async def test_dedup_candidates_are_read_past_the_result_window(monkeypatch) -> None:
    monkeypatch.setattr(eq, "PAGE", 2, raising=False)
    async with running() as fake:
        fake.max_window = 3
        store = ElasticStore(fake.url, "t", refresh=True)
        make = Factory()
        copies = [make.event("x", "Bal folk", source=f"s{i}", minute=i) for i in range(5)]
        await store.apply([make.upsert(e) for e in copies])
        (doc,) = [d["doc"] for d in fake.all_docs("t").values()]
        assert len(doc["sources"]) == 5
        await store.close()


async def test_a_scan_sends_the_newest_point_in_time_id_and_closes_it(monkeypatch) -> None:
    monkeypatch.setattr(eq, "PAGE", 2, raising=False)
    async with running() as fake:
        store = ElasticStore(fake.url, "t", refresh=True)
        make = Factory()
        await store.apply([make.upsert(make.event(f"e{i}", f"E{i}", hour=8 + i))
                           for i in range(5)])
        hits = [h async for h in store._scan("t-members", {"match_all": {}}, ["feat"])]
        assert len(hits) == 5
        searches = [r.body["pit"]["id"] for r in fake.requests if r.body and "pit" in
                    (r.body if isinstance(r.body, dict) else {})]
        assert searches == ["pit-1", "pit-2", "pit-3", "pit-4"]  # each the last one returned
        assert fake.pits == {}  # the newest was closed, nothing left open
        await store.close()


async def test_reindex_builds_a_new_index_and_moves_the_alias() -> None:
    async with running() as fake:
        store = ElasticStore(fake.url, "t", refresh=True)
        make = Factory()
        await store.apply([make.upsert(make.event("a", "Bal folk", source="ics")),
                           make.upsert(make.event("a", "Bal folk", source="rss"))])
        assert await store.reindex() == "t-v2"
        assert fake.aliases["t"] == {"t-v2": {"is_write_index": True}}
        assert "t-v1" not in fake.indices
        assert len(fake.all_docs("t")) == 1
        await store.close()


@pytest.mark.parametrize("values", [["x", "y"], [1.5, "oc_1"], [True, "oc_1"]])
async def test_a_cursor_of_the_wrong_shape_is_refused_before_any_request(values) -> None:
    async with running() as fake:
        store = ElasticStore(fake.url, "t")
        with pytest.raises(ValueError):
            await store.search(SearchQuery(cursor=eq.encode_cursor(values)))
        assert not fake.calls("_search")
        await store.close()


def test_text_falls_back_to_the_description_when_it_has_no_plain_text() -> None:
    doc = {"id": "oc_1", "event_id": "ev_1", "start_ts": 1, "end_ts": 2, "status": "scheduled",
           "title": "Soirée", "description": "<p>Des marionnettes</p>", "description_text": ""}
    assert "marionnet" in es_source(doc)["text"].split()


def test_text_holds_the_stems_sqlite_indexes() -> None:
    doc = {"id": "oc_1", "event_id": "ev_1", "start_ts": 1, "end_ts": 2, "status": "scheduled",
           "title": "Fête d’aujourd’hui à l’École", "description_text": "Très belles chansons",
           "keywords": ["repair café"], "organizer": "MJC", "categories": [],
           "location": {"name": "Théâtre", "quartier": "Centre"}}
    source = es_source(doc)
    assert source["title_text"] == index_text("Fête d’aujourd’hui à l’École")
    assert source["title_text"].split() == ["fet", "aujourd", "hui", "ecol"]
    assert "tres" not in source["text"].split()  # a stop word, once folded
    assert source["title_key"] == "fete d'aujourd'hui a l'ecole"
