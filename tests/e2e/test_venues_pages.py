"""Venues in a real browser: a member of an association publishes a slot of its demo venue,
a member of another association asks for it, the owner accepts, then deletes the venue
(the form says the accepted booking will be cancelled; the asker's account shows why);
every venue page has no serious or critical axe-core violation, none scrolls sideways at
320 px, and the HTML checker of the session reads them all."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e
HERE = Path(__file__).parent
SOON = date.today() + timedelta(days=11)


def _accounts_module() -> Any:
    name = "maillage_e2e_accounts_pages"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "test_accounts_pages.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def venues_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    site = _accounts_module().site_class()(tmp_path_factory.mktemp("venues")).start()
    try:
        yield site
    finally:
        site.stop()


def join(page: Any, site: Any, address: str, association: str) -> None:
    _accounts_module().sign_in(page, site, address)
    page.get_by_label("Rejoindre une association").select_option(association)
    page.get_by_role("button", name="Demander à rejoindre").click()
    page.get_by_role("status").get_by_text("Vous êtes membre de l’association").wait_for()


def no_sideways_scroll(page: Any) -> None:
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, page.url
    page.set_viewport_size({"width": 1280, "height": 800})


def test_a_slot_is_published_requested_and_accepted(venues_site: Any, browser: Any,
                                                    axe: Any) -> None:
    site = venues_site
    owner, asker = (browser.new_context(locale="fr-FR", timezone_id="Europe/Paris",
                                        bypass_csp=True).new_page() for _ in range(2))
    try:
        join(owner, site, "noa@velo-solidaire.test", "velo-solidaire")
        owner.goto(site.url + "/salles/atelier-des-allies/gerer")
        assert axe(owner) == [], "manage"
        no_sideways_scroll(owner)
        owner.get_by_label("Date").fill(SOON.isoformat())
        owner.get_by_label("Heure de début").fill("09:00")
        owner.get_by_label("Heure de fin").fill("08:00")
        owner.get_by_role("button", name="Publier").click()
        owner.get_by_role("alert").get_by_text("L’heure de fin doit venir après").wait_for()
        assert axe(owner) == [], "manage, refused"
        owner.get_by_label("Heure de fin").fill("12:00")
        owner.get_by_role("button", name="Publier").click()
        owner.get_by_text("Les créneaux sont publiés").wait_for()
        for path in ("/salles/atelier-des-allies/modifier", "/salles/nouvelle"):
            owner.goto(site.url + path)
            assert axe(owner) == [], path
            no_sideways_scroll(owner)
        owner.get_by_label("Nom de la salle").fill("")
        owner.get_by_role("button", name="Enregistrer la salle").click()
        owner.get_by_role("alert").wait_for()
        assert axe(owner) == [], "new venue, refused"

        join(asker, site, "ines@jardins-blosne.test", "jardins-blosne")
        asker.goto(site.url + "/salles/atelier-des-allies")
        assert axe(asker) == [], "venue"
        no_sideways_scroll(asker)
        asker.get_by_label(re.compile(rf" {SOON.day}(er)? .*, de 9\u00a0h à 12\u00a0h")).check()
        asker.get_by_label("Nombre de personnes attendues").fill("12")
        asker.get_by_label("Ce que vous prévoyez").fill("Atelier compost")
        asker.get_by_role("button", name="Envoyer la demande").click()
        asker.get_by_text("Votre demande est envoyée").wait_for()

        owner.goto(site.url + "/salles/atelier-des-allies/gerer")
        owner.get_by_text("Atelier compost").wait_for()
        owner.get_by_role("button", name="Accepter la demande de Les Jardins Partagés du "
                          "Blosne").click()
        owner.get_by_text("La demande est acceptée").wait_for()

        asker.goto(site.url + "/compte")
        asker.get_by_role("heading", name="Mes demandes de salles").wait_for()
        assert asker.get_by_text("acceptée").first.is_visible()
        assert axe(asker) == [], "account"

        # deleting the venue: the form says what ends before it is confirmed
        owner.goto(site.url + "/salles/atelier-des-allies/gerer")
        owner.get_by_text("La réservation acceptée à venir sera annulée").wait_for()
        owner.get_by_label("Je confirme la suppression de L’atelier des Alliés").check()
        owner.get_by_role("button", name="Supprimer L’atelier des Alliés").click()
        owner.get_by_role("heading", name="Salles et locaux à louer").wait_for()
        asker.goto(site.url + "/compte")
        asker.get_by_text("motif\u00a0: Salle retirée par son gestionnaire").wait_for()
        assert asker.get_by_text("annulée").first.is_visible()
        assert axe(asker) == [], "account, booking cancelled"
        asker.goto(site.url + "/salles")
        asker.get_by_role("heading", name="Salles et locaux à louer").wait_for()
        assert axe(asker) == [], "list"
        no_sideways_scroll(asker)
    finally:
        owner.context.close()
        asker.context.close()
