"""Team-up declarations on a call's page by signed-in members of an association (records of
the store of record), next to the deprecated bearer-token path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.accounts.web import SITE
from services.query.calls_routes import CALL_STORE
from shared.calls import Call, CallMessage

from .conftest import Site

pytestmark = pytest.mark.integration


async def a_call(site: Site, joint: bool = True) -> str:
    call = Call.create(publisher="ville", publisher_id="jardins" + str(joint),
                       title="Jardins partagés", funder="Ville de Rennes",
                       deadline=datetime.now(UTC) + timedelta(days=40), joint_welcome=joint)
    await site.app[CALL_STORE].apply([CallMessage.upsert(call, 1)])
    return call.id


async def test_a_member_declares_then_withdraws_for_their_association(
        site: Site, browser) -> None:
    cid = await a_call(site)
    visitor = await browser()
    status, html = await visitor.get(f"/appels/{cid}")
    assert status == 200 and "Connectez-vous" in html and 'action="/appels/' not in html
    member = await browser()
    await member.sign_in(site, "camille@velo-solidaire.test")
    status, html = await member.get(f"/appels/{cid}")
    assert "rejoignez-la depuis votre compte" in html
    await member.post("/associations/velo-solidaire/rejoindre", {},
                      token_from="/associations/velo-solidaire")
    page = f"/appels/{cid}"
    resp = await member.post(f"/appels/{cid}/interet", {"association": "velo-solidaire"},
                             token_from=page)
    assert resp.status == 422  # contact and what it brings are needed
    resp = await member.post(f"/appels/{cid}/interet", {
        "association": "velo-solidaire", "contact": "camille@velo-solidaire.test",
        "brings": "des vélos cargos"}, token_from=page)
    assert resp.status == 200 and "des vélos cargos" in await resp.text()
    async with visitor.session.get(f"{site.url}/v1/calls/{cid}") as r:
        interests = (await r.json())["interests"]
    assert [(i["association"], i["association_id"]) for i in interests] == [
        ("Roazhon Vélo Solidaire", "velo-solidaire")]
    history = await site.app[SITE].ready().records.history(
        f"maillage.rec.interest.{cid}.velo-solidaire")
    person = await site.app[SITE].ready().people.by_email("camille@velo-solidaire.test")
    assert person is not None and history[0].actor == person.id
    resp = await member.post(f"/appels/{cid}/interet/retirer",
                             {"association": "velo-solidaire"}, token_from=page)
    assert "des vélos cargos" not in await resp.text()


async def test_nobody_speaks_for_an_association_they_are_not_in(site: Site, browser) -> None:
    cid = await a_call(site)
    b = await browser()
    await b.sign_in(site, "intrus@exemple.fr")
    await b.post("/associations/velo-solidaire/rejoindre", {},
                 token_from="/associations/velo-solidaire")  # pending: not a member yet
    token = await b.token("/compte")
    resp = await b.post(f"/appels/{cid}/interet", {
        "association": "velo-solidaire", "contact": "x", "brings": "y", "csrf": token})
    assert resp.status == 403


async def test_a_call_without_joint_applications_refuses_declarations(
        site: Site, browser) -> None:
    cid = await a_call(site, joint=False)
    b = await browser()
    await b.sign_in(site, "camille@velo-solidaire.test")
    await b.post("/associations/velo-solidaire/rejoindre", {},
                 token_from="/associations/velo-solidaire")
    token = await b.token("/compte")
    resp = await b.post(f"/appels/{cid}/interet", {
        "association": "velo-solidaire", "contact": "x", "brings": "y", "csrf": token})
    assert resp.status == 409


async def test_the_form_without_its_csrf_token_is_refused(site: Site, browser) -> None:
    cid = await a_call(site)
    b = await browser()
    await b.sign_in(site, "camille@velo-solidaire.test")
    await b.post("/associations/velo-solidaire/rejoindre", {},
                 token_from="/associations/velo-solidaire")
    resp = await b.post(f"/appels/{cid}/interet", {
        "association": "velo-solidaire", "contact": "x", "brings": "y"})
    assert resp.status == 403
    assert await site.app[SITE].ready().records.latest(
        f"maillage.rec.interest.{cid}.*") == []
