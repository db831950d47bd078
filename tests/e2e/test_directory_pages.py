"""The directory /associations, an association's page, /outils and the operators' review queue
of links in a real browser: they work without JavaScript, the map shows the placed
associations with JavaScript, and no page has a serious or critical axe-core violation."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e
HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from directory_seed import UNCERTAIN, seed  # noqa: E402
from test_accounts_pages import _grant, seed_call, sign_in, site_class  # noqa: E402


@pytest.fixture(scope="module")
def directory_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    data = tmp_path_factory.mktemp("directory")
    seed_call(data / "calls.sqlite")
    site = site_class()(data).start()
    try:
        site.run(seed(site))
        yield site
    finally:
        site.stop()


def test_search_filter_and_open_an_association_without_javascript(directory_site: Any,
                                                                  nojs_page: Any) -> None:
    page = nojs_page
    page.goto(directory_site.url + "/associations")
    assert page.get_by_role("heading", name="Annuaire des associations").is_visible()
    assert page.get_by_role("link", name="Associations", exact=True).get_attribute(
        "aria-current") == "page"
    page.get_by_role("searchbox", name="Rechercher une association").fill("vélo")
    page.get_by_role("button", name="Rechercher").click()
    assert page.get_by_role("link", name="La Petite Rennes").is_visible()
    assert page.get_by_role("link", name="Le Jardin Moderne").count() == 0
    page.goto(directory_site.url + "/associations")
    page.get_by_label("Google Agenda").check()
    page.get_by_role("button", name="Appliquer les filtres").click()
    assert "outil=google-agenda" in page.url
    assert page.get_by_role("link", name="Le Jardin Moderne").is_visible()
    assert page.get_by_role("link", name="La Petite Rennes").count() == 0
    page.get_by_role("link", name="Le Jardin Moderne").click()
    assert page.get_by_role("heading", name="Le Jardin Moderne").is_visible()
    assert page.get_by_role("heading", name="Ses prochains événements").is_visible()
    upcoming = page.locator("ul.upcoming li")
    assert upcoming.count() >= 1
    assert page.get_by_role("link", name="W353000111").is_visible()  # the official register
    ld = json.loads(page.locator('script[type="application/ld+json"]').text_content() or "")
    assert ld["@type"] == "NGO" and ld["identifier"][0]["value"] == "W353000111"
    page.goto(directory_site.url + "/outils")
    assert page.get_by_role("heading", name="Inventaire des outils").is_visible()
    assert page.get_by_role("heading", name="Rejoindre Maillage").is_visible()


def test_the_directory_map_shows_the_placed_associations(directory_site: Any,
                                                         page: Any) -> None:
    page.goto(directory_site.url + "/associations")
    page.locator("#carte .leaflet-marker-icon").first.wait_for()
    titles = page.locator("#carte .leaflet-marker-icon").evaluate_all(
        "els => els.map(e => e.getAttribute('title'))")
    assert "Le Jardin Moderne" in titles and "La Petite Rennes" in titles
    assert page.get_by_role("link", name="Le Jardin Moderne").first.is_visible()  # the list


PAGES = ("/associations", "/associations?q=v%C3%A9lo",
         "/associations?outil=helloasso&theme=culture", "/associations?q=zzzz",
         "/associations/jardin-moderne", "/associations/cine-lices", "/outils",
         "/operateurs/liens",
         # a refused filter, a page past the last (issue 20)
         "/associations?q=v%C3%A9lo&theme=nope&commune=Saint-Malo", "/associations?page=99")


def test_directory_pages_have_no_serious_axe_violation(directory_site: Any, axe_page: Any,
                                                       axe: Any) -> None:
    page = axe_page
    directory_site.run(_grant(directory_site))
    sign_in(page, directory_site, "ops@ville.example")
    for path in PAGES:
        page.goto(directory_site.url + path)
        assert page.title(), path
        assert axe(page) == [], path
    page.goto(directory_site.url + "/operateurs/liens")
    assert page.get_by_role("heading", name=UNCERTAIN).is_visible()
    page.get_by_role("button", name=f"Enregistrer pour {UNCERTAIN}").click()
    page.get_by_text("Votre décision est enregistrée.").wait_for()
