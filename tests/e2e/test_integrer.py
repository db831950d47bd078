"""/integrer: "Intégrer cette sélection" embeds what the agenda showed (every filter), names
match whatever their case or accents, and the form helps pick valid values."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.e2e


def widget_query(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.locator("iframe.preview").get_attribute("src")).query)


def test_embedding_a_selection_keeps_every_filter(site: Any, page: Any) -> None:
    agenda = ("/?q=atelier&theme=culture&theme=environnement&quartier=Centre"
              "&quartier=Saint-Martin&accessibility=mi&free=true&period=30d")
    page.goto(site.url + agenda)
    shown = sorted(page.locator(".event .title").all_inner_texts())
    assert shown
    page.get_by_role("link", name="Intégrer cette sélection sur votre site").click()
    page.wait_for_url("**/integrer?**")
    query = widget_query(page)
    assert query["q"] == ["atelier"] and query["free"] == ["true"]
    assert query["theme"] == ["culture", "environnement"]
    assert query["quartier"] == ["Centre", "Saint-Martin"]
    assert query["accessibility"] == ["mi"] and query["period"] == ["30d"]
    # the form shows the selection
    assert page.get_by_label("Culture et arts").is_checked()
    assert page.get_by_label("Saint-Martin").is_checked()
    assert page.get_by_label("Gratuit uniquement").is_checked()
    assert page.get_by_label("Mots recherchés").input_value() == "atelier"
    # and the widget shows what the page showed
    frame = page.frame_locator("iframe.preview")
    frame.locator(".event").first.wait_for()
    in_widget = [t.split("\n")[0] for t in frame.locator(".event .title").all_inner_texts()]
    # the same events (less the "(nouvelle fenêtre)" said to screen readers); the widget lists
    # each date of a series under its day where the page folds the series into one card
    assert sorted(set(in_widget)) == sorted(set(shown))
    script = page.locator("pre.snippet").nth(1).inner_text()
    assert 'data-theme="culture,environnement"' in script
    assert 'data-quartier="Centre,Saint-Martin"' in script


def test_names_match_whatever_their_case_or_accents(site: Any, page: Any) -> None:
    page.goto(site.url + "/integrer?organizer=le%20jardin%20moderne&quartier=BREQUIGNY")
    assert page.get_by_role("alert").count() == 0
    query = widget_query(page)
    assert query["organizer"] == ["Le Jardin Moderne"] and query["quartier"] == ["Bréquigny"]
    page.goto(site.url + "/widget?organizer=LE%20JARDIN%20MODERNE")
    assert "Concert de jazz manouche" in page.locator("main").inner_text()


def test_form_offers_the_known_values(site: Any, page: Any) -> None:
    page.goto(site.url + "/integrer")
    organizers = page.locator("#organisateurs option").evaluate_all(
        "options => options.map(o => o.value)")
    assert "Le Jardin Moderne" in organizers
    assert page.get_by_label("Le Blosne").is_visible()  # quartiers are boxes to tick
    page.get_by_label("Quand").select_option("weekend")
    page.get_by_label("Handicap moteur").check()
    page.get_by_role("button", name="Générer le code").click()
    query = widget_query(page)
    assert query["period"] == ["weekend"] and query["accessibility"] == ["mi"]
