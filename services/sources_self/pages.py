"""The French pages of an association's own sources.

    GET  /associations/{id}/sources              its sources, their state, the add form
    POST /associations/{id}/sources/apercu       preview an address (nothing is written)
    POST /associations/{id}/sources              confirm: the source is harvested (or waits
                                                 for an operator, MAILLAGE_SOURCES_APPROVAL)
    POST /associations/{id}/sources/{sid}        pause, resume or remove one
    GET  /sources/guides                         where each common tool gives its address
    GET  /operateurs/sources, POST               operators: sources waiting for approval

Any active member of the association (admin or editor) and operators manage its sources.
Every form carries the CSRF token (:func:`services.accounts.web.checked_form`).
"""

from __future__ import annotations

from aiohttp import web

from services.accounts.model import Session
from services.accounts.web import (
    checked_form,
    client,
    limit,
    page,
    redirect,
    refuse,
    signed_in,
    site,
)
from services.associations.model import Association
from services.associations.storage import Associations
from services.harvester.sources import Source
from services.sources_self.model import PENDING, REASONS, STATE_LABELS, OwnSource
from services.sources_self.preview import Preview, Previewer, as_context
from services.sources_self.storage import OwnSources
from services.sources_self.validate import guess_format, source_address, source_id
from shared.errors import ConfigError, InvalidInput
from shared.records import Conflict, NotFound

PREVIEWER = web.AppKey("sources_self_previewer", Previewer)
NOTICES = {
    "ajoutee": "La source est enregistrée\u00a0: sa première récolte a lieu dans la minute, "
               "ses événements arrivent ensuite dans l’agenda.",
    "proposee": "La source est proposée\u00a0: un opérateur la valide avant sa première "
                "récolte.",
    "pause": "La source est en pause\u00a0: elle n’est plus récoltée, ses événements restent.",
    "reprise": "La source est reprise\u00a0: elle est récoltée de nouveau.",
    "retiree": "La source est retirée, et ses événements avec elle.",
}
ACTIONS = {"pause": (True, "pause"), "reprendre": (False, "reprise")}


def own(request: web.Request) -> OwnSources:
    return OwnSources(site(request).ready())


async def _member(request: web.Request) -> tuple[Association, Session]:
    """The association of the URL, for one of its active members or an operator."""
    session = signed_in(request)
    associations = Associations(site(request).ready())
    aid = request.match_info["id"]
    association = await associations.get(aid)
    membership = await associations.membership(aid, session.person.id)
    if association is None or not (association.active or session.person.operator):
        raise refuse(request, 404, "not_found", "Cette association n’existe pas (ou plus).",
                     title="Association introuvable")
    if not session.person.operator and (membership is None or not membership.active):
        raise refuse(request, 403, "forbidden", "Seuls les membres de l’association et les "
                     "opérateurs gèrent ses sources.", title="Accès réservé")
    return association, session


async def sources_page(request: web.Request, *, status: int = 200,
                       errors: dict[str, str] | None = None, url: str = "") -> web.Response:
    association, _ = await _member(request)
    store = own(request)
    sources = await store.of(association.id)
    names = await _names(request, {e.actor for e in await store.history(association.id)})
    history = [{"at": e.at, "who": names.get(e.actor, e.actor),
                "what": REASONS.get(e.reason, e.reason), "url": e.record.get("url", "")}
               for e in reversed(await store.history(association.id))][:20]
    return page(request, "sources_self/sources.html", status=status, association=association,
                sources=sources, health=await store.health(sources), labels=STATE_LABELS,
                errors=errors or {}, url=url, history=history,
                notice=NOTICES.get(request.query.get("fait", ""), ""))


async def _names(request: web.Request, pids: set[str]) -> dict[str, str]:
    people = site(request).ready().people
    out = {}
    for pid in pids:
        person = await people.get(pid) if pid.startswith("p_") else None
        out[pid] = person.display if person else "compte supprimé" if pid.startswith("p_") \
            else pid
    return out


async def _preview(request: web.Request, association: Association, raw: object
                   ) -> tuple[Source, Preview]:
    settings = site(request).settings
    url = source_address(raw, allow_private=settings.allow_private)
    source = Source(source_id(association.id, url), url, format=guess_format(url),
                    organizer=association.name)
    previewer = request.app[PREVIEWER]
    return source, await previewer.preview(site(request).ready().bus, source)


async def preview(request: web.Request) -> web.Response:
    association, _ = await _member(request)
    form = await checked_form(request)
    await limit(request, "LIMIT_ACCOUNT_CLIENT", client(request))
    try:
        source, result = await _preview(request, association, form.get("url"))
    except InvalidInput as exc:
        return await sources_page(request, status=422, errors=exc.errors,
                                  url=str(form.get("url", ""))[:2000])
    return page(request, "sources_self/preview.html", status=200 if result.ok else 422,
                association=association, url=source.url, **as_context(result))


async def confirm(request: web.Request) -> web.Response:
    association, session = await _member(request)
    form = await checked_form(request)
    await limit(request, "LIMIT_ACCOUNT_CLIENT", client(request))
    try:  # read again: what is written is what can be harvested now
        source, result = await _preview(request, association, form.get("url"))
    except InvalidInput as exc:
        return await sources_page(request, status=422, errors=exc.errors)
    if not result.ok:
        return page(request, "sources_self/preview.html", status=422,
                    association=association, url=source.url, **as_context(result))
    approval = site(request).settings.sources_approval and not session.person.operator
    try:
        added = await own(request).add(
            OwnSource(source.id, association.id, source.url, result.format or "",
                      found=result.found),
            association.name, actor=session.person.id, approval=approval)
    except (ConfigError, Conflict):
        return await sources_page(request, status=409, url=source.url, errors={
            "url": "Ce calendrier est déjà récolté par Maillage (par cette association ou "
                   "une autre)."})
    raise redirect(f"/associations/{association.id}/sources?fait="
                   + ("proposee" if added.state == PENDING else "ajoutee"))


async def change(request: web.Request) -> web.Response:
    association, session = await _member(request)
    form = await checked_form(request)
    sid, action = request.match_info["sid"], str(form.get("action", ""))
    store = own(request)
    try:
        if action == "retirer":
            await store.remove(association.id, sid, actor=session.person.id)
            done = "retiree"
        elif action in ACTIONS:
            paused, done = ACTIONS[action]
            await store.set_paused(association.id, sid, paused, actor=session.person.id)
        else:
            raise refuse(request, 422, "invalid_action", "Action inconnue.")
    except (NotFound, Conflict, ConfigError):
        raise refuse(request, 409, "conflict", "Cette source a changé entre-temps (ou "
                     "n’existe plus)\u00a0: rechargez la page.") from None
    raise redirect(f"/associations/{association.id}/sources?fait={done}")


async def guides(request: web.Request) -> web.Response:
    return page(request, "sources_self/guides.html")


async def queue_page(request: web.Request) -> web.Response:
    _operator(request)
    waiting = await own(request).waiting()
    associations = Associations(site(request).ready())
    names = {s.association: (await associations.get(s.association)) for s in waiting}
    return page(request, "sources_self/queue.html", waiting=waiting,
                names={k: v.name if v else k for k, v in names.items()})


async def queue_decide(request: web.Request) -> web.Response:
    session = _operator(request)
    form = await checked_form(request)
    aid, sid = str(form.get("association", "")), str(form.get("source", ""))
    association = await Associations(site(request).ready()).get(aid)
    try:
        await own(request).decide(aid, sid, form.get("action") == "approve",
                                  association.name if association else aid,
                                  actor=session.person.id)
    except (NotFound, Conflict, ConfigError):
        raise refuse(request, 409, "conflict", "Cette source a déjà été traitée.") from None
    raise redirect("/operateurs/sources")


def _operator(request: web.Request) -> Session:
    session = signed_in(request)
    if not session.person.operator:
        raise refuse(request, 403, "forbidden", "Page réservée aux opérateurs.",
                     title="Accès réservé")
    return session


def add_routes(app: web.Application) -> None:
    app.router.add_get("/associations/{id}/sources", sources_page)
    app.router.add_post("/associations/{id}/sources", confirm)
    app.router.add_post("/associations/{id}/sources/apercu", preview)
    app.router.add_post("/associations/{id}/sources/{sid}", change)
    app.router.add_get("/sources/guides", guides)
    app.router.add_get("/operateurs/sources", queue_page)
    app.router.add_post("/operateurs/sources", queue_decide)


__all__ = ["PREVIEWER", "add_routes"]
