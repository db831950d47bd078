"""The venues' lists read the board: the demo venues and their slots projected by
:data:`services.venues.project.PROJECTIONS` into the site's own board store, then found by
``GET /v1/venues`` and ``/salles`` with each filter (capacity and price bands, equipment,
words, "free on" a day), bad parameters refused in the one error shape, and a slot accepted
for a booking no longer making its venue "free" that day."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import aiohttp
import pytest

from services.accounts.web import SITE
from services.venues.project import PROJECTIONS
from services.venues.storage import Venues
from shared.model import Location
from shared.records import RECORDS_SUBJECT
from shared.store.board_base import BOARD

from .conftest import Site

pytestmark = pytest.mark.integration


def next_weekday(weekday: int) -> date:
    today = date.today()
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


def geocode(location: Location) -> Location:
    """A stand-in for the events' geocoder: the Blosne for 35200, else the centre."""
    blosne = location.postcode == "35200"
    return replace(location, quartier="Le Blosne" if blosne else "Centre",
                   lat=48.09 if blosne else 48.11, lon=-1.66 if blosne else -1.68,
                   precision="street")


async def project(site: Site) -> None:
    """What the indexer's board consumer does with each venue and slot record."""
    stores = site.app[SITE].ready()
    board = site.app[BOARD]
    messages = []
    for kind in PROJECTIONS:
        entries = await stores.records.latest(f"{RECORDS_SUBJECT}.{kind}.>", deleted=True)
        messages += [PROJECTIONS[kind](e, geocode) for e in entries]
    await board.apply(messages)
    await board.settle()


async def get(site: Site, path: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(site.url + path) as resp:
        return resp.status, await resp.json()


async def names(site: Site, query: str) -> list[str]:
    status, body = await get(site, "/v1/venues?" + query)
    assert status == 200, body
    assert body["total"] == len(body["items"])
    return sorted(item["id"] for item in body["items"])


async def test_the_venues_list_filters_on_the_board(site: Site) -> None:
    await project(site)
    assert await names(site, "") == ["atelier-des-allies", "maison-du-blosne",
                                     "salle-de-la-cite"]
    assert await names(site, "capacity=100") == ["salle-de-la-cite"]
    assert await names(site, "capacity=20") == ["atelier-des-allies", "maison-du-blosne",
                                                "salle-de-la-cite"]
    assert await names(site, "max_price=0") == ["atelier-des-allies"]
    assert await names(site, "max_price=20") == ["atelier-des-allies", "maison-du-blosne"]
    assert await names(site, "equipment=cuisine") == ["maison-du-blosne"]
    assert await names(site, "equipment=cuisine&equipment=scene") == []
    assert await names(site, "q=jardin") == ["maison-du-blosne"]
    assert await names(site, "quartier=Le%20Blosne") == ["maison-du-blosne"]
    wednesday, saturday = next_weekday(2), next_weekday(5)
    assert await names(site, f"free_on={wednesday}") == ["atelier-des-allies"]
    assert await names(site, f"free_on={saturday}&capacity=100") == ["salle-de-la-cite"]
    status, body = await get(site, "/v1/venues?max_price=7")
    assert status == 400 and body["error"]["details"] == {"parameter": "max_price"}
    status, body = await get(site, "/v1/venues?salle=1")
    assert status == 400 and body["error"]["code"] == "invalid_parameter"
    status, body = await get(site, "/v1/venues?free_on=mercredi")
    assert status == 400
    status, body = await get(site, f"/v1/venues?free_on={date.today() - timedelta(days=1)}")
    assert status == 400 and body["error"]["details"] == {"parameter": "free_on"}
    item = (await get(site, "/v1/venues?q=cit%C3%A9"))[1]["items"][0]
    assert "facets" not in item and "created_by" not in item and item["cheapest"] == 12000

    async with aiohttp.ClientSession(headers={"Accept": "text/html"}) as http:
        async with http.get(f"{site.url}/salles?libre_le={wednesday}") as resp:
            html = await resp.text()
    assert resp.status == 200 and "L’atelier des Alliés" in html
    assert "Salle de la Cité" not in html
    assert 'id="carte-donnees"' in html and '"/salles/atelier-des-allies"' in html
    status, one = await get(site, "/v1/venues/maison-du-blosne")
    assert one["item"]["quartier"] == "Le Blosne" and len(one["item"]["slots"]) >= 6

    # the Wednesday slot booked: the atelier is no longer free that day
    stores = site.app[SITE].ready()
    venues = Venues(stores)
    venue = await venues.get("atelier-des-allies")
    assert venue is not None
    (slot,) = [s for s in await venues.free_slots(venue.id) if s.day == wednesday.isoformat()]
    booking = await venues.request(venue, slot.id, requester="p_x", association="choeur",
                                   association_name="Chœur", purpose="Répétition", people=20)
    await venues.decide(venue.id, booking.id, True, actor="p_owner")
    await project(site)
    assert await names(site, f"free_on={wednesday}") == []
    assert await names(site, f"free_on={wednesday + timedelta(days=7)}") == [
        "atelier-des-allies"]
