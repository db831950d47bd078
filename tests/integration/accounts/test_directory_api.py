"""The directory's API on the running site (real nats-server, real SQLite stores): search with
words and facets, upcoming events by organizer, exports, one association, and associations
in /v1/search's kind facet."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from services.accounts.web import SITE
from services.associations.directory_api import DIRECTORY
from services.associations.project import searchable
from services.associations.storage import Associations
from services.query.context import STORE
from shared.model import Event, EventMessage, Location, Occurrence
from shared.store.directory_base import DirectoryMessage

from .conftest import Site


def record(aid: str, name: str, **kw: Any) -> dict[str, Any]:
    return {"id": aid, "name": name, "state": "active", **kw}


RECORDS = [
    record("velo", "Vélo Club des Alliés", acronym="VCA", themes=["sport"],
           organizers=["Vélo Club Rennes"], tools=["mobilizon"],
           address={"street": "6 cours des Alliés", "city": "Rennes", "postcode": "35000"},
           purpose="Promouvoir le vélo"),
    record("boules", "Amicale des boulistes", themes=["sport"], state="dissolved",
           purpose="=cmd|' /C calc'!A0"),  # a formula, for the CSV export
    record("chorale", "Chorale du Blosne", themes=["culture"], purpose="Chant choral"),
]


async def seed(site: Site) -> None:
    docs = [DirectoryMessage(r["id"], i + 1, searchable(r, None))
            for i, r in enumerate(RECORDS)]
    await site.app[DIRECTORY].apply(docs)
    start = datetime.now(UTC) + timedelta(days=3)
    event = Event.create(source_id="s1", source_uid="u1", title="Balade à vélo",
                         organizer="Vélo Club Rennes", location=Location(city="Rennes"),
                         occurrences=(Occurrence(start, start + timedelta(hours=2)),))
    await site.app[STORE].apply([EventMessage.upsert(event, 1)])


async def get(site: Site, path: str, **params: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session, session.get(site.url + path,
                                                               params=params) as resp:
        body = await resp.json() if resp.content_type.endswith("json") else await resp.text()
        return resp.status, body


async def test_search_words_facets_and_upcoming_events(site: Site) -> None:
    await seed(site)
    status, page = await get(site, "/v1/associations", q="velo")
    assert status == 200 and [i["id"] for i in page["items"]] == ["velo"]
    assert "facets" not in page and page["total"] == 1
    status, page = await get(site, "/v1/associations", facets="true")
    assert page["total"] == 3 and page["facets"]["theme"][0] == {"value": "sport", "count": 2}
    assert page["facets"]["has_events"] == [{"value": "false", "count": 2},
                                            {"value": "true", "count": 1}]
    assert page["facets"]["state"] == [{"value": "active", "count": 2},
                                       {"value": "dissolved", "count": 1}]
    _, page = await get(site, "/v1/associations", has_events="true")
    assert [i["id"] for i in page["items"]] == ["velo"]
    _, page = await get(site, "/v1/associations", theme="sport", state="dissolved")
    assert [i["id"] for i in page["items"]] == ["boules"]
    _, page = await get(site, "/v1/associations", limit="2")
    assert len(page["items"]) == 2 and page["next"]
    _, rest = await get(site, "/v1/associations", limit="2", cursor=page["next"])
    assert [i["id"] for i in rest["items"]] == ["velo"] and rest["next"] is None


async def test_bad_parameters_are_400_in_the_one_error_shape(site: Site) -> None:
    for params, name in (({"theme": "nope"}, "theme"), ({"cursor": "xyz"}, "cursor"),
                         ({"limit": "0"}, "limit"), ({"has_events": "maybe"}, "has_events"),
                         ({"state": "pending"}, "state"), ({"colour": "red"}, "colour"),
                         ({"q": "a" * 201}, "q"), ({"rna_theme": "11"}, "rna_theme")):
        status, body = await get(site, "/v1/associations", **params)
        assert status == 400, (params, body)
        assert body["error"]["code"] == "invalid_parameter"
        assert body["error"]["details"]["parameter"] == name
    status, body = await get(site, "/v1/associations.csv", limit="3")
    assert status == 400 and body["error"]["details"]["parameter"] == "limit"


async def test_exports_csv_and_json(site: Site) -> None:
    await seed(site)
    status, text = await get(site, "/v1/associations.csv", theme="sport")
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["id"] for r in rows] == ["boules", "velo"]
    assert rows[0]["purpose"].startswith("'=")  # not a formula in a spreadsheet
    assert rows[1]["themes"] == "sport" and rows[1]["tools"] == "mobilizon"
    status, body = await get(site, "/v1/associations.json")
    assert status == 200 and body["total"] == 3 and len(body["items"]) == 3


async def test_one_association_from_the_record_with_its_place(site: Site) -> None:
    await seed(site)
    associations = Associations(site.app[SITE].ready())
    created = await associations.create(
        {"name": "Club du Thabor", "contact": {"email": "c@thabor.example"}}, actor="p_1",
        aid="velo")
    status, body = await get(site, "/v1/associations/velo")
    assert status == 200 and body["item"]["name"] == created.name
    assert "contact" not in body["item"]
    assert body["item"]["commune"] == "Rennes"  # from the projection
    await associations.create({"name": "Pas encore"}, actor="p_2", state="pending",
                              aid="attente")
    status, body = await get(site, "/v1/associations/attente")
    assert status == 404 and body["error"]["code"] == "association_not_found"
    await associations.create({"name": "Dissoute"}, actor="cli", state="dissolved",
                              aid="dissoute")
    status, body = await get(site, "/v1/associations/dissoute")
    assert status == 200 and body["item"]["state"] == "dissolved"


async def test_associations_in_the_unified_search(site: Site) -> None:
    await seed(site)
    status, body = await get(site, "/v1/search", q="velo")
    assert status == 200
    assert {"value": "association", "count": 1} in body["facets"]["kind"]
    assert {"value": "event", "count": 1} in body["facets"]["kind"]
    kinds = [i["kind"] for i in body["items"]]
    assert kinds == ["event", "association"]
    _, only = await get(site, "/v1/search", q="velo", kind="association")
    assert [i["id"] for i in only["items"]] == ["velo"]
