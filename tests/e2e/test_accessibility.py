"""axe-core (vendored, tests/e2e/vendor) finds no serious or critical violation on any view."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e

PAGES = {
    "liste": "/",
    "liste-filtree": "/?theme=culture&quartier=Centre&free=true",
    "aucun-resultat": "/?q=zzzzzzzz",
    "erreur": "/?from=2026-13-45",
    "mois": "/?vue=calendrier",
    "semaine": "/?vue=semaine",
    "carte": "/?vue=carte",
    "integrer": "/integrer?organizer=Le%20Jardin%20Moderne",
    "widget": "/widget?theme=culture",
    "introuvable": "/evenement/oc_inexistant",
}


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_no_serious_axe_violation(site: Any, axe_page: Any, axe: Any, path: str) -> None:
    axe_page.goto(site.url + path)
    if "carte" in path:
        axe_page.wait_for_selector(".leaflet-marker-icon")
    assert axe(axe_page) == []


def test_no_serious_axe_violation_on_event_page(site: Any, axe_page: Any, axe: Any) -> None:
    axe_page.goto(site.url + "/?q=fest-noz")
    axe_page.locator(".event .title a").first.click()
    axe_page.wait_for_url("**/evenement/**")
    assert axe(axe_page) == []
