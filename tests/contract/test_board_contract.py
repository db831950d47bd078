"""The board contract (the domains' records in one search store): sequences and
tombstones, words, facets, period, place, owner, sorts, paging, validation.

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
from shared.store.board_base import (
    MAX_LIMIT,
    MAX_OFFSET,
    BoardMessage,
    BoardQuery,
    BoardSort,
    BoardStore,
    encode_offset,
)
from tests.contract.conftest import ES_URL, elastic_backend

BOARD_BACKENDS = ["sqlite", "elasticsearch-standin", *(["elasticsearch"] if ES_URL else [])]


@pytest.fixture(params=BOARD_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BoardStore]:
    if request.param == "sqlite":
        from shared.store.board_sqlite import SqliteBoard

        sqlite = SqliteBoard(tmp_path / "board.sqlite")
        yield sqlite
        await sqlite.close()
        return
    from shared.store.elastic_board import ElasticBoard

    name = f"maillage-board-contract-{uuid.uuid4().hex[:12]}"
    async with elastic_backend(request.param,
                               lambda url: ElasticBoard(url, name, refresh=True)) as es:
        yield es


def msg(rid: str, seq: int, title: str | None = None, kind: str = "skill",
        **kw: Any) -> BoardMessage:
    doc = {"id": rid, "title": title, **kw} if title is not None else None
    return BoardMessage(kind, rid, seq, doc)


# Rennes centre, the Blosne (~3.2 km south), Bruz (~10 km south-west)
CENTRE = (48.1113, -1.6800)
BLOSNE = (48.0840, -1.6640)
BRUZ = (48.0247, -1.7454)

SEED = [
    msg("compta", 10, "Aide à la comptabilité", text="Tenue des comptes d’une association",
        facets={"skill": ["comptabilite"], "quartier": ["Centre"], "state": ["offer"]},
        lat=CENTRE[0], lon=CENTRE[1], owner="asso-velo", updated="2026-11-20T10:00:00+01:00"),
    msg("graphisme", 11, "Graphisme pour affiches",
        text="L’atelier crée vos affiches et flyers",
        facets={"skill": ["graphisme"], "quartier": ["Blosne"], "state": ["offer"]},
        lat=BLOSNE[0], lon=BLOSNE[1], owner="asso-jardins",
        updated="2026-11-25T10:00:00+01:00",
        starts="2026-12-10T09:00:00+01:00", ends="2026-12-20T18:00:00+01:00"),
    msg("jardinage", 12, "Besoin de bras pour les jardins",
        text="Nous cherchons des bénévoles pour nos jardins partagés",
        facets={"skill": ["jardinage", "bricolage"], "quartier": ["Blosne"],
                "state": ["need"]},
        lat=BRUZ[0], lon=BRUZ[1], owner="asso-jardins", updated="2026-11-28T10:00:00+01:00",
        starts="2026-12-05T09:00:00+01:00"),
    msg("compta-2", 13, "Comptables bénévoles", text="Un expert-comptable aide les associations",
        facets={"skill": ["comptabilite"], "quartier": ["Centre"], "state": ["need"]},
        owner="asso-velo", updated="2026-11-22T10:00:00+01:00",
        starts="2027-01-15T09:00:00+01:00", ends="2027-01-15T12:00:00+01:00"),
    msg("salle", 14, "Salle polyvalente du Blosne", kind="venue",
        facets={"quartier": ["Blosne"]}, lat=BLOSNE[0], lon=BLOSNE[1],
        updated="2026-11-29T10:00:00+01:00"),
]


async def ids(store: BoardStore, **kw: Any) -> list[str]:
    kw.setdefault("kind", "skill")
    page = await store.search(BoardQuery(**kw))
    return [item["id"] for item in page.items]


async def test_apply_get_count_and_the_document_as_stored(store: BoardStore) -> None:
    assert await store.apply(SEED) == [Outcome.APPLIED] * 5
    assert await store.count() == 5
    assert await store.count("skill") == 4 and await store.count("venue") == 1
    assert await store.count("slot") == 0
    assert await store.get("skill", "compta") == SEED[0].doc
    assert await store.get("venue", "compta") is None  # the kind is part of the key
    assert await store.get("skill", "nobody") is None


async def test_older_sequence_is_stale_and_a_tombstone_keeps_it_out(store: BoardStore) -> None:
    await store.apply(SEED)
    assert await store.apply([msg("compta", 10, "Redelivered")]) == [Outcome.STALE]
    assert await store.apply([msg("compta", 9, "Ancien titre")]) == [Outcome.STALE]
    assert (await store.get("skill", "compta") or {})["title"] == "Aide à la comptabilité"
    assert await store.apply([msg("compta", 20)]) == [Outcome.RETRACTED]
    assert await store.get("skill", "compta") is None
    assert await ids(store, q="comptabilité") == []
    assert await store.apply([msg("compta", 15, "Revenu trop tard")]) == [Outcome.STALE]
    assert await store.get("skill", "compta") is None and await store.count("skill") == 3
    assert await store.apply([msg("compta", 21, "Comptabilité, de retour")]) == [
        Outcome.APPLIED]
    assert await ids(store, q="retour") == ["compta"]


async def test_a_refresh_of_the_stored_sequence_applies_an_older_one_does_not(
        store: BoardStore) -> None:
    await store.apply(SEED)
    again = replace(msg("compta", 10, "Aide à la comptabilité, mise à jour"), refresh=True)
    assert await store.apply([again]) == [Outcome.APPLIED]
    assert await ids(store, q="mise a jour") == ["compta"]
    older = replace(msg("compta", 9, "Plus ancien"), refresh=True)
    assert await store.apply([older]) == [Outcome.STALE]
    assert await ids(store, q="ancien") == []


async def test_an_update_changes_words_facets_and_places(store: BoardStore) -> None:
    await store.apply(SEED)
    await store.apply([msg("compta", 30, "Trésorerie", facets={"skill": ["tresorerie"]})])
    assert await ids(store, q="comptabilité") == []
    assert await ids(store, q="trésorerie") == ["compta"]
    assert await ids(store, facets={"skill": ("comptabilite",)}) == ["compta-2"]
    assert await ids(store, near=(*CENTRE, 1.0)) == []
    assert await ids(store, owner="asso-velo") == ["compta-2"]


async def test_french_words_accents_plurals_apostrophes_prefix(store: BoardStore) -> None:
    await store.apply(SEED)
    assert await ids(store, q="comptabilite") == ["compta"]  # accents folded
    assert await ids(store, q="JARDIN") == ["jardinage"]  # plural and case: one stem
    assert await ids(store, q="bénévole") == ["compta-2", "jardinage"]
    assert await ids(store, q="atelier") == ["graphisme"]  # "L’atelier": the elision
    assert await ids(store, q="l'atelier") == ["graphisme"]
    assert await ids(store, q="affich graph") == ["graphisme"]  # the last word a prefix
    assert await ids(store, q="graph affich") == []  # the others whole stems
    assert await ids(store, q="jardins Bruz") == []  # every word required
    assert await ids(store, q="salle") == []  # another kind
    assert await ids(store, kind="venue", q="salles") == ["salle"]
    assert await ids(store, q="le la les") == []  # only stop words: nothing
    assert len(await ids(store, q="  ")) == 4  # no words at all: no filter


async def test_relevance_puts_title_matches_first(store: BoardStore) -> None:
    await store.apply(SEED)
    # "comptable" is in compta-2's title, in compta's words only as "comptes"/"comptabilité"
    assert await ids(store, q="compt") == ["compta-2", "compta"]  # both titles, most recent
    assert await ids(store, q="association") == ["compta-2", "compta"]  # text only: recent
    await store.apply([msg("assoc", 40, "Associations, unissez-vous",
                           updated="2026-11-01T10:00:00+01:00")])
    # its title holds the word: first, though the least recently updated
    assert await ids(store, q="association") == ["assoc", "compta-2", "compta"]


async def test_facets_and_across_or_within(store: BoardStore) -> None:
    await store.apply(SEED)
    assert await ids(store, facets={"skill": ("comptabilite",)}) == ["compta-2", "compta"]
    assert await ids(store, facets={"skill": ("comptabilite", "graphisme")}) == [
        "graphisme", "compta-2", "compta"]
    assert await ids(store, facets={"skill": ("comptabilite", "graphisme"),
                                    "state": ("need",)}) == ["compta-2"]
    assert await ids(store, facets={"skill": ("bricolage",)}) == ["jardinage"]
    assert await ids(store, facets={"skill": ("nothing",)}) == []
    assert await ids(store, facets={"nothing": ("x",)}) == []
    assert await ids(store, facets={"skill": ()}) == await ids(store)  # empty: no filter


async def test_facet_counts_leave_each_facets_own_filter_out(store: BoardStore) -> None:
    await store.apply(SEED)
    page = await store.search(BoardQuery("skill", with_facets=True))
    assert page.total == 4
    assert page.facets["skill"] == [
        {"value": "comptabilite", "count": 2}, {"value": "bricolage", "count": 1},
        {"value": "graphisme", "count": 1}, {"value": "jardinage", "count": 1}]
    assert page.facets["quartier"] == [{"value": "Blosne", "count": 2},
                                       {"value": "Centre", "count": 2}]
    page = await store.search(BoardQuery("skill", facets={"state": ("need",)},
                                         with_facets=True))
    assert page.total == 2
    # the state facet counts without its own filter: what choosing "offer" too would add
    assert page.facets["state"] == [{"value": "need", "count": 2},
                                    {"value": "offer", "count": 2}]
    assert page.facets["skill"] == [{"value": "bricolage", "count": 1},
                                    {"value": "comptabilite", "count": 1},
                                    {"value": "jardinage", "count": 1}]
    page = await store.search(BoardQuery("skill", q="jardin", with_facets=True))
    assert page.facets["state"] == [{"value": "need", "count": 1}]  # the words do count
    assert "quartier" in (await store.search(BoardQuery("venue", with_facets=True))).facets
    assert (await store.search(BoardQuery("skill"))).facets == {}


async def test_period_overlap(store: BoardStore) -> None:
    await store.apply(SEED)
    # graphisme: 10-20 Dec; jardinage: 5 Dec (no end: its start); compta-2: 15 Jan
    assert await ids(store, start="2026-12-15T00:00:00+01:00",
                     end="2026-12-16T00:00:00+01:00") == ["graphisme"]
    assert await ids(store, start="2026-12-05T12:00:00+01:00",
                     end="2026-12-09T00:00:00+01:00") == []  # after a start without end
    assert await ids(store, start="2026-12-05T09:00:00+01:00",
                     end="2026-12-05T09:00:00+01:00") == ["jardinage"]  # bounds included
    assert await ids(store, start="2026-12-20T17:01:00Z") == ["compta-2"]  # open end
    assert await ids(store, end="2026-12-06T00:00:00+01:00") == ["jardinage"]  # open start
    assert await ids(store, start="2026-12-01T00:00:00+01:00",
                     end="2027-02-01T00:00:00+01:00", sort=BoardSort.SOONEST) == [
        "jardinage", "graphisme", "compta-2"]  # undated documents are left out


async def test_near_and_distance(store: BoardStore) -> None:
    await store.apply(SEED)
    assert await ids(store, near=(*CENTRE, 1.0)) == ["compta"]
    assert await ids(store, near=(*CENTRE, 5.0)) == ["graphisme", "compta"]
    assert await ids(store, near=(*CENTRE, 20.0), sort=BoardSort.DISTANCE) == [
        "compta", "graphisme", "jardinage"]  # no place: left out
    assert await ids(store, near=(*BRUZ, 20.0), sort=BoardSort.DISTANCE) == [
        "jardinage", "graphisme", "compta"]
    assert await ids(store, kind="venue", near=(*CENTRE, 5.0)) == ["salle"]


async def test_owner(store: BoardStore) -> None:
    await store.apply(SEED)
    assert await ids(store, owner="asso-jardins") == ["jardinage", "graphisme"]
    assert await ids(store, owner="asso-velo", q="tenue") == ["compta"]
    assert await ids(store, owner="nobody") == []


async def test_sorts(store: BoardStore) -> None:
    await store.apply(SEED)
    recent = ["jardinage", "graphisme", "compta-2", "compta"]
    assert await ids(store) == recent  # relevance without words: most recent first
    assert await ids(store, sort=BoardSort.RECENT) == recent
    assert await ids(store, q="compt", sort=BoardSort.RECENT) == ["compta-2", "compta"]
    # soonest start first; those without a start last, most recent first
    assert await ids(store, sort=BoardSort.SOONEST) == [
        "jardinage", "graphisme", "compta-2", "compta"]
    await store.apply([msg("sans-date", 50, "Sans date", updated="2026-12-01T00:00:00Z"),
                       msg("sans-rien", 51, "Sans rien")])
    assert await ids(store, sort=BoardSort.SOONEST) == [
        "jardinage", "graphisme", "compta-2", "sans-date", "compta", "sans-rien"]
    # never updated: after the others in recent order
    assert (await ids(store, sort=BoardSort.RECENT))[-1] == "sans-rien"


@pytest.mark.parametrize("sort", list(BoardSort))
async def test_pages_cover_every_result_once(store: BoardStore, sort: BoardSort) -> None:
    many = [msg(f"o{i:02d}", 100 + i, f"Offre {i:02d}", facets={"skill": ["solidarite"]},
                updated=f"2026-11-{1 + i % 7:02d}T10:00:00+01:00",  # ties on purpose
                **({"starts": f"2026-12-{1 + i % 5:02d}T10:00:00+01:00"} if i % 3 else {}),
                lat=CENTRE[0] + (i % 4) * 0.01, lon=CENTRE[1])
            for i in range(23)]
    await store.apply(many)
    whole = await ids(store, limit=MAX_LIMIT, sort=sort, near=(*CENTRE, 50.0))
    assert sorted(whole) == sorted(m.rid for m in many)
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = await store.search(BoardQuery("skill", limit=10, cursor=cursor, sort=sort,
                                             near=(*CENTRE, 50.0),
                                             facets={"skill": ("solidarite",)}))
        assert page.total == 23
        seen += [item["id"] for item in page.items]
        cursor = page.next
        if cursor is None:
            break
    assert seen == whole  # no gap, no repeat, the same order as one page


async def test_paging_stops_at_the_deepest_result(store: BoardStore) -> None:
    await store.apply(SEED)
    page = await store.search(BoardQuery("skill", cursor=encode_offset(MAX_OFFSET)))
    assert page.items == [] and page.next is None and page.total == 4
    page = await store.search(BoardQuery("skill", limit=3, cursor=encode_offset(2)))
    assert len(page.items) == 2 and page.next is None


@pytest.mark.parametrize("query, message", [
    (BoardQuery("nothing"), "unknown kind"),
    (BoardQuery("skill", sort="oldest"), "unknown sort"),  # type: ignore[arg-type]
    (BoardQuery("skill", limit=MAX_LIMIT + 1), "limit"),
    (BoardQuery("skill", limit=0), "limit"),
    (BoardQuery("skill", start="demain"), "start"),
    (BoardQuery("skill", end="2026-12-01T10:00:00"), "offset"),
    (BoardQuery("skill", start="2026-12-02T00:00:00Z", end="2026-12-01T00:00:00Z"),
     "before"),
    (BoardQuery("skill", cursor="not-a-cursor"), "cursor"),
    (BoardQuery("skill", cursor=encode_offset(10_001)), "cursor"),
    (BoardQuery("skill", sort=BoardSort.DISTANCE), "needs near"),
    (BoardQuery("skill", near=(95.0, 0.0, 1.0)), "near"),
    (BoardQuery("skill", near=(48.0, -1.6, 0.0)), "radius"),
])
async def test_invalid_queries_are_refused(store: BoardStore, query: BoardQuery,
                                           message: str) -> None:
    with pytest.raises(ValueError, match=message):
        await store.search(query)


async def test_reset_empties_the_board(store: BoardStore) -> None:
    await store.apply(SEED)
    await store.reset()
    assert await store.count() == 0 and await ids(store) == []
    assert await store.apply([msg("compta", 1, "Comptabilité")]) == [Outcome.APPLIED]
    assert await ids(store) == ["compta"]
