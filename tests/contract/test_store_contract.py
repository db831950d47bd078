"""The SearchStore contract: versions, tombstones, dates, filters, pagination, sorting, facets.

Runs against SQLite always and against Elasticsearch when ``ELASTICSEARCH_URL`` is set (the
parameter is generated only then; see ``conftest.py``). Dedup, related/terms/suggest and French
search are in ``test_store_contract_dedup.py`` and ``test_store_contract_reads.py``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest

from shared.model import Status
from shared.store.base import Outcome, SearchQuery, Sort


async def titles(store, **kw) -> list[str]:
    page = await store.search(SearchQuery(limit=100, **kw))
    return [d["title"] for d in page.items]


async def test_upsert_is_searchable(store, make) -> None:
    ev = make.event("a", "Concert de chorale")
    assert await store.apply([make.upsert(ev)]) == [Outcome.APPLIED]
    assert await titles(store) == ["Concert de chorale"]
    assert await store.count() == 1


async def test_same_message_twice_is_stale_the_second_time(store, make) -> None:
    msg = make.upsert(make.event("a"))
    assert await store.apply([msg]) == [Outcome.APPLIED]
    assert await store.apply([msg]) == [Outcome.STALE]
    assert await store.count() == 1


async def test_older_version_arriving_late_never_overwrites(store, make) -> None:
    ev = make.event("a", "Nouveau titre")
    await store.apply([make.upsert(ev, 20)])
    assert await store.apply([make.upsert(ev.with_(title="Ancien titre"), 10)]) == [
        Outcome.STALE]
    assert await titles(store) == ["Nouveau titre"]


async def test_newer_version_replaces_occurrences(store, make) -> None:
    ev = make.event("a", starts=[make.at(0), make.at(1)])
    await store.apply([make.upsert(ev)])
    await store.apply([make.upsert(ev.with_(occurrences=ev.occurrences[:1]))])
    assert await store.count() == 1


async def test_two_versions_in_one_batch_leave_the_newer_occurrences(store, make) -> None:
    ev = make.event("a", starts=[make.at(0), make.at(1), make.at(2)])
    newer = ev.with_(occurrences=ev.occurrences[2:])
    assert await store.apply([make.upsert(ev, 10), make.upsert(newer, 11)]) == [
        Outcome.APPLIED, Outcome.APPLIED]
    page = await store.search(SearchQuery(limit=10))
    assert [d["start"] for d in page.items] == [newer.occurrences[0].start.isoformat()]


async def test_retraction_leaves_a_tombstone_against_late_upserts(store, make) -> None:
    ev = make.event("a")
    await store.apply([make.upsert(ev, 10), make.retract(ev, 20)])
    assert await store.apply([make.upsert(ev, 15)]) == [Outcome.STALE]
    assert await store.count() == 0


async def test_retraction_arriving_before_its_upsert_wins(store, make) -> None:
    ev = make.event("a")
    assert await store.apply([make.retract(ev, 20)]) == [Outcome.RETRACTED]
    assert await store.apply([make.upsert(ev, 10)]) == [Outcome.STALE]
    assert await titles(store) == []


async def test_upsert_newer_than_tombstone_resurrects(store, make) -> None:
    ev = make.event("a", "Revenu")
    await store.apply([make.upsert(ev, 10), make.retract(ev, 20), make.upsert(ev, 30)])
    assert await titles(store) == ["Revenu"]


async def test_batch_outcomes_follow_message_order(store, make) -> None:
    ev = make.event("a")
    outcomes = await store.apply([make.upsert(ev, 10), make.upsert(ev, 5), make.retract(ev, 11)])
    assert outcomes == [Outcome.APPLIED, Outcome.STALE, Outcome.RETRACTED]


async def test_date_window_includes_ongoing_multi_day_event(store, make) -> None:
    long = make.event("expo", "Exposition", day=-3, hour=10, hours=24 * 7)
    past = make.event("old", "Passé", day=-2, hours=1)
    later = make.event("later", "Plus tard", day=5)
    await store.apply([make.upsert(e) for e in (long, past, later)])
    window = {"start": make.at(0, 0), "end": make.at(2, 0)}
    assert await titles(store, **window) == ["Exposition"]
    assert sorted(await titles(store, start=make.at(0, 0))) == ["Exposition", "Plus tard"]


async def test_end_bound_excludes_events_starting_at_or_after_it(store, make) -> None:
    await store.apply([make.upsert(make.event("a", "Avant", day=1)),
                       make.upsert(make.event("b", "Après", day=3))])
    assert await titles(store, start=make.at(0, 0), end=make.at(2, 0)) == ["Avant"]


async def test_results_are_in_date_order_by_default(store, make) -> None:
    await store.apply([make.upsert(make.event(str(i), f"E{i}", day=5 - i)) for i in range(5)])
    assert await titles(store) == ["E4", "E3", "E2", "E1", "E0"]


async def test_cancelled_hidden_unless_asked(store, make) -> None:
    await store.apply([make.upsert(make.event("a", "Annulé", status=Status.CANCELLED)),
                       make.upsert(make.event("b", "Maintenu", hour=20))])
    assert await titles(store) == ["Maintenu"]
    assert await titles(store, include_cancelled=True) == ["Annulé", "Maintenu"]
    assert await titles(store, statuses=("cancelled",)) == ["Annulé"]


FILTER_CASES = [
    ("themes", ("musique",), {"themes": ("musique",)}),
    ("keywords", ("jazz",), {"keywords": ("jazz",)}),
    ("quartiers", ("Maurepas",), {"location": "Maurepas"}),
    ("communes", ("Cesson-Sévigné",), {"location_commune": "Cesson-Sévigné"}),
    ("audiences", ("enfants",), {"audience": ("enfants",)}),
    ("organizers", ("MJC Bréquigny",), {"organizer": "MJC Bréquigny"}),
    ("sources", ("s2",), {"source": "s2"}),
]


@pytest.mark.parametrize(("attr", "values", "fields"), FILTER_CASES,
                         ids=[c[0] for c in FILTER_CASES])
async def test_each_filter_keeps_only_matching_documents(store, make, attr, values,
                                                        fields) -> None:
    kw = dict(fields)
    if "location" in kw:
        kw["location"] = make.place(quartier=kw["location"])
    if "location_commune" in kw:
        kw["location"] = make.place(commune=kw.pop("location_commune"))
    await store.apply([make.upsert(make.event("hit", "Cible", hour=10, **kw)),
                       make.upsert(make.event("miss", "Autre", hour=14, source="s1",
                                              location=make.place(name="Ailleurs")))])
    assert await titles(store, **{attr: values}) == ["Cible"]


async def test_accessibility_filter_requires_every_value(store, make) -> None:
    await store.apply([make.upsert(make.event("both", "Deux", accessibility=("hi", "lsf"))),
                       make.upsert(make.event("one", "Un", hour=20, accessibility=("hi",)))])
    assert await titles(store, accessibility=("hi",)) == ["Deux", "Un"]
    assert await titles(store, accessibility=("hi", "lsf")) == ["Deux"]


async def test_several_values_of_one_filter_are_alternatives(store, make) -> None:
    await store.apply([make.upsert(make.event("a", "A", themes=("musique",))),
                       make.upsert(make.event("b", "B", hour=19, themes=("sport",))),
                       make.upsert(make.event("c", "C", hour=20, themes=("cinema",)))])
    assert await titles(store, themes=("musique", "sport")) == ["A", "B"]


async def test_free_filter(store, make) -> None:
    await store.apply([make.upsert(make.event("a", "Gratuit", is_free=True)),
                       make.upsert(make.event("b", "Payant", hour=20, is_free=False)),
                       make.upsert(make.event("c", "Inconnu", hour=21))])
    assert await titles(store, free=True) == ["Gratuit"]
    assert await titles(store, free=False) == ["Payant"]


async def test_near_with_radius_and_bbox(store, make) -> None:
    close = make.place(name="Champs Libres", lat=48.1056, lon=-1.6745)
    far = make.place(name="Cesson", lat=48.1211, lon=-1.6033, quartier=None)
    await store.apply([make.upsert(make.event("a", "Proche", location=close)),
                       make.upsert(make.event("b", "Loin", hour=20, location=far))])
    assert await titles(store, near=(48.1090, -1.6800), radius_km=1.0) == ["Proche"]
    assert await titles(store, bbox=(-1.62, 48.11, -1.59, 48.13)) == ["Loin"]


async def test_sort_by_distance(store, make) -> None:
    spots = [("Loin", 48.13), ("Proche", 48.1100), ("Moyen", 48.12)]
    await store.apply([make.upsert(make.event(t, t, hour=10 + i, location=make.place(
        name=t, lat=lat, lon=-1.68))) for i, (t, lat) in enumerate(spots)])
    got = await titles(store, near=(48.11, -1.68), sort=Sort.DISTANCE)
    assert got == ["Proche", "Moyen", "Loin"]


async def test_sort_by_relevance_returns_only_matches_best_first(store, make) -> None:
    await store.apply([
        make.upsert(make.event("a", "Concert", description="concert concert concert jazz")),
        make.upsert(make.event("b", "Atelier", hour=19, description="après le concert")),
        make.upsert(make.event("c", "Vide-grenier", hour=20)),
    ])
    page = await store.search(SearchQuery(q="concert", sort=Sort.RELEVANCE))
    assert [d["title"] for d in page.items] == ["Concert", "Atelier"]
    scores = [d["score"] for d in page.items]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("sort", [Sort.DATE, Sort.RELEVANCE, Sort.DISTANCE])
async def test_cursor_pages_have_no_duplicates_or_holes(store, make, sort) -> None:
    events = [make.event(f"e{i}", f"Fête numéro {i}", day=i % 5, hour=8 + i % 12,
                         description="fête " * (1 + i % 4),
                         location=make.place(name=f"Lieu {i}", lat=48.1 + i / 1000))
              for i in range(23)]
    await store.apply([make.upsert(e) for e in events])
    query = SearchQuery(q="fête", limit=5, sort=sort, near=(48.1, -1.68))
    seen: list[str] = []
    while True:
        page = await store.search(query)
        assert page.total == 23
        seen += [d["id"] for d in page.items]
        if page.next is None:
            break
        query = replace(query, cursor=page.next)
    assert len(seen) == len(set(seen)) == 23


async def test_malformed_cursor_is_a_value_error(store, make) -> None:
    with pytest.raises(ValueError):
        await store.search(SearchQuery(cursor="!!not-a-cursor"))


async def test_facets_equal_counts_of_the_filtered_set(store, make) -> None:
    events = []
    for i in range(12):
        events.append(make.event(
            f"e{i}", f"Rencontre {i}", day=i % 3, hour=9 + i,
            themes=("musique",) if i % 2 else ("sport", "sante"),
            keywords=("jazz", "blues")[: 1 + i % 2], accessibility=("hi",) if i % 3 else (),
            audience=("enfants",) if i % 4 == 0 else (), organizer=f"Org {i % 3}",
            source=f"s{i % 2}", location=make.place(name=f"Salle {i}", quartier=f"Q{i % 2}",
                                                    lat=48.1 + i / 100)))
    await store.apply([make.upsert(e) for e in events])
    query = SearchQuery(limit=100, facets=True, quartiers=("Q1",), start=make.at(0, 0))
    page = await store.search(query)
    expected: dict[str, Counter[str]] = {k: Counter() for k in page.facets}
    for doc in page.items:
        loc = doc.get("location") or {}
        expected["theme"].update(doc["themes"])
        expected["keyword"].update(doc["keywords"])
        expected["accessibility"].update(doc["accessibility"])
        expected["audience"].update(doc["audience"])
        expected["source"].update({s["source_id"] for s in doc["sources"]})
        expected["organizer"].update([doc["organizer"]] if doc.get("organizer") else [])
        expected["quartier"].update([loc["quartier"]] if loc.get("quartier") else [])
        expected["commune"].update([loc["commune"]] if loc.get("commune") else [])
    got = {k: {v["value"]: v["count"] for v in vals} for k, vals in page.facets.items()}
    assert got == {k: dict(v) for k, v in expected.items()}
    assert set(page.facets) == {"theme", "quartier", "commune", "accessibility", "keyword",
                                "organizer", "audience", "source"}


async def test_facets_follow_a_later_write(store, make) -> None:
    await store.apply([make.upsert(make.event("a", themes=("sport",)))])
    first = await store.search(SearchQuery(facets=True))
    await store.apply([make.upsert(make.event("b", hour=20, themes=("sport",)))])
    second = await store.search(SearchQuery(facets=True))
    assert first.facets["theme"] == [{"value": "sport", "count": 1}]
    assert second.facets["theme"] == [{"value": "sport", "count": 2}]
    assert second.total == 2


async def test_get_and_event_docs(store, make) -> None:
    ev = make.event("a", starts=[make.at(0), make.at(7)])
    await store.apply([make.upsert(ev)])
    docs = await store.event_docs(ev.id)
    assert len(docs) == 2 and docs[0]["start_ts"] < docs[1]["start_ts"]
    assert (await store.get(docs[1]["id"]))["start"] == docs[1]["start"]
    assert await store.get("oc_missing") is None


async def test_reset_empties_the_store(store, make) -> None:
    await store.apply([make.upsert(make.event("a"))])
    await store.reset()
    assert await store.count() == 0
    assert await store.apply([make.upsert(make.event("a"), 1)]) == [Outcome.APPLIED]


def test_days_helper_is_in_the_future(make) -> None:
    from datetime import datetime

    from shared.model import PARIS

    assert make.at(-3) > datetime.now(PARIS) - timedelta(days=1)
