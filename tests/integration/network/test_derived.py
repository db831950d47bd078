"""Links derived from the agenda: an organizer field that names two associations (its link
record names both for good, here by operators' decisions) shows each on the other's page
and on the network page around one of them, marked as not declared, and never as a
declared link of the board."""

from __future__ import annotations

import pytest

from services.accounts.web import SITE
from services.associations import links
from services.associations.directory_api import DIRECTORY
from tests.directory_projection import project_directory

from .conftest import Site

pytestmark = pytest.mark.integration

TOGETHER = "Vélo Solidaire et Jardins du Blosne"


async def test_co_organisers_are_shown_marked_as_derived(site: Site, browser) -> None:
    stores = site.app[SITE].ready()
    records = stores.records
    lid = links.link_id(links.ORGANIZER, TOGETHER)
    await records.create(links.subject(records, lid), {
        "id": lid, "kind": links.ORGANIZER, "value": TOGETHER, "label": TOGETHER,
        "links": [], "decisions": {"Vélo Solidaire": "velo-solidaire",
                                   "Jardins du Blosne": "jardins-blosne"}}, actor="cli")
    await project_directory(stores.bus, site.app[DIRECTORY])
    visitor = await browser()
    status, html = await visitor.get("/associations/velo-solidaire")
    assert status == 200
    derived = html.split('id="reseau-deduit"', 1)[1].split("</ul>", 1)[0]
    assert "Les Jardins Partagés du Blosne" in derived and TOGETHER in derived
    status, html = await visitor.get("/associations/choeur-arc-en-ciel")
    assert 'id="reseau-deduit"' not in html
    status, html = await visitor.get("/reseau?association=jardins-blosne")
    assert status == 200 and "Liens déduits de l’agenda" in html
    assert "Roazhon Vélo Solidaire" in html.split('id="deduits"', 1)[1]
