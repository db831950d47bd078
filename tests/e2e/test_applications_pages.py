"""Joint applications in a real browser, without JavaScript: a member of a demo association
opens one for a call from the call's page, a member of another asks to join, the lead
accepts; the pages have no serious or critical axe-core violation (and go through the
session's HTML checker, like every page the browser tests are served)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e
HERE = Path(__file__).parent


def _accounts_pages() -> Any:
    name = "maillage_e2e_accounts_pages"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "test_accounts_pages.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def accounts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    helpers = _accounts_pages()
    data = tmp_path_factory.mktemp("applications")
    call_id = helpers.seed_call(data / "calls.sqlite")
    site = helpers.site_class()(data).start()
    site.call_id = call_id
    try:
        yield site
    finally:
        site.stop()


def join(page: Any, site: Any, address: str, association: str) -> None:
    _accounts_pages().sign_in(page, site, address)
    page.get_by_label("Rejoindre une association").select_option(association)
    page.get_by_role("button", name="Demander à rejoindre").click()
    page.get_by_text("Vous êtes membre de l’association\u00a0: votre adresse").wait_for()


def test_open_ask_and_accept_without_javascript(accounts: Any, browser: Any, nojs_page: Any,
                                                axe_page: Any, axe: Any) -> None:
    lead = nojs_page
    join(lead, accounts, "camille@velo-solidaire.test", "velo-solidaire")
    lead.goto(f"{accounts.url}/appels/{accounts.call_id}")
    lead.get_by_role("link", name="Monter une candidature commune").click()
    lead.get_by_role("button", name="Ouvrir la candidature").click()
    lead.get_by_text("Donnez un titre au projet.").first.wait_for()  # errors, by the fields
    lead.get_by_label("Titre du projet").fill("Vélo-école au Blosne")
    lead.get_by_label("Résumé du projet").fill("Des ateliers pour apprendre le vélo.")
    lead.get_by_label("Ce que vous cherchez").fill("Une association du Blosne.")
    lead.get_by_role("button", name="Ouvrir la candidature").click()
    lead.get_by_text("La candidature est ouverte").wait_for()
    url = lead.url.split("?")[0]
    other = browser.new_context(locale="fr-FR", java_script_enabled=False).new_page()
    join(other, accounts, "lou@jardins-blosne.test", "jardins-blosne")
    other.goto(url)
    other.get_by_label("Votre message à Roazhon Vélo Solidaire").fill("Nous avons une salle.")
    other.get_by_role("button", name="Rejoindre cette candidature").click()
    other.get_by_text("Votre demande est envoyée").wait_for()
    lead.goto(url)
    lead.get_by_role("button", name="Accepter Les Jardins Partagés du Blosne").click()
    lead.get_by_text("L’association est partenaire de la candidature.").wait_for()
    other.goto(url)  # a partner sees the team's checklist and can leave
    assert other.get_by_role("heading", name="Les pièces à rassembler").is_visible()
    assert other.get_by_role("button", name="Retirer Les Jardins Partagés du Blosne de la "
                             "candidature").is_visible()
    # axe, with JavaScript on, over the pages the lead and a visitor see
    checked = axe_page
    join(checked, accounts, "sam@velo-solidaire.test", "velo-solidaire")
    for path in (url, url + "/modifier", "/candidatures", "/candidatures?ouvertes=oui&etat=seeking",
                 "/candidatures/nouvelle", f"/candidatures/nouvelle?appel="
                 f"{accounts.call_id}", f"/appels/{accounts.call_id}"):
        checked.goto(path if path.startswith("http") else accounts.url + path)
        assert axe(checked) == [], path
        checked.set_viewport_size({"width": 320, "height": 700})  # no sideways scroll
        assert checked.evaluate("document.documentElement.scrollWidth") <= 320, path
        checked.set_viewport_size({"width": 1280, "height": 900})
    other.context.close()
