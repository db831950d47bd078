"""The operators' review queue of uncertain links, and the site's linking loop.

    GET  /operateurs/liens, POST    the organizers and sources whose association is uncertain:
                                    an operator picks the right one, or none

:func:`setup` mounts the page and runs :func:`linking_loop` while the site runs: once the
store of record is reachable, the organizers of the search store's upcoming events and the
registry's sources are linked (:func:`services.associations.links.refresh_all`) when they
change, and every :data:`~services.associations.links.REFRESH_S` seconds anyway (new
associations, new names).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from services.accounts.web import SITE, checked_form, page, redirect, refuse, signed_in, site
from services.associations import links
from services.associations.linking import REASONS_FR
from services.associations.storage import Associations
from services.query.context import STORE
from shared.records import NotFound

log = logging.getLogger(__name__)

ACTOR = "linker"
#: Seconds between two looks at whether the organizers or sources changed.
CHECK_S = 20.0


def reason_text(reason: str) -> str:
    return " + ".join(REASONS_FR.get(r, r) for r in reason.split("+"))


async def _operator(request: web.Request) -> Any:
    session = signed_in(request)
    if not session.person.operator:
        raise refuse(request, 403, "forbidden", "Page réservée aux opérateurs.",
                     title="Accès réservé")
    return session


async def review_page(request: web.Request) -> web.Response:
    await _operator(request)
    stores = site(request).ready()
    waiting = await links.review_queue(stores.records)
    names = {a.id: a.name for a in await Associations(stores).all()}
    rows = [{"id": r["id"], "label": r.get("label") or r.get("value"),
             "kind": r.get("kind"),
             "parts": [{"part": p.get("part", ""),
                        "candidates": [{**c, "name": names.get(c["association"],
                                                               c["association"]),
                                        "why": reason_text(c["reason"])}
                                       for c in p.get("candidates") or ()]}
                       for p in links.pending(r)]}
            for r in waiting]
    return page(request, "associations/links_review.html", rows=rows,
                done=request.query.get("fait") == "1")


async def review_decide(request: web.Request) -> web.Response:
    session = await _operator(request)
    form = await checked_form(request)
    stores = site(request).ready()
    choice = str(form.get("association", ""))
    if choice == "autre":
        choice = str(form.get("autre", "")).strip().rstrip("/").rpartition("/")[2]
        if not choice:
            raise refuse(request, 422, "invalid_body", "Indiquez l’identifiant de l’autre "
                         "association.")
    if choice and await Associations(stores).get(choice) is None:
        raise refuse(request, 422, "invalid_body", "Cette association n’existe pas.")
    try:
        await links.decide(stores.records, str(form.get("link", "")), str(form.get("part", "")),
                           choice, actor=session.person.id)
    except NotFound:
        raise refuse(request, 409, "conflict", "Ce lien n’existe plus ou a changé : "
                     "rechargez la page.") from None
    raise redirect("/operateurs/liens?fait=1")


async def linking_loop(app: web.Application, every_s: float = links.REFRESH_S,
                       check_s: float = CHECK_S) -> None:
    state = app[SITE]
    last_fingerprint = ""
    since = every_s
    contexts: dict[str, tuple[str, ...]] = {}
    while True:
        stores = state.stores
        if stores is not None:
            try:
                sources = await links.registry_sources(stores.bus)
                names = await links.organizers(app[STORE])
                fingerprint = hashlib.sha256(repr((names, [
                    (s.id, s.url, s.organizer) for s in sources])).encode()).hexdigest()
                if fingerprint != last_fingerprint or since >= every_s:
                    if since >= every_s:
                        contexts.clear()  # the events' URLs read again now and then
                    named = await links.named_in(app[STORE], sources, names=names,
                                                 contexts=contexts)
                    await links.refresh(stores.records, named, actor=ACTOR)
                    last_fingerprint, since = fingerprint, 0.0
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("linking organizers to associations failed")
        await asyncio.sleep(check_s)
        since += check_s


def setup(app: web.Application) -> None:
    app.router.add_get("/operateurs/liens", review_page)
    app.router.add_post("/operateurs/liens", review_decide)

    async def run(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(linking_loop(app))
        yield
        task.cancel()
        await asyncio.wait({task}, timeout=5)

    app.cleanup_ctx.append(run)
