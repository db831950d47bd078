"""Fixtures of the query-service tests: a real SQLite file seeded with a few events, and
the service on a loopback port (aiohttp TestServer, real HTTP).

Every date is relative to now (in Europe/Paris), so the tests never go stale.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from services.query.app import create_app
from services.query.settings import SETTINGS as QUERY_SETTINGS
from shared.calls import Call
from shared.model import PARIS, Event, EventMessage, Location, Occurrence, ThemeTag, now_version
from shared.settings import load
from shared.store.sqlite import SqliteStore

TODAY = datetime.now(PARIS).date()


def at(days: int, hour: int, minute: int = 0) -> datetime:
    """A moment ``days`` from today at ``hour`` (Paris time)."""
    return datetime.combine(TODAY + timedelta(days=days), time(hour, minute), PARIS)


def occ(days: int, hour: int, hours: int = 2, **kw: Any) -> Occurrence:
    start = at(days, hour)
    return Occurrence(start=start, end=start + timedelta(hours=hours), **kw)


CENTRE = Location(name="Les Champs Libres", address="10 cours des Alliés", postcode="35000",
                  city="Rennes", lat=48.1057, lon=-1.6746, quartier="Centre", commune="Rennes",
                  precision="venue")
SUD_GARE = Location(name="La Petite Rennes", address="2 rue de l'Alma", postcode="35000",
                    city="Rennes", lat=48.0995, lon=-1.6722, quartier="Sud-Gare",
                    commune="Rennes", precision="venue")
BREQUIGNY = Location(name="Gymnase de Bréquigny", city="Rennes", lat=48.0853, lon=-1.6919,
                     quartier="Bréquigny", commune="Rennes", precision="venue")
CESSON = Location(name="Place de l'église", city="Cesson-Sévigné", lat=48.1211, lon=-1.6030,
                  commune="Cesson-Sévigné", precision="street")
UPDATED = datetime(2026, 1, 15, 10, 30, tzinfo=PARIS)


def theme(code: str) -> tuple[ThemeTag, ...]:
    return (ThemeTag(code, "test"),)


def seed_events() -> list[Event]:
    return [
        Event.create(
            source_id="chorale", source_uid="c1", title="Concert de la chorale du Thabor",
            occurrences=[occ(2, 20)], location=CENTRE, organizer="Chorale du Thabor",
            description="<p>Un concert de chants bretons.</p>",
            description_text="Un concert de chants bretons et de musiques du monde, par "
            "quarante choristes amateurs. Entrée libre, venez nombreux écouter la chorale !",
            themes=theme("culture"), keywords=("chant", "chorale"),
            accessibility=("hi", "lsf"), audience=("tout-public",), is_free=True,
            url="https://chorale.example/agenda/concert", updated=UPDATED,
        ),
        Event.create(
            source_id="velo", source_uid="atelier", title="Atelier de réparation vélo",
            occurrences=[occ(1, 14, 3), occ(8, 14, 3), occ(15, 14, 3)], location=SUD_GARE,
            organizer="La Petite Rennes", description_text="Venez réparer votre vélo avec "
            "les bénévoles : freins, crevaisons, dérailleurs.",
            themes=theme("environnement"), keywords=("vélo", "réparation"),
            audience=("adultes",), is_free=True,
        ),
        Event.create(
            source_id="sport", source_uid="basket", title="Tournoi de basket des jeunes",
            occurrences=[occ(3, 10, 6)], location=BREQUIGNY, organizer="Cercle Paul Bert",
            description_text="Tournoi amical ouvert aux 12-17 ans.",
            themes=theme("sport"), keywords=("basket",), accessibility=("mi",),
            audience=("jeunes",), is_free=False, price="5 €",
        ),
        Event.create(
            source_id="citoyens", source_uid="conf", title="Conférence sur le climat",
            occurrences=[occ(4, 18)], location=CENTRE, organizer="Alternatiba Rennes",
            description_text="Conférence-débat annulée.", themes=theme("citoyennete"),
            status="cancelled", is_free=True,
        ),
        Event.create(
            source_id="loisirs", source_uid="vg", title="Vide-grenier de printemps",
            occurrences=[Occurrence(start=at(5, 0), end=at(6, 0), all_day=True)],
            location=CESSON, organizer="Comité des fêtes", themes=theme("loisirs"),
            description_text="Grand vide-grenier dans le bourg.", audience=("familles",),
        ),
        Event.create(
            source_id="chorale", source_uid="old", title="Répétition passée de la chorale",
            occurrences=[occ(-3, 20)], location=CENTRE, organizer="Chorale du Thabor",
            themes=theme("culture"),
        ),
        Event.create(
            source_id="solidarite", source_uid="tricky",
            title="Repas solidaire; soupe, pain & fromage — « entrée » à prix libre",
            occurrences=[occ(6, 12)], location=CENTRE, organizer="Secours populaire, Rennes",
            description_text="Ligne 1, avec virgule; point-virgule \\ barre oblique\n"
            "Ligne 2 : une très longue ligne accentuée — éèêëàâäôöûüç — qui dépasse largement "
            "soixante-quinze octets pour forcer le pliage des lignes du calendrier.",
            themes=theme("solidarite"), keywords=("repas",), is_free=True,
        ),
    ]


async def seed(store: SqliteStore, events: list[Event] | None = None) -> list[Event]:
    events = seed_events() if events is None else events
    version = now_version()
    await store.apply([EventMessage.upsert(ev, version) for ev in events])
    return events


def query_settings(**env: str) -> Any:
    defaults = {"MAILLAGE_RATE_LIMIT": "0", "MAILLAGE_PUBLIC_URL": "https://maillage.example"}
    return load(QUERY_SETTINGS, {**defaults, **env})


THEMES = ("sport", "culture", "environnement")
QUARTIERS = ("Centre", "Sud-Gare")


def seed_associations(count: int) -> list[dict[str, Any]]:
    """Directory records: themes and quartiers in turn."""
    return [{"id": f"asso{i:02d}", "name": f"Association numéro {i:02d}", "state": "active",
             "themes": [THEMES[i % 3]], "quartiers": [QUARTIERS[i % 2]]}
            for i in range(count)]


def seed_calls(count: int) -> list[Call]:
    """Open calls, deadlines 2 days apart from tomorrow; themes and quartiers in turn."""
    now = datetime.now(PARIS)
    return [Call.create(publisher="ville", publisher_id=f"appel{i}", title=f"Appel {i}",
                        funder="Ville de Rennes", themes=(THEMES[i % 3],),
                        quartier=QUARTIERS[i % 2],
                        deadline=now + timedelta(days=1 + 2 * i, hours=3))
            for i in range(count)]


@pytest.fixture
async def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "index.sqlite"
    store = SqliteStore(path)
    await seed(store)
    await store.close()
    return path


Client = TestClient  # type: ignore[type-arg]
MakeClient = Callable[..., Awaitable[TestClient]]  # type: ignore[type-arg]


@pytest.fixture
async def make_client(store_path: Path) -> AsyncIterator[MakeClient]:
    """``await make_client(MAILLAGE_X="...")``: a client of a fresh service on loopback."""
    clients: list[TestClient] = []  # type: ignore[type-arg]

    async def make(**env: str) -> TestClient:  # type: ignore[type-arg]
        app = create_app(query_settings(**env), SqliteStore(store_path))
        client = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
        return client

    try:
        yield make
    finally:
        for client in clients:
            await client.close()


@pytest.fixture
async def client(make_client: MakeClient) -> TestClient:  # type: ignore[type-arg]
    return await make_client()


@pytest.fixture
def events() -> dict[str, Event]:
    return {ev.source_uid: ev for ev in seed_events()}
