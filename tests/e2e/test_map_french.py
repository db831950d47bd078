"""The map speaks French: zoom buttons, popup close button, "et 2 autres"; Esc closes a popup
and gives the focus back to its marker (RGAA 8.7, 7.1)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from shared.model import EventMessage, now_version

pytestmark = pytest.mark.e2e


def test_leaflet_controls_are_in_french(site: Any, page: Any) -> None:
    page.goto(site.url + "/?vue=carte")
    page.wait_for_selector(".leaflet-marker-icon")
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "Zoomer"
    assert page.locator(".leaflet-control-zoom-out").get_attribute("title") == "Dézoomer"
    assert "Zoom in" not in page.locator("#carte").inner_html()
    marker = page.locator(".leaflet-marker-icon").first
    marker.focus()
    page.keyboard.press("Enter")
    close = page.locator(".leaflet-popup-close-button")
    close.wait_for()
    assert close.get_attribute("aria-label") == "Fermer"


def test_escape_closes_a_popup_from_inside_it(site: Any, page: Any) -> None:
    page.goto(site.url + "/?vue=carte")
    marker = page.locator(".leaflet-marker-icon").first
    marker.wait_for()
    marker.focus()
    page.keyboard.press("Enter")
    popup_link = page.locator(".leaflet-popup-content a").first
    popup_link.wait_for()
    popup_link.focus()
    page.keyboard.press("Escape")
    page.locator(".leaflet-popup").wait_for(state="detached")
    assert page.evaluate("document.activeElement.classList.contains('leaflet-marker-icon')")


@pytest.fixture(scope="module")
def busy_site(site: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The seeded site plus a place with ten events (a popup lists eight)."""
    module = sys.modules[type(site).__module__]
    site = module.Site(tmp_path_factory.mktemp("carte"))
    today = datetime.now(module.PARIS).date()
    events = [module.event("ludo", f"jeu-{n}", f"Après-midi jeux n° {n}",
                           [module.occ(today + timedelta(days=n + 1), (14, 0), (17, 0))],
                           place="maurepas", themes=("loisirs",)) for n in range(10)]
    site.store.apply_sync([EventMessage.upsert(e, now_version()) for e in events])
    site.start()
    try:
        yield site
    finally:
        site.stop()


def test_popup_says_how_many_more_events_in_french(busy_site: Any, page: Any) -> None:
    page.goto(busy_site.url + "/?vue=carte&quartier=Maurepas - Bellangerais")
    marker = page.locator(".leaflet-marker-icon").first
    marker.wait_for()
    marker.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.locator("li").last.inner_text() == "et 3 autres"  # 11 events, 8 listed
