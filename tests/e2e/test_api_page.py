""""API ouverte" leads to a French page about the API, its OpenAPI description, the feeds and
the reuse of the data, not to raw JSON."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e


def test_api_link_opens_a_french_page_about_the_api(site: Any, page: Any) -> None:
    page.goto(site.url + "/")
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="API ouverte").click()
    assert page.url == site.url + "/api"
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", level=1).inner_text() == "L’API ouverte et les flux"
    for name in ("Ce que propose l’API", "Les flux", "Réutiliser les données"):
        assert page.get_by_role("heading", name=name, exact=True).is_visible()
    openapi = page.get_by_role("link", name="La description OpenAPI complète de l’API")
    assert openapi.get_attribute("href") == "/openapi.json"
    assert page.request.get(site.url + "/openapi.json").json()["openapi"].startswith("3.")
    assert page.get_by_role("link", name="/v1/events.ics").is_visible()
    for name in ("/v1/associations", "/v1/search?q=…", "/v1/skills", "/v1/venues",
                 "/v1/network", "/v1/applications"):  # every public search is named
        href = page.get_by_role("link", name=name, exact=True).get_attribute("href")
        assert page.request.get(site.url + href).status == 200


def test_api_page_has_no_serious_axe_violation(site: Any, axe_page: Any, axe: Any) -> None:
    axe_page.goto(site.url + "/api")
    assert axe(axe_page) == []
