""""Autour de moi": an address, a quartier or the browser's position, a distance, and the
distance on each result (issue 18)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.e2e


def distances_km(page: Any) -> list[float]:
    out = []
    for text in page.locator(".event .distance").all_inner_texts():
        number, unit = re.fullmatch(r"À ([\d,]+)\s(k?m)", text.strip()).groups()
        value = float(number.replace(",", "."))
        out.append(value if unit == "km" else value / 1000)
    return out


def test_an_address_and_a_distance_without_javascript(site: Any, nojs_page: Any) -> None:
    page = nojs_page
    page.goto(site.url + "/?theme=culture")
    page.get_by_label("Adresse ou lieu").fill("Les Champs Libres")
    page.get_by_label("Distance").select_option("1")
    page.get_by_role("button", name="Chercher autour").click()
    params = parse_qs(urlsplit(page.url).query)
    assert params["near"] == ["48.10544,-1.67486"] and params["radius_km"] == ["1"]
    assert params["theme"] == ["culture"]  # the other filters stay
    chips = page.locator(".chips").inner_text()
    assert "Autour de\u00a0: Les Champs Libres" in chips and "Rayon\u00a0: 1\u00a0km" in chips
    titles = page.locator(".event .title").all_inner_texts()
    assert "Exposition\u00a0: Rennes au fil de la Vilaine" in titles
    assert not any("jazz" in t for t in titles)  # the Jardin Moderne is 2.7 km away
    found = distances_km(page)
    assert found and all(d <= 1.0 for d in found)
    assert len(found) == len(titles)  # every result here has an exact place
    # the field shows the address again, and a filter change keeps it
    assert page.get_by_label("Adresse ou lieu").input_value() == "Les Champs Libres"
    page.get_by_label("Gratuit uniquement").check()
    page.get_by_role("button", name="Appliquer les filtres").click()
    assert "Autour de\u00a0: Les Champs Libres" in page.locator(".chips").inner_text()


def test_a_quartier_name_is_a_place_too(site: Any, nojs_page: Any) -> None:
    nojs_page.goto(site.url + "/?autour=Maurepas&radius_km=2")
    assert "near" in parse_qs(urlsplit(nojs_page.url).query)
    assert "Soirée jeux de société" in nojs_page.locator(".events").inner_text()


def test_an_unknown_address_is_explained_in_french(site: Any, page: Any) -> None:
    response = page.goto(site.url + "/?autour=zzqxw")
    assert response.status == 400
    alert = page.get_by_role("alert").inner_text()
    assert "Adresse introuvable" in alert and "zzqxw" in alert


def test_the_browser_position_with_a_distance(site: Any, browser: Any, axe: Any) -> None:
    context = browser.new_context(locale="fr-FR", bypass_csp=True,
                                  geolocation={"latitude": 48.08612, "longitude": -1.66007},
                                  permissions=["geolocation"])
    page = context.new_page()
    try:
        page.goto(site.url + "/")
        page.get_by_label("Distance").select_option("2")
        page.get_by_role("button", name="Utiliser ma position").click()
        page.wait_for_url("**near=**")
        params = parse_qs(urlsplit(page.url).query)
        assert params["near"] == ["48.086,-1.660"]  # rounded: about 100 m
        assert "Autour de\u00a0: ma position" in page.locator(".chips").inner_text()
        card = page.locator(".event", has_text="Vide-grenier du Blosne")
        assert card.locator(".distance").inner_text() == "À 10\u00a0m"
        assert all(d <= 2.0 for d in distances_km(page))
        assert axe(page) == []
    finally:
        context.close()
