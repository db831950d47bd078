"""Shared skills in a real browser: a member publishes a need without JavaScript, sees its
page, a helper answers it through the site's mail; the pages (form with errors, post,
account) have no serious or critical axe-core violation and pass the HTML checker."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e
HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from test_accounts_pages import seed_call, sign_in, site_class  # noqa: E402

from services.accounts.web import SITE  # noqa: E402
from services.skills.project import PROJECTIONS  # noqa: E402
from shared.store.board_base import BOARD  # noqa: E402


async def _index(site: Any) -> None:
    """What the indexer's board consumer does (tested with it in tests/integration/skills):
    every post's projection applied to the site's board."""
    records = site.app[SITE].ready().records
    entries = await records.latest(records.subject("skill") + ".>", deleted=True)
    await site.app[BOARD].apply([PROJECTIONS["skill"](e, None) for e in entries])
    await site.app[BOARD].settle()


def index(site: Any) -> None:
    site.run(_index(site))


@pytest.fixture(scope="module")
def skills_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    data = tmp_path_factory.mktemp("skills")
    seed_call(data / "calls.sqlite")
    site = site_class()(data).start()
    try:
        yield site
    finally:
        site.stop()


def publish_need(page: Any, site: Any, address: str) -> str:
    sign_in(page, site, address)
    page.get_by_label("Rejoindre une association").select_option("velo-solidaire")
    page.get_by_role("button", name="Demander à rejoindre").click()
    page.goto(site.url + "/competences/nouveau")
    page.get_by_label("Besoin de compétences").check()
    page.get_by_role("button", name="Publier").click()  # nothing filled: errors, in French
    assert page.get_by_text("Donnez un titre de 5 à 150 caractères.").first.is_visible()
    page.get_by_label("Besoin de compétences").check()
    page.get_by_label("Titre").fill("Besoin d’un·e graphiste pour l’affiche du festival")
    page.get_by_label("Description").fill("Une affiche A3 et une bannière pour les réseaux.")
    page.get_by_label("Graphisme").check()
    page.get_by_label("À distance").check()
    page.get_by_label("Début").fill("2027-01-10")
    page.get_by_role("button", name="Publier").click()
    page.get_by_text("C’est publié").wait_for()
    assert page.get_by_role("heading", name="Besoin d’un·e graphiste pour l’affiche du "
                                            "festival").is_visible()
    return page.url.split("?")[0]


def test_a_member_publishes_a_need_and_someone_answers_without_javascript(
        skills_site: Any, nojs_page: Any, browser: Any) -> None:
    url = publish_need(nojs_page, skills_site, "camille@velo-solidaire.test")
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    helper = context.new_page()
    try:
        sign_in(helper, skills_site, "alex@graphistes.example.org")
        helper.goto(url)
        assert helper.get_by_role("heading", name="Proposer mon aide").is_visible()
        helper.get_by_label("Votre message").fill("Je suis graphiste, libre en janvier.")
        helper.get_by_label("Donner mon adresse électronique").check()
        helper.get_by_role("button", name="Envoyer").click()
        helper.get_by_text("Votre message est envoyé").wait_for()
        assert helper.get_by_text("camille@velo-solidaire.test").count() == 0
    finally:
        context.close()


def test_skills_pages_have_no_serious_axe_violation(skills_site: Any, axe_page: Any,
                                                    axe: Any) -> None:
    page = axe_page
    url = publish_need(page, skills_site, "lou@velo-solidaire.test")
    for path in (url, url + "/modifier", "/compte", "/competences/nouveau"):
        page.goto(path if path.startswith("http") else skills_site.url + path)
        assert page.title(), path
        assert axe(page) == [], path
    page.get_by_role("button", name="Publier").click()  # the form with its errors
    assert axe(page) == [], "form with errors"


def test_skills_pages_fit_a_320_pixel_screen(skills_site: Any, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640}, locale="fr-FR")
    page = context.new_page()
    try:
        url = publish_need(page, skills_site, "sacha@velo-solidaire.test")
        wide = {}
        for path in (url, url + "/modifier", skills_site.url + "/competences/nouveau",
                     skills_site.url + "/compte", skills_site.url + "/competences"):
            page.goto(path)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > 320:
                wide[path] = scroll
        assert wide == {}
    finally:
        context.close()


def test_search_filter_and_open_a_post_without_javascript(skills_site: Any,
                                                          nojs_page: Any) -> None:
    page = nojs_page
    index(skills_site)
    page.goto(skills_site.url + "/competences")
    assert page.get_by_role("heading", name="Compétences partagées").is_visible()
    page.get_by_label("Bricolage et travaux").check()
    page.get_by_role("button", name="Appliquer les filtres").click()
    assert "competence=bricolage" in page.url
    assert page.get_by_role("link", name="Prêt de bras et d’outils pour vos petits "
                                         "travaux").is_visible()
    assert page.locator("p.count").inner_text() == "1 annonce."
    page.get_by_role("searchbox", name="Rechercher").fill("zzzz")
    page.get_by_role("button", name="Rechercher").click()
    assert page.get_by_role("heading", name="Aucune annonce ne correspond à votre "
                                            "recherche").is_visible()
    page.goto(skills_site.url + "/competences?q=affiche")
    page.get_by_role("link", name="Besoin d’un·e graphiste pour l’affiche de la fête des "
                                  "jardins").click()
    assert page.get_by_role("heading", name="Proposer mon aide").is_visible()
    # written by the demo: nobody receives its messages, and the page says so
    assert page.get_by_text("Personne ne reçoit encore les messages").is_visible()


def test_search_pages_have_no_serious_axe_violation(skills_site: Any, axe_page: Any,
                                                    axe: Any) -> None:
    index(skills_site)
    for path in ("/competences", "/competences?type=offre&competence=graphisme&mode=distance",
                 "/competences?q=zzzz", "/competences?du=hier",
                 "/associations/velo-solidaire"):
        axe_page.goto(skills_site.url + path)
        assert axe_page.title(), path
        assert axe(axe_page) == [], path
