"""The French pages of joint applications.

    GET  /candidatures                         the list (read from the board): filters by
                                               call, theme, quartier, open to partners, words
    GET  /candidatures/nouvelle, POST          open one for an association one is a member
                                               of (``?appel=<id>``: for that call)
    GET  /candidatures/{id}                    its page: partners, what it looks for, the
                                               "join" form, the lead's management
    POST /candidatures/{id}/rejoindre          an association asks to join (a message)
    POST /candidatures/{id}/partenaires        the lead accepts, declines or removes
    POST /candidatures/{id}/inviter            the lead invites an association
    POST /candidatures/{id}/invitation         the invited association accepts or declines
    POST /candidatures/{id}/quitter            a partner leaves it
    POST /candidatures/{id}/etat               the lead moves it on (constituée, déposée...)
    GET  /candidatures/{id}/modifier, POST     the lead edits it
    POST /candidatures/{id}/pieces             the shared checklist (lead and partners only)

Mails (the outbox, never an address shown): to the lead's admins and the person who opened
it on a request, to the invited association's admins on an invitation, to the person who
asked on a decision.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from services.accounts.mail import Letter
from services.accounts.model import Session
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
from services.applications import checklist
from services.applications.model import (
    APPLICATION,
    INVITED,
    NEXT_STATES,
    PARTNER_LABELS,
    REQUESTED,
    STATE_LABELS,
    Application,
)
from services.applications.storage import Applications
from services.applications.validate import QUARTIERS, application_form, message_form, state_of
from services.associations.model import Association
from services.associations.storage import Associations
from shared.errors import InvalidInput
from shared.records import Conflict, NotFound
from shared.taxonomy import THEMES, theme_label

BACK = ("/candidatures", "Retour aux candidatures communes")
NOTICES = {
    "ouverte": "La candidature est ouverte\u00a0: les associations peuvent demander à la "
               "rejoindre.",
    "demande": "Votre demande est envoyée\u00a0: l’association qui porte la candidature "
               "va l’examiner.",
    "invitee": "L’invitation est envoyée.",
    "partenaire": "L’association est partenaire de la candidature.",
    "declinee": "C’est noté\u00a0: la demande est déclinée.",
    "retiree": "L’association ne fait plus partie de la candidature.",
    "etat": "L’état de la candidature est enregistré.",
    "modifiee": "Les modifications sont enregistrées.",
}


def store(request: web.Request) -> Applications:
    return Applications(site(request).ready())


def directory(request: web.Request) -> Associations:
    return Associations(site(request).ready())


async def my_associations(request: web.Request) -> list[Association]:
    """The active associations the visitor is an active member of."""
    person = person_of(request)
    if person is None:
        return []
    found = []
    for membership in await directory(request).memberships_of(person.id):
        association = await directory(request).get(membership.association)
        if membership.active and association is not None and association.active:
            found.append(association)
    return sorted(found, key=lambda a: a.name.casefold())


async def _application(request: web.Request) -> Application:
    found = await store(request).get(request.match_info["id"])
    if found is None:
        raise refuse(request, 404, "not_found", "Cette candidature n’existe pas (ou plus).",
                     title="Candidature introuvable", back=BACK)
    return found


async def _acting_for(request: web.Request, aid: str) -> Association:
    """The association ``aid``, if the signed-in visitor is an active member of it."""
    mine = {a.id: a for a in await my_associations(request)}
    if aid not in mine:
        raise refuse(request, 403, "forbidden", "Vous ne pouvez agir qu’au nom d’une "
                     "association dont vous êtes membre.", title="Accès réservé", back=BACK)
    return mine[aid]


async def _as_lead(request: web.Request) -> tuple[Application, str]:
    session = signed_in(request)
    application = await _application(request)
    if not session.person.operator:
        await _acting_for(request, application.lead)
    return application, session.person.id


# -- mail -------------------------------------------------------------------------------------

async def _admins(request: web.Request, aid: str) -> set[str]:
    return {m.person for m in await directory(request).members(aid) if m.admin}


async def _lead_people(request: web.Request, application: Application) -> set[str]:
    """Who hears for the lead: its admins, and who opened the application while they are
    still a member of it (someone who left reads no more of its requests)."""
    members = await directory(request).members(application.lead)
    return {m.person for m in members
            if m.admin or (m.active and m.person == application.opened_by)}


async def notify(request: web.Request, pids: set[str], subject: str, text: str) -> None:
    """Mail each person (their address is read here, never shown to anyone)."""
    state = site(request)
    people = state.ready().people
    for pid in sorted(p for p in pids if p):
        person = await people.get(pid)
        if person is not None:
            state.mail.put(Letter(state.settings.mail_from, person.email, subject, text))


def _url(request: web.Request, application: Application) -> str:
    base = str(site(request).settings.public_url or "").rstrip("/")
    return f"{base}/candidatures/{application.id}"


# -- pages ------------------------------------------------------------------------------------

async def application_page(request: web.Request, *, errors: dict[str, str] | None = None,
                           status: int = 200, values: dict[str, Any] | None = None
                           ) -> web.Response:
    application, partners = await store(request).with_partners(await _application(request))
    mine = await my_associations(request)
    person = person_of(request)
    lead = person is not None and (person.operator
                                   or application.lead in {a.id for a in mine})
    by_id = {p.association: p for p in partners}
    joinable = [a for a in mine if a.id != application.lead
                and (a.id not in by_id or by_id[a.id].state in (INVITED, "declined",
                                                                  "withdrawn"))]
    invited = [p for p in partners if p.state == INVITED and p.association in
               {a.id for a in mine}]
    leaving = [p for p in partners if p.accepted and p.association in {a.id for a in mine}]
    shown = partners if lead else [p for p in partners if p.accepted]
    team = {application.lead, *(p.association for p in partners if p.accepted)}
    insider = lead or bool(team & {a.id for a in mine})
    pieces = await checklist.items(site(request).ready().records, application.id) \
        if insider else []
    names = {application.lead: application.lead_name,
             **{p.association: p.name for p in partners if p.accepted}}
    return page(request, "applications/application.html", status=status,
                application=application, partners=shown, lead=lead, joinable=joinable,
                invited=invited, leaving=leaving, errors=errors or {}, values=values or {},
                next_states=NEXT_STATES.get(application.state, ()),
                state_labels=STATE_LABELS, partner_labels=PARTNER_LABELS,
                theme_label=theme_label, insider=insider, pieces=pieces, team=names,
                notice=NOTICES.get(request.query.get("fait", ""), ""))


async def _call(request: web.Request, cid: str) -> dict[str, Any] | None:
    from services.query.calls_routes import CALL_STORE

    if not cid:
        return None
    call = await request.app[CALL_STORE].get(cid)
    if call is None:
        raise refuse(request, 404, "not_found", "Cet appel à projets n’existe pas.",
                     back=("/appels", "Retour aux appels à projets"))
    if call.get("status") == "closed":
        raise refuse(request, 409, "call_closed", "Cet appel à projets est clos.",
                     back=(f"/appels/{cid}", "Retour à l’appel"))
    return call


async def new_form(request: web.Request, *, errors: dict[str, str] | None = None,
                   values: dict[str, Any] | None = None, status: int = 200) -> web.Response:
    signed_in(request)
    call = await _call(request, request.query.get("appel", ""))
    return page(request, "applications/form.html", status=status, call=call,
                associations=await my_associations(request), errors=errors or {},
                values=values or {}, themes=THEMES, quartiers=QUARTIERS)


async def create(request: web.Request) -> web.Response:
    session = signed_in(request)
    form = await checked_form(request)
    await limit(request, "LIMIT_ACCOUNT_CLIENT", client(request))
    call = await _call(request, request.query.get("appel", ""))
    sent = {**dict(form), "themes": form.getall("themes", []),
            "quartiers": form.getall("quartiers", [])}
    try:
        lead = await _acting_for(request, str(form.get("association", "")))
        values = application_form(form, known_call=call is not None)
    except InvalidInput as exc:
        return await new_form(request, errors=exc.errors, values=sent, status=422)
    application = await store(request).open(values, lead=lead.id, lead_name=lead.name,
                                            call=call, actor=session.person.id)
    raise redirect(f"/candidatures/{application.id}?fait=ouverte")


def _values(application: Application) -> dict[str, Any]:
    return {**application.public(), "skills": ", ".join(application.skills),
            "deadline": application.deadline[:10], "budget_min": application.budget_min or "",
            "budget_max": application.budget_max or ""}


async def edit_form(request: web.Request, *, errors: dict[str, str] | None = None,
                    values: dict[str, Any] | None = None, status: int = 200) -> web.Response:
    application, _ = await _as_lead(request)
    return page(request, "applications/form.html", status=status, application=application,
                call=None, associations=[], errors=errors or {},
                values=values if values is not None else _values(application),
                themes=THEMES, quartiers=QUARTIERS)


async def edit(request: web.Request) -> web.Response:
    application, actor = await _as_lead(request)
    form = await checked_form(request)
    try:
        values = application_form(form, known_call=bool(application.call))
    except InvalidInput as exc:
        return await edit_form(request, errors=exc.errors, status=422, values={
            **dict(form), "themes": form.getall("themes", []),
            "quartiers": form.getall("quartiers", [])})
    await store(request).edit(application.id, values, actor=actor)
    raise redirect(f"/candidatures/{application.id}?fait=modifiee")


async def ask(request: web.Request) -> web.Response:
    session = signed_in(request)
    form = await checked_form(request)
    await limit(request, "LIMIT_ACCOUNT_CLIENT", client(request))
    application = await _application(request)
    association = await _acting_for(request, str(form.get("association", "")))
    try:
        message = message_form(form)
        partner = await store(request).ask(application, association.id, association.name,
                                           message, actor=session.person.id)
    except InvalidInput as exc:
        return await application_page(request, errors=exc.errors, status=422,
                                      values=dict(form))
    if partner.state == REQUESTED:
        await notify(request, await _lead_people(request, application),
                     "Demande de partenariat\u00a0: "
                     + application.title,
                     f"{association.name} demande à rejoindre la candidature commune "
                     f"« {application.title} ».\n\nSon message :\n{message}\n\n"
                     f"Acceptez ou déclinez sa demande sur {_url(request, application)}\n")
    raise redirect(f"/candidatures/{application.id}?fait="
                   + ("demande" if partner.state == REQUESTED else "partenaire"))


async def decide(request: web.Request) -> web.Response:
    application, actor = await _as_lead(request)
    form = await checked_form(request)
    aid, action = str(form.get("association", "")), str(form.get("action", ""))
    try:
        if action == "remove":
            await store(request).withdraw(application.id, aid, actor=actor)
            raise redirect(f"/candidatures/{application.id}?fait=retiree")
        if action not in ("accept", "decline"):
            raise InvalidInput({"action": "Action inconnue."})
        partner = await store(request).decide(application.id, aid, action == "accept",
                                              side="lead", actor=actor)
    except (NotFound, Conflict):
        return await application_page(request, status=409, errors={
            "partners": "Cette demande a déjà été traitée."})
    except InvalidInput as exc:
        return await application_page(request, status=422, errors=exc.errors)
    verdict = "acceptée" if partner.accepted else "déclinée"
    await notify(request, {partner.requested_by}, f"Votre demande a été {verdict}\u00a0: "
                 + application.title,
                 f"{application.lead_name} a {verdict.removesuffix('e')} la demande de "
                 f"{partner.name} de rejoindre la candidature commune « {application.title} "
                 f"».\n\n{_url(request, application)}\n")
    raise redirect(f"/candidatures/{application.id}?fait="
                   + ("partenaire" if partner.accepted else "declinee"))


async def invite(request: web.Request) -> web.Response:
    application, actor = await _as_lead(request)
    form = await checked_form(request)
    await limit(request, "LIMIT_ACCOUNT_CLIENT", client(request))
    aid = str(form.get("association", "")).strip().strip("/").rpartition("/")[2]
    association = await directory(request).get(aid) if aid else None
    try:
        if association is None or not association.active:
            raise InvalidInput({"association": "Aucune association de l’annuaire n’a cet "
                                               "identifiant."})
        partner = await store(request).invite(application, association.id, association.name,
                                              actor=actor)
    except InvalidInput as exc:
        return await application_page(request, errors=exc.errors, status=422,
                                      values=dict(form))
    if partner.state == INVITED:
        await notify(request, await _admins(request, association.id),
                     "Invitation à une candidature commune\u00a0: " + application.title,
                     f"{application.lead_name} invite {association.name} à rejoindre la "
                     f"candidature commune « {application.title} ».\n\nAcceptez ou "
                     f"déclinez l’invitation sur {_url(request, application)}\n")
    raise redirect(f"/candidatures/{application.id}?fait="
                   + ("invitee" if partner.state == INVITED else "partenaire"))


async def answer(request: web.Request) -> web.Response:
    session = signed_in(request)
    form = await checked_form(request)
    application = await _application(request)
    association = await _acting_for(request, str(form.get("association", "")))
    try:
        partner = await store(request).decide(application.id, association.id,
                                              form.get("action") == "accept", side="partner",
                                              actor=session.person.id)
    except (NotFound, Conflict):
        return await application_page(request, status=409, errors={
            "partners": "Cette invitation a déjà été traitée."})
    except InvalidInput as exc:
        return await application_page(request, status=422, errors=exc.errors)
    raise redirect(f"/candidatures/{application.id}?fait="
                   + ("partenaire" if partner.accepted else "declinee"))


async def leave(request: web.Request) -> web.Response:
    """A member of a partner takes their association out of the application."""
    session = signed_in(request)
    form = await checked_form(request)
    application = await _application(request)
    association = await _acting_for(request, str(form.get("association", "")))
    try:
        await store(request).withdraw(application.id, association.id,
                                      actor=session.person.id)
    except (NotFound, Conflict):
        return await application_page(request, status=409, errors={
            "partners": "Votre association ne fait pas (ou plus) partie de la candidature."})
    await notify(request, await _lead_people(request, application),
                 f"{association.name} quitte la candidature : {application.title}",
                 f"{association.name} ne fait plus partie de la candidature commune "
                 f"« {application.title} ».\n\n{_url(request, application)}\n")
    raise redirect(f"/candidatures/{application.id}?fait=retiree")


async def move(request: web.Request) -> web.Response:
    application, actor = await _as_lead(request)
    form = await checked_form(request)
    try:
        await store(request).set_state(application.id, state_of(form.get("state")),
                                       actor=actor)
    except InvalidInput as exc:
        return await application_page(request, status=422, errors=exc.errors)
    raise redirect(f"/candidatures/{application.id}?fait=etat")


async def pieces(request: web.Request) -> web.Response:
    """The checklist: its lead's and its partners' members add, tick, untick, remove."""
    session = signed_in(request)
    form = await checked_form(request)
    application = await _application(request)
    team = {application.lead, *(p.association for p in await store(request).partners(
        application.id) if p.accepted)}
    if not session.person.operator and not team & {a.id for a in await my_associations(
            request)}:
        raise refuse(request, 403, "forbidden", "Seuls les membres des associations de la "
                     "candidature ont accès à ses pièces.", title="Accès réservé", back=BACK)
    who = str(form.get("who", ""))
    try:
        await checklist.change(site(request).ready().records, application.id,
                               str(form.get("action", "")), actor=session.person.id,
                               item=str(form.get("item", "")), text=str(form.get("piece", "")),
                               who=who if who in team else "")
    except InvalidInput as exc:
        return await application_page(request, status=422, errors=exc.errors,
                                      values=dict(form))
    raise redirect(f"/candidatures/{application.id}#pieces")


async def account_section(request: web.Request, session: Session
                          ) -> tuple[str, dict[str, Any]]:
    """The account page's part: the applications the person's associations lead (read from
    the board, by owner)."""
    from shared.store.board_base import BOARD, BoardQuery, BoardSort

    led: list[dict[str, Any]] = []
    for association in await my_associations(request):
        found = await request.app[BOARD].search(BoardQuery(
            kind=APPLICATION, owner=association.id, sort=BoardSort.RECENT, limit=20))
        led += found.items
    return "applications/_account.html", {"led": led, "state_labels": STATE_LABELS}


def add_routes(app: web.Application) -> None:
    app.router.add_get("/candidatures/nouvelle", new_form)
    app.router.add_post("/candidatures/nouvelle", create)
    app.router.add_get("/candidatures/{id}", application_page)
    app.router.add_post("/candidatures/{id}/rejoindre", ask)
    app.router.add_post("/candidatures/{id}/partenaires", decide)
    app.router.add_post("/candidatures/{id}/inviter", invite)
    app.router.add_post("/candidatures/{id}/invitation", answer)
    app.router.add_post("/candidatures/{id}/etat", move)
    app.router.add_post("/candidatures/{id}/quitter", leave)
    app.router.add_get("/candidatures/{id}/modifier", edit_form)
    app.router.add_post("/candidatures/{id}/modifier", edit)
    app.router.add_post("/candidatures/{id}/pieces", pieces)
