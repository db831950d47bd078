"""The French pages of declared links (the map and its lists are :mod:`.map_pages`).

    GET  /reseau/declarer, POST            a member declares a link for their association
                                           (``?avec=<id>``: with that association)
    GET  /reseau/liens/{id}                one link: public once confirmed; its two
                                           associations' members see it in every state
    POST /reseau/liens/{id}/confirmer      the other side's members confirm a proposal...
    POST /reseau/liens/{id}/refuser        ...or decline it
    POST /reseau/liens/{id}/terminer       either side ends it

Acting for an association needs an active membership of it (:class:`Associations`'s public
reads). The other side hears of a proposal by mail (the outbox: no address is ever shown),
and of a confirmation too; the declarations of one visitor are rate limited as the other
forms of the site are (``LIMIT_ACCOUNT_CLIENT``).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from aiohttp import web

from services.accounts.mail import Letter
from services.accounts.model import Session
from services.accounts.pages import mail_base
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
from services.associations.directory_api import DIRECTORY
from services.associations.model import Association
from services.associations.storage import Associations
from services.network.model import CONFIRMED, KINDS, PROPOSED, STATE_LABELS, End, Link
from services.network.storage import Links, end_from
from services.network.validate import declaration
from shared.errors import InvalidInput
from shared.records import Conflict, NotFound

log = logging.getLogger(__name__)

NOTICES = {
    "propose": "Le lien est proposé\u00a0: l’autre association le confirmera (ses membres "
               "ont reçu un courriel).",
    "confirme": "Le lien est confirmé\u00a0: il apparaît sur la carte du réseau.",
    "refuse": "La proposition est refusée.",
    "termine": "Le lien est terminé\u00a0: il n’apparaît plus sur la carte.",
}
CONFLICT = "Ce lien a changé entre-temps (confirmé, refusé ou terminé par quelqu’un " \
           "d’autre)\u00a0: voici son état actuel."


def links_store(request: web.Request) -> Links:
    return Links(site(request).ready())


def associations(request: web.Request) -> Associations:
    return Associations(site(request).ready())


async def end_of(request: web.Request, association: Association) -> End:
    """What the link keeps of an association: its name, and from the directory its quartier,
    commune, themes and head office's point."""
    directory = request.app.get(DIRECTORY)
    return end_from(association, await directory.get(association.id)
                    if directory is not None else None)


async def mine(request: web.Request, session: Session) -> list[Association]:
    """The active associations the person is an active member of."""
    store = associations(request)
    out = []
    for membership in await store.memberships_of(session.person.id):
        if not membership.active:
            continue
        found = await store.get(membership.association)
        if found is not None and found.active:
            out.append(found)
    return sorted(out, key=lambda a: a.name.casefold())


async def notify(request: web.Request, aid: str, subject: str, text: str) -> int:
    """Mail the active members of ``aid`` (through the outbox: no one sees an address)."""
    state = site(request)
    stores = state.ready()
    sent = 0
    for membership in await Associations(stores).members(aid):
        if not membership.active:
            continue
        person = await stores.people.get(membership.person)
        if person is not None and person.email:
            sent += state.mail.put(Letter(state.settings.mail_from, person.email, subject,
                                          text))
    return sent


def proposal_text(link: Link, url: str) -> str:
    source = link.end(link.source)
    target = link.end(link.target)
    lines = [f"Bonjour,\n\n{source.name} déclare un lien avec {target.name} sur la carte du "
             f"réseau des associations de Maillage\u00a0: {link.kind_label}."]
    if link.note:
        lines.append(f"Leur note\u00a0: «\u00a0{link.note}\u00a0»")
    lines.append(f"Le lien ne sera public qu’une fois confirmé par un membre de "
                 f"{target.name}. Pour le confirmer ou le refuser\u00a0:\n{url}")
    lines.append("Vous recevez ce message parce que vous êtes membre de "
                 f"{target.name} sur Maillage.")
    return "\n\n".join(lines) + "\n"


# -- declaring ---------------------------------------------------------------------------------

async def declare_form(request: web.Request, *, values: dict[str, Any] | None = None,
                       errors: dict[str, str] | None = None, status: int = 200
                       ) -> web.Response:
    session = signed_in(request)
    own = await mine(request, session)
    values = dict(values or {})
    with_id = values.get("target") or request.query.get("avec", "")
    target = await associations(request).get(with_id) if with_id else None
    if target is not None and target.active:
        values["target"] = target.id
    else:
        target = None
    if not values.get("source") and own:
        values["source"] = request.query.get("depuis") or own[0].id
    return page(request, "network/declare.html", status=status, own=own, target=target,
                values=values, errors=errors or {}, kinds=KINDS, nav="reseau")


def _target_id(raw: str) -> str:
    """An association's id, or the id in the address of its page (pasted from the
    directory: ``https://…/associations/<id>``)."""
    text = raw.strip()
    if "/associations/" in text:
        text = text.split("/associations/", 1)[1]
    return text.split("?", 1)[0].split("#", 1)[0].strip("/")


async def declare(request: web.Request) -> web.Response:
    session = signed_in(request)
    form = await checked_form(request)
    values = {k: str(form.get(k, "")) for k in ("source", "target", "kind", "note", "since")}
    values["target"] = _target_id(values["target"])
    try:
        wanted = declaration(values)
    except InvalidInput as exc:
        return await declare_form(request, values=values, errors=exc.errors, status=422)
    own = {a.id: a for a in await mine(request, session)}
    if wanted.source not in own:
        raise refuse(request, 403, "forbidden", "Vous ne pouvez déclarer un lien qu’au nom "
                     "d’une association dont vous êtes membre.", title="Accès réservé",
                     back=("/compte", "Retour à votre compte"))
    target = await associations(request).get(wanted.target)
    if target is None or not target.active:
        return await declare_form(request, values=values, status=422, errors={
            "target": "Aucune association active de l’annuaire n’a cet identifiant."})
    await limit(request, "LIMIT_ACCOUNT_CLIENT", client(request))
    try:
        link = await links_store(request).declare(
            wanted, await end_of(request, own[wanted.source]), await end_of(request, target),
            actor=session.person.id)
    except InvalidInput as exc:
        return await declare_form(request, values=values, status=422, errors=exc.errors)
    except Conflict:
        return await declare_form(request, values=values, status=409, errors={
            "kind": "Ce lien est déjà déclaré entre ces deux associations (proposé ou "
                    "confirmé). Choisissez un autre type de lien, ou terminez l’ancien."})
    url = f"{mail_base(request)}/reseau/liens/{quote(link.id)}"
    if link.state == PROPOSED:
        await notify(request, link.target, f"Lien proposé par {link.end(link.source).name}",
                     proposal_text(link, url))
        raise redirect(f"/reseau/liens/{quote(link.id)}?fait=propose")
    await notify(request, link.source if link.source != wanted.source else link.target,
                 f"Lien confirmé avec {own[wanted.source].name}",
                 f"Bonjour,\n\nLe lien «\u00a0{link.kind_label}\u00a0» entre "
                 f"{link.a.name} et {link.b.name} est confirmé\u00a0: il apparaît sur la "
                 f"carte du réseau.\n\n{url}\n")
    raise redirect(f"/reseau/liens/{quote(link.id)}?fait=confirme")


# -- one link ------------------------------------------------------------------------------------

async def _sides(request: web.Request, link: Link) -> set[str]:
    """The ends of ``link`` the visitor is an active member of."""
    person = person_of(request)
    if person is None:
        return set()
    store = associations(request)
    out = set()
    for aid in (link.a.id, link.b.id):
        membership = await store.membership(aid, person.id)
        if membership is not None and membership.active:
            out.add(aid)
    return out


async def _link(request: web.Request) -> tuple[Link, set[str]]:
    link = await links_store(request).get(request.match_info["id"])
    sides = await _sides(request, link) if link is not None else set()
    person = person_of(request)
    if link is None or not (link.public or sides or (person is not None and person.operator)):
        raise refuse(request, 404, "not_found", "Ce lien n’existe pas, ou n’est pas public.",
                     title="Lien introuvable", back=("/reseau", "Retour à la carte du réseau"))
    return link, sides


async def link_page(request: web.Request, *, error: str = "", status: int = 200
                    ) -> web.Response:
    link, sides = await _link(request)
    return page(request, "network/link.html", status=status, link=link, sides=sides,
                can_answer=link.state == PROPOSED and link.target in sides,
                can_end=link.state in (PROPOSED, CONFIRMED) and bool(sides),
                state_label=STATE_LABELS.get(link.state, link.state), error=error,
                notice=NOTICES.get(request.query.get("fait", ""), ""), nav="reseau")


async def act(request: web.Request) -> web.Response:
    session = signed_in(request)
    await checked_form(request)
    action = request.match_info["action"]
    link, sides = await _link(request)
    store = links_store(request)
    url = f"/reseau/liens/{quote(link.id)}"
    if not sides:
        raise refuse(request, 403, "forbidden", "Seuls les membres des deux associations "
                     "peuvent répondre à ce lien ou le terminer.", title="Accès réservé",
                     back=(url, "Retour au lien"))
    try:
        if action == "terminer":
            side = sorted(sides)[0] if link.target not in sides else link.target
            await store.end(link.id, side, actor=session.person.id)
            raise redirect(url + "?fait=termine")
        if link.target not in sides:
            raise refuse(request, 403, "forbidden", "Seuls les membres de l’association à "
                         "qui le lien est proposé peuvent le confirmer ou le refuser.",
                         title="Accès réservé", back=(url, "Retour au lien"))
        if action == "confirmer":
            target = await associations(request).get(link.target)
            source = await associations(request).get(link.source)
            ends = [await end_of(request, a) for a in (target, source) if a is not None]
            done = await store.confirm(link.id, link.target, actor=session.person.id,
                                       ends=ends)
            await notify(request, done.source, f"Lien confirmé par {done.end(done.target).name}",
                         f"Bonjour,\n\n{done.end(done.target).name} a confirmé le lien "
                         f"«\u00a0{done.kind_label}\u00a0»\u00a0: il apparaît sur la carte du "
                         f"réseau.\n\n{mail_base(request)}{url}\n")
            raise redirect(url + "?fait=confirme")
        await store.decline(link.id, link.target, actor=session.person.id)
        raise redirect(url + "?fait=refuse")
    except (Conflict, NotFound):
        return await link_page(request, error=CONFLICT, status=409)


# -- the account page's section ------------------------------------------------------------------

async def account_section(request: web.Request, session: Session
                          ) -> tuple[str, dict[str, Any]]:
    """The links of the person's associations: proposals to answer, proposals waiting for
    the other side, confirmed links."""
    own = await mine(request, session)
    store = links_store(request)
    to_answer, waiting, confirmed = [], [], []
    seen: set[str] = set()
    for association in own:
        for link in await store.of_association(association.id):
            if link.id in seen:
                continue
            seen.add(link.id)
            if link.state == PROPOSED and link.target == association.id:
                to_answer.append(link)
            elif link.state == PROPOSED:
                waiting.append(link)
            elif link.state == CONFIRMED:
                confirmed.append(link)
    return "network/_account.html", {"own": own, "to_answer": to_answer,
                                     "waiting": waiting, "confirmed": confirmed}


def add_routes(app: web.Application) -> None:
    app.router.add_get("/reseau/declarer", declare_form)
    app.router.add_post("/reseau/declarer", declare)
    app.router.add_get("/reseau/liens/{id}", link_page)
    app.router.add_post(r"/reseau/liens/{id}/{action:confirmer|refuser|terminer}", act)
