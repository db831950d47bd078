"""From the forms to the lists: a link confirmed through the site reaches the board through
the network's projection (applied as the indexer's board consumer applies it: every
``RECORDS`` message of a link, in order), then the map page's lists, ``/v1/network`` and
its variants, and the association's page show it; ended, it leaves them."""

from __future__ import annotations

import csv
import io

import aiohttp
import pytest

from services.accounts.web import SITE
from services.network.project import PROJECTIONS
from services.network.routes import BOARD
from shared.records import RECORDS_SUBJECT

from .conftest import Browser, Site
from .test_link_pages import LINK, member_of

pytestmark = pytest.mark.integration
#: our partnership alone (the demo has one between two other associations)
OURS = "kind=partnership&association=velo-solidaire"


async def project_all(site: Site) -> None:
    """Every link message of RECORDS into the site's board, oldest first."""
    records = site.app[SITE].ready().records
    messages = [PROJECTIONS["network"](entry, None)
                async for entry in records.scan(f"{RECORDS_SUBJECT}.network.>")]
    board = site.app[BOARD]
    await board.apply(messages)
    await board.settle()


async def api(site: Site, path: str) -> tuple[int, dict, str]:
    async with aiohttp.ClientSession() as http, http.get(site.url + path) as resp:
        text = await resp.text()
        return resp.status, (await resp.json(content_type=None)
                             if "json" in resp.content_type else {}), text


async def confirmed_partnership(site: Site, browser) -> tuple[Browser, Browser]:
    camille = await member_of(site, browser, "velo-solidaire", "camille@velo-solidaire.test")
    noa = await member_of(site, browser, "jardins-blosne", "noa@jardins-blosne.test")
    await camille.post("/reseau/declarer", {
        "source": "velo-solidaire", "target": "jardins-blosne", "kind": "partnership",
        "note": "Atelier réparation au jardin"}, token_from="/reseau/declarer")
    resp = await noa.post(LINK + "/confirmer", {}, token_from="/reseau/declarer")
    assert resp.status == 200
    return camille, noa


async def test_a_confirmed_link_is_listed_then_leaves_when_ended(site: Site, browser) -> None:
    camille, _ = await confirmed_partnership(site, browser)
    await project_all(site)
    status, body, _ = await api(site, "/v1/network")
    assert status == 200
    ids = {e["id"] for e in body["edges"]}
    assert "jardins-blosne.velo-solidaire.partnership" in ids
    assert "acces-culture.velo-solidaire.events" not in ids  # the demo's proposal: private
    assert body["total"] == len(body["edges"]) == 5  # four demo links and ours
    assert {f["value"] for f in body["facets"]["kind"]} >= {"partnership", "events"}
    assert "camille" not in str(body) and "@" not in str(body)
    # filters: a kind; one association and its neighbours
    status, body, _ = await api(site, "/v1/network?" + OURS)
    assert [e["id"] for e in body["edges"]] == ["jardins-blosne.velo-solidaire.partnership"]
    status, body, _ = await api(site, "/v1/network?association=choeur-arc-en-ciel")
    assert {n["id"] for n in body["nodes"]} == {"choeur-arc-en-ciel", "acces-culture"}
    # the page: the same network as lists, filtered the same way
    visitor = await browser()
    status, html = await visitor.get("/reseau?type=partnership&association=velo-solidaire")
    assert status == 200 and "Le réseau des associations" in html
    assert "Roazhon Vélo Solidaire" in html and LINK in html
    assert "Chœur" not in html
    # the association's page lists its links
    status, html = await visitor.get("/associations/jardins-blosne")
    assert "Son réseau" in html and LINK in html
    # GeoJSON and CSV
    status, body, _ = await api(site, "/v1/network.geojson?" + OURS)
    assert status == 200 and body["type"] == "FeatureCollection"
    status, _, text = await api(site, "/v1/network.csv?" + OURS)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["Source"], r["Target"]) for r in rows] == [("jardins-blosne", "velo-solidaire")]
    # ended: gone from the board, the API and the page
    await camille.post(LINK + "/terminer", {}, token_from="/reseau/declarer")
    await project_all(site)
    status, body, _ = await api(site, "/v1/network?" + OURS)
    assert body["edges"] == [] and body["total"] == 0
    status, html = await visitor.get("/reseau?type=partnership&association=velo-solidaire")
    assert LINK not in html and "Aucun lien ne correspond" in html


@pytest.mark.parametrize(("query", "parameter"), [("kind=amitie", "kind"),
                                                   ("theme=nope", "theme"),
                                                   ("colour=red", "colour"),
                                                   ("association=a&association=b",
                                                    "association")])
async def test_bad_filters_are_a_400_in_the_one_error_shape(site: Site, query: str,
                                                             parameter: str) -> None:
    status, body, _ = await api(site, "/v1/network?" + query)
    assert status == 400
    assert body["error"]["code"] == "invalid_parameter"
    assert body["error"]["details"]["parameter"] == parameter


async def test_a_bad_filter_on_the_page_is_said_in_french(site: Site, browser) -> None:
    visitor = await browser()
    status, html = await visitor.get("/reseau?type=amitie")
    assert status == 400 and "Un des types de lien demandés n’existe pas" in html
