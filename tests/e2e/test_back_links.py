""""‹ Retour à l’agenda" goes back to the search, filters and view the visitor came from."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e


def test_back_to_the_agenda_keeps_search_filters_and_view(site: Any, nojs_page: Any) -> None:
    page = nojs_page
    listing = "/?q=concert&theme=culture&vue=semaine"
    page.goto(site.url + listing)
    page.locator(".event .title a").first.click()
    page.wait_for_url("**/evenement/**")
    page.get_by_role("link", name="‹ Retour à l’agenda").click()
    assert page.url == site.url + listing


def test_back_link_without_a_known_origin_is_the_agenda(site: Any, page: Any) -> None:
    page.goto(site.url + "/?q=fest-noz")
    event_url = page.locator(".event .title a").first.get_attribute("href")
    page.goto(site.url + event_url)  # typed or from another site: no agenda to go back to
    assert page.get_by_role("link", name="‹ Retour à l’agenda").get_attribute("href") == "/"
