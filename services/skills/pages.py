"""The French pages of pooled skills and students' projects.

    GET  /competences                     the search (the board): type, skill, quartier,
                                          mode, words, period; cards; facet counts
    GET  /competences/nouveau?type=…, POST  post an offer, a need, a project (members of the
                                          association) or one's student profile
    GET  /competences/{id}                a post; the open posts that answer it (a board
                                          query); "Proposer mon aide" / "Ça m’intéresse"
    GET  /competences/{id}/modifier, POST  edit it (who may write it)
    POST /competences/{id}/etat           open, in progress, closed
    POST /competences/{id}/contact        a short message mailed to its author (their address
                                          never shown; the sender's only if they agree)
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiDict, MultiMapping

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
from services.associations.directory_api import DIRECTORY
from services.associations.storage import Associations
from services.query.context import base_url
from services.query.errors import ApiError
from services.query.web import fr
from services.skills.model import (
    ASSOCIATION_TYPES,
    MATCHES,
    MODES,
    PROJECT_KINDS,
    SKILLS,
    STATES,
    STUDENT,
    TYPE_LABELS,
    TYPE_SHORT,
    TYPES,
    Post,
)
from services.skills.search import board, parse_query, run
from services.skills.storage import Skills, may_write
from services.skills.validate import message_values, post_values, state_value
from shared.errors import InvalidInput
from shared.records import Conflict
from shared.store.board_base import BoardQuery, BoardSort
from shared.taxonomy import theme_label

PAGE = 20
MATCH_LIMIT = 6
#: The page's parameters and the API's they are.
PARAMS = {"q": "q", "type": "type", "competence": "skill", "quartier": "quartier",
          "mode": "mode", "du": "from", "au": "to", "suite": "cursor",
          "association": "association"}
CONTACT_LIMIT = "LIMIT_SKILL_CONTACT"
NOTICES = {"cree": "C’est publié\u00a0: votre annonce apparaît dans la recherche d’ici "
                   "quelques secondes.",
           "modifie": "Les modifications sont enregistrées.",
           "etat": "L’état de l’annonce est changé.",
           "envoye": "Votre message est envoyé\u00a0: la personne qui a publié l’annonce "
                     "vous répondra si elle le souhaite."}
BACK = ("/competences", "Retour aux compétences partagées")


def store(request: web.Request) -> Skills:
    return Skills(site(request).ready())


def day_text(value: str) -> str:
    """``dimanche 10 janvier 2027`` of an ISO date (as stored: always one)."""
    try:
        return fr.day_label(date.fromisoformat(value))
    except ValueError:
        return value


def labels() -> dict[str, Any]:
    return {"type_labels": TYPE_LABELS, "skill_labels": SKILLS, "mode_labels": MODES,
            "state_labels": STATES, "project_kind_labels": PROJECT_KINDS,
            "theme_label": theme_label, "day_text": day_text}


# -- the search ---------------------------------------------------------------------------------

def _api_params(query: MultiMapping[str]) -> MultiDict[str]:
    out: MultiDict[str] = MultiDict()
    for name, value in query.items():
        if name in PARAMS and value.strip():
            out.add(PARAMS[name], value.strip())
    return out


def _options(name: str, vocabulary: dict[str, str], counts: list[dict[str, Any]],
             chosen: tuple[str, ...]) -> list[dict[str, Any]]:
    n = {str(c.get("value")): c.get("count") for c in counts}
    values = list(vocabulary) if vocabulary else [str(c.get("value")) for c in counts]
    return [{"value": v, "label": vocabulary.get(v, v) if vocabulary else v,
             "count": n.get(v, 0), "checked": v in chosen} for v in values
            if v in chosen or n.get(v) or vocabulary]


async def list_page(request: web.Request) -> web.Response:
    params = _api_params(request.rel_url.query)
    try:
        query = parse_query(params, limit=PAGE)
    except ApiError:
        return page(request, "skills/list.html", status=400, error=(
            "Un des critères de recherche n’est pas valide (une date s’écrit AAAA-MM-JJ)."),
            items=[], total=0, filters={}, values=_shown(request.rel_url.query), **labels())
    query = BoardQuery(**{**_fields(query), "with_facets": True,
                          "sort": BoardSort.RELEVANCE if query.q else BoardSort.RECENT})
    try:
        result = await run(request.app, query)
    except ApiError as exc:
        if exc.status_code == 503:
            raise refuse(request, 503, "unavailable", "La recherche est momentanément "
                         "indisponible. Réessayez dans quelques minutes.",
                         title="Service indisponible") from None
        return page(request, "skills/list.html", status=400,
                    error="Cette page de résultats n’existe pas.", items=[], total=0,
                    filters={}, values=_shown(request.rel_url.query), **labels())
    chosen = query.facets
    filters = {
        "type": _options("type", TYPE_SHORT, result.facets.get("type", []),
                         chosen.get("type", ())),
        "skill": _options("skill", SKILLS, result.facets.get("skill", []),
                          chosen.get("skill", ())),
        "quartier": _options("quartier", {}, result.facets.get("quartier", []),
                             chosen.get("quartier", ())),
        "mode": _options("mode", MODES, result.facets.get("mode", []),
                         chosen.get("mode", ())),
    }
    more = None
    if result.next:
        kept = [(k, v) for k, v in request.rel_url.query.items() if k != "suite"]
        more = "/competences?" + urlencode([*kept, ("suite", result.next)])
    return page(request, "skills/list.html", items=result.items, total=result.total,
                filters=filters, values=_shown(request.rel_url.query), more=more,
                searching=bool(query.q or query.facets or query.start or query.end
                               or query.owner),
                **labels())


def _fields(query: BoardQuery) -> dict[str, Any]:
    return {k: getattr(query, k) for k in BoardQuery.__dataclass_fields__}


# -- one post -----------------------------------------------------------------------------------

async def _post(request: web.Request) -> Post:
    post = await store(request).get(request.match_info["id"])
    if post is None:
        raise refuse(request, 404, "not_found", "Cette annonce n’existe pas (ou plus).",
                     title="Annonce introuvable", back=BACK)
    return post


async def _writable(request: web.Request) -> tuple[Post, Session]:
    session = signed_in(request)
    post = await _post(request)
    if not await may_write(site(request).ready(), session.person, post.owner, post.type):
        raise refuse(request, 403, "forbidden", "Seuls les membres de l’association (ou "
                     "l’auteur du profil) peuvent modifier cette annonce.",
                     title="Accès réservé", back=(f"/competences/{post.key}",
                                                  "Retour à l’annonce"))
    return post, session


async def matches(request: web.Request, post: Post) -> list[dict[str, Any]]:
    """The open posts that answer ``post`` (offers for a need, projects for a student...)
    sharing one of its skills: a board query."""
    if not post.open or not post.skills:
        return []
    query = BoardQuery(kind="skill", facets={"type": MATCHES[post.type],
                                             "skill": post.skills},
                       sort=BoardSort.RECENT, limit=MATCH_LIMIT)
    try:
        found = await board(request.app).search(query)
    except ApiError:  # the search is down: the post is still shown
        return []
    return [d for d in found.items if d.get("id") != post.key]


async def post_page(request: web.Request, *, errors: dict[str, str] | None = None,
                    status: int = 200, sent: dict[str, Any] | None = None) -> web.Response:
    post = await _post(request)
    person = person_of(request)
    writes = await may_write(site(request).ready(), person, post.owner, post.type)
    reachable = bool(await store(request).recipients(post)) if post.open else False
    return page(request, "skills/post.html", status=status, post=post, writes=writes,
                reachable=reachable,
                mine=person is not None and person.id == post.author,
                matches=await matches(request, post), errors=errors or {},
                sent=sent or {}, notice=NOTICES.get(request.query.get("fait", ""), ""),
                **labels())


# -- writing ------------------------------------------------------------------------------------

async def _associations_of(request: web.Request, session: Session) -> list[Any]:
    associations = Associations(site(request).ready())
    found = []
    for membership in await associations.memberships_of(session.person.id):
        association = await associations.get(membership.association)
        if membership.active and association is not None and association.active:
            found.append(association)
    return found


def _kind(request: web.Request, form: Any = None) -> str:
    kind = str((form or {}).get("type") or request.query.get("type") or "")
    return kind if kind in TYPES else ""


def _form_values(post: Post | None) -> dict[str, Any]:
    if post is None:
        return {"skills": [], "modes": [], "project_kinds": []}
    return {**post.to_record(), "keywords": ", ".join(post.keywords)}


def _day(value: Any) -> str:
    """``value`` if it is a date (YYYY-MM-DD), else empty: a date field shows no other."""
    try:
        return date.fromisoformat(value).isoformat() if isinstance(value, str) else ""
    except ValueError:
        return ""


def _sent(form: Any) -> dict[str, Any]:
    return {**dict(form), **{k: form.getall(k, []) for k in ("skills", "modes",
                                                              "project_kinds")},
            "starts": _day(form.get("starts")), "ends": _day(form.get("ends"))}


def _shown(query: Any) -> dict[str, Any]:
    """The search's parameters as its form shows them again."""
    return {**dict(query), "du": _day(query.get("du")), "au": _day(query.get("au"))}


async def new_form(request: web.Request) -> web.Response:
    session = signed_in(request)
    kind = _kind(request)
    mine = await _associations_of(request, session)
    profile = await store(request).profile(session.person.id)
    return page(request, "skills/form.html", kind=kind, values=_form_values(None),
                errors={}, creating=True, associations=mine, profile=profile, **labels())


async def create(request: web.Request) -> web.Response:
    session = signed_in(request)
    form = await checked_form(request)
    await limit(request, "LIMIT_ACCOUNT_CLIENT", client(request))
    kind = _kind(request, form)
    mine = await _associations_of(request, session)
    stores = site(request).ready()
    association = None
    errors: dict[str, str] = {}
    if not kind:
        errors["type"] = "Choisissez ce que vous publiez."
    elif kind in ASSOCIATION_TYPES:
        aid = str(form.get("association") or "")
        association = next((a for a in mine if a.id == aid), None)
        if association is None and session.person.operator and aid:
            association = await Associations(stores).get(aid)
        if association is None:
            errors["association"] = "Choisissez une association dont vous êtes membre."
    try:
        values = post_values(form, kind or STUDENT)
    except InvalidInput as exc:
        errors = {**errors, **exc.errors}
    if not errors:
        place = None
        if association is not None:
            placed = await request.app[DIRECTORY].get(association.id) or {}
            place = {k: str(placed[k]) for k in ("quartier", "commune") if placed.get(k)}
        try:
            post = await store(request).create(kind, values, author=session.person,
                                                association=association, place=place)
        except Conflict:
            errors["type"] = "Vous avez déjà un profil d’étudiant·e\u00a0: modifiez-le."
        else:
            raise redirect(f"/competences/{post.key}?fait=cree")
    return page(request, "skills/form.html", status=422, kind=kind, values=_sent(form),
                errors=errors, creating=True, associations=mine,
                profile=await store(request).profile(session.person.id), **labels())


async def edit_form(request: web.Request) -> web.Response:
    post, _ = await _writable(request)
    return page(request, "skills/form.html", kind=post.type, post=post,
                values=_form_values(post), errors={}, creating=False, **labels())


async def edit(request: web.Request) -> web.Response:
    post, session = await _writable(request)
    form = await checked_form(request)
    try:
        values = post_values(form, post.type)
    except InvalidInput as exc:
        return page(request, "skills/form.html", status=422, kind=post.type, post=post,
                    values=_sent(form), errors=exc.errors, creating=False, **labels())
    await store(request).edit(post, values, actor=session.person.id)
    raise redirect(f"/competences/{post.key}?fait=modifie")


async def change_state(request: web.Request) -> web.Response:
    post, session = await _writable(request)
    form = await checked_form(request)
    try:
        state = state_value(form)
    except InvalidInput as exc:
        return await post_page(request, errors=exc.errors, status=422)
    await store(request).set_state(post, state, actor=session.person.id)
    raise redirect(f"/competences/{post.key}?fait=etat")


async def contact(request: web.Request) -> web.Response:
    session = signed_in(request)
    form = await checked_form(request)
    post = await _post(request)
    if not post.open:
        raise refuse(request, 409, "closed", "Cette annonce est close\u00a0: on ne peut "
                     "plus y répondre.", back=(f"/competences/{post.key}",
                                               "Retour à l’annonce"))
    try:
        text, share = message_values(form)
    except InvalidInput as exc:
        return await post_page(request, errors=exc.errors, status=422, sent=dict(form))
    skills = store(request)
    recipients = await skills.recipients(post)
    if not recipients or session.person.id in {r.id for r in recipients}:
        raise refuse(request, 409, "no_recipient", "Personne ne peut recevoir de message "
                     "pour cette annonce." if not recipients else
                     "C’est votre propre annonce.",
                     back=(f"/competences/{post.key}", "Retour à l’annonce"))
    await limit(request, CONTACT_LIMIT, session.person.id,
                "Vous avez envoyé beaucoup de messages aujourd’hui.")
    await skills.record_message(session.person, post, text, share)
    state = site(request)
    url = f"{base_url(request)}/competences/{post.key}"
    reply = (f"Pour lui répondre, écrivez à : {session.person.email}" if share else
             "Cette personne n’a pas souhaité donner son adresse : vous ne pouvez pas lui "
             "répondre directement. Si vous le souhaitez, publiez une réponse sur Maillage.")
    # the name the person gave, never a part of their address (they did not agree to it)
    sender = session.person.name or "Une personne inscrite sur Maillage"
    body = (f"Bonjour,\n\n{sender} a lu votre annonce « {post.title} » sur "
            f"Maillage et vous écrit :\n\n{text}\n\n{reply}\n\nL’annonce : {url}\n\n"
            "Votre adresse n’a pas été communiquée : c’est vous qui choisissez de répondre.\n")
    for person in recipients:
        state.mail.put(Letter(state.settings.mail_from, person.email,
                              f"Maillage — réponse à « {post.title[:60]} »", body))
    raise redirect(f"/competences/{post.key}?fait=envoye")


# -- the account page's section ------------------------------------------------------------------

async def account_section(request: web.Request, session: Session
                          ) -> tuple[str, dict[str, Any]]:
    skills = store(request)
    profile = await skills.profile(session.person.id)
    posts = []
    for association in await _associations_of(request, session):
        posts += await skills.of_owner(association.id)
    return "skills/_account.html", {"profile": profile, "posts": posts,
                                    "type_labels": TYPE_LABELS, "state_labels": STATES}


def add_routes(app: web.Application) -> None:
    app.router.add_get("/competences", list_page)
    app.router.add_get("/competences/nouveau", new_form)
    app.router.add_post("/competences/nouveau", create)
    app.router.add_get("/competences/{id}", post_page)
    app.router.add_get("/competences/{id}/modifier", edit_form)
    app.router.add_post("/competences/{id}/modifier", edit)
    app.router.add_post("/competences/{id}/etat", change_state)
    app.router.add_post("/competences/{id}/contact", contact)
