"""Joint applications on the site (a real nats-server, the site on loopback): a member
opens one for their association, a member of another asks to join, the lead accepts; the
mails go through the outbox; nobody acts for an association they are not in."""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.integration.accounts.conftest import Site

pytestmark = pytest.mark.integration
APP_URL = re.compile(r"/candidatures/([a-z0-9-]+)\?fait=ouverte")


async def member_of(site: Site, browser, address: str, aid: str):
    b = await browser()
    await b.sign_in(site, address)
    await b.post(f"/associations/{aid}/rejoindre", {}, token_from=f"/associations/{aid}")
    return b


async def mails_since(site: Site, before: int, count: int = 1) -> list:
    """The mails queued since ``before`` (the site sends in the background: wait for
    ``count`` of them)."""
    for _ in range(100):
        if len(site.outbox_messages()) >= before + count:
            break
        await asyncio.sleep(0.05)
    return site.outbox_messages()[before:]


async def open_one(lead) -> str:
    resp = await lead.post("/candidatures/nouvelle", {
        "association": "velo-solidaire", "title": "Vélo-école au Blosne",
        "summary": "Des ateliers <script>alert(1)</script> pour apprendre.",
        "funder": "Fondation de France", "deadline": "2099-03-01",
        "quartiers": "Le Blosne", "skills": "animation", "themes": "culture"},
        token_from="/candidatures/nouvelle")
    assert resp.status == 200, await resp.text()
    match = APP_URL.search(str(resp.url))
    assert match, resp.url
    return match.group(1)


async def test_open_ask_accept_with_mails_through_the_outbox(site: Site, browser) -> None:
    lead = await member_of(site, browser, "camille@velo-solidaire.test", "velo-solidaire")
    app_id = await open_one(lead)
    status, html = await lead.get(f"/candidatures/{app_id}")
    assert status == 200 and "Vélo-école au Blosne" in html and "Culture" in html
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    other = await member_of(site, browser, "lou@jardins-blosne.test", "jardins-blosne")
    page = f"/candidatures/{app_id}"
    resp = await other.post(f"{page}/rejoindre", {"association": "jardins-blosne",
                                                  "message": ""}, token_from=page)
    assert resp.status == 422 and "Dites en quelques mots" in await resp.text()
    before = len(site.outbox_messages())
    resp = await other.post(f"{page}/rejoindre", {
        "association": "jardins-blosne", "message": "Nous avons une salle au Blosne."},
        token_from=page)
    assert resp.status == 200 and "Votre demande est envoyée" in await resp.text()
    mails = await mails_since(site, before)
    assert [str(m["To"]) for m in mails] == ["camille@velo-solidaire.test"]
    body = mails[0].get_body(preferencelist=("plain",)).get_content()
    assert "Nous avons une salle" in body and "lou@" not in body
    status, html = await lead.get(page)
    assert "Nous avons une salle" in html and "Accepter" in html
    status, html = await (await browser()).get(page)
    assert "Nous avons une salle" not in html  # the message is for the lead only
    before = len(site.outbox_messages())
    resp = await lead.post(f"{page}/partenaires", {"association": "jardins-blosne",
                                                   "action": "accept"}, token_from=page)
    assert resp.status == 200 and "est partenaire" in await resp.text()
    assert [str(m["To"]) for m in await mails_since(site, before)] == [
        "lou@jardins-blosne.test"]
    async with lead.session.get(f"{site.url}/v1/applications/{app_id}") as r:
        item = (await r.json())["item"]
    assert item["partners"] == [{"id": "jardins-blosne", "name": item["partners"][0]["name"]}]
    assert "opened_by" not in item and "camille" not in repr(item)


async def test_nobody_acts_for_an_association_they_are_not_in(site: Site, browser) -> None:
    lead = await member_of(site, browser, "camille@velo-solidaire.test", "velo-solidaire")
    app_id = await open_one(lead)
    outsider = await browser()
    await outsider.sign_in(site, "intrus@exemple.fr")
    token = await outsider.token("/compte")
    resp = await outsider.post("/candidatures/nouvelle", {
        "association": "velo-solidaire", "title": "x", "summary": "y", "funder": "z",
        "deadline": "2099-01-01", "csrf": token})
    assert resp.status == 403
    resp = await outsider.post(f"/candidatures/{app_id}/partenaires", {
        "association": "jardins-blosne", "action": "accept", "csrf": token})
    assert resp.status == 403
    resp = await outsider.post(f"/candidatures/{app_id}/rejoindre", {
        "association": "jardins-blosne", "message": "Bonjour", "csrf": token})
    assert resp.status == 403


async def test_the_form_says_what_is_wrong_next_to_the_fields(site: Site, browser) -> None:
    lead = await member_of(site, browser, "camille@velo-solidaire.test", "velo-solidaire")
    resp = await lead.post("/candidatures/nouvelle", {
        "association": "velo-solidaire", "title": "", "summary": "", "funder": "",
        "deadline": "hier"}, token_from="/candidatures/nouvelle")
    html = await resp.text()
    assert resp.status == 422
    assert 'id="f-title-erreur"' in html and "Donnez un titre au projet." in html
    assert "Indiquez la date limite, à venir" in html


async def test_an_unknown_application_is_a_404_in_both_shapes(site: Site, browser) -> None:
    b = await browser()
    status, html = await b.get("/candidatures/nope")
    assert status == 404 and "Candidature introuvable" in html
    async with b.session.get(f"{site.url}/v1/applications/nope") as r:
        assert r.status == 404
        assert (await r.json())["error"]["code"] == "application_not_found"


async def test_the_checklist_is_the_team_s_only(site: Site, browser) -> None:
    lead = await member_of(site, browser, "camille@velo-solidaire.test", "velo-solidaire")
    app_id = await open_one(lead)
    page = f"/candidatures/{app_id}"
    resp = await lead.post(f"{page}/pieces", {"action": "add", "piece": "Budget prévisionnel",
                                              "who": "velo-solidaire"}, token_from=page)
    assert resp.status == 200 and "Budget prévisionnel" in await resp.text()
    other = await member_of(site, browser, "lou@jardins-blosne.test", "jardins-blosne")
    status, html = await other.get(page)
    assert "Budget prévisionnel" not in html  # not a partner yet
    resp = await other.post(f"{page}/pieces", {"action": "add", "piece": "x"},
                            token_from=page)
    assert resp.status == 403
    await other.post(f"{page}/rejoindre", {"association": "jardins-blosne",
                                           "message": "Bonjour"}, token_from=page)
    await lead.post(f"{page}/partenaires", {"association": "jardins-blosne",
                                            "action": "accept"}, token_from=page)
    status, html = await other.get(page)
    assert "Budget prévisionnel" in html
    item = re.search(r'name="item" value="([0-9a-f]+)"', html)
    assert item
    resp = await other.post(f"{page}/pieces", {"action": "done", "item": item.group(1)},
                            token_from=page)
    text = await resp.text()
    assert "Marquer «\u00a0Budget prévisionnel\u00a0» à faire" in text
    status, html = await (await browser()).get(page)
    assert "Budget prévisionnel" not in html


async def test_the_lead_edits_it_and_no_one_else(site: Site, browser) -> None:
    lead = await member_of(site, browser, "camille@velo-solidaire.test", "velo-solidaire")
    app_id = await open_one(lead)
    edit = f"/candidatures/{app_id}/modifier"
    status, html = await lead.get(edit)
    assert status == 200 and 'value="Vélo-école au Blosne"' in html and "2099-03-01" in html
    resp = await lead.post(edit, {"title": "", "summary": "x", "funder": "F",
                                  "deadline": "2099-03-01"}, token_from=edit)
    assert resp.status == 422 and "Donnez un titre au projet." in await resp.text()
    resp = await lead.post(edit, {"title": "Vélo-école des familles", "summary": "Des ateliers.",
                                  "funder": "Fondation de France", "deadline": "2099-04-01",
                                  "quartiers": "Le Blosne"}, token_from=edit)
    html = await resp.text()
    assert resp.status == 200 and "Vélo-école des familles" in html and "1 avril 2099" in html
    other = await member_of(site, browser, "lou@jardins-blosne.test", "jardins-blosne")
    status, _ = await other.get(edit)
    assert status == 403


async def test_a_partner_leaves_and_the_lead_is_told(site: Site, browser) -> None:
    lead = await member_of(site, browser, "camille@velo-solidaire.test", "velo-solidaire")
    app_id = await open_one(lead)
    page = f"/candidatures/{app_id}"
    other = await member_of(site, browser, "lou@jardins-blosne.test", "jardins-blosne")
    await other.post(f"{page}/rejoindre", {"association": "jardins-blosne",
                                           "message": "Bonjour"}, token_from=page)
    await lead.post(f"{page}/partenaires", {"association": "jardins-blosne",
                                            "action": "accept"}, token_from=page)
    before = len(site.outbox_messages())
    resp = await other.post(f"{page}/quitter", {"association": "jardins-blosne"},
                            token_from=page)
    assert resp.status == 200 and "ne fait plus partie" in await resp.text()
    assert [str(m["To"]) for m in await mails_since(site, before)] == [
        "camille@velo-solidaire.test"]
    async with lead.session.get(f"{site.url}/v1/applications/{app_id}") as r:
        assert (await r.json())["item"]["partners"] == []
    resp = await other.post(f"{page}/quitter", {"association": "jardins-blosne"},
                            token_from=page)
    assert resp.status == 409


async def test_who_opened_it_and_left_the_lead_is_mailed_no_more(site: Site, browser) -> None:
    from services.accounts import SITE
    from services.applications.storage import Applications
    from services.associations.model import ADMIN
    from services.associations.storage import Associations

    lead = await member_of(site, browser, "camille@velo-solidaire.test", "velo-solidaire")
    app_id = await open_one(lead)
    stores = site.app[SITE].ready()
    application = await Applications(stores).get(app_id)
    assert application is not None
    directory = Associations(stores)
    await directory.decide_member("velo-solidaire", application.opened_by, "remove",
                                  actor="operator")
    admin = await member_of(site, browser, "dominique@velo-solidaire.test", "velo-solidaire")
    admin_id = next(m.person for m in await directory.members("velo-solidaire") if m.active)
    await directory.decide_member("velo-solidaire", admin_id, "role", role=ADMIN,
                                  actor="operator")
    assert admin is not None
    other = await member_of(site, browser, "lou@jardins-blosne.test", "jardins-blosne")
    page = f"/candidatures/{app_id}"
    before = len(site.outbox_messages())
    resp = await other.post(f"{page}/rejoindre", {
        "association": "jardins-blosne", "message": "Notre salle, nos horaires."},
        token_from=page)
    assert resp.status == 200
    # the lead's admin is mailed (in the same round as anyone else would be)
    assert [str(m["To"]) for m in await mails_since(site, before)] == [
        "dominique@velo-solidaire.test"]
