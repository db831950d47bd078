"""Store contract: cross-source deduplication (see shared/store/dedup.py for the rules).

The property test applies one set of messages in random orders and batchings to fresh stores
and checks that the search results are identical.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.store.base import SearchQuery


async def everything(store) -> list[dict[str, Any]]:
    page = await store.search(SearchQuery(limit=200, include_cancelled=True))
    return page.items


def same_event(make, source: str, title: str, **kw):
    return make.event(f"{source}-x", title, source=source, **kw)


async def test_same_event_from_two_sources_is_one_document(store, make) -> None:
    a = same_event(make, "ics", "Concert de la chorale", description="Court.")
    b = same_event(make, "rss", "Concert chorale", minute=15, source_format="rss",
                   description="Une description bien plus riche de ce concert.")
    await store.apply([make.upsert(a), make.upsert(b)])
    docs = await everything(store)
    assert len(docs) == 1
    doc = docs[0]
    assert {s["source_id"] for s in doc["sources"]} == {"ics", "rss"}
    assert doc["title"] == "Concert de la chorale"
    assert doc["provenance"]["title"] == "ics"
    assert doc["description_text"] == b.description_text or doc["provenance"]["description"]


async def test_richer_description_and_union_of_tags_win(store, make) -> None:
    a = same_event(make, "ics", "Repair café", description_text="Court.", themes=("reparation",),
                   accessibility=("hi",), organizer="Repair café de Rennes")
    b = same_event(make, "html", "Repair Café", description_text="Un texte long " * 5,
                   themes=("ecologie",), accessibility=("pi",), source_format="html",
                   organizer="Repair Café de Rennes")
    await store.apply([make.upsert(a), make.upsert(b)])
    (doc,) = await everything(store)
    assert doc["description_text"] == b.description_text
    assert doc["provenance"]["description"] == "html"
    assert sorted(doc["themes"]) == ["ecologie", "reparation"]
    assert sorted(doc["accessibility"]) == ["hi", "pi"]
    assert (await store.search(SearchQuery(accessibility=("hi", "pi")))).total == 1


async def test_an_unrelated_source_cannot_cancel_an_organisers_event(store, make) -> None:
    own = same_event(make, "chorale", "Concert de Noël", organizer="Chorale du Thabor",
                     extra={"source_organizer": "Chorale du Thabor"},
                     description_text="Concert.", url="https://chorale.example/noel")
    copy = same_event(make, "pirate", "Concert de Noël", minute=10, source_format="openagenda",
                      organizer="Chorale du Thabor", status="cancelled",
                      description_text="Annulé. " * 20, url="https://pirate.example/x")
    await store.apply([make.upsert(copy), make.upsert(own)])
    (doc,) = await everything(store)
    assert (doc["status"], doc["description_text"], doc["url"]) == (
        "scheduled", "Concert.", "https://chorale.example/noel")
    assert {s["source_id"]: s["status"] for s in doc["sources"]} == {
        "chorale": "scheduled", "pirate": "cancelled"}
    rival = same_event(make, "rival", "Concert de Noël", minute=5, organizer="Rivaux",
                       extra={"source_organizer": "Rivaux"}, status="cancelled")
    await store.apply([make.upsert(rival)])
    docs = {d["source_id"]: d for d in await everything(store)}
    assert set(docs) == {"chorale", "rival"}  # an organiser's own copy stays apart
    assert docs["chorale"]["status"] == "scheduled"


async def test_get_by_member_id_finds_the_canonical_document(store, make) -> None:
    a = same_event(make, "ics", "Bal folk")
    b = same_event(make, "rss", "Bal folk", source_format="rss")
    await store.apply([make.upsert(a), make.upsert(b)])
    (doc,) = await everything(store)
    for member in doc["members"]:
        assert (await store.get(member))["id"] == doc["id"]
    assert [d["id"] for d in await store.event_docs(b.id)] == [doc["id"]]


async def test_retracting_one_source_keeps_the_other_copy(store, make) -> None:
    a = same_event(make, "ics", "Bal folk", description_text="Version ICS")
    b = same_event(make, "rss", "Bal folk", source_format="rss",
                   description_text="Version RSS plus longue")
    await store.apply([make.upsert(a), make.upsert(b)])
    await store.apply([make.retract(b)])
    (doc,) = await everything(store)
    assert [s["source_id"] for s in doc["sources"]] == ["ics"]
    assert doc["description_text"] == "Version ICS"
    assert (await store.search(SearchQuery(sources=("rss",)))).total == 0


async def test_different_events_at_same_venue_and_time_stay_apart(store, make) -> None:
    a = make.event("a", "Atelier couture", source="mjc")
    b = make.event("b", "Cours de yoga", source="agenda")
    await store.apply([make.upsert(a), make.upsert(b)])
    assert len(await everything(store)) == 2


async def test_same_title_far_apart_in_time_stays_apart(store, make) -> None:
    a = same_event(make, "ics", "Bal folk", hour=14)
    b = same_event(make, "rss", "Bal folk", hour=20)
    await store.apply([make.upsert(a), make.upsert(b)])
    assert len(await everything(store)) == 2


async def test_same_title_at_distant_places_stays_apart(store, make) -> None:
    a = same_event(make, "ics", "Bal folk", location=make.place(name="Salle A", lat=48.11))
    b = same_event(make, "rss", "Bal folk", location=make.place(name="Salle B", lat=48.15,
                                                                 address="1 rue de Brest"))
    await store.apply([make.upsert(a), make.upsert(b)])
    assert len(await everything(store)) == 2


async def test_two_events_of_one_source_never_merge(store, make) -> None:
    a = make.event("a", "Bal folk", source="s1")
    b = make.event("b", "Bal folk", source="s1", minute=10)
    c = make.event("c", "Bal folk", source="s2", minute=5)
    await store.apply([make.upsert(a), make.upsert(b), make.upsert(c)])
    docs = await everything(store)
    assert len(docs) == 2
    assert all(len({s["source_id"] for s in d["sources"]}) == len(d["sources"]) for d in docs)


async def test_recurring_event_matches_occurrence_by_occurrence(store, make) -> None:
    weekly = make.event("w", "Atelier vélo", source="ics",
                        starts=[make.at(d, 14) for d in (0, 7, 14)])
    once = make.event("o", "Atelier vélo", source="rss", day=7, hour=14, source_format="rss")
    await store.apply([make.upsert(weekly), make.upsert(once)])
    docs = await everything(store)
    assert [len(d["sources"]) for d in docs] == [1, 2, 1]


async def test_cluster_splits_when_a_title_changes(store, make) -> None:
    a = same_event(make, "ics", "Bal folk")
    b = same_event(make, "rss", "Bal folk")
    await store.apply([make.upsert(a), make.upsert(b)])
    await store.apply([make.upsert(b.with_(title="Conférence sur le climat"))])
    assert sorted(d["title"] for d in await everything(store)) == [
        "Bal folk", "Conférence sur le climat"]


def _scenario(make) -> list:
    """Three sources, overlapping events, versions, a retraction and a title change."""
    msgs = []
    for i, src in enumerate(("ics", "rss", "html")):
        ev = make.event("bal", ["Bal folk", "Grand bal folk", "Bal folk !"][i], source=src,
                        minute=5 * i, description_text="x" * (10 * i + 5), source_format=src)
        msgs.append(make.upsert(ev, 100 + i))
        other = make.event("yoga", "Cours de yoga", source=src, hour=10 + i, source_format=src)
        msgs.append(make.upsert(other, 100))
    late = make.event("bal", "Bal folk", source="rss", minute=5, source_format="rss")
    msgs.append(make.upsert(late.with_(title="Bal folk du printemps"), 200))
    msgs.append(make.retract(make.event("yoga", source="html"), 300))
    msgs.append(make.upsert(make.event("couture", "Atelier couture", source="html",
                                       minute=10), 100))
    return msgs


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6))
async def test_result_does_not_depend_on_arrival_order(backend, backend_factory, make,
                                                        seed) -> None:
    msgs = _scenario(make)
    async with backend_factory(backend) as ref_store:
        for msg in sorted(msgs, key=lambda m: m.version):
            await ref_store.apply([msg])
        expected = await everything(ref_store)
    rng = random.Random(seed)
    shuffled = msgs[:]
    rng.shuffle(shuffled)
    async with backend_factory(backend) as store:
        i = 0
        while i < len(shuffled):
            n = rng.randint(1, 4)
            await store.apply(shuffled[i:i + n])
            i += n
        got = await everything(store)
    assert got == expected
    await asyncio.sleep(0)
