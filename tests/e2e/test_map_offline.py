"""The map means something without tiles: the quartier and commune outlines of the reference
data are its own base layer, labelled (issue 15, point 2)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e


def test_map_without_tiles_shows_labelled_quartiers_and_communes(
        site: Any, axe_page: Any, axe: Any) -> None:
    page = axe_page
    page.route("**/tiles/**", lambda route: route.abort())
    page.goto(site.url + "/?vue=carte")
    page.wait_for_selector("#carte-limites:not([hidden])")
    page.wait_for_selector(".area-quartier")
    assert page.locator("#carte").is_visible()
    assert page.locator("#carte-hors-ligne").is_hidden()
    assert page.locator(".leaflet-tile-loaded").count() == 0
    assert page.locator("path.area-quartier").count() == 12
    assert page.locator("path.area-commune").count() == 43
    labels = page.locator(".area-label-quartier").all_inner_texts()
    assert "Le Blosne" in labels and "Centre" in labels
    visible = [t for t in page.locator(".area-label:visible").all_inner_texts() if t]
    assert visible, "at the zoom of the events, some quartier or commune is named"
    # the events stay on it, and the list of places under it
    assert page.locator(".leaflet-marker-icon:not(.area-label)").count() == page.locator(
        ".places > li").count()
    assert "Rennes Métropole" in page.locator(".leaflet-control-attribution").inner_text()
    assert axe(page) == []


def test_outlines_are_drawn_over_working_tiles_too(site: Any, page: Any) -> None:
    page.goto(site.url + "/?vue=carte")
    page.wait_for_selector(".leaflet-tile-loaded")
    page.wait_for_selector("path.area-quartier")
    assert page.locator("#carte-limites").is_hidden()
    assert page.evaluate("getComputedStyle(document.querySelector('path.area-commune'))"
                         ".fillOpacity") == "0"  # the tiles show through
    assert page.console_errors == []
