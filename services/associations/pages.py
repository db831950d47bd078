"""The French pages of associations.

    GET  /associations/nouvelle, POST       create one (operators) or ask for one (anyone
                                            signed in; an operator approves it)
    GET  /associations/{id}                 its page; members see their state, admins links
    GET  /associations/{id}/modifier, POST  edit its record (its admins, operators)
    POST /associations/{id}/rejoindre       ask to join (granted at once from its own domain)
    GET  /associations/{id}/membres, POST   members and requests: approve, refuse, role, remove
    GET  /associations/{id}/historique      every change of its record and memberships
    GET  /operateurs/associations, POST     operators: the associations waiting for approval
    POST /appels/{id}/interet[/retirer]     a member declares (withdraws) their association's
                                            interest in applying jointly to a call
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

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
from services.associations import interests as interest_records
from services.associations.model import (
    DISSOLVED,
    FIELD_LABELS,
    HOW_LABELS,
    MEMBER_ROLES,
    OPERATOR,
    PENDING,
    ROLE_LABELS,
    SELF,
    STATE_LABELS,
    Association,
    Membership,
)
from services.associations.storage import Associations
from services.associations.validate import association_form
from shared.errors import InvalidInput
from shared.records import Conflict, NotFound

NOTICES = {
    "rejoint": "Vous êtes membre de l’association : votre adresse est à son nom de domaine.",
    "demande": "Votre demande est envoyée : un administrateur de l’association ou un "
               "opérateur va l’examiner.",
    "cree": "L’association est créée.",
    "demandee": "Votre demande de création est envoyée : un opérateur va l’examiner. "
                "Vous en êtes l’administrateur.",
    "modifiee": "Les modifications sont enregistrées.",
}


def store(request: web.Request) -> Associations:
    return Associations(site(request).ready())


def can_manage(person: Person | None, membership: Membership | None) -> bool:
    """Edit the record, decide on members, read the history: its admins and operators."""
    return person is not None and (person.operator or (membership is not None
                                                       and membership.admin))


async def _association(request: web.Request, aid: str | None = None
                       ) -> tuple[Association, Membership | None]:
    """The association of the URL and the visitor's membership; 404 when it does not exist
    or is still waiting for approval (except for its founder and operators). A dissolved one
    is shown (marked), as the directory lists it."""
    aid = aid or request.match_info["id"]
    associations = store(request)
    found = await associations.get(aid)
    person = person_of(request)
    membership = await associations.membership(aid, person.id) if person else None
    if found is None or (found.state == PENDING and not (
            person and (person.operator or membership is not None))):
        raise refuse(request, 404, "not_found", "Cette association n’existe pas (ou plus).",
                     title="Association introuvable",
                     back=("/associations", "Retour à l’annuaire des associations"))
    return found, membership


async def _managed(request: web.Request) -> tuple[Association, Session]:
    session = signed_in(request)
    association, membership = await _association(request)
    if not can_manage(session.person, membership):
        raise refuse(request, 403, "forbidden", "Seuls les administrateurs de l’association "
                     "et les opérateurs ont accès à cette page.", title="Accès réservé")
    return association, session


async def association_page(request: web.Request) -> web.Response:
    from services.associations.directory_pages import association_extras

    association, membership = await _association(request)
    return page(request, "associations/association.html", association=association,
                **await association_extras(request, association),
                membership=membership, manage=can_manage(person_of(request), membership),
                notice=NOTICES.get(request.query.get("fait", ""), ""),
                state_labels=STATE_LABELS, role_labels=ROLE_LABELS,
                events_urls=[(o, "/?organizer=" + quote(o)) for o in association.organizers])


def _form_values(association: Association | None) -> dict[str, Any]:
    if association is None:
        return {"contact_public": False}
    return {"name": association.name, "acronym": association.acronym, "rna": association.rna,
            "website": association.website,
            "contact_email": association.contact.get("email", ""),
            "contact_phone": association.contact.get("phone", ""),
            "contact_public": association.contact_public,
            "organizers": "\n".join(association.organizers), "tools": list(association.tools)}


def _sent(form: Any) -> dict[str, Any]:
    """The values a refused form shows again (every tool ticked, not only the first)."""
    return {**dict(form), "tools": form.getall("tools", [])}


async def new_form(request: web.Request) -> web.Response:
    session = signed_in(request)
    return page(request, "associations/form.html", values=_form_values(None), errors={},
                creating=True, operator=session.person.operator)


async def create(request: web.Request) -> web.Response:
    session = signed_in(request)
    form = await checked_form(request)
    await limit(request, "LIMIT_ACCOUNT_CLIENT", client(request))
    person = session.person
    try:
        values = association_form(form, demo=site(request).settings.demo)
        if person.operator:
            created = await store(request).create(values, actor=person.id, source=OPERATOR)
        else:
            created = await store(request).create(values, actor=person.id, state=PENDING,
                                                  founder=person)
    except InvalidInput as exc:
        return page(request, "associations/form.html", status=422, values=_sent(form),
                    errors=exc.errors, creating=True, operator=person.operator)
    raise redirect(f"/associations/{created.id}?fait="
                   + ("cree" if created.active else "demandee"))


async def edit_form(request: web.Request) -> web.Response:
    association, _ = await _managed(request)
    entry = await store(request).records.get(store(request).subject(association.id))
    return page(request, "associations/form.html", association=association,
                values=_form_values(association), errors={}, creating=False,
                version=entry.seq if entry else 0)


async def edit(request: web.Request) -> web.Response:
    association, session = await _managed(request)
    form = await checked_form(request)
    version = str(form.get("version", ""))
    try:
        values = association_form(form, demo=site(request).settings.demo)
        await store(request).edit(association.id, values, actor=session.person.id,
                                  base=int(version) if version.isdigit() else None,
                                  source=OPERATOR if session.person.operator else SELF)
    except InvalidInput as exc:
        return page(request, "associations/form.html", status=422, association=association,
                    values=_sent(form), errors=exc.errors, creating=False, version=version)
    except Conflict:
        fresh = await store(request).get(association.id) or association
        entry = await store(request).records.get(store(request).subject(association.id))
        return page(request, "associations/form.html", status=409, association=fresh,
                    values=_form_values(fresh), creating=False,
                    version=entry.seq if entry else 0, errors={
                        "name": "Quelqu’un d’autre a modifié les mêmes champs pendant ce "
                                "temps : voici la fiche à jour, refaites vos changements."})
    raise redirect(f"/associations/{association.id}?fait=modifiee")


async def join(request: web.Request) -> web.Response:
    session = signed_in(request)
    form = await checked_form(request)
    await limit(request, "LIMIT_ACCOUNT_CLIENT", client(request))
    association, _ = await _association(request, str(form.get("association") or "")
                                        or request.match_info.get("id"))
    if association.state == DISSOLVED:
        raise refuse(request, 409, "dissolved", "Cette association est dissoute\u00a0: on ne "
                     "peut plus la rejoindre.", back=(f"/associations/{association.id}",
                                                      "Retour à sa fiche"))
    if not association.active:
        raise refuse(request, 409, "not_active", "Cette association attend encore la "
                     "validation d’un opérateur.")
    membership = await store(request).join(association, session.person)
    raise redirect(f"/associations/{association.id}?fait="
                   + ("rejoint" if membership.active else "demande"))


async def _names(request: web.Request, pids: set[str]) -> dict[str, str]:
    people = site(request).ready().people
    names = {}
    for pid in pids:
        if pid.startswith("p_"):
            person = await people.get(pid)
            names[pid] = person.display if person else "compte supprimé"
        else:
            names[pid] = {"cli": "opérateur (ligne de commande)", "demo": "démonstration"}.get(
                pid.partition(":")[0], pid)
    return names


async def members_page(request: web.Request, *, errors: dict[str, str] | None = None,
                       status: int = 200) -> web.Response:
    association, _ = await _managed(request)
    members = await store(request).members(association.id)
    names = await _names(request, {m.person for m in members})
    return page(request, "associations/members.html", status=status, association=association,
                members=sorted(members, key=lambda m: (m.state != PENDING, names[m.person])),
                names=names, errors=errors or {}, role_labels=ROLE_LABELS,
                state_labels=STATE_LABELS, how_labels=HOW_LABELS, roles=MEMBER_ROLES)


async def members_decide(request: web.Request) -> web.Response:
    association, session = await _managed(request)
    form = await checked_form(request)
    try:
        await store(request).decide_member(
            association.id, str(form.get("person", "")), str(form.get("action", "")),
            actor=session.person.id, role=str(form.get("role") or "editor"))
    except InvalidInput as exc:
        return await members_page(request, errors=exc.errors, status=422)
    except (NotFound, Conflict):
        return await members_page(request, status=409, errors={
            "person": "Cette demande a déjà été traitée (ou ce membre est parti)."})
    raise redirect(f"/associations/{association.id}/membres")


#: The reasons writes give, as the history page says them.
REASONS = {
    "created": "création", "creation requested": "création demandée", "edited": "modification",
    "approved": "création validée", "refused": "création refusée", "founder": "fondation",
    "join request": "demande d’adhésion", "approve": "adhésion acceptée",
    "refuse": "adhésion refusée", "remove": "membre retiré", "role": "rôle changé",
    "added by an operator": "ajout par un opérateur", "association refused": "création refusée",
}
#: Fields of a membership the history does not repeat (its row names the person).
MEMBER_SHOWN_ELSEWHERE = ("association", "person", "requested", "id", "created")


async def history_page(request: web.Request) -> web.Response:
    association, _ = await _managed(request)
    entries = await store(request).history(association.id)
    people = {e.actor for e in entries}
    for entry in entries:
        people |= {str(entry.record.get(k)) for k in ("person", "decided_by", "requested_by")
                   if entry.record.get(k)}
    names = await _names(request, people)
    rows = []
    for entry in reversed(entries):
        membership = entry.subject.split(".")[2] == "membership"
        hidden = MEMBER_SHOWN_ELSEWHERE if membership else ("id", "created")
        rows.append({
            "at": entry.at, "actor": names.get(entry.actor, entry.actor),
            "reason": REASONS.get(entry.reason, entry.reason),
            "what": ("Membre\u00a0: " + names.get(str(entry.record.get("person")), "?")
                     if membership else "Fiche de l’association"),
            "changes": [{"field": FIELD_LABELS.get(c.field, c.field),
                         "before": _shown(c.field, c.before, names, membership),
                         "after": _shown(c.field, c.after, names, membership)}
                        for c in entry.changes if c.field not in hidden],
        })
    return page(request, "associations/history.html", association=association, rows=rows)


def _shown(field: str, value: Any, names: dict[str, str], membership: bool) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        labels = {"email": "adresse", "phone": "téléphone"}
        return ", ".join(f"{labels.get(k, k)}\u00a0: {v}" for k, v in value.items())
    if field in ("decided_by", "requested_by"):
        return names.get(str(value), str(value))
    if field == "how":
        return HOW_LABELS.get(str(value), str(value))
    if field == "state" and not membership:
        return {"active": "validée", "pending": "en attente de validation"}.get(str(value), "")
    return str(ROLE_LABELS.get(str(value)) or STATE_LABELS.get(str(value)) or value)


async def queue_page(request: web.Request) -> web.Response:
    session = signed_in(request)
    if not session.person.operator:
        raise refuse(request, 403, "forbidden", "Page réservée aux opérateurs.",
                     title="Accès réservé")
    waiting = [a for a in await store(request).all() if a.state == PENDING]
    names = await _names(request, {a.requested_by for a in waiting if a.requested_by})
    return page(request, "associations/queue.html", waiting=waiting, names=names)


async def queue_decide(request: web.Request) -> web.Response:
    session = signed_in(request)
    if not session.person.operator:
        raise refuse(request, 403, "forbidden", "Page réservée aux opérateurs.")
    form = await checked_form(request)
    try:
        await store(request).decide(str(form.get("association", "")),
                                    form.get("action") == "approve", actor=session.person.id)
    except NotFound:
        raise refuse(request, 409, "conflict", "Cette demande a déjà été traitée.") from None
    raise redirect("/operateurs/associations")


# -- the account page's section ------------------------------------------------------------------

async def account_section(request: web.Request, session: Session
                          ) -> tuple[str, dict[str, Any]]:
    associations = store(request)
    memberships = await associations.memberships_of(session.person.id)
    known = {a.id: a for a in await associations.all()}
    mine = [(known[m.association], m) for m in memberships if m.association in known]
    joinable = [a for a in known.values()
                if a.active and a.id not in {m.association for m in memberships}]
    return "associations/_account.html", {
        "mine": mine, "joinable": joinable, "role_labels": ROLE_LABELS,
        "state_labels": STATE_LABELS}


# -- team-up declarations on calls ------------------------------------------------------------

async def interest_context(request: web.Request, call: dict[str, Any]
                           ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The interests shown on a call's page, and what its form needs: the associations the
    visitor may speak for. Without the store of record: none, and a note."""
    state = site(request)
    if state.stores is None:
        return [], {"unavailable": True}
    records = state.stores.records
    shown = await interest_records.of_call(records, call["id"])
    person = person_of(request)
    form: dict[str, Any] = {"signed_in": person is not None, "associations": [],
                            "declared": {}}
    if person is not None:
        associations = Associations(state.stores)
        for membership in await associations.memberships_of(person.id):
            found = await associations.get(membership.association)
            if membership.active and found is not None and found.active:
                form["associations"].append(found)
        mine = {a.id for a in form["associations"]}
        form["declared"] = {i["association_id"]: i for i in shown
                            if i["association_id"] in mine}
    return shown, form


async def _speaking_for(request: web.Request, form: Any) -> tuple[Association, Session]:
    session = signed_in(request)
    aid = str(form.get("association", ""))
    membership = await store(request).membership(aid, session.person.id) if aid else None
    association = await store(request).get(aid) if aid else None
    if membership is None or not membership.active or association is None:
        raise refuse(request, 403, "forbidden", "Vous ne pouvez parler qu’au nom d’une "
                     "association dont vous êtes membre.")
    return association, session


async def declare_interest(request: web.Request) -> web.Response:
    from services.query.calls_routes import CALL_STORE

    form = await checked_form(request)
    association, session = await _speaking_for(request, form)
    cid = request.match_info["id"]
    call = await request.app[CALL_STORE].get(cid)
    if call is None:
        raise refuse(request, 404, "not_found", "Cet appel à projets n’existe pas.")
    if call["status"] == "closed" or not call.get("joint_welcome"):
        raise refuse(request, 409, "call_closed", "Cet appel n’accepte pas (ou plus) de "
                     "candidatures communes.")
    contact = " ".join(str(form.get("contact", "")).split())
    brings = str(form.get("brings", "")).strip()
    errors = {}
    if not contact or len(contact) > interest_records.MAX_CONTACT:
        errors["contact"] = "Indiquez comment vous joindre (au plus 300 caractères)."
    if not brings or len(brings) > interest_records.MAX_BRINGS:
        errors["brings"] = "Dites ce que votre association apporte (au plus 2000 caractères)."
    if errors:
        raise refuse(request, 422, "invalid_body", " ".join(errors.values()),
                     title="Formulaire incomplet", details={"errors": errors})
    await interest_records.declare(site(request).ready().records, cid, association.id,
                                   association.name, contact, brings,
                                   actor=session.person.id, association_id=association.id)
    raise redirect(f"/appels/{cid}#candidater")


async def withdraw_interest(request: web.Request) -> web.Response:
    form = await checked_form(request)
    association, session = await _speaking_for(request, form)
    cid = request.match_info["id"]
    await interest_records.withdraw(site(request).ready().records, cid, association.id,
                                    actor=session.person.id)
    raise redirect(f"/appels/{cid}#candidater")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/associations/nouvelle", new_form)
    app.router.add_post("/associations/nouvelle", create)
    app.router.add_post("/associations/rejoindre", join)
    app.router.add_get("/associations/{id}", association_page)
    app.router.add_get("/associations/{id}/modifier", edit_form)
    app.router.add_post("/associations/{id}/modifier", edit)
    app.router.add_post("/associations/{id}/rejoindre", join)
    app.router.add_get("/associations/{id}/membres", members_page)
    app.router.add_post("/associations/{id}/membres", members_decide)
    app.router.add_get("/associations/{id}/historique", history_page)
    app.router.add_get("/operateurs/associations", queue_page)
    app.router.add_post("/operateurs/associations", queue_decide)
    app.router.add_post("/appels/{id}/interet", declare_interest)
    app.router.add_post("/appels/{id}/interet/retirer", withdraw_interest)

