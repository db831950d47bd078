"""The list API and page read the board (the real SQLite board of the site's data
directory; the applications projected with :mod:`services.applications.project`)."""

from __future__ import annotations

from typing import Any

import pytest

from services.accounts.web import SITE
from services.applications.project import project
from services.applications.storage import Applications
from shared.store.board_base import BOARD
from tests.integration.accounts.conftest import Site

pytestmark = pytest.mark.integration


async def seeded(site: Site) -> list[str]:
    stores = site.app[SITE].ready()
    applications = Applications(stores)
    ids = []
    for title, quartier, days in (("Vélo-école", "Le Blosne", 10), ("Chorale", "Centre", 40)):
        app = await applications.open(
            {"title": title, "summary": f"{title} pour tous.", "funder": "Fondation",
             "deadline": f"2099-01-{days % 28 + 1:02d}T12:00:00+01:00", "quartiers": [quartier],
             "themes": ["culture"]}, lead="velo-solidaire", lead_name="Roazhon Vélo Solidaire",
            call=None, actor="p_test")
        ids.append(app.id)
    formed = await applications.set_state(ids[1], "formed", actor="p_test")
    board = site.app[BOARD]
    for app_id in ids:
        entry = await stores.records.get(applications.subject(app_id))
        assert entry is not None
        await board.apply([project(entry, None)])
    await board.settle()
    assert formed.state == "formed"
    return ids


async def get(site: Site, browser: Any, path: str) -> tuple[int, Any]:
    b = await browser()
    async with b.session.get(site.url + path, headers={"Accept": "application/json"}) as r:
        return r.status, await r.json()


async def test_the_api_filters_by_quartier_and_seeking(site: Site, browser: Any) -> None:
    velo, chorale = await seeded(site)
    status, body = await get(site, browser, "/v1/applications?quartier=Le%20Blosne")
    assert status == 200 and [i["id"] for i in body["items"]] == [velo]
    assert "text" not in body["items"][0] and "opened_by" not in body["items"][0]
    status, body = await get(site, browser, "/v1/applications?seeking=no&facets=true")
    assert [i["id"] for i in body["items"]] == [chorale]
    assert {f["value"]: f["count"] for f in body["facets"]["seeking"]} == {"yes": 1, "no": 1}
    status, body = await get(site, browser, "/v1/applications?q=chorale")
    assert [i["id"] for i in body["items"]] == [chorale]


async def test_a_period_finds_what_is_open_then(site: Site, browser: Any) -> None:
    velo, chorale = await seeded(site)  # deadlines on 2099-01-11 and 2099-01-13
    status, body = await get(site, browser, "/v1/applications?from=2099-01-12&to=2099-01-31")
    assert status == 200 and [i["id"] for i in body["items"]] == [chorale]
    status, body = await get(site, browser, "/v1/applications?from=2099-01-14")
    assert body["total"] == 0


@pytest.mark.parametrize("query", ["sort=x", "seeking=maybe", "limit=0", "cursor=abc",
                                   "from=demain", "to=2099-01-01T00:00:00", "state=bogus",
                                   "theme=pas-un-theme", "quartier=Montmartre"])
async def test_a_bad_parameter_is_a_400_in_the_one_error_shape(site: Site, browser: Any,
                                                               query: str) -> None:
    status, body = await get(site, browser, f"/v1/applications?{query}")
    assert status == 400 and body["error"]["code"] == "invalid_parameter"
    assert body["error"]["details"]["parameter"] == query.split("=")[0]


async def test_the_page_lists_the_open_ones_with_their_lead(site: Site, browser: Any) -> None:
    velo, chorale = await seeded(site)
    b = await browser()
    status, html = await b.get("/candidatures?ouvertes=oui")
    assert status == 200 and f"/candidatures/{velo}" in html
    assert f"/candidatures/{chorale}" not in html and "Portée par Roazhon Vélo Solidaire" in html
    status, html = await b.get("/candidatures?ouvertes=peut-etre")
    assert status == 400 and "Un des filtres n’est pas valable" in html
