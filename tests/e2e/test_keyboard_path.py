"""The keyboard path to the results: "Aller aux résultats" after the search box, and focus
brought back to the results after a change of filter, view or month (issue 18)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e


def active(page: Any) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.textContent")


def test_skip_to_results_after_the_search_box(site: Any, page: Any) -> None:
    page.goto(site.url + "/")
    page.locator("#q").focus()
    page.keyboard.press("Tab")  # Rechercher
    page.keyboard.press("Tab")
    assert active(page) == "Aller aux résultats"
    page.keyboard.press("Enter")
    assert active(page) == "resultats"
    first = page.locator(".event .title a").first.inner_text()
    presses = 0
    while presses < 12 and not page.evaluate(
            "document.activeElement.closest('.event') !== null"):
        page.keyboard.press("Tab")
        presses += 1
    assert page.evaluate("document.activeElement.textContent") == first
    assert presses <= 6  # the view tabs, then the first event (was about 45 from the top)


def test_focus_returns_to_the_results_after_a_filter(site: Any, page: Any) -> None:
    page.goto(site.url + "/")
    page.get_by_label("Gratuit uniquement").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Appliquer les filtres").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "free=true" in page.url
    assert active(page) == "resultats"
    # removing the filter from its chip brings the focus back there too
    page.locator(".chips a", has_text="Gratuit").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert active(page) == "resultats"


def test_focus_goes_to_the_new_month_after_changing_month(site: Any, page: Any) -> None:
    page.goto(site.url + "/?vue=calendrier")
    before = page.locator("#periode").inner_text()
    page.get_by_role("link", name="Mois suivant ›").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert active(page) == "periode"
    assert page.locator("#periode").inner_text() != before


def test_a_page_loaded_directly_keeps_focus_at_the_top(site: Any, page: Any) -> None:
    page.goto(site.url + "/?vue=calendrier")
    assert page.evaluate("document.activeElement === document.body")
