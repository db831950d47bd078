"""Posts written through the pages by signed-in people (real NATS, real site): who may
write, validation next to the fields, the post's page, editing and closing, the message to
its author through the site's mail, the API's read of one post, export and erasure."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest

from services.accounts.web import SITE
from services.skills import demo
from services.skills.storage import Skills

from .conftest import Browser, Site

pytestmark = pytest.mark.integration
KEY = re.compile(r"/competences/([\w-]+\.[\w-]+)\?fait=cree")


async def send(browser: Browser, path: str, fields: list[tuple[str, str]], *,
               token_from: str) -> aiohttp.ClientResponse:
    """A form with repeated fields (ticked boxes), as a browser sends it."""
    data = [("csrf", await browser.token(token_from)), *fields]
    resp = await browser.session.post(browser.base + path, data=data)
    await resp.read()
    return resp


NEED = [("type", "besoin"), ("association", "velo-solidaire"),
        ("title", "Besoin d’un·e graphiste pour l’affiche"), ("skills", "graphisme"),
        ("skills", "communication"), ("modes", "distance"), ("keywords", "affiche, festival"),
        ("description", "Une affiche <b>A3</b><script>alert(1)</script>"),
        ("starts", "2027-01-10"), ("ends", "2027-03-31")]


async def member(site: Site, browser: Any, address: str = "camille@velo-solidaire.test"
                 ) -> Browser:
    person = await browser()
    await person.sign_in(site, address)
    await person.post("/associations/velo-solidaire/rejoindre", {},
                      token_from="/associations/velo-solidaire")
    return person


async def create_need(site: Site, person: Browser) -> str:
    resp = await send(person, "/competences/nouveau", NEED, token_from="/competences/nouveau")
    assert resp.status == 200, await resp.text()
    assert resp.history and (found := KEY.search(str(resp.history[-1].headers["Location"])))
    return found.group(1)


async def test_a_member_posts_a_need_edits_it_and_closes_it(site: Site, browser) -> None:
    camille = await member(site, browser)
    key = await create_need(site, camille)
    assert key.startswith("velo-solidaire.")
    status, html = await camille.get(f"/competences/{key}")
    assert status == 200 and "Besoin d’un·e graphiste pour l’affiche" in html
    assert "Une affiche A3" in html and "alert(1)" not in html and "<b>A3" not in html
    assert "Modifier l’annonce" in html and "Roazhon Vélo Solidaire" in html
    assert "du <time datetime=\"2027-01-10\">dimanche 10 janvier 2027</time>" in html
    created = await Skills(site.app[SITE].ready()).get(key)
    assert created is not None and created.quartier == "Centre"  # where it is active

    resp = await send(camille, f"/competences/{key}/modifier",
                      [("title", "x"), ("skills", "plomberie")],
                      token_from=f"/competences/{key}/modifier")
    text = await resp.text()
    assert resp.status == 422
    assert "Donnez un titre de 5 à 150 caractères." in text and "plomberie" in text
    assert 'aria-invalid="true"' in text
    resp = await send(camille, f"/competences/{key}/modifier",
                      [("title", "Graphiste pour l’affiche du festival"),
                       ("skills", "graphisme")], token_from=f"/competences/{key}/modifier")
    assert resp.status == 200 and "Graphiste pour l’affiche du festival" in await resp.text()

    resp = await send(camille, f"/competences/{key}/etat", [("state", "clos")],
                      token_from=f"/competences/{key}")
    assert resp.status == 200
    post = await Skills(site.app[SITE].ready()).get(key)
    assert post is not None and post.state == "clos" and post.skills == ("graphisme",)
    history = await site.app[SITE].ready().records.history(
        "maillage.rec.skill." + key)
    assert [e.reason for e in history] == ["created", "edited", "closed"]


async def test_only_members_write_for_an_association(site: Site, browser) -> None:
    camille = await member(site, browser)
    key = await create_need(site, camille)
    stranger = await browser()
    await stranger.sign_in(site, "dominique@example.org")
    resp = await send(stranger, "/competences/nouveau", NEED,
                      token_from="/competences/nouveau")
    assert resp.status == 422 and "dont vous êtes membre" in await resp.text()
    resp = await send(stranger, f"/competences/{key}/etat", [("state", "clos")],
                      token_from=f"/competences/{key}")
    assert resp.status == 403
    status, _ = await stranger.get(f"/competences/{key}/modifier")
    assert status == 403
    anonymous = await browser()
    status, html = await anonymous.get(f"/competences/{key}")
    assert status == 200 and "Connectez-vous" in html and "Modifier l’annonce" not in html


async def test_a_student_has_one_profile(site: Site, browser) -> None:
    student = await browser()
    await student.sign_in(site, "lou@etudiant.example.org")
    profile = [("type", "etudiant"), ("title", "Projet tutoré en communication"),
               ("skills", "communication"), ("project_kinds", "projet_tutore"),
               ("studies", "BUT information-communication"), ("starts", "2027-01-04"),
               ("ends", "2027-03-31")]
    resp = await send(student, "/competences/nouveau", profile,
                      token_from="/competences/nouveau")
    assert resp.status == 200 and resp.url.path.endswith(".profil")
    resp = await send(student, "/competences/nouveau", profile,
                      token_from="/competences/nouveau")
    assert resp.status == 422 and "déjà un profil" in await resp.text()
    status, html = await student.get("/compte")
    assert "Projet tutoré en communication" in html


async def test_answering_mails_the_author_without_showing_addresses(site: Site,
                                                                     browser) -> None:
    camille = await member(site, browser)
    key = await create_need(site, camille)
    helper = await browser()
    await helper.sign_in(site, "alex@graphistes.example.org")
    status, html = await helper.get(f"/competences/{key}")
    assert "Proposer mon aide" in html and "camille@velo-solidaire.test" not in html
    async with helper.session.get(f"{site.url}/v1/skills/{key}") as r:
        item = (await r.json())["item"]
    assert item["title"].startswith("Besoin") and "author" not in item
    assert "p_" not in repr(item)

    before = len(site.outbox_messages())
    resp = await send(helper, f"/competences/{key}/contact", [("text", "court")],
                      token_from=f"/competences/{key}")
    assert resp.status == 422 and 'id="f-text-erreur"' in await resp.text()
    resp = await send(helper, f"/competences/{key}/contact",
                      [("text", "Bonjour, je suis graphiste et libre en février.")],
                      token_from=f"/competences/{key}")
    assert resp.status == 200 and "Votre message est envoyé" in await resp.text()
    resp = await send(helper, f"/competences/{key}/contact",
                      [("text", "Je vous donne mon adresse pour répondre."),
                       ("share_address", "oui")], token_from=f"/competences/{key}")
    assert resp.status == 200
    mails = [m for m in site.outbox_messages()[before:]
             if str(m["To"]) == "camille@velo-solidaire.test"]
    assert len(mails) == 2
    first, second = (m.get_body(preferencelist=("plain",)).get_content() for m in mails)
    assert "libre en février" in first and "alex" not in first  # not even its local part
    assert "alex@graphistes.example.org" in second

    export = await site.app[SITE].ready().people.export(
        (await site.app[SITE].ready().people.by_email("alex@graphistes.example.org")).id)
    assert len(export["skills_messages"]) == 2


async def test_messages_are_rate_limited_per_sender(site: Site, browser) -> None:
    camille = await member(site, browser)
    key = await create_need(site, camille)
    helper = await browser()
    await helper.sign_in(site, "sam@example.org")
    statuses = []
    for n in range(11):
        resp = await send(helper, f"/competences/{key}/contact",
                          [("text", f"Message numéro {n} pour aider.")],
                          token_from=f"/competences/{key}")
        statuses.append(resp.status)
    assert statuses[:10] == [200] * 10 and statuses[10] == 429


async def test_erasure_removes_the_profile_and_messages(site: Site, browser) -> None:
    camille = await member(site, browser)
    key = await create_need(site, camille)
    student = await browser()
    await student.sign_in(site, "lou@etudiant.example.org")
    resp = await send(student, "/competences/nouveau", [
        ("type", "etudiant"), ("title", "Stage en graphisme"), ("skills", "graphisme"),
        ("project_kinds", "stage"), ("studies", "Beaux-arts")],
        token_from="/competences/nouveau")
    assert resp.status == 200
    await send(student, f"/competences/{key}/contact",
               [("text", "Je peux faire votre affiche.")], token_from=f"/competences/{key}")
    stores = site.app[SITE].ready()
    person = await stores.people.by_email("lou@etudiant.example.org")
    assert person is not None
    skills = Skills(stores)
    assert await skills.profile(person.id) is not None
    await stores.people.erase(person.id)
    assert await skills.profile(person.id) is None
    assert await skills.messages_of(person.id) == []
    assert await stores.records.history(f"maillage.rec.skill.{person.id}.profil") == []


async def test_the_demo_has_posts_of_its_associations(site: Site) -> None:
    skills = Skills(site.app[SITE].ready())
    posts = await skills.of_owner("velo-solidaire")
    assert [p.type for p in posts] == ["offre"] and posts[0].owner_name
    assert await demo.seed(site.app[SITE].ready()) == 0  # again at the next start: nothing


async def test_a_post_nobody_receives_messages_for_says_so(site: Site, browser) -> None:
    skills = Skills(site.app[SITE].ready())
    demo_post = (await skills.of_owner("jardins-blosne"))[0]  # written by the demo: no author
    visitor = await browser()
    await visitor.sign_in(site, "alex@graphistes.example.org")
    status, html = await visitor.get(f"/competences/{demo_post.key}")
    assert status == 200 and "Personne ne reçoit encore les messages" in html
    assert f'action="/competences/{demo_post.key}/contact"' not in html
    resp = await send(visitor, f"/competences/{demo_post.key}/contact",
                      [("text", "Bonjour, je peux aider.")],
                      token_from="/competences/nouveau")  # the page has no form now
    assert resp.status == 409


async def test_no_one_else_edits_or_closes_a_students_profile(site: Site, browser) -> None:
    """Held in the audit: another student, and even an operator, is refused on a profile's
    forms (its id swapped in the URL)."""
    student = await browser()
    await student.sign_in(site, "lou@etudiant.example.org")
    resp = await send(student, "/competences/nouveau", [
        ("type", "etudiant"), ("title", "Projet tutoré en communication"),
        ("skills", "communication"), ("project_kinds", "projet_tutore"),
        ("studies", "BUT information-communication")], token_from="/competences/nouveau")
    path = resp.url.path
    assert resp.status == 200 and path.endswith(".profil")
    stores = site.app[SITE].ready()
    await stores.people.set_role("ops@ville.example", "operator", True, actor="cli")
    for address in ("noa@etudiant.example.org", "ops@ville.example"):
        other = await browser()
        await other.sign_in(site, address)
        resp = await send(other, f"{path}/modifier", [
            ("title", "Profil détourné"), ("skills", "communication"),
            ("project_kinds", "projet_tutore"), ("studies", "Rien")], token_from=path)
        assert resp.status == 403, address
        resp = await send(other, f"{path}/etat", [("state", "clos")], token_from=path)
        assert resp.status == 403, address
    status, html = await student.get(path)
    assert status == 200 and "Profil détourné" not in html and "Projet tutoré" in html
