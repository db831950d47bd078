"""No page scrolls sideways on a phone (320 and 390 px wide) or at 200 % zoom of a 1280 px
window (640 CSS px): RGAA 10.11, WCAG 1.4.10."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e

PAGES = ("/", "/?vue=calendrier", "/?vue=semaine", "/?vue=carte", "/integrer", "/appels",
         "/api", "/evenement/oc_inexistant", "/page-inconnue", "/widget")
WIDTHS = (320, 390, 640)


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(site: Any, browser: Any, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="fr-FR",
                                  timezone_id="Europe/Paris")
    try:
        page = context.new_page()
        wide = {}
        for path in PAGES:
            page.goto(site.url + path)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                wide[path] = scroll
        assert wide == {}
    finally:
        context.close()


def test_month_view_on_a_phone_lists_its_days_and_keeps_its_controls(site: Any,
                                                                      browser: Any) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 800}, locale="fr-FR",
                                  timezone_id="Europe/Paris")
    try:
        page = context.new_page()
        page.goto(site.url + "/?vue=calendrier")
        for name in ("Mois suivant ›", "Carte"):
            box = page.get_by_role("link", name=name).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320
        # the days with events read as full French dates, the empty ones are not shown
        first_day = page.locator(".month td:visible .daynum").first.inner_text()
        assert first_day.split()[0] in ("lundi", "mardi", "mercredi", "jeudi", "vendredi",
                                        "samedi", "dimanche")
        assert page.locator(".month td.free").first.is_hidden()
    finally:
        context.close()


AXE_PAGES = ("/", "/?vue=calendrier", "/?vue=carte", "/integrer", "/appels", "/api",
             "/page-inconnue")


@pytest.mark.parametrize("width", (320, 390))
def test_no_serious_axe_violation_on_a_phone(site: Any, browser: Any, axe: Any,
                                             width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="fr-FR",
                                  timezone_id="Europe/Paris", bypass_csp=True)
    try:
        page = context.new_page()
        found = {}
        for path in AXE_PAGES:
            page.goto(site.url + path)
            if "carte" in path:
                page.wait_for_selector(".leaflet-marker-icon")
            violations = axe(page)
            if violations:
                found[path] = violations
        assert found == {}
    finally:
        context.close()
