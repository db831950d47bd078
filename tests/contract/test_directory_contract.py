"""The directory contract (associations in the search stores): sequences and tombstones,
words, facets, upcoming events, paging.

Runs against the SQLite store always, against the stand-in Elasticsearch node of the unit
tests (``tests/unit/store/fake_elastic.py``, the Elasticsearch store's own logic), and
against Elasticsearch when ``ELASTICSEARCH_URL`` is set (see ``conftest.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from shared.store.base import Outcome
from shared.store.directory_base import (
    DirectoryMessage,
    DirectoryQuery,
    DirectoryStore,
    organizer_key,
    source_key,
)
from tests.contract.conftest import ES_URL, elastic_backend

DIRECTORY_BACKENDS = ["sqlite", "elasticsearch-standin", *(["elasticsearch"] if ES_URL else [])]


@pytest.fixture(params=DIRECTORY_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path
                ) -> AsyncIterator[DirectoryStore]:
    if request.param == "sqlite":
        from shared.store.directory_sqlite import SqliteDirectory

        sqlite = SqliteDirectory(tmp_path / "directory.sqlite")
        yield sqlite
        await sqlite.close()
        return
    from shared.store.elastic_directory import ElasticDirectory

    name = f"maillage-directory-contract-{uuid.uuid4().hex[:12]}"
    async with elastic_backend(request.param,
                               lambda url: ElasticDirectory(url, name, refresh=True)) as es:
        yield es


def doc(aid: str, name: str, **kw: Any) -> dict[str, Any]:
    return {"id": aid, "name": name, "kind": "association", "state": "active", "themes": [],
            "rna_themes": [], "quartiers": [], "tools": [], "organizers": [], "aliases": [],
            **kw}


def msg(aid: str, seq: int, name: str | None = None, **kw: Any) -> DirectoryMessage:
    return DirectoryMessage(aid, seq, doc(aid, name, **kw) if name is not None else None)


SEED = [
    msg("velo", 10, "Vélo Club des Alliés", acronym="VCA", themes=["sport"],
        rna_themes=["011000"], commune="Rennes", quartier="Centre", quartiers=["Thabor"],
        tools=["mobilizon"], organizers=["Vélo Club Rennes"],
        purpose="Promouvoir la pratique du vélo en ville"),
    msg("jardins", 11, "Les Jardins Partagés de Bréquigny", themes=["environnement"],
        commune="Rennes", quartier="Bréquigny", tools=["framadate", "mobilizon"],
        purpose="Créer et animer des jardins partagés"),
    msg("boules", 12, "Amicale des boulistes de Bruz", themes=["sport", "loisirs"],
        commune="Bruz", state="dissolved", purpose="Pratique de la pétanque"),
    msg("chorale", 13, "Chorale à travers chants", themes=["culture"], commune="Rennes",
        quartier="Centre", purpose="Chant choral pour tous"),
]


async def ids(store: DirectoryStore, **kw: Any) -> list[str]:
    page = await store.search(DirectoryQuery(**kw))
    return [item["id"] for item in page.items]


async def test_apply_get_count_and_internal_fields_stay_inside(store: DirectoryStore) -> None:
    assert await store.apply(SEED) == [Outcome.APPLIED] * 4
    assert await store.count() == 4
    velo = await store.get("velo")
    assert velo is not None and velo["name"] == "Vélo Club des Alliés"
    assert velo["quartiers"] == ["Thabor"] and "name_key" not in velo
    assert "organizer_keys" not in velo and "quartier_values" not in velo
    assert await store.get("nobody") is None


async def test_older_sequence_is_stale_and_a_tombstone_keeps_it_out(
        store: DirectoryStore) -> None:
    await store.apply(SEED)
    assert await store.apply([msg("velo", 9, "Ancien nom")]) == [Outcome.STALE]
    assert (await store.get("velo") or {})["name"] == "Vélo Club des Alliés"
    assert await store.apply([msg("velo", 20)]) == [Outcome.RETRACTED]
    assert await store.get("velo") is None
    assert await store.apply([msg("velo", 15, "Revenu trop tard")]) == [Outcome.STALE]
    assert await store.get("velo") is None and await store.count() == 3
    assert await store.apply([msg("velo", 21, "Vélo Club, de retour")]) == [Outcome.APPLIED]
    assert await ids(store, q="retour") == ["velo"]


async def test_by_name_without_words_and_by_relevance_with(store: DirectoryStore) -> None:
    await store.apply(SEED)
    assert await ids(store) == ["boules", "chorale", "jardins", "velo"]
    assert await ids(store, q="velo") == ["velo"]  # accents folded
    assert await ids(store, q="VCA") == ["velo"]  # the acronym
    assert await ids(store, q="jardin partag") == ["jardins"]  # stems, last word a prefix
    assert await ids(store, q="pétanque") == ["boules"]  # the purpose
    assert await ids(store, q="le la les") == []
    await store.apply([msg("atelier", 30, "Atelier du Blosne",
                           purpose="Réparer son vélo soi-même")])
    assert await ids(store, q="vélo") == ["velo", "atelier"]  # its name first


async def test_facet_filters_and_counts(store: DirectoryStore) -> None:
    await store.apply(SEED)
    assert await ids(store, themes=("sport",)) == ["boules", "velo"]
    assert await ids(store, themes=("sport", "culture")) == ["boules", "chorale", "velo"]
    assert await ids(store, themes=("sport",), communes=("Rennes",)) == ["velo"]
    assert await ids(store, quartiers=("Thabor",)) == ["velo"]  # a quartier of activity
    assert await ids(store, tools=("mobilizon",)) == ["jardins", "velo"]
    assert await ids(store, states=("dissolved",)) == ["boules"]
    assert await ids(store, rna_themes=("011000",)) == ["velo"]
    page = await store.search(DirectoryQuery(facets=True))
    assert page.total == 4
    assert page.facets["theme"][0] == {"value": "sport", "count": 2}
    assert {"value": "Rennes", "count": 3} in page.facets["commune"]
    assert page.facets["quartier"][0] == {"value": "Centre", "count": 2}
    assert page.facets["state"] == [{"value": "active", "count": 3},
                                    {"value": "dissolved", "count": 1}]
    filtered = await store.search(DirectoryQuery(communes=("Rennes",), facets=True))
    assert filtered.total == 3
    assert filtered.facets["tool"] == [{"value": "mobilizon", "count": 2},
                                       {"value": "framadate", "count": 1}]
    assert "has_events" not in filtered.facets  # unknown without the events' organizers


async def test_a_refresh_of_the_stored_sequence_applies_an_older_one_does_not(
        store: DirectoryStore) -> None:
    """A record projected again (its links changed) carries its own sequence: it replaces
    the stored document of that sequence, never a newer one."""
    await store.apply(SEED)
    assert await store.apply([msg("velo", 10, "Vélo Club, redelivered")]) == [Outcome.STALE]
    again = replace(msg("velo", 10, "Vélo Club, linked", organizers=["VCA Rennes"]),
                    refresh=True)
    assert await store.apply([again]) == [Outcome.APPLIED]
    assert (await store.get("velo") or {})["organizers"] == ["VCA Rennes"]
    assert await store.apply([replace(msg("velo", 9, "Older"), refresh=True)]) == [
        Outcome.STALE]
    assert (await store.get("velo") or {})["name"] == "Vélo Club, linked"
    assert await ids(store, has_events=True,
                     organizers_with_events=frozenset({"vca rennes"})) == ["velo"]


async def test_upcoming_events_by_sources(store: DirectoryStore) -> None:
    await store.apply([*SEED, msg("cirque", 14, "Cirque du Blosne",
                                  sources=[{"id": "cirque-agenda", "url": "https://x.test/a.ics",
                                            "format": None, "tool": None}])])
    having = frozenset({source_key("cirque-agenda")})
    assert await ids(store, has_events=True, organizers_with_events=having) == ["cirque"]
    # a source key is never an organizer name: an organizer named so does not match it
    assert await ids(store, has_events=True, organizers_with_events=frozenset(
        {organizer_key(" source cirque-agenda")})) == []


async def test_upcoming_events_by_organizer_names(store: DirectoryStore) -> None:
    await store.apply(SEED)
    having = frozenset({"vélo club rennes", "chorale à travers chants"})
    assert await ids(store, has_events=True, organizers_with_events=having) == [
        "chorale", "velo"]  # by a declared organizer name, or by the association's name
    assert await ids(store, has_events=False, organizers_with_events=having) == [
        "boules", "jardins"]
    page = await store.search(DirectoryQuery(facets=True, organizers_with_events=having,
                                             themes=("sport",)))
    assert page.facets["has_events"] == [{"value": "false", "count": 1},
                                         {"value": "true", "count": 1}]


async def test_pages_cover_every_result_once(store: DirectoryStore) -> None:
    many = [msg(f"a{i:02d}", 100 + i, f"Association {i:02d}", themes=["solidarite"])
            for i in range(23)]
    await store.apply(many)
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = await store.search(DirectoryQuery(limit=10, cursor=cursor,
                                                 themes=("solidarite",)))
        assert page.total == 23
        seen += [item["id"] for item in page.items]
        cursor = page.next
        if cursor is None:
            break
    assert seen == [f"a{i:02d}" for i in range(23)]
    with pytest.raises(ValueError):
        await store.search(DirectoryQuery(cursor="not-a-cursor"))


async def test_reset_empties_the_directory(store: DirectoryStore) -> None:
    await store.apply(SEED)
    await store.reset()
    assert await store.count() == 0 and await ids(store) == []
    assert await store.apply([msg("velo", 1, "Vélo")]) == [Outcome.APPLIED]
