"""The network of associations in a real browser: /reseau works without JavaScript (the
lists, the filters), draws the associations and the lines of their links on the map with
JavaScript, fits a 320 px screen; a member answers a proposal from their account page; no
page has a serious or critical axe-core violation (and the session's HTML checker reads
every page served)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e
HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from network_seed import seed  # noqa: E402
from test_accounts_pages import sign_in, site_class  # noqa: E402

PROPOSAL = "/reseau/liens/acces-culture.velo-solidaire.events"


@pytest.fixture(scope="module")
def network_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    site = site_class()(tmp_path_factory.mktemp("network")).start()
    try:
        site.run(seed(site))
        yield site
    finally:
        site.stop()


def test_the_network_as_lists_and_filters_without_javascript(network_site: Any,
                                                             nojs_page: Any) -> None:
    page = nojs_page
    page.goto(network_site.url + "/reseau")
    assert page.get_by_role("heading", name="Le réseau des associations").is_visible()
    assert page.locator("#carte").is_hidden()  # the map needs JavaScript: the lists stay
    listed = page.get_by_role("heading", name="Roazhon Vélo Solidaire")
    assert listed.is_visible()
    page.get_by_label("Prêt de matériel").check()
    page.get_by_role("button", name="Appliquer les filtres").click()
    assert "type=equipment" in page.url
    assert page.locator("ul.network > li").count() == 2
    assert page.get_by_role("heading", name="Chœur Arc-en-Ciel de Rennes").count() == 0
    page.get_by_role("link", name="Tout effacer").click()
    page.get_by_role("link", name="Voir seulement Chœur Arc-en-Ciel de Rennes et ses voisins"
                     ).click()
    assert "association=choeur-arc-en-ciel" in page.url
    assert page.locator("ul.network > li").count() == 2
    assert page.get_by_role("link", name="Autour de Chœur Arc-en-Ciel de Rennes (retirer ce "
                                         "filtre)").is_visible()


def test_the_map_draws_the_associations_and_their_links(network_site: Any, page: Any) -> None:
    page.goto(network_site.url + "/reseau")
    page.locator("#carte .leaflet-marker-icon").first.wait_for()
    # the demo places two head offices (the others give only their commune: listed, with a
    # note, never pinned on a false place), so one of the four lines can be drawn
    assert page.locator("#carte img.leaflet-marker-icon").count() == 2
    assert page.locator("#carte path.reseau-lien").count() == 1
    assert page.get_by_text("3 associations sans adresse localisée").is_visible()
    assert page.console_errors == []


def test_no_sideways_scroll_at_320_px(network_site: Any, browser: Any) -> None:
    from conftest import new_page

    small = new_page(browser, viewport={"width": 320, "height": 640})
    try:
        small.goto(network_site.url + "/reseau")
        assert small.evaluate("document.documentElement.scrollWidth") <= 320
    finally:
        small.context.close()


def test_a_member_confirms_a_proposal_from_their_account(network_site: Any,
                                                         page: Any) -> None:
    sign_in(page, network_site, "camille@velo-solidaire.test")
    page.get_by_label("Rejoindre une association").select_option("velo-solidaire")
    page.get_by_role("button", name="Demander à rejoindre").click()
    page.goto(network_site.url + "/compte")
    assert page.get_by_role("heading", name="Liens à confirmer").is_visible()
    page.get_by_role("link", name="Collectif Accès Culture Rennes propose un lien avec "
                                  "Roazhon Vélo Solidaire", exact=False).click()
    assert page.url.endswith(PROPOSAL)
    page.get_by_role("button", name="Confirmer le lien").click()
    assert page.get_by_role("status").inner_text().startswith("Le lien est confirmé")
    page.goto(network_site.url + "/reseau/declarer?depuis=velo-solidaire")
    page.get_by_role("button", name="Proposer ce lien").click()  # nothing filled in
    assert page.get_by_role("alert").is_visible()
    assert page.get_by_label("Type de lien").get_attribute("aria-invalid") == "true"


@pytest.mark.parametrize("path", ["/reseau", "/reseau?type=events", PROPOSAL,
                                  "/associations/velo-solidaire"])
def test_no_serious_accessibility_violation(network_site: Any, axe_page: Any, axe: Any,
                                            path: str) -> None:
    if path == PROPOSAL:  # private until confirmed: its members see it
        sign_in(axe_page, network_site, "dominique@velo-solidaire.test")
        axe_page.get_by_label("Rejoindre une association").select_option("velo-solidaire")
        axe_page.get_by_role("button", name="Demander à rejoindre").click()
    axe_page.goto(network_site.url + path)
    assert axe(axe_page) == []


def test_the_declaration_form_has_no_serious_accessibility_violation(
        network_site: Any, axe_page: Any, axe: Any) -> None:
    sign_in(axe_page, network_site, "sacha@jardins-blosne.test")
    axe_page.get_by_label("Rejoindre une association").select_option("jardins-blosne")
    axe_page.get_by_role("button", name="Demander à rejoindre").click()
    axe_page.goto(network_site.url + "/reseau/declarer?avec=choeur-arc-en-ciel")
    assert axe(axe_page) == []
    axe_page.get_by_role("button", name="Proposer ce lien").click()
    assert axe(axe_page) == []
