"""Associations through the site: the demo ones, joining (by domain or approved), creation
requests and their approval, edits and their audit trail, private contact details."""

from __future__ import annotations

import asyncio

import pytest

from services.accounts.web import SITE
from services.associations.storage import Associations
from shared.errors import InvalidInput

from .conftest import Site

pytestmark = pytest.mark.integration


async def operator(site: Site, browser, address: str = "ops@ville.example"):  # type: ignore[no-untyped-def]
    stores = site.app[SITE].ready()
    await stores.people.set_role(address, "operator", True, actor="cli")
    b = await browser()
    await b.sign_in(site, address)
    return b


async def test_demo_associations_exist_once_after_two_starts(site: Site, browser) -> None:
    from services.associations.demo import seed

    stores = site.app[SITE].ready()
    assert await seed(stores) == 0  # created at start already: nothing more
    found = await Associations(stores).all()
    assert len(found) == 5 and all(a.active for a in found)
    assert await Associations(stores).by_organizer("Roazhon Vélo Solidaire") == "velo-solidaire"
    b = await browser()
    status, html = await b.get("/associations/velo-solidaire")
    assert status == 200 and "Roazhon Vélo Solidaire" in html
    assert "contact@velo-solidaire.test" not in html  # contact details are private


async def test_joining_from_the_association_domain_is_immediate(site: Site, browser) -> None:
    b = await browser()
    await b.sign_in(site, "camille@velo-solidaire.test")
    resp = await b.post("/associations/velo-solidaire/rejoindre", {},
                        token_from="/associations/velo-solidaire")
    assert resp.status == 200 and "Vous êtes membre" in await resp.text()


@pytest.mark.parametrize("address", [
    "camille@evil-velo-solidaire.test",         # ends with the domain's text
    "camille@velo-solidaire.test.evil.example",  # starts with it
    "camille@gmail.com",
])
async def test_other_domains_wait_for_approval(site: Site, browser, address: str) -> None:
    b = await browser()
    await b.sign_in(site, address)
    resp = await b.post("/associations/velo-solidaire/rejoindre", {},
                        token_from="/associations/velo-solidaire")
    assert "Votre demande est envoyée" in await resp.text()
    stores = site.app[SITE].ready()
    person = await stores.people.by_email(address)
    assert person is not None
    membership = await Associations(stores).membership("velo-solidaire", person.id)
    assert membership is not None and membership.state == "pending"


async def test_an_admin_approves_a_request_and_the_history_shows_it(
        site: Site, browser) -> None:
    admin = await browser()
    await admin.sign_in(site, "admin@velo-solidaire.test")
    await admin.post("/associations/velo-solidaire/rejoindre", {},
                     token_from="/associations/velo-solidaire")
    stores = site.app[SITE].ready()
    admin_id = (await stores.people.by_email("admin@velo-solidaire.test")).id  # type: ignore[union-attr]
    await Associations(stores).decide_member("velo-solidaire", admin_id, "role", actor="cli",
                                             role="admin")
    newcomer = await browser()
    await newcomer.sign_in(site, "leo@exemple.fr")
    await newcomer.post("/compte", {"name": "Léo"}, token_from="/compte")
    await newcomer.post("/associations/rejoindre", {"association": "velo-solidaire"},
                        token_from="/compte")
    status, html = await newcomer.get("/associations/velo-solidaire/membres")
    assert status == 403  # not theirs to see
    status, html = await admin.get("/associations/velo-solidaire/membres")
    assert status == 200 and "Léo" in html and "demande en attente" in html
    leo = (await stores.people.by_email("leo@exemple.fr")).id  # type: ignore[union-attr]
    resp = await admin.post("/associations/velo-solidaire/membres",
                            {"person": leo, "action": "approve", "role": "editor"},
                            token_from="/associations/velo-solidaire/membres")
    assert resp.status == 200
    status, html = await newcomer.get("/associations/velo-solidaire")
    assert "Vous êtes membre" in html
    status, html = await admin.get("/associations/velo-solidaire/historique")
    assert status == 200 and "Membre\u00a0: Léo" in html and "adhésion acceptée" in html


async def test_the_last_admin_cannot_leave_the_association_without_one(
        site: Site, browser) -> None:
    ops = await operator(site, browser)
    stores = site.app[SITE].ready()
    founder = await browser()
    await founder.sign_in(site, "fondatrice@exemple.fr")
    resp = await founder.post("/associations/nouvelle", {"name": "Les Amis du Thabor"},
                              token_from="/associations/nouvelle")
    assert "Votre demande de création est envoyée" in await resp.text()
    pid = (await stores.people.by_email("fondatrice@exemple.fr")).id  # type: ignore[union-attr]
    resp = await ops.post("/associations/les-amis-du-thabor/membres",
                          {"person": pid, "action": "remove"},
                          token_from="/associations/les-amis-du-thabor/membres")
    assert resp.status == 422 and "dernière personne" in await resp.text()


@pytest.mark.parametrize("action", ["role", "remove"])
async def test_two_admins_demoting_each_other_at_once_leave_one_admin(
        site: Site, action: str) -> None:
    """The check and the write are one record's write (``maillage.rec.admins.<id>``): the
    second of two concurrent demotions sees the first and is refused, whatever the order."""
    stores = site.app[SITE].ready()
    associations = Associations(stores)
    people = [await stores.people.find_or_create(f"{n}@exemple.fr") for n in ("ana", "bea")]
    for person in people:
        await associations.add_member("velo-solidaire", person.id, "admin", actor="cli")
    for _ in range(3):  # several rounds: whichever interleaving the loop picks
        results = await asyncio.gather(*(
            associations.decide_member("velo-solidaire", p.id, action, actor=p.id,
                                       role="editor") for p in people), return_exceptions=True)
        refused = [r for r in results if isinstance(r, InvalidInput)]
        admins = [m for m in await associations.members("velo-solidaire") if m.admin]
        assert len(refused) == 1 and len(admins) == 1, results
        for person in people:  # both admins again for the next round
            await associations.add_member("velo-solidaire", person.id, "admin", actor="cli")


async def test_a_creation_request_waits_for_an_operator(site: Site, browser) -> None:
    founder = await browser()
    await founder.sign_in(site, "fondatrice@exemple.fr")
    resp = await founder.post("/associations/nouvelle", {
        "name": "Les Amis du Thabor", "acronym": "AdT", "rna": "W351234567",
        "website": "amis-du-thabor.fr", "contact_email": "bonjour@amis-du-thabor.fr"},
        token_from="/associations/nouvelle")
    assert resp.url.path == "/associations/les-amis-du-thabor"
    visitor = await browser()
    assert (await visitor.get("/associations/les-amis-du-thabor"))[0] == 404
    ops = await operator(site, browser)
    status, html = await ops.get("/operateurs/associations")
    assert "Les Amis du Thabor" in html
    assert (await founder.get("/operateurs/associations"))[0] == 403
    await ops.post("/operateurs/associations",
                   {"association": "les-amis-du-thabor", "action": "approve"},
                   token_from="/operateurs/associations")
    status, html = await visitor.get("/associations/les-amis-du-thabor")
    assert status == 200 and "W351234567" in html and "bonjour@" not in html
    async with visitor.session.get(site.url + "/v1/associations/les-amis-du-thabor") as r:
        item = (await r.json())["item"]
    assert item["website"] == "https://amis-du-thabor.fr" and "contact" not in item


async def test_rna_numbers_are_checked_and_unique(site: Site, browser) -> None:
    ops = await operator(site, browser)
    resp = await ops.post("/associations/nouvelle", {"name": "A", "rna": "W12345"},
                          token_from="/associations/nouvelle")
    assert resp.status == 422 and "W suivi de 9 chiffres" in await resp.text()
    resp = await ops.post("/associations/nouvelle", {"name": "A", "rna": "w351234567"},
                          token_from="/associations/nouvelle")
    assert resp.status == 200 and resp.url.path == "/associations/a"
    resp = await ops.post("/associations/nouvelle", {"name": "B", "rna": "W351234567"},
                          token_from="/associations/nouvelle")
    assert resp.status == 422 and "déjà celui d’une autre association" in await resp.text()


async def test_edits_are_audited_and_contact_details_public_only_when_asked(
        site: Site, browser) -> None:
    ops = await operator(site, browser)
    form = {"name": "Roazhon Vélo Solidaire", "acronym": "RVS",
            "website": "https://velo-solidaire.test/",
            "contact_email": "contact@velo-solidaire.test", "organizers": "Roazhon Vélo Solidaire"}
    resp = await ops.post("/associations/velo-solidaire/modifier", form,
                          token_from="/associations/velo-solidaire/modifier")
    assert resp.status == 200 and "Les modifications sont enregistrées" in await resp.text()
    visitor = await browser()
    assert "contact@velo-solidaire.test" not in (await visitor.get(
        "/associations/velo-solidaire"))[1]
    resp = await ops.post("/associations/velo-solidaire/modifier",
                          {**form, "contact_public": "oui"},
                          token_from="/associations/velo-solidaire/modifier")
    assert "contact@velo-solidaire.test" in (await visitor.get(
        "/associations/velo-solidaire"))[1]
    status, html = await ops.get("/associations/velo-solidaire/historique")
    assert "Sigle" in html and "RVS" in html and "Coordonnées publiques" in html
    assert "ops" in html  # who: the operator's display name
    assert (await visitor.get("/associations/velo-solidaire/historique",
                              allow_redirects=False))[0] == 303


async def test_a_stale_form_keeps_the_other_change_or_says_conflict(
        site: Site, browser) -> None:
    ops = await operator(site, browser)
    path = "/associations/velo-solidaire/modifier"
    status, html = await ops.get(path)
    version = html.split('name="version" value="')[1].split('"')[0]
    base = {"name": "Roazhon Vélo Solidaire", "website": "https://velo-solidaire.test/",
            "organizers": "Roazhon Vélo Solidaire", "version": version}
    first = await ops.post(path, {**base, "acronym": "RVS"}, token_from=path)
    assert first.status == 200
    second = await ops.post(path, {**base, "rna": "W351111111"}, token_from=path)
    assert second.status == 200  # another field: both changes kept
    stores = site.app[SITE].ready()
    found = await Associations(stores).get("velo-solidaire")
    assert found is not None and (found.acronym, found.rna) == ("RVS", "W351111111")
    third = await ops.post(path, {**base, "acronym": "VS"}, token_from=path)
    assert third.status == 409  # the same field, changed since this form was shown
    assert "Quelqu’un d’autre a modifié" in await third.text()


async def test_the_account_page_lists_memberships_and_associations_to_join(
        site: Site, browser) -> None:
    b = await browser()
    await b.sign_in(site, "camille@velo-solidaire.test")
    status, html = await b.get("/compte")
    assert "Vous n’êtes membre d’aucune association" in html
    assert '<option value="velo-solidaire">Roazhon Vélo Solidaire</option>' in html
    await b.post("/associations/rejoindre", {"association": "velo-solidaire"},
                 token_from="/compte")
    status, html = await b.get("/compte")
    assert '<a href="/associations/velo-solidaire">Roazhon Vélo Solidaire</a>' in html
    assert '<option value="velo-solidaire">' not in html


async def test_an_operator_edit_is_marked_so_and_no_import_overwrites_it(
        site: Site, browser) -> None:
    from services.associations.importer import Importer, Summary
    from services.associations.registers import ImportRow

    ops = await operator(site, browser)
    form = {"name": "Vélo Solidaire (corrigé)", "rna": "W353000999",
            "website": "https://velo-solidaire.test/"}
    resp = await ops.post("/associations/velo-solidaire/modifier", form,
                          token_from="/associations/velo-solidaire/modifier")
    assert resp.status == 200, await resp.text()
    stores = site.app[SITE].ready()
    edited = await Associations(stores).get("velo-solidaire")
    assert edited is not None and edited.provenance["name"] == "operator"
    row = ImportRow(2, {"rna": "W353000999", "name": "VELO SOLIDAIRE", "purpose": "Du vélo",
                        "founded": "2010-05-01", "state": "active"})
    summary = await Importer(stores, "rna").run([row], Summary("rna"))
    assert summary.updated == 1  # the founding date, which no one wrote
    after = await Associations(stores).get("velo-solidaire")
    assert after is not None and after.name == "Vélo Solidaire (corrigé)"
    assert after.founded == "2010-05-01" and after.provenance["founded"] == "rna"
    # the demo association wrote its purpose itself: the register does not replace it
    assert after.purpose.startswith("Atelier participatif") and after.provenance[
        "purpose"] == "self"
