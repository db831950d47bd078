"""Accounts and associations in a real browser, without JavaScript: a newcomer signs in from
the demo outbox, joins a demo association, declares its interest in a call; every page has no
serious or critical axe-core violation."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.calls import Call, CallMessage
from shared.store.calls_sqlite import CallStore

pytestmark = pytest.mark.e2e
HERE = Path(__file__).parent


def _module(name: str, file: str) -> Any:
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / file)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def site_class() -> Any:
    base = _module("maillage_e2e_site", "site.py")
    return _module("maillage_e2e_accounts_site", "accounts_site.py").accounts_site(base)


def seed_call(path: Path) -> str:
    call = Call.create(publisher="ville-rennes", publisher_id="fia",
                       title="Fonds d'initiatives associatives", funder="Ville de Rennes",
                       deadline=datetime.now(UTC) + timedelta(days=20), joint_welcome=True,
                       description="<p>Soutien aux projets de quartier.</p>")
    CallStore(path).apply_sync([CallMessage.upsert(call, 1)])
    return call.id


@pytest.fixture(scope="module")
def accounts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    data = tmp_path_factory.mktemp("accounts")
    call_id = seed_call(data / "calls.sqlite")
    site = site_class()(data).start()
    site.call_id = call_id
    try:
        yield site
    finally:
        site.stop()


def sign_in(page: Any, site: Any, address: str) -> None:
    page.goto(site.url + "/connexion")
    page.get_by_label("Adresse électronique").fill(address)
    page.get_by_role("button", name="Recevoir un lien de connexion").click()
    page.get_by_role("heading", name="Vérifiez votre messagerie").wait_for()
    page.get_by_role("link", name="la boîte d’envoi de la démo").click()
    page.get_by_role("link", name="Ouvrir le lien du message").first.click()
    page.get_by_role("button", name="Me connecter").click()
    page.wait_for_url("**/compte")


def test_newcomer_signs_in_joins_and_declares_interest_without_javascript(
        accounts: Any, nojs_page: Any) -> None:
    page = nojs_page
    sign_in(page, accounts, "camille@velo-solidaire.test")
    assert page.get_by_role("heading", name="Mon compte").is_visible()
    assert page.get_by_role("link", name="Mon compte", exact=True).is_visible()  # header
    page.get_by_label("Rejoindre une association").select_option("velo-solidaire")
    page.get_by_role("button", name="Demander à rejoindre").click()
    page.get_by_text("Vous êtes membre de l’association\u00a0: votre adresse").wait_for()
    page.goto(f"{accounts.url}/appels/{accounts.call_id}")
    page.get_by_label("Comment vous joindre").fill("camille@velo-solidaire.test")
    page.get_by_label("Ce que votre association apporte").fill("Des vélos cargos")
    page.get_by_role("button", name="Signaler notre intérêt").click()
    page.wait_for_url("**#candidater")
    assert page.get_by_text("Des vélos cargos").is_visible()


def test_a_member_adds_the_association_calendar_without_javascript(
        accounts: Any, nojs_page: Any, axe_page: Any, axe: Any) -> None:
    """The own-sources pages: the form, the preview, the confirmed source; no serious axe
    violation on any of them."""
    page = nojs_page
    sign_in(page, accounts, "lou@velo-solidaire.test")
    page.get_by_label("Rejoindre une association").select_option("velo-solidaire")
    page.get_by_role("button", name="Demander à rejoindre").click()
    page.get_by_role("link", name="Les sources de l’agenda de l’association").click()
    page.get_by_label("Adresse de l’agenda ou du flux").fill(accounts.calendar_url)
    page.get_by_role("button", name="Voir ce que Maillage y trouve").click()
    page.get_by_text("6 événements trouvés, dont 6 à venir").wait_for()
    assert page.get_by_text("Balade à vélo au bord de la Vilaine").is_visible()
    page.get_by_role("button", name="Confirmer").click()
    page.get_by_text("La source est enregistrée").wait_for()
    assert page.get_by_role("button", name="Mettre en pause").is_visible()
    # the same pages, for axe (JavaScript on, in its own browser context)
    sign_in(axe_page, accounts, "lou@velo-solidaire.test")
    for path in ("/associations/velo-solidaire/sources", "/sources/guides"):
        axe_page.goto(accounts.url + path)
        assert axe(axe_page) == [], path
    axe_page.goto(accounts.url + "/associations/velo-solidaire/sources")
    axe_page.get_by_label("Adresse de l’agenda ou du flux").fill(accounts.calendar_url + "?b")
    axe_page.get_by_role("button", name="Voir ce que Maillage y trouve").click()
    axe_page.get_by_role("button", name="Confirmer").wait_for()
    assert axe(axe_page) == [], "preview"


PAGES = ("/connexion", "/demo/courrier", "/compte", "/associations/velo-solidaire",
         "/associations/velo-solidaire/modifier", "/associations/velo-solidaire/membres",
         "/associations/velo-solidaire/historique", "/associations/nouvelle",
         "/operateurs/associations", "/operateurs/sources", "/appels/publier",
         "/compte/supprimer")


def test_account_pages_have_no_serious_axe_violation(accounts: Any, axe_page: Any,
                                                     axe: Any) -> None:
    page = axe_page
    accounts.run(accounts.bus and _grant(accounts))
    page.goto(accounts.url + "/connexion")
    assert axe(page) == [], "/connexion"
    # the confirmation, rendered once and the address put in (an apostrophe kept as typed)
    page.get_by_label("Adresse électronique").fill("o'brien@ville.example")
    page.get_by_role("button", name="Recevoir un lien de connexion").click()
    page.get_by_role("heading", name="Vérifiez votre messagerie").wait_for()
    assert page.get_by_text("o'brien@ville.example", exact=True).is_visible()
    assert axe(page) == [], "sign-in link sent"
    sign_in(page, accounts, "ops@ville.example")
    page.goto(accounts.url + "/connexion/lien?jeton=perime")
    assert axe(page) == [], "expired link"
    for path in PAGES[1:]:
        page.goto(accounts.url + path)
        assert page.title(), path
        assert axe(page) == [], path


async def _grant(site: Any) -> None:
    from services.accounts.storage import Stores

    stores = await Stores.open(site.bus)
    await stores.people.set_role("ops@ville.example", "operator", True, actor="cli")
    await stores.people.set_role("ops@ville.example", "city_agent", True, actor="cli")


def test_a_form_posted_from_another_site_is_refused(accounts: Any, page: Any) -> None:
    """A page on another origin auto-submits a form to the site: refused, nothing sent."""
    before = len(list((accounts.data_dir / "outbox").glob("*.eml")))
    page.goto(accounts.other_url + "/hote")  # any page of the other origin
    page.set_content(f"""<form id="f" method="post" action="{accounts.url}/connexion">
        <input name="email" value="victime@exemple.fr"><input name="csrf" value="x"></form>""")
    with page.expect_navigation():
        page.evaluate("document.getElementById('f').submit()")
    assert "Demande refusée" in page.content() or "autre site" in page.content()
    assert len(list((accounts.data_dir / "outbox").glob("*.eml"))) == before
