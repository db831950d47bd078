"""The agenda page in a real browser: list, filters, facets, calendar, map, subscriptions."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.e2e

FRENCH_DAY = re.compile(r"(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) \d{1,2}(er)? "
                        r"(janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|"
                        r"novembre|décembre)", re.IGNORECASE)


def test_home_groups_events_under_french_day_headings(site: Any, page: Any) -> None:
    page.goto(site.url + "/")
    headings = page.locator(".day > h2").all_inner_texts()
    assert headings[0].startswith("Aujourd’hui")
    assert all(FRENCH_DAY.search(h) for h in headings)
    assert page.locator("html").get_attribute("lang") == "fr"


def test_exhibition_already_open_is_listed_today(site: Any, page: Any) -> None:
    page.goto(site.url + "/")
    first_day = page.locator(".day").first
    assert "Rennes au fil de la Vilaine" in first_day.inner_text()


def test_theme_filter_works_without_javascript(site: Any, nojs_page: Any) -> None:
    nojs_page.goto(site.url + "/")
    nojs_page.get_by_label(re.compile(r"^Solidarité et entraide")).check()
    nojs_page.get_by_role("button", name="Appliquer les filtres").click()
    assert parse_qs(urlsplit(nojs_page.url).query)["theme"] == ["solidarite"]
    titles = nojs_page.locator(".event .title").all_inner_texts()
    assert titles == ["Maraude solidaire du centre-ville"]
    assert nojs_page.get_by_role("link", name=re.compile("Thème : Solidarité")).is_visible()


def test_search_box_keeps_the_other_filters(site: Any, nojs_page: Any) -> None:
    nojs_page.goto(site.url + "/?free=true")
    nojs_page.get_by_label("Rechercher un événement").fill("vélo")
    nojs_page.get_by_role("button", name="Rechercher").click()
    query = parse_qs(urlsplit(nojs_page.url).query)
    assert query["free"] == ["true"] and query["q"] == ["vélo"]
    assert "Atelier d’autoréparation de vélos" in nojs_page.locator("main").inner_text()


def test_facet_counts_follow_the_results(site: Any, page: Any) -> None:
    page.goto(site.url + "/?quartier=Centre")
    label = page.locator("label", has_text="Culture et arts").text_content()
    assert re.search(r"\(\d+\s+événements?\)", label)
    assert page.get_by_label(re.compile("^Centre")).is_checked()


def test_removing_a_filter_chip_drops_only_that_filter(site: Any, page: Any) -> None:
    page.goto(site.url + "/?theme=culture&theme=loisirs&free=true")
    page.get_by_role("link", name=re.compile("Thème : Loisirs")).click()
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"theme": ["culture"], "free": ["true"]}


def test_cancelled_event_is_listed_and_marked(site: Any, page: Any) -> None:
    page.goto(site.url + "/?q=jeux")
    card = page.locator(".event", has_text="Soirée jeux de société")
    assert card.locator(".badge").inner_text() == "Annulé"


def test_subscribe_links_carry_the_current_filters(site: Any, page: Any) -> None:
    page.goto(site.url + "/?theme=culture&quartier=Centre&vue=calendrier")
    for name, fmt in (("Télécharger le fichier .ics", "ics"), ("Flux RSS", "rss")):
        link = page.locator(".subscribe").get_by_role("link", name=name, exact=True)
        href = link.get_attribute("href")
        parts = urlsplit(href)
        assert parts.path == f"/v1/events.{fmt}"
        assert parse_qs(parts.query) == {"theme": ["culture"], "quartier": ["Centre"]}
    webcal = page.get_by_role("link", name="Ajouter à mon agenda").get_attribute("href")
    assert webcal.startswith("webcal://127.0.0.1")


def test_subscribe_ics_link_answers_a_calendar(site: Any, page: Any) -> None:
    page.goto(site.url + "/?theme=culture")
    href = page.get_by_role("link", name="Télécharger le fichier .ics").get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200
    assert "BEGIN:VCALENDAR" in response.text()


def test_invalid_date_explains_the_error_in_french(site: Any, page: Any) -> None:
    response = page.goto(site.url + "/?from=2026-13-45")
    assert response.status == 400
    assert "date de début n’est pas valide" in page.get_by_role("alert").inner_text()


def test_unknown_tracking_parameters_are_ignored(site: Any, page: Any) -> None:
    response = page.goto(site.url + "/?utm_source=lettre&fbclid=abc")
    assert response.status == 200
    assert page.locator(".event").count() > 0


def test_empty_result_says_so_and_offers_a_way_back(site: Any, page: Any) -> None:
    page.goto(site.url + "/?q=zzzzzzzz")
    assert "Aucun événement ne correspond" in page.locator(".empty").inner_text()
    page.get_by_role("link", name="Voir tous les événements à venir").click()
    assert page.locator(".event").count() > 0


def test_month_view_is_a_grid_with_navigation(site: Any, page: Any) -> None:
    page.goto(site.url + "/?vue=calendrier")
    assert page.locator("table.month thead th").count() == 7
    assert page.locator("td[aria-current=date]").count() == 1
    page.get_by_role("link", name="Mois suivant ›").click()
    assert "mois=" in page.url and "vue=calendrier" in page.url
    assert "Tremplin rock des jeunes groupes" in page.locator("table.month").inner_text()


def test_week_view_shows_seven_days(site: Any, page: Any) -> None:
    page.goto(site.url + "/?vue=semaine")
    assert page.locator(".day").count() == 7
    assert page.get_by_role("heading", name=re.compile("^Semaine du lundi")).is_visible()


def test_map_shows_one_marker_per_place_on_local_tiles(site: Any, page: Any) -> None:
    page.goto(site.url + "/?vue=carte")
    page.wait_for_selector(".leaflet-marker-icon")
    page.wait_for_selector(".leaflet-tile-loaded")
    places = page.locator(".places > li").count()
    assert page.locator(".leaflet-marker-icon:not(.area-label)").count() == places
    assert page.console_errors == []


def test_map_marker_opens_its_events_with_the_keyboard(site: Any, page: Any) -> None:
    page.goto(site.url + "/?vue=carte")
    page.get_by_role("button", name="Le Jardin Moderne : 2 événements").focus()
    page.keyboard.press("Enter")
    popup = page.locator(".leaflet-popup-content")
    assert "Concert de jazz manouche" in popup.inner_text()
    assert popup.get_by_role("link").first.get_attribute("href").startswith("/evenement/")


def test_map_shows_a_commune_known_only_as_an_area(site: Any, page: Any) -> None:
    page.goto(site.url + "/?vue=carte")
    page.wait_for_selector(".leaflet-overlay-pane path")  # the commune's dashed area
    marker = page.get_by_role("button", name="Pacé (lieu précis non communiqué) : 1 événement")
    marker.focus()
    page.keyboard.press("Enter")
    popup = page.locator(".leaflet-popup-content").inner_text()
    assert "Loto du comité des fêtes" in popup and "quelque part dans la commune" in popup
    place = page.locator(".place", has_text="Loto du comité des fêtes")
    assert place.locator("h3").inner_text() == "Pacé"
    assert page.console_errors == []


def test_map_degrades_to_the_list_of_places_when_tiles_and_outlines_fail(
        site: Any, page: Any) -> None:
    page.route("**/tiles/**", lambda route: route.abort())
    page.route("**/carte/limites.geojson*", lambda route: route.abort())
    page.goto(site.url + "/?vue=carte")
    page.wait_for_selector("#carte-hors-ligne:not([hidden])")
    assert page.locator("#carte").is_hidden()
    assert page.locator(".places > li").count() > 5


def test_map_view_without_javascript_is_the_list_of_places(site: Any, nojs_page: Any) -> None:
    nojs_page.goto(site.url + "/?vue=carte")
    assert nojs_page.locator("#carte").is_hidden()
    place = nojs_page.locator(".place", has_text="Le Jardin Moderne")
    assert "Concert de jazz manouche" in place.inner_text()


def test_search_suggestions_fill_the_datalist(site: Any, page: Any) -> None:
    page.goto(site.url + "/")
    with page.expect_response(lambda r: "/v1/suggest" in r.url) as answer:
        page.get_by_label("Rechercher un événement").press_sequentially("conc", delay=30)
    assert answer.value.status == 200, answer.value.text()
    page.locator("#suggestions option").first.wait_for(state="attached")
    values = [o.get_attribute("value") for o in page.locator("#suggestions option").all()]
    assert any(v.lower().startswith("conc") for v in values)
