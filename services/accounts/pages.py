"""The French pages of accounts.

    GET  /connexion               ask for a sign-in link (e-mail address)
    POST /connexion               send it; the same answer whether the address is known or not
    GET  /connexion/lien?jeton=   the link of the mail: a button that signs in (a GET never
                                  uses the link up, so mail scanners that open links do not)
    POST /connexion/lien          use the link once: the account is created on first use
    POST /deconnexion             sign out
    GET  /compte, POST /compte    the account: name, roles, what other domains show there
    GET  /compte/export           everything kept about the person, as JSON
    GET  /compte/supprimer, POST  erase the account
    GET  /demo/courrier           the outbox of the demo (only when MAILLAGE_DEMO is on)
"""

from __future__ import annotations

import json
import re
from email.utils import parsedate_to_datetime
from typing import Any

from aiohttp import hdrs, web

from services.accounts.mail import Letter
from services.accounts.model import ROLE_LABELS
from services.accounts.validate import display_name, email_address, local_path
from services.accounts.web import (
    SESSION,
    SESSION_COOKIE,
    checked_form,
    clear_cookie,
    client,
    current,
    limit,
    page,
    page_once,
    redirect,
    refuse,
    refuse_if_remembered,
    set_cookie,
    signed_in,
    site,
)
from services.query.context import SETTINGS
from services.query.web.calls import french_date
from shared.errors import InvalidInput

LINK = re.compile(r"https?://[^\s<>\"]+")
#: Why the per-address limit refuses: the links already sent still work (the limit's window
#: is no longer than a link lives), so nobody is locked out by requests in their name.
ADDRESS_LIMITED = ("Plusieurs liens de connexion ont été envoyés à cette adresse ces "
                   "dernières minutes\u00a0: ils restent valables, utilisez le plus récent.")


def mail_base(request: web.Request) -> str:
    """The base of links in mails: the configured public URL, else the address this service
    listens on. Never the request's Host header, which whoever asks for a link chooses."""
    settings = request.app[SETTINGS]
    if settings.public_url:
        return str(settings.public_url).rstrip("/")
    host = settings.http_host if settings.http_host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    return f"http://{host}:{settings.http_port}"


def signin_text(link: str, minutes: int) -> str:
    return (
        "Bonjour,\n\n"
        f"Pour vous connecter à Maillage, ouvrez ce lien (valable {minutes}\u00a0minutes, "
        "une seule fois) :\n\n"
        f"{link}\n\n"
        "Si vous n’avez rien demandé, ignorez ce message : personne ne peut se connecter "
        "à votre place sans ce lien.\n\n"
        "— Maillage, l’agenda partagé des associations de Rennes\n"
    )


async def signin_form(request: web.Request) -> web.Response:
    if current(request) is not None:
        raise redirect(local_path(request.query.get("suite", "/compte")))
    return page(request, "accounts/signin.html", email="",
                next=local_path(request.query.get("suite", "/compte")), errors={})


async def signin_request(request: web.Request) -> web.Response:
    async with site(request).gate:  # a burst goes through a few at a time: searches go on
        # a client already past its limit is refused before its form is even read
        who = client(request)  # worked out once (X-Forwarded-For read against the proxies)
        refuse_if_remembered(request, "LIMIT_ACCOUNT_CLIENT", who)
        return await _signin_request(request, who)


async def _signin_request(request: web.Request, who: str) -> web.Response:
    form = await checked_form(request)
    next_path = local_path(form.get("suite", "/compte"))
    await limit(request, "LIMIT_ACCOUNT_CLIENT", who)
    try:
        email = email_address(form.get("email"), demo=site(request).settings.demo)
    except InvalidInput as exc:
        return page(request, "accounts/signin.html", status=422, errors=exc.errors,
                    email=str(form.get("email", ""))[:254], next=next_path)
    await limit(request, "LIMIT_SIGNIN_ADDRESS", email, ADDRESS_LIMITED)
    state = site(request)
    token = await state.links.issue(email, next_path)
    link = f"{mail_base(request)}/connexion/lien?jeton={token}"
    minutes = state.settings.signin_minutes
    state.mail.put(Letter(state.settings.mail_from, email,
                          "Votre lien de connexion à Maillage", signin_text(link, minutes)))
    # Known or not, the same page at once: nothing was looked up, the mail leaves later.
    return page_once(request, "accounts/signin_sent.html", slot="email", text=email,
                     minutes=minutes, demo=state.settings.demo)


async def link_page(request: web.Request) -> web.Response:
    token = request.query.get("jeton", "")
    if await site(request).links.peek(token) is None:
        return page(request, "accounts/link_invalid.html", status=410)
    return page(request, "accounts/link.html", token=token)


async def link_use(request: web.Request) -> web.Response:
    form = await checked_form(request)
    state = site(request)
    content = await state.links.redeem(str(form.get("jeton", "")))
    if content is None:
        return page(request, "accounts/link_invalid.html", status=410)
    stores = state.ready()
    person = await stores.people.find_or_create(content["email"])
    old = current(request)
    if old is not None:
        await state.sessions.close(old)
    cookie = await state.sessions.open(person)
    response = web.HTTPSeeOther(local_path(content.get("next")))
    set_cookie(request, response, SESSION_COOKIE, cookie, state.settings.session_days * 86400)
    raise response


async def signout(request: web.Request) -> web.Response:
    await checked_form(request)
    session = current(request)
    if session is not None:
        await site(request).sessions.close(session)
    response = web.HTTPSeeOther("/")
    clear_cookie(request, response, SESSION_COOKIE)
    raise response


async def account(request: web.Request, *, errors: dict[str, str] | None = None,
                  notice: str = "", status: int = 200) -> web.Response:
    session = signed_in(request)
    sections = []
    for section in site(request).account_sections:
        sections.append(await section(request, session))
    return page(request, "accounts/account.html", status=status, errors=errors or {},
                notice=notice, sections=sections, role_labels=ROLE_LABELS,
                nav="compte")


async def account_update(request: web.Request) -> web.Response:
    session = signed_in(request)
    form = await checked_form(request)
    try:
        name = display_name(form.get("name"))
    except InvalidInput as exc:
        return await account(request, errors=exc.errors, status=422)
    person = await site(request).ready().people.rename(session.person.id, name)
    request[SESSION] = type(session)(person, session.key, session.secret)
    return await account(request, notice="Votre nom a été enregistré.")


async def export(request: web.Request) -> web.Response:
    session = signed_in(request)
    data = await site(request).ready().people.export(session.person.id)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return web.Response(text=body, content_type="application/json", headers={
        hdrs.CONTENT_DISPOSITION: 'attachment; filename="maillage-mes-donnees.json"',
        hdrs.CACHE_CONTROL: "private, no-store",
    })


async def erase_form(request: web.Request) -> web.Response:
    signed_in(request)
    return page(request, "accounts/erase.html", errors={}, nav="compte")


async def erase(request: web.Request) -> web.Response:
    session = signed_in(request)
    form = await checked_form(request)
    if form.get("confirmer") != "oui":
        return page(request, "accounts/erase.html", status=422, nav="compte", errors={
            "confirmer": "Cochez la case pour confirmer la suppression."})
    await site(request).ready().people.erase(session.person.id)
    request[SESSION] = None
    response = page(request, "accounts/erased.html")
    clear_cookie(request, response, SESSION_COOKIE)
    return response


async def outbox(request: web.Request) -> web.Response:
    state = site(request)
    if not state.settings.demo or state.outbox is None:
        raise web.HTTPNotFound()
    messages: list[dict[str, Any]] = await _read_outbox(state)
    for message in messages:
        message["links"] = LINK.findall(message["text"])
        try:
            message["date"] = french_date(parsedate_to_datetime(message["date"]).isoformat())
        except (TypeError, ValueError):
            pass
    return page(request, "accounts/outbox.html", messages=messages)


async def _read_outbox(state: Any) -> list[dict[str, Any]]:
    import asyncio

    messages: list[dict[str, Any]] = await asyncio.to_thread(state.outbox.read, 30)
    return messages


def add_routes(app: web.Application) -> None:
    app.router.add_get("/connexion", signin_form)
    app.router.add_post("/connexion", signin_request)
    app.router.add_get("/connexion/lien", link_page)
    app.router.add_post("/connexion/lien", link_use)
    app.router.add_post("/deconnexion", signout)
    app.router.add_get("/compte", account)
    app.router.add_post("/compte", account_update)
    app.router.add_get("/compte/export", export)
    app.router.add_get("/compte/supprimer", erase_form)
    app.router.add_post("/compte/supprimer", erase)
    app.router.add_get("/demo/courrier", outbox)


__all__ = ["add_routes", "mail_base", "refuse"]
