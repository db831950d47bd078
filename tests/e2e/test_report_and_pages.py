""""Signaler une erreur" to the operators' queue (rate-limited through the store of record),
and the information pages: taking part, contact, accessibility statement (issue 18)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _accounts_tests() -> Any:
    """tests/e2e/test_accounts_pages.py (the accounts' seeded site and signing in), loaded
    under its own name (the tests are no package)."""
    name = "maillage_e2e_accounts_pages"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).with_name("test_accounts_pages.py"))
        assert spec and spec.loader
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name]


site_class = _accounts_tests().site_class
sign_in = _accounts_tests().sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def accounts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    site = site_class()(tmp_path_factory.mktemp("report")).start()
    try:
        yield site
    finally:
        site.stop()


def open_report_form(site: Any, page: Any, title: str) -> str:
    page.goto(site.url + "/")
    page.locator(".event .title a", has_text=title).first.click()
    page.wait_for_url("**/evenement/**")
    event_url = page.url
    page.get_by_role("link", name="Signaler une erreur sur cet événement").click()
    page.get_by_role("heading", name="Signaler une erreur").wait_for()
    return event_url


def send_report(page: Any, message: str) -> None:
    page.get_by_label("Le lieu").check()
    page.get_by_label("Ce qu’il faudrait corriger").fill(message)
    page.get_by_role("button", name="Envoyer le signalement").click()


async def _grant(site: Any) -> None:
    from services.accounts.storage import Stores

    stores = await Stores.open(site.bus)
    await stores.people.set_role("ops@ville.example", "operator", True, actor="cli")


async def _reports(site: Any) -> list[dict[str, Any]]:
    from shared.records import Records

    records = Records(site.bus.js)
    return [e.record for e in await records.latest(records.subject("report") + ".>")]


def test_a_report_reaches_the_operators_who_mark_it_handled(
        accounts: Any, nojs_page: Any, axe_page: Any, axe: Any) -> None:
    page = nojs_page
    open_report_form(accounts, page, "Fest-noz de la Saint-Martin")
    page.get_by_role("button", name="Envoyer le signalement").click()  # nothing filled
    assert "Le formulaire contient 2 erreurs" in page.get_by_role("alert").inner_text()
    send_report(page, "La salle a changé : c’est à la MJC Bréquigny.")
    assert "Votre signalement a bien été envoyé" in page.get_by_role("status").inner_text()
    (report,) = accounts.run(_reports(accounts))
    assert report["kind"] == "lieu" and report["state"] == "open"
    assert report["title"] == "Fest-noz de la Saint-Martin"

    accounts.run(_grant(accounts))
    ops = axe_page
    sign_in(ops, accounts, "ops@ville.example")
    ops.goto(accounts.url + "/operateurs/signalements")
    item = ops.locator("article", has_text="MJC Bréquigny")
    assert "Le lieu" in item.inner_text()
    assert axe(ops) == []
    item.get_by_role("button", name="Marquer comme traité").click()
    ops.get_by_text("Aucun signalement en attente.").wait_for()
    assert [r["state"] for r in accounts.run(_reports(accounts))] == ["done"]


def test_reports_are_rate_limited_per_client(accounts: Any, nojs_page: Any) -> None:
    page = nojs_page
    sent = len(accounts.run(_reports(accounts)))
    refused = None
    for n in range(7):
        open_report_form(accounts, page, "Vide-grenier du Blosne")
        send_report(page, f"Signalement {n}")
        if "Trop de demandes" in page.content():
            refused = n
            break
    assert refused is not None and sent + refused == 5  # 5 an hour per client
    assert "Réessayez dans" in page.locator("main").inner_text()


def test_the_queue_needs_a_signed_in_operator(accounts: Any, page: Any) -> None:
    page.goto(accounts.url + "/operateurs/signalements")
    assert "/connexion" in page.url  # signed-out: to the sign-in page


PAGES = {
    "/participer": "Faire apparaître vos événements",
    "/contact": "Contact",
    "/accessibilite": "Déclaration d’accessibilité",
    "/entraide": "S’entraider entre associations",
}


@pytest.mark.parametrize("path", PAGES)
def test_information_pages(site: Any, axe_page: Any, axe: Any, path: str) -> None:
    response = axe_page.goto(site.url + path)
    assert response.status == 200
    assert axe_page.get_by_role("heading", level=1).inner_text() == PAGES[path]
    assert axe(axe_page) == []


def test_accessibility_statement_states_the_rgaa_status(site: Any, page: Any) -> None:
    page.goto(site.url + "/accessibilite")
    text = page.locator("main").inner_text()
    assert "pas encore conforme au RGAA 4.1" in text
    assert "Défenseur des droits" in text
    page.goto(site.url + "/participer")
    assert page.get_by_role("link", name="Connectez-vous").get_attribute("href") == (
        "/connexion?suite=/compte")


def test_every_entry_of_the_entraide_hub_leads_to_its_page(accounts: Any, page: Any) -> None:
    site = accounts  # the site with its store of record: the domains' pages need it
    page.goto(site.url + "/")
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Entraide").click()
    assert page.url == site.url + "/entraide"
    links = page.locator("ul.hub h2 a")
    assert links.count() == 4
    for title, href in [(a.inner_text(), a.get_attribute("href")) for a in links.all()]:
        response = page.request.get(site.url + href)
        assert response.status == 200, (title, href, response.status)
        assert title in response.text(), (title, href)
