"""The calls-for-projects pages in a real browser: list with deadline badges, filters,
subscribe links, a call page, keyboard use and axe-core."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e


def _site_module() -> Any:
    name = "maillage_e2e_site"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("site.py"))
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def calls_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    data = tmp_path_factory.mktemp("calls")
    _site_module().seed_calls(data / "calls.sqlite")
    site = _site_module().Site(data).start()
    try:
        yield site
    finally:
        site.stop()


def test_open_calls_are_listed_with_deadline_badges(calls_site: Any, page: Any) -> None:
    page.goto(calls_site.url + "/appels")
    titles = page.locator(".call h2, .call h3").all_inner_texts()
    assert any("Fonds d’initiatives" in t for t in titles)  # typeset apostrophe
    assert any("Jardins partagés" in t for t in titles)
    assert not any("Appel clos" in t for t in titles)
    assert page.locator(".call .badge").count() == 2
    assert page.locator("html").get_attribute("lang") == "fr"


def test_filter_and_subscribe_links_follow_the_search(calls_site: Any, page: Any) -> None:
    page.goto(calls_site.url + "/appels?q=jardins")
    assert page.locator(".call").count() == 1
    ics = page.locator("a.subscribe-ics").get_attribute("href")
    assert ics is not None and "calls.ics" in ics and "jardins" in ics


def test_call_page_is_reachable_with_the_keyboard(calls_site: Any, page: Any) -> None:
    page.goto(calls_site.url + "/appels")
    link = page.locator(".call a").first
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/appels/**")
    assert "Date limite" in page.content()


@pytest.mark.parametrize("path", ["/appels", "/appels?statut=closed"])
def test_no_serious_axe_violation_on_calls_pages(calls_site: Any, axe_page: Any, axe: Any,
                                                 path: str) -> None:
    axe_page.goto(calls_site.url + path)
    assert axe(axe_page) == []


@pytest.mark.parametrize("path", ["/", "/?vue=calendrier", "/integrer", "/appels",
                                  "/evenement/oc_inexistant"])
def test_every_page_header_links_to_the_calls(calls_site: Any, page: Any, path: str) -> None:
    page.goto(calls_site.url + path)
    nav = page.get_by_role("navigation", name="Navigation principale")
    link = nav.get_by_role("link", name="Appels à projets")
    assert link.get_attribute("href") == "/appels"
    if path == "/appels":
        assert link.get_attribute("aria-current") == "page"


def test_no_call_found_says_aucun(calls_site: Any, page: Any) -> None:
    page.goto(calls_site.url + "/appels?q=zzzzzz")
    assert page.locator(".count").inner_text() == "Aucun appel à projets"
    page.goto(calls_site.url + "/appels?q=jardins")
    assert page.locator(".count").inner_text() == "1 appel à projets"


def test_calls_filters_look_like_the_agenda_filters(calls_site: Any, page: Any) -> None:
    """The same panel as the agenda's (details.filters, labelled fields, one apply button),
    and the search box keeps the chosen filters."""
    page.goto(calls_site.url + "/appels")
    panel = page.locator("details.filters")
    assert panel.get_attribute("open") is not None
    for label in ("État", "Thème", "Pour qui", "Périmètre"):
        assert panel.get_by_label(label).is_visible()
    agenda_bg = page.evaluate("getComputedStyle(document.querySelector('details.filters'))"
                              ".backgroundColor")
    assert agenda_bg == "rgb(243, 246, 250)"  # --soft, as on the agenda
    panel.get_by_label("Thème").select_option("environnement")
    panel.get_by_role("button", name="Appliquer les filtres").click()
    page.get_by_label("Rechercher un appel").fill("jardins")
    page.get_by_role("button", name="Rechercher").click()
    assert "theme=environnement" in page.url and "q=jardins" in page.url
    assert page.locator(".call").count() == 1


def test_back_to_the_calls_keeps_their_search(calls_site: Any, page: Any) -> None:
    page.goto(calls_site.url + "/appels?q=jardins&status=all")
    page.locator(".call h2 a").first.click()
    page.wait_for_url("**/appels/**")
    page.get_by_role("link", name="← Tous les appels à projets").click()
    assert page.url == calls_site.url + "/appels?q=jardins&status=all"


def test_calls_pages_have_titles_of_their_own(calls_site: Any, page: Any) -> None:
    titles = {}
    for path in ("/appels", "/appels?q=jardins", "/appels?theme=environnement&status=all"):
        page.goto(calls_site.url + path)
        titles[path] = page.title()
    assert titles["/appels"] == "Appels à projets — Maillage"
    assert titles["/appels?q=jardins"] == "«\xa0jardins\xa0» — Appels à projets — Maillage"
    assert titles["/appels?theme=environnement&status=all"] == (
        "Environnement et transition, Tous — Appels à projets — Maillage")
