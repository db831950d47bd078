"""The pages and boxes added for issue 18 on phones: no serious axe violation and nothing of
theirs wider than the screen, at 320 and 390 px."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e

PAGES = {
    "autour": ("/?autour=Les+Champs+Libres&radius_km=1", ".around, .event .distance"),
    "abonnement": ("/?theme=culture", ".subscribe"),
    "carte": ("/?vue=carte", "#carte"),
    "participer": ("/participer", ".prose"),
    "contact": ("/contact", ".prose"),
    "accessibilite": ("/accessibilite", ".prose"),
}


def widest(page: Any, selector: str) -> float:
    """The right edge of the widest element of ``selector`` or inside it (a map's panes
    are clipped by the map itself: only the map counts)."""
    return page.evaluate(
        "s => Math.max(0, ...[...document.querySelectorAll(s)].flatMap(e => "
        "e.classList.contains('leaflet-container') ? [e] : [e, ...e.querySelectorAll('*')])"
        ".map(e => e.getBoundingClientRect().right))", selector)


@pytest.mark.parametrize("width", [320, 390])
@pytest.mark.parametrize("name", PAGES)
def test_new_parts_fit_a_phone(site: Any, browser: Any, axe: Any, name: str,
                               width: int) -> None:
    path, selector = PAGES[name]
    context = browser.new_context(locale="fr-FR", bypass_csp=True,
                                  viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        page.goto(site.url + path)
        page.locator(selector.split(",")[0]).first.wait_for(state="attached")
        if name == "carte":
            page.wait_for_selector("path.area-quartier")
        assert 0 < widest(page, selector) <= width
        assert axe(page) == []
    finally:
        context.close()


@pytest.mark.parametrize("width", [320, 390])
def test_event_page_boxes_fit_a_phone(site: Any, browser: Any, axe: Any, width: int) -> None:
    context = browser.new_context(locale="fr-FR", bypass_csp=True,
                                  viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        page.goto(site.url + "/?q=fest-noz")
        page.locator(".event .title a").first.click()
        page.wait_for_url("**/evenement/**")
        assert 0 < widest(page, ".actions, #dates, .report") <= width
        assert axe(page) == []
        page.get_by_role("link", name="Signaler une erreur sur cet événement").click()
        page.wait_for_url("**/signaler")
        assert 0 < widest(page, ".narrow") <= width
        assert axe(page) == []
    finally:
        context.close()
