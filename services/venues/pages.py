"""The French pages of venues.

    GET  /salles                        the list (the board: filters, "free on…", keywords)
    GET  /salles/nouvelle, POST         add a venue (members, for their association;
                                        operators, for the city too)
    GET  /salles/{id}                   its page: rates, conditions, next free slots, the
                                        booking request form
    GET  /salles/{id}/modifier, POST    edit it (its association's members, operators)
    GET  /salles/{id}/gerer             its manager's page: requests, slots, publishing
    POST /salles/{id}/creneaux          publish a slot or a weekly series
    POST /salles/{id}/creneaux/retirer  withdraw a free slot
    POST /salles/{id}/demandes          accept or decline a request
    POST /salles/{id}/demander          a member of another association asks for a slot
    POST /salles/{id}/contact           a signed-in visitor writes to its managers (mailed)
    POST /salles/{id}/supprimer         delete the venue
    POST /salles/reservations/annuler   the requester cancels their request

Mails go through the site's queue (outbox or SMTP): to the owner's members on a request,
to the requester on a decision; no address is ever shown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from services.accounts.mail import Letter
from services.accounts.model import Person, Session
from services.accounts.web import (
    checked_form,
    client,
    limit,
    page,
    person_of,
    redirect,
    refuse,
    signed_in,
    site,
)
from services.associations.model import Association
from services.associations.storage import Associations
from services.query.web import fr
from services.venues.model import (
    BOOKING_LABELS,
    CANCELLED,
    CITY,
    CITY_NAME,
    EQUIPMENT,
    PENDING,
    RATE_AUDIENCES,
    RATE_UNITS,
    TZ,
    Booking,
    Slot,
    Venue,
    euros,
    moment,
)
from services.venues.storage import (
    SLOT_WITHDRAWN,
    VENUE_REMOVED,
    Gone,
    Taken,
    Venues,
    ending,
)
from services.venues.validate import (
    RATE_ROWS,
    booking_form,
    long_text,
    slot_form,
    venue_form,
)
from services.venues.validate import text as one_line
from shared.errors import InvalidInput
from shared.records import Conflict, NotFound
from shared.vocab import ACCESSIBILITY

NOTICES = {
    "creee": "La salle est enregistrée. Publiez maintenant ses créneaux libres.",
    "modifiee": "Les modifications sont enregistrées.",
    "publie": "Les créneaux sont publiés.",
    "retire": "Le créneau est retiré.",
    "acceptee": "La demande est acceptée : le créneau n’est plus libre.",
    "refusee": "La demande est refusée.",
    "demandee": "Votre demande est envoyée : la personne qui gère la salle vous répondra "
                "par courriel.",
    "annulee": "Votre demande est annulée.",
    "message": "Votre message est envoyé à ceux qui gèrent la salle.",
}
MAX_MESSAGE = 2000


def store(request: web.Request) -> Venues:
    return Venues(site(request).ready())


def when(starts: str, ends: str) -> str:
    """``samedi 12 décembre 2026, de 18 h à 22 h`` (local time; an end at midnight is
    ``minuit``), in the agenda's French (:mod:`services.query.web.fr`)."""
    a, b = moment(starts).astimezone(TZ), moment(ends).astimezone(TZ)
    end = "minuit" if (b.hour, b.minute) == (0, 0) else fr.clock(b)
    return f"{fr.day_label(a.date())}, de {fr.clock(a)} à {end}"


async def my_associations(request: web.Request, person: Person) -> list[Association]:
    """The active associations the person is an active member of."""
    associations = Associations(site(request).ready())
    found = []
    for membership in await associations.memberships_of(person.id):
        association = await associations.get(membership.association)
        if membership.active and association is not None and association.active:
            found.append(association)
    return sorted(found, key=lambda a: a.name.casefold())


async def can_manage(request: web.Request, person: Person | None, venue: Venue) -> bool:
    """Its association's active members; operators (the city's venues are theirs)."""
    if person is None:
        return False
    if person.operator:
        return True
    if venue.owner == CITY:
        return False
    membership = await Associations(site(request).ready()).membership(venue.owner, person.id)
    return membership is not None and membership.active


async def _venue(request: web.Request) -> Venue:
    found = await store(request).get(request.match_info["id"])
    if found is None:
        raise refuse(request, 404, "not_found", "Cette salle n’existe pas (ou plus).",
                     title="Salle introuvable", back=("/salles", "Retour aux salles"))
    return found


async def _managed(request: web.Request) -> tuple[Venue, Session]:
    session = signed_in(request)
    venue = await _venue(request)
    if not await can_manage(request, session.person, venue):
        raise refuse(request, 403, "forbidden", "Seuls les membres de l’association qui "
                     "propose cette salle et les opérateurs ont accès à cette page.",
                     title="Accès réservé", back=(f"/salles/{venue.id}", "Retour à la salle"))
    return venue, session


def _labels() -> dict[str, Any]:
    return {"equipment_labels": EQUIPMENT, "access_labels": ACCESSIBILITY,
            "unit_labels": RATE_UNITS, "audience_labels": RATE_AUDIENCES, "euros": euros,
            "when": when, "booking_labels": BOOKING_LABELS, "rate_rows": RATE_ROWS}


# -- a venue's page ---------------------------------------------------------------------------

async def venue_page(request: web.Request, *, errors: dict[str, str] | None = None,
                     values: dict[str, Any] | None = None, status: int = 200) -> web.Response:
    venue = await _venue(request)
    person = person_of(request)
    free = await store(request).free_slots(venue.id)
    mine = [a for a in await my_associations(request, person) if a.id != venue.owner] if (
        person is not None) else []
    from services.venues.routes import placed

    where = await placed(request, venue.id)
    return page(request, "venues/venue.html", status=status, venue=venue, slots=free[:50],
                more_slots=len(free) > 50, where=where,
                manage=await can_manage(request, person, venue), associations=mine,
                errors=errors or {}, values=values or {},
                notice=NOTICES.get(request.query.get("fait", ""), ""), **_labels())


async def request_booking(request: web.Request) -> web.Response:
    session = signed_in(request)
    form = await checked_form(request)
    await limit(request, "LIMIT_ACCOUNT_CLIENT", client(request))
    venue = await _venue(request)
    person = session.person
    mine = {a.id: a for a in await my_associations(request, person)}
    try:
        values = booking_form(form)
        association = mine.get(values["association"])
        if association is None:
            raise InvalidInput({"association": "Vous ne pouvez demander qu’au nom d’une "
                                               "association dont vous êtes membre."})
        booking = await store(request).request(
            venue, str(form.get("slot", "")), requester=person.id,
            association=association.id, association_name=association.name,
            purpose=values["purpose"], people=values["people"])
    except InvalidInput as exc:
        return await venue_page(request, errors=exc.errors, values=dict(form), status=422)
    except Taken:
        return await venue_page(request, status=409, values=dict(form), errors={
            "slot": "Ce créneau n’est plus libre : choisissez-en un autre."})
    await tell_owner(request, venue, booking)
    raise redirect(f"/salles/{venue.id}?fait=demandee")


async def contact(request: web.Request) -> web.Response:
    """A signed-in visitor writes to those who manage the venue: the site mails the message;
    the sender's address is given only if they tick the box, the managers' never."""
    session = signed_in(request)
    form = await checked_form(request)
    venue = await _venue(request)
    text = long_text(form, "message")
    if not text or len(text) > MAX_MESSAGE:
        return await venue_page(request, status=422, values=dict(form), errors={
            "message": f"Écrivez votre message (au plus {MAX_MESSAGE} caractères)."})
    recipients = await managers(request, venue)
    if session.person.id in recipients:
        raise refuse(request, 409, "own_venue", "C’est une salle que vous gérez.",
                     back=(f"/salles/{venue.id}", "Retour à la salle"))
    await limit(request, "LIMIT_VENUE_CONTACT", session.person.id,
                "Vous avez envoyé beaucoup de messages aujourd’hui.")
    sender = session.person.name or "Une personne inscrite sur Maillage"
    reply = (f"Pour lui répondre, écrivez à : {session.person.email}"
             if form.get("share") == "oui" else
             "Cette personne n’a pas souhaité donner son adresse : vous ne pouvez pas lui "
             "répondre directement.")
    await _send(request, recipients, f"Question sur la salle « {venue.name} »",
                f"Bonjour,\n\n{sender} vous écrit au sujet de la salle « {venue.name} » :"
                f"\n\n{text}\n\n{reply}\n\nLa salle : "
                f"{_url(request, f'/salles/{venue.id}')}\n\n— Maillage")
    raise redirect(f"/salles/{venue.id}?fait=message#question")


# -- mails ------------------------------------------------------------------------------------

async def _send(request: web.Request, people: list[str], subject: str, text: str) -> None:
    state = site(request)
    directory = state.ready().people
    for pid in dict.fromkeys(people):
        found = await directory.get(pid)
        if found is not None:
            state.mail.put(Letter(state.settings.mail_from, found.email, subject, text))


def _url(request: web.Request, path: str) -> str:
    public = str(site(request).settings.public_url or "").rstrip("/")
    return (public or f"{request.scheme}://{request.host}") + path


async def managers(request: web.Request, venue: Venue) -> list[str]:
    """Who hears of a request: the owner's active members (the city's: the operators)."""
    stores = site(request).ready()
    if venue.owner == CITY:
        return [p.id for p in await stores.people.with_role("operator")]
    return [m.person for m in await Associations(stores).members(venue.owner) if m.active]


async def tell_owner(request: web.Request, venue: Venue, booking: Booking) -> None:
    text = (f"Bonjour,\n\n{booking.association_name} demande la salle « {venue.name} » "
            f"le {when(booking.starts, booking.ends)}, pour {booking.people} personne"
            f"{'s' if booking.people > 1 else ''}.\n\nCe qu’elle prévoit :\n{booking.purpose}"
            f"\n\nAcceptez ou refusez la demande ici :\n"
            f"{_url(request, f'/salles/{venue.id}/gerer')}\n\n— Maillage")
    await _send(request, await managers(request, venue),
                f"Demande de réservation : {venue.name}", text)


async def tell_requester(request: web.Request, venue: Venue, booking: Booking) -> None:
    """The requester hears of a decision, or of their request ended by the withdrawal of
    its slot or the deletion of the venue (the reason said; no link to a deleted venue)."""
    verdict = BOOKING_LABELS.get(booking.state, booking.state)
    ended = booking.note in (SLOT_WITHDRAWN, VENUE_REMOVED)
    note = (f"\n\nMotif\u00a0: {booking.note}." if ended else
            f"\n\nLe mot de la personne qui gère la salle :\n{booking.note}" if booking.note
            else "")
    place = "" if booking.note == VENUE_REMOVED else (
        f"La salle : {_url(request, f'/salles/{venue.id}')}\n")
    text = (f"Bonjour,\n\nVotre {'réservation' if booking.state == CANCELLED else 'demande'}"
            f" de la salle « {venue.name} » le {when(booking.starts, booking.ends)} est "
            f"{verdict}.{note}\n\n{place}"
            f"Vos demandes : {_url(request, '/compte')}\n\n— Maillage")
    await _send(request, [booking.requester], f"Réservation {verdict} : {venue.name}", text)


# -- adding and editing a venue ---------------------------------------------------------------

def _form_values(venue: Venue | None) -> dict[str, Any]:
    if venue is None:
        return {"city": "Rennes", "equipment": [], "accessibility": [], "rates": []}
    return {"name": venue.name, "street": venue.street, "postcode": venue.postcode,
            "city": venue.city, "description": venue.description,
            "capacity": venue.capacity or "", "surface": venue.surface or "",
            "equipment": list(venue.equipment), "accessibility": list(venue.accessibility),
            "conditions": venue.conditions, "owner": venue.owner,
            "rates": [{"unit": r.unit, "audience": r.audience,
                       "price": euros(r.cents).removesuffix("\u00a0€") if r.cents else "0"}
                      for r in venue.rates]}


def _sent(form: Any) -> dict[str, Any]:
    rates = [{k: form.get(f"rate-{i}-{k}", "") for k in ("unit", "audience", "price")}
             for i in range(RATE_ROWS)]
    return {**dict(form), "equipment": form.getall("equipment", []),
            "accessibility": form.getall("accessibility", []), "rates": rates}


async def _owners(request: web.Request, person: Person) -> list[tuple[str, str]]:
    owners = [(a.id, a.name) for a in await my_associations(request, person)]
    return [(CITY, CITY_NAME), *owners] if person.operator else owners


async def new_form(request: web.Request) -> web.Response:
    session = signed_in(request)
    return page(request, "venues/form.html", values=_form_values(None), errors={},
                creating=True, owners=await _owners(request, session.person), **_labels())


async def create(request: web.Request) -> web.Response:
    session = signed_in(request)
    form = await checked_form(request)
    await limit(request, "LIMIT_ACCOUNT_CLIENT", client(request))
    owners = dict(await _owners(request, session.person))
    owner = str(form.get("owner", ""))
    try:
        values = venue_form(form)
        if owner not in owners:
            raise InvalidInput({"owner": "Choisissez une association dont vous êtes membre."})
        venue = await store(request).create(values, owner=owner, owner_name=owners[owner],
                                            actor=session.person.id)
    except InvalidInput as exc:
        return page(request, "venues/form.html", status=422, values=_sent(form),
                    errors=exc.errors, creating=True, owners=list(owners.items()),
                    **_labels())
    raise redirect(f"/salles/{venue.id}/gerer?fait=creee")


async def edit_form(request: web.Request) -> web.Response:
    venue, _ = await _managed(request)
    return page(request, "venues/form.html", venue=venue, values=_form_values(venue),
                errors={}, creating=False, owners=[], **_labels())


async def edit(request: web.Request) -> web.Response:
    venue, session = await _managed(request)
    form = await checked_form(request)
    try:
        values = venue_form(form)
        await store(request).edit(venue.id, values, actor=session.person.id)
    except InvalidInput as exc:
        return page(request, "venues/form.html", status=422, venue=venue, values=_sent(form),
                    errors=exc.errors, creating=False, owners=[], **_labels())
    raise redirect(f"/salles/{venue.id}?fait=modifiee")


async def remove(request: web.Request) -> web.Response:
    """Delete the venue (a box ticked to confirm, on a form that says how many bookings
    end): its pending requests are declined, its accepted future bookings cancelled, and
    their requesters told (past bookings stay, for the audit)."""
    venue, session = await _managed(request)
    form = await checked_form(request)
    if form.get("confirm") != "oui":
        return await manage_page(request, status=422, errors={
            "confirm": "Cochez la case pour confirmer la suppression de la salle."})
    _, ended = await store(request).remove(venue.id, actor=session.person.id)
    for booking in ended:
        await tell_requester(request, venue, booking)
    raise redirect("/salles")


# -- the manager's page -----------------------------------------------------------------------

async def manage_page(request: web.Request, *, errors: dict[str, str] | None = None,
                      values: dict[str, Any] | None = None, status: int = 200
                      ) -> web.Response:
    venue, _ = await _managed(request)
    venues = store(request)
    slots = [s for s in await venues.slots(venue.id) if s.state != "withdrawn"
             and moment(s.ends) > datetime.now(TZ)]
    bookings = await venues.bookings(venue.id)
    pending_count, accepted_count = ending(bookings)
    return page(request, "venues/manage.html", status=status, venue=venue, slots=slots,
                ending_pending=pending_count, ending_accepted=accepted_count,
                pending=[b for b in bookings if b.state == PENDING],
                decided=[b for b in bookings if b.state != PENDING][:50],
                errors=errors or {}, values=values or {},
                notice=NOTICES.get(request.query.get("fait", ""), ""), **_labels())


async def publish(request: web.Request) -> web.Response:
    venue, session = await _managed(request)
    form = await checked_form(request)
    try:
        occurrences = slot_form(form)
    except InvalidInput as exc:
        return await manage_page(request, errors=exc.errors, values=dict(form), status=422)
    await store(request).publish(venue, occurrences, actor=session.person.id)
    raise redirect(f"/salles/{venue.id}/gerer?fait=publie#creneaux")


async def withdraw(request: web.Request) -> web.Response:
    venue, session = await _managed(request)
    form = await checked_form(request)
    try:
        _, declined = await store(request).withdraw(venue.id, str(form.get("slot", "")),
                                                    actor=session.person.id)
    except (NotFound, Conflict):
        raise refuse(request, 409, "conflict", "Ce créneau n’est plus libre (ou n’existe "
                     "plus)\u00a0: refusez plutôt la réservation qui l’occupe.",
                     back=(f"/salles/{venue.id}/gerer", "Retour à la gestion")) from None
    for booking in declined:
        await tell_requester(request, venue, booking)
    raise redirect(f"/salles/{venue.id}/gerer?fait=retire#creneaux")


async def decide(request: web.Request) -> web.Response:
    venue, session = await _managed(request)
    form = await checked_form(request)
    accept = form.get("action") == "accept"
    note = one_line(form, "note")[:500]
    try:
        booking = await store(request).decide(venue.id, str(form.get("booking", "")), accept,
                                              actor=session.person.id, note=note)
    except Gone:
        return await manage_page(request, status=409, errors={
            "booking": "Ce créneau a été retiré ou est passé\u00a0: refusez cette demande."})
    except Taken:
        return await manage_page(request, status=409, errors={
            "booking": "Ce créneau chevauche une réservation déjà acceptée : refusez cette "
                       "demande ou annulez d’abord l’autre."})
    except (NotFound, Conflict):
        return await manage_page(request, status=409, errors={
            "booking": "Cette demande a déjà été traitée (ou a été annulée)."})
    await tell_requester(request, venue, booking)
    raise redirect(f"/salles/{venue.id}/gerer?fait={'acceptee' if accept else 'refusee'}")


async def cancel(request: web.Request) -> web.Response:
    session = signed_in(request)
    form = await checked_form(request)
    vid, bid = str(form.get("venue", "")), str(form.get("booking", ""))
    venues = store(request)
    booking = await venues.booking(vid, bid) if vid and bid else None
    if booking is None or booking.requester != session.person.id:
        raise refuse(request, 404, "not_found", "Cette demande n’existe pas (ou plus).",
                     back=("/compte", "Retour à mon compte"))
    try:
        await venues.cancel(vid, bid, actor=session.person.id)
    except Conflict:
        raise refuse(request, 409, "conflict", "Cette demande est déjà terminée.",
                     back=("/compte", "Retour à mon compte")) from None
    raise redirect("/compte#mes-reservations")


# -- the account page's section ------------------------------------------------------------------

async def account_section(request: web.Request, session: Session
                          ) -> tuple[str, dict[str, Any]]:
    venues = store(request)
    bookings = await venues.bookings_of(session.person.id)
    names = {}
    for b in bookings:
        if b.venue not in names:
            found = await venues.get(b.venue)
            names[b.venue] = found.name if found else "salle supprimée"
    managed: list[Venue] = []
    for association in await my_associations(request, session.person):
        managed += await venues.of_owner(association.id)
    if session.person.operator:
        managed += await venues.of_owner(CITY)
    return "venues/_account.html", {"bookings": bookings, "names": names, "managed": managed,
                                    **_labels()}


def slot_choices(slots: list[Slot]) -> list[tuple[str, str]]:
    return [(s.id, when(s.starts, s.ends)) for s in slots]


def add_routes(app: web.Application) -> None:
    from services.venues.list_pages import list_page

    app.router.add_get("/salles", list_page)
    app.router.add_get("/salles/nouvelle", new_form)
    app.router.add_post("/salles/nouvelle", create)
    app.router.add_post("/salles/reservations/annuler", cancel)
    app.router.add_get("/salles/{id}", venue_page)
    app.router.add_post("/salles/{id}/demander", request_booking)
    app.router.add_post("/salles/{id}/contact", contact)
    app.router.add_get("/salles/{id}/modifier", edit_form)
    app.router.add_post("/salles/{id}/modifier", edit)
    app.router.add_post("/salles/{id}/supprimer", remove)
    app.router.add_get("/salles/{id}/gerer", manage_page)
    app.router.add_post("/salles/{id}/creneaux", publish)
    app.router.add_post("/salles/{id}/creneaux/retirer", withdraw)
    app.router.add_post("/salles/{id}/demandes", decide)
