"""Declaring, confirming, declining and ending a link through the site's forms, as two
members of two demo associations would: the other side is mailed (outbox), a proposal is
private until confirmed, only the right side may answer, and the account page lists what
waits."""

from __future__ import annotations

import pytest

from .conftest import Browser, Site

pytestmark = pytest.mark.integration

LINK = "/reseau/liens/jardins-blosne.velo-solidaire.partnership"


async def member_of(site: Site, browser, aid: str, address: str) -> Browser:
    b = await browser()
    await b.sign_in(site, address)
    resp = await b.post(f"/associations/{aid}/rejoindre", {},
                        token_from=f"/associations/{aid}")
    assert resp.status == 200
    return b


async def test_a_link_is_proposed_then_confirmed_by_the_other_side(site: Site, browser) -> None:
    camille = await member_of(site, browser, "velo-solidaire", "camille@velo-solidaire.test")
    noa = await member_of(site, browser, "jardins-blosne", "noa@jardins-blosne.test")
    before = len(site.outbox_messages())
    resp = await camille.post("/reseau/declarer", {
        "source": "velo-solidaire", "target": "jardins-blosne", "kind": "partnership",
        "note": "Atelier réparation au jardin", "since": "2022"},
        token_from="/reseau/declarer")
    assert resp.status == 200 and resp.url.path == LINK
    assert "proposé" in await resp.text()
    # the other side's member is mailed, with the link's page, and no one's address
    mails = [m for m in site.outbox_messages()[before:]
             if str(m["To"]) == "noa@jardins-blosne.test"]
    assert len(mails) == 1
    text = mails[0].get_body(preferencelist=("plain",)).get_content()
    assert LINK in text and "camille@" not in text
    # not public yet
    visitor = await browser()
    status, _ = await visitor.get(LINK)
    assert status == 404
    # the declaring side cannot confirm it
    resp = await camille.post(LINK + "/confirmer", {}, token_from=LINK)
    assert resp.status == 403
    # the other side sees it on their account page, and confirms it
    status, html = await noa.get("/compte")
    assert "Liens à confirmer" in html and LINK in html
    resp = await noa.post(LINK + "/confirmer", {}, token_from=LINK)
    assert resp.status == 200 and "confirmé" in await resp.text()
    status, html = await visitor.get(LINK)
    assert status == 200 and "Atelier réparation au jardin" in html
    assert "Confirmer" not in html and "Terminer" not in html
    # declaring it again is refused next to the field
    resp = await camille.post("/reseau/declarer", {
        "source": "velo-solidaire", "target": "jardins-blosne", "kind": "partnership"},
        token_from="/reseau/declarer")
    assert resp.status == 409 and "déjà déclaré" in await resp.text()
    # either side ends it: private again
    resp = await camille.post(LINK + "/terminer", {}, token_from=LINK)
    assert resp.status == 200 and "terminé" in await resp.text()
    status, _ = await visitor.get(LINK)
    assert status == 404


async def test_declined_and_refused_forms(site: Site, browser) -> None:
    camille = await member_of(site, browser, "velo-solidaire", "camille@velo-solidaire.test")
    noa = await member_of(site, browser, "jardins-blosne", "noa@jardins-blosne.test")
    resp = await camille.post("/reseau/declarer", {
        "source": "velo-solidaire", "target": "https://x/associations/jardins-blosne",
        "kind": "partnership"}, token_from="/reseau/declarer")
    assert resp.url.path == LINK
    resp = await noa.post(LINK + "/refuser", {}, token_from=LINK)
    assert resp.status == 200 and "refusée" in await resp.text()
    resp = await noa.post(LINK + "/confirmer", {}, token_from="/reseau/declarer")
    assert resp.status == 409  # declined: nothing to confirm
    # French errors next to the fields, every one at once
    resp = await camille.post("/reseau/declarer", {
        "source": "velo-solidaire", "target": "velo-solidaire", "kind": "amitié",
        "since": "demain"}, token_from="/reseau/declarer")
    html = await resp.text()
    assert resp.status == 422
    assert 'id="f-target-erreur"' in html and 'id="f-kind-erreur"' in html
    assert 'id="f-since-erreur"' in html
    resp = await camille.post("/reseau/declarer", {
        "source": "velo-solidaire", "target": "nulle-part", "kind": "events"},
        token_from="/reseau/declarer")
    assert resp.status == 422 and "Aucune association active" in await resp.text()
    # speaking for an association one is not a member of
    resp = await camille.post("/reseau/declarer", {
        "source": "jardins-blosne", "target": "choeur-arc-en-ciel", "kind": "events"},
        token_from="/reseau/declarer")
    assert resp.status == 403
    # a form without its CSRF token
    resp = await camille.post("/reseau/declarer", {
        "source": "velo-solidaire", "target": "choeur-arc-en-ciel", "kind": "events"})
    assert resp.status == 403


async def test_the_demo_writes_its_links_once(site: Site) -> None:
    from services.accounts.web import SITE
    from services.network import demo
    from services.network.storage import Links

    stores = site.app[SITE].ready()
    links = Links(stores)
    shown = await links.get("jardins-blosne.velo-solidaire.events")
    assert shown is not None and shown.state == "confirmed"
    waiting = await links.get("acces-culture.velo-solidaire.events")
    assert waiting is not None and waiting.state == "proposed"
    assert await demo.seed(stores) == 0  # again at the next start: nothing written


async def test_a_person_s_export_holds_the_links_they_wrote(site: Site, browser) -> None:
    from services.accounts.web import SITE

    camille = await member_of(site, browser, "velo-solidaire", "camille@velo-solidaire.test")
    await camille.post("/reseau/declarer", {
        "source": "velo-solidaire", "target": "jardins-blosne", "kind": "partnership"},
        token_from="/reseau/declarer")
    stores = site.app[SITE].ready()
    person = await stores.people.by_email("camille@velo-solidaire.test")
    assert person is not None
    exported = await stores.people.export(person.id)
    assert [r["id"] for r in exported["network_links"]] == [
        "jardins-blosne.velo-solidaire.partnership"]


async def test_the_reverse_of_a_membership_is_refused_next_to_the_field(site: Site,
                                                                         browser) -> None:
    camille = await member_of(site, browser, "velo-solidaire", "camille@velo-solidaire.test")
    noa = await member_of(site, browser, "jardins-blosne", "noa@jardins-blosne.test")
    resp = await camille.post("/reseau/declarer", {
        "source": "velo-solidaire", "target": "jardins-blosne", "kind": "member"},
        token_from="/reseau/declarer")
    assert resp.status == 200
    resp = await noa.post("/reseau/declarer", {
        "source": "jardins-blosne", "target": "velo-solidaire", "kind": "member"},
        token_from="/reseau/declarer")
    html = await resp.text()
    assert resp.status == 422 and 'id="f-kind-erreur"' in html
    assert "l’inverse ne peut pas être vrai aussi" in html
