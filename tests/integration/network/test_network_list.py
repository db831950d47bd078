"""From the forms to the lists: a link confirmed through the site reaches the board through
the indexer's real board consumer (on the real nats-server, into the site's SQLite board),
then the map page's lists, ``/v1/network`` and its variants, and the association's page
show it; ended, it leaves them."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator

import aiohttp
import pytest

from services.accounts.web import SITE
from services.indexer.board_consumer import BoardIndexer
from services.indexer.board_domains import projections
from shared.store.board_base import BOARD

from .conftest import Browser, Site
from .test_link_pages import LINK, member_of

pytestmark = pytest.mark.integration
#: our partnership alone (the demo has one between two other associations)
OURS = "kind=partnership&association=velo-solidaire"


@pytest.fixture
async def indexer(site: Site) -> AsyncIterator[None]:
    """The indexer's board consumer, with the domains of ``board_domains``, running."""
    consumer = BoardIndexer(site.app[SITE].ready().bus, site.app[BOARD], None,
                            by_kind=projections(), batch_size=16)
    task = asyncio.create_task(consumer.run(idle_timeout=0.2))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def shown(site: Site, query: str, count: int) -> dict:
    """``/v1/network?query`` once it has ``count`` edges (the consumer caught up)."""
    async with asyncio.timeout(30):
        while True:
            status, body, _ = await api(site, "/v1/network?" + query)
            if status == 200 and len(body["edges"]) == count:
                return body
            await asyncio.sleep(0.05)


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


async def test_a_confirmed_link_is_listed_then_leaves_when_ended(site: Site, browser,
                                                                  indexer: None) -> None:
    camille, _ = await confirmed_partnership(site, browser)
    body = await shown(site, "", 5)
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
    body = await shown(site, OURS, 0)
    assert body["total"] == 0
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
