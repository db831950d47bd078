"""Venues through the site (a real nats-server, the real site on loopback): a member adds a
venue for their association and publishes slots, a member of another association asks for
one, the owner accepts; mails go both ways without showing an address; the slot is no longer
free on the page, the API and the calendar; forms refuse bad input in French, and only the
owner's members manage."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta

import aiohttp
import icalendar
import pytest

from services.accounts.web import SITE
from services.venues.storage import Venues

from .conftest import Browser, Site

pytestmark = pytest.mark.integration
SOON = date.today() + timedelta(days=9)


async def member(site: Site, browser, address: str, association: str) -> Browser:  # type: ignore[no-untyped-def]
    """A person signed in with an address at the association's domain: a member at once."""
    b = await browser()
    await b.sign_in(site, address)
    resp = await b.post(f"/associations/{association}/rejoindre", {},
                        token_from=f"/associations/{association}")
    assert "Vous êtes membre" in await resp.text()
    return b


async def mails_to(site: Site, address: str, count: int) -> list[str]:
    for _ in range(100):
        found = [m for m in site.outbox_messages() if str(m["To"]) == address]
        if len(found) >= count:
            return [m.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
                    for m in found]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no mail to {address}")


async def ask(asker: Browser, vid: str, association: str, purpose: str = "Réunion",
              people: str = "10") -> tuple[str, aiohttp.ClientResponse]:
    """Ask for the first free slot of the venue's page; its id and the answer."""
    status, html = await asker.get(f"/salles/{vid}")
    slot = re.search(r'name="slot" value="([^"]+)"', html)
    assert status == 200 and slot, html
    resp = await asker.post(f"/salles/{vid}/demander", {
        "slot": slot.group(1), "association": association, "people": people,
        "purpose": purpose}, token_from=f"/salles/{vid}")
    return slot.group(1), resp


VENUE_FORM = {"owner": "velo-solidaire", "name": "Le local du quai",
              "street": "3 quai Chateaubriand", "postcode": "35000", "city": "Rennes",
              "capacity": "30", "equipment": "wifi", "rate-0-unit": "soiree",
              "rate-0-audience": "associations", "rate-0-price": "12,50",
              "conditions": "Rendre les clés le lendemain."}


async def test_a_venue_is_added_booked_and_accepted_through_the_site(
        site: Site, browser) -> None:
    owner = await member(site, browser, "camille@velo-solidaire.test", "velo-solidaire")
    resp = await owner.post("/salles/nouvelle", VENUE_FORM, token_from="/salles/nouvelle")
    assert resp.status == 200 and resp.url.path == "/salles/le-local-du-quai/gerer"
    resp = await owner.post("/salles/le-local-du-quai/creneaux",
                            {"date": SOON.isoformat(), "start": "18:00", "end": "22:00"},
                            token_from="/salles/le-local-du-quai/gerer")
    assert "Les créneaux sont publiés" in await resp.text()

    asker = await member(site, browser, "leo@jardins-blosne.test", "jardins-blosne")
    status, html = await asker.get("/salles/le-local-du-quai")
    assert status == 200 and "12,50\u00a0€" in html and "Rendre les clés" in html
    slot, resp = await ask(asker, "le-local-du-quai", "jardins-blosne",
                           "Assemblée générale", "20")
    assert "Votre demande est envoyée" in await resp.text()
    (to_owner,) = (await mails_to(site, "camille@velo-solidaire.test", 2))[1:]  # after sign-in
    assert "Les Jardins Partagés du Blosne" in to_owner and "Assemblée générale" in to_owner
    assert "leo@jardins-blosne.test" not in to_owner  # the requester's address is not given

    status, html = await owner.get("/salles/le-local-du-quai/gerer")
    booking = re.search(r'name="booking" value="([^"]+)"', html)
    assert booking, html
    resp = await owner.post("/salles/le-local-du-quai/demandes",
                            {"booking": booking.group(1), "action": "accept", "note": "Bienvenue"},
                            token_from="/salles/le-local-du-quai/gerer")
    assert "La demande est acceptée" in await resp.text()
    to_asker = (await mails_to(site, "leo@jardins-blosne.test", 2))[-1]
    assert "acceptée" in to_asker and "Bienvenue" in to_asker
    assert "camille@velo-solidaire.test" not in to_asker

    status, html = await asker.get("/salles/le-local-du-quai")
    assert "Aucun créneau libre publié" in html
    status, html = await asker.get("/compte")
    assert "Le local du quai" in html and "acceptée" in html
    async with aiohttp.ClientSession() as http:
        async with http.get(site.url + "/v1/venues/le-local-du-quai") as got:
            item = (await got.json())["item"]
        async with http.get(site.url + "/v1/venues/le-local-du-quai/slots.ics") as got:
            assert got.content_type == "text/calendar"
            calendar = icalendar.Calendar.from_ical(await got.read())
    assert item["slots"] == [] and item["rates"][0]["cents"] == 1250
    assert "created_by" not in item and "p_" not in str(item)
    assert [c for c in calendar.walk("VEVENT")] == []

    # the requester cancels from their account page: the slot is free again
    resp = await asker.post("/salles/reservations/annuler", {
        "venue": "le-local-du-quai", "booking": booking.group(1)}, token_from="/compte")
    assert resp.url.path == "/compte" and "annulée" in await resp.text()
    status, html = await asker.get("/salles/le-local-du-quai")
    assert f'value="{slot}"' in html
    # nobody else may cancel it
    resp = await owner.post("/salles/reservations/annuler", {
        "venue": "le-local-du-quai", "booking": booking.group(1)}, token_from="/compte")
    assert resp.status == 404


async def test_deleting_a_venue_needs_a_confirmation_and_ends_its_bookings(
        site: Site, browser) -> None:
    """The form says how many bookings end before the owner confirms; then the pending
    request is declined and the accepted one cancelled, each booker mailed once with the
    reason, and their account page shows it."""
    owner = await member(site, browser, "eva@velo-solidaire.test", "velo-solidaire")
    asker = await member(site, browser, "tom@jardins-blosne.test", "jardins-blosne")
    booker = await member(site, browser, "ana@jardins-blosne.test", "jardins-blosne")
    await ask(asker, "atelier-des-allies", "jardins-blosne")
    await ask(booker, "atelier-des-allies", "jardins-blosne")
    venues = Venues(site.app[SITE].ready())
    first = min(await venues.bookings("atelier-des-allies"), key=lambda b: b.created)
    await venues.decide("atelier-des-allies", first.id, True, actor="p_test")
    # the two asked for the same slot: the second asks for another one
    slot = [s for s in await venues.free_slots("atelier-des-allies")][0]
    await booker.post("/salles/atelier-des-allies/demander", {
        "slot": slot.id, "association": "jardins-blosne", "people": "5",
        "purpose": "Atelier"}, token_from="/salles/atelier-des-allies")
    status, html = await owner.get("/salles/atelier-des-allies/gerer")
    assert "Les 2 demandes en attente seront refusées" in html
    assert "La réservation acceptée à venir sera annulée" in html
    assert "Leurs auteurs sont prévenus" in html
    resp = await owner.post("/salles/atelier-des-allies/supprimer", {},
                            token_from="/salles/atelier-des-allies/gerer")
    assert resp.status == 422 and "Cochez la case" in await resp.text()
    resp = await owner.post("/salles/atelier-des-allies/supprimer", {"confirm": "oui"},
                            token_from="/salles/atelier-des-allies/gerer")
    assert resp.url.path == "/salles"
    status, _ = await asker.get("/salles/atelier-des-allies")
    assert status == 404
    await site.app[SITE].mail.queue.join()
    told = await mails_to(site, "tom@jardins-blosne.test", 1)
    assert len(told) == 2  # the sign-in link, then the one about this booking
    assert "annulée" in told[-1] and "Salle retirée par son gestionnaire" in told[-1]
    assert "/salles/atelier-des-allies" not in told[-1]  # no link to a deleted venue
    told = await mails_to(site, "ana@jardins-blosne.test", 1)
    assert len(told) == 3 and all("refusée" in t and "Salle retirée par son gestionnaire"
                                  in t for t in told[1:])
    states = {b.id: (b.state, b.note) for b in await venues.bookings("atelier-des-allies")}
    assert states.pop(first.id) == ("cancelled", "Salle retirée par son gestionnaire")
    assert set(states.values()) == {("declined", "Salle retirée par son gestionnaire")}
    status, html = await asker.get("/compte")
    assert "annulée" in html and "motif&nbsp;: Salle retirée par son gestionnaire" in html


async def test_withdrawing_a_slot_declines_its_requests_and_tells_each_requester(
        site: Site, browser) -> None:
    owner = await member(site, browser, "eva@velo-solidaire.test", "velo-solidaire")
    asker = await member(site, browser, "tom@jardins-blosne.test", "jardins-blosne")
    slot, _ = await ask(asker, "atelier-des-allies", "jardins-blosne")
    resp = await owner.post("/salles/atelier-des-allies/creneaux/retirer", {"slot": slot},
                            token_from="/salles/atelier-des-allies/gerer")
    assert resp.status == 200 and "Le créneau est retiré" in await resp.text()
    await site.app[SITE].mail.queue.join()
    told = await mails_to(site, "tom@jardins-blosne.test", 2)
    assert len(told) == 2 and "refusée" in told[-1]
    assert "Créneau retiré par le gestionnaire de la salle" in told[-1]
    status, html = await asker.get("/compte")
    assert "refusée" in html and "Créneau retiré par le gestionnaire de la salle" in html
    assert "la demande de L’atelier des Alliés" not in html  # nothing left to cancel


async def test_two_replicas_withdrawing_a_slot_at_once_mail_each_requester_once(
        site: Site, browser, tmp_path, nats_server) -> None:
    """The owner's withdrawal reaches two replicas of the site at the same time (a double
    click behind a load balancer): both answer, and each requester gets one mail."""
    from shared.bus import Bus
    from tests.integration.accounts.conftest import start_site

    owner = await member(site, browser, "eva@velo-solidaire.test", "velo-solidaire")
    askers = [await member(site, browser, f"{n}@jardins-blosne.test", "jardins-blosne")
              for n in ("tom", "ana", "luc")]
    slots = {(await ask(a, "atelier-des-allies", "jardins-blosne"))[0] for a in askers}
    (slot,) = slots
    bus = await Bus.connect(nats_server.url, name="second-replica")
    other = await start_site(tmp_path / "second", bus, nats_server.url)
    try:
        twin = await browser(other.url)  # the same owner's session, on the other replica
        await twin.session.close()
        twin.session = aiohttp.ClientSession(cookie_jar=owner.session.cookie_jar,
                                             headers={"Accept": "text/html"})
        tokens = [await b.token("/salles/atelier-des-allies/gerer") for b in (owner, twin)]
        answers = await asyncio.gather(*(
            b.post("/salles/atelier-des-allies/creneaux/retirer", {"slot": slot, "csrf": t})
            for b, t in zip((owner, twin), tokens, strict=True)))
        assert [r.status for r in answers] == [200, 200]
        await site.app[SITE].mail.queue.join()
        await other.app[SITE].mail.queue.join()
        mails = [m for m in site.outbox_messages() + other.outbox_messages()
                 if "Créneau retiré" in m.get_body(  # type: ignore[union-attr]
                     preferencelist=("plain",)).get_content()]
        assert sorted(str(m["To"]) for m in mails) == sorted(
            f"{n}@jardins-blosne.test" for n in ("tom", "ana", "luc"))
    finally:
        await other.runner.cleanup()
        await bus.close()


async def test_a_question_is_mailed_with_the_senders_address_only_if_given(
        site: Site, browser) -> None:
    await member(site, browser, "owner@velo-solidaire.test", "velo-solidaire")
    visitor = await browser()
    await visitor.sign_in(site, "curieux@exemple.fr")
    resp = await visitor.post("/salles/atelier-des-allies/contact", {"message": " "},
                              token_from="/salles/atelier-des-allies")
    assert resp.status == 422 and "Écrivez votre message" in await resp.text()
    resp = await visitor.post("/salles/atelier-des-allies/contact",
                              {"message": "Y a-t-il une prise triphasée ?"},
                              token_from="/salles/atelier-des-allies")
    assert "Votre message est envoyé" in await resp.text()
    first = (await mails_to(site, "owner@velo-solidaire.test", 2))[-1]
    assert "prise triphasée" in first and "curieux@exemple.fr" not in first
    await visitor.post("/salles/atelier-des-allies/contact",
                       {"message": "Et un parking ?", "share": "oui"},
                       token_from="/salles/atelier-des-allies")
    second = (await mails_to(site, "owner@velo-solidaire.test", 3))[-1]
    assert "Et un parking" in second and "curieux@exemple.fr" in second


async def test_an_operator_adds_a_venue_for_the_city(site: Site, browser) -> None:
    stores = site.app[SITE].ready()
    await stores.people.set_role("ops@ville.example", "operator", True, actor="cli")
    operator = await browser()
    await operator.sign_in(site, "ops@ville.example")
    resp = await operator.post("/salles/nouvelle", {**VENUE_FORM, "owner": "ville",
                                                    "name": "Salle municipale Colombier"},
                               token_from="/salles/nouvelle")
    assert resp.url.path == "/salles/salle-municipale-colombier/gerer"
    venue = await Venues(stores).get("salle-municipale-colombier")
    assert venue is not None and (venue.owner, venue.owner_name) == ("ville", "Ville de Rennes")
    member_only = await member(site, browser, "sam@velo-solidaire.test", "velo-solidaire")
    resp = await member_only.post("/salles/nouvelle", {**VENUE_FORM, "owner": "ville"},
                                  token_from="/salles/nouvelle")
    assert resp.status == 422  # only operators speak for the city


async def test_the_demo_venues_and_their_calendar(site: Site) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(site.url + "/v1/venues/maison-du-blosne/slots.ics") as got:
            assert got.status == 200
            calendar = icalendar.Calendar.from_ical(await got.read())
        async with http.get(site.url + "/v1/venues/nulle-part") as got:
            assert got.status == 404 and (await got.json())["error"]["code"] == "venue_not_found"
    events = list(calendar.walk("VEVENT"))
    assert len(events) >= 6
    first = events[0]
    assert str(first["SUMMARY"]) == "Libre : La maison du jardin du Blosne"
    assert first.decoded("DTSTART").tzinfo is not None and str(first["UID"]).endswith("@maillage")
    assert first.decoded("DTEND") > first.decoded("DTSTART")
    assert calendar.walk("VTIMEZONE") and "METHOD" not in calendar


async def test_bad_forms_are_refused_in_french_next_to_their_fields(site: Site, browser) -> None:
    owner = await member(site, browser, "ana@velo-solidaire.test", "velo-solidaire")
    resp = await owner.post("/salles/nouvelle", {**VENUE_FORM, "name": "", "rate-0-price": "dix"},
                            token_from="/salles/nouvelle")
    html = await resp.text()
    assert resp.status == 422
    assert "Indiquez le nom de la salle." in html and "Indiquez un prix en euros" in html
    assert 'aria-invalid="true"' in html
    resp = await owner.post("/salles/nouvelle", {**VENUE_FORM, "equipment": "jacuzzi",
                                                 "accessibility": "x", "rate-1-unit": "an",
                                                 "rate-1-audience": "reduit",
                                                 "rate-1-price": "3"},
                            token_from="/salles/nouvelle")
    html = await resp.text()
    targets = re.findall(r'<li><a href="#([^"]+)">', html)
    assert sorted(targets) == ["f-accessibility", "f-equipment", "f-rate-1-unit"]
    assert all(f'id="{t}"' in html for t in targets)  # each message leads to its field
    resp = await owner.post("/salles/nouvelle", {**VENUE_FORM, "owner": "jardins-blosne"},
                            token_from="/salles/nouvelle")
    assert resp.status == 422 and "dont vous êtes membre" in await resp.text()
    resp = await owner.post("/salles/atelier-des-allies/creneaux",
                            {"date": "2020-01-01", "start": "22:00", "end": "18:00"},
                            token_from="/salles/atelier-des-allies/gerer")
    html = await resp.text()
    assert resp.status == 422 and "Cette date est passée." in html
    assert "L’heure de fin doit venir après l’heure de début." in html


async def test_only_the_owners_members_manage_a_venue(site: Site, browser) -> None:
    stores = site.app[SITE].ready()
    before = len(await Venues(stores).slots("atelier-des-allies"))
    other = await member(site, browser, "zoe@jardins-blosne.test", "jardins-blosne")
    status, html = await other.get("/salles/atelier-des-allies/gerer")
    assert status == 403 and "Accès réservé" in html
    token = await other.token("/salles/atelier-des-allies")
    resp = await other.post("/salles/atelier-des-allies/creneaux", {
        "csrf": token, "date": SOON.isoformat(), "start": "10:00", "end": "11:00"})
    assert resp.status == 403
    assert len(await Venues(stores).slots("atelier-des-allies")) == before
    anonymous = await browser()
    status, html = await anonymous.get("/salles/atelier-des-allies")
    assert status == 200 and "Connectez-vous" in html
    resp = await anonymous.post("/salles/atelier-des-allies/demander", {"slot": "x"},
                                token_from="/connexion", follow=False)
    assert resp.status == 303 and resp.headers["Location"].startswith("/connexion")


async def test_questions_are_limited_to_ten_a_day_per_sender(site: Site, browser) -> None:
    # each question is mailed to every member of the association: 30 every 10 minutes
    # (the forms' limit per client) let one person mail them thousands of times a day
    await member(site, browser, "owner@velo-solidaire.test", "velo-solidaire")
    visitor = await browser()
    await visitor.sign_in(site, "curieux@exemple.fr")
    statuses = []
    for n in range(11):
        resp = await visitor.post("/salles/atelier-des-allies/contact",
                                  {"message": f"Question numéro {n}"},
                                  token_from="/salles/atelier-des-allies")
        statuses.append(resp.status)
    assert statuses[:10] == [200] * 10 and statuses[10] == 429


async def test_control_characters_never_reach_the_mails(site: Site, browser) -> None:
    owner = await member(site, browser, "eva@velo-solidaire.test", "velo-solidaire")
    asker = await member(site, browser, "tom@jardins-blosne.test", "jardins-blosne")
    await ask(asker, "atelier-des-allies", "jardins-blosne")
    status, html = await owner.get("/salles/atelier-des-allies/gerer")
    booking = re.search(r'name="booking" value="([^"]+)"', html)
    assert status == 200 and booking, html
    await owner.post("/salles/atelier-des-allies/demandes",
                     {"booking": booking.group(1), "action": "decline",
                      "note": "Désolé\x07, déjà pris\x1b."},
                     token_from="/salles/atelier-des-allies/gerer")
    told = (await mails_to(site, "tom@jardins-blosne.test", 2))[-1]
    assert "Désolé, déjà pris." in told
    await asker.post("/salles/atelier-des-allies/contact", {"message": "Une clé\x00 ?\x08"},
                     token_from="/salles/atelier-des-allies")
    question = (await mails_to(site, "eva@velo-solidaire.test", 3))[-1]
    assert "Une clé ?" in question


async def test_no_one_else_decides_withdraws_deletes_or_cancels(site: Site, browser) -> None:
    """Every id a form carries swapped: another association's member is refused on each of
    a venue's managing forms, and no one cancels a request that is not theirs."""
    stores = site.app[SITE].ready()
    await member(site, browser, "eva@velo-solidaire.test", "velo-solidaire")
    asker = await member(site, browser, "tom@jardins-blosne.test", "jardins-blosne")
    slot, _ = await ask(asker, "atelier-des-allies", "jardins-blosne")
    (booking,) = await Venues(stores).bookings("atelier-des-allies")
    other = await member(site, browser, "zoe@jardins-blosne.test", "jardins-blosne")
    token = await other.token("/salles/atelier-des-allies")
    for path, form in (("demandes", {"booking": booking.id, "action": "accept"}),
                       ("creneaux/retirer", {"slot": slot}),
                       ("supprimer", {"confirm": "oui"}),
                       ("modifier", {**VENUE_FORM, "name": "Pris"})):
        resp = await other.post(f"/salles/atelier-des-allies/{path}", {"csrf": token, **form})
        assert resp.status == 403, path
    resp = await other.post("/salles/reservations/annuler", {
        "csrf": token, "venue": "atelier-des-allies", "booking": booking.id})
    assert resp.status == 404
    resp = await asker.post("/salles/reservations/annuler", {
        "venue": "atelier-des-allies", "booking": booking.id})  # no CSRF token
    assert resp.status == 403
    venue = await Venues(stores).get("atelier-des-allies")
    assert venue is not None and venue.name != "Pris"
    assert (await Venues(stores).booking("atelier-des-allies", booking.id)).state == "pending"
    assert [s.id for s in await Venues(stores).free_slots("atelier-des-allies")
            if s.id == slot] == [slot]
