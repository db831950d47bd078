""""Signaler une erreur": a visitor tells the operators that an event's page is wrong.

``GET /evenement/{id}/signaler`` is the form (what is wrong, a message, an address for an
answer if they want one); ``POST`` checks it (CSRF and origin as every form of the site,
:mod:`services.accounts.web`), counts it against the shared limit ``LIMIT_REPORT_CLIENT``
(:data:`shared.bus.LIMITS`: a few reports an hour per client, for every replica) and writes a
``report`` record to the store of record (``maillage.rec.report.<person>.<id>``, the person
being ``visiteur`` when nobody is signed in; see
docs/decisions/0001-store-of-record.md): the operators' queue, ``/operateurs/signalements``,
lists the open ones and marks them handled (the record's history says who and when).

The reply address is private: only operators see it, it never reaches a search store, and it
is kept only while the report is open: handling it erases the address from the record and its
history (:meth:`shared.records.Records.forget`).
A person who erases their account erases their reports with it (an erasure hook of
:mod:`services.accounts`), and their data export lists them.
"""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

from services.accounts.storage import Stores
from services.accounts.web import (
    SITE,
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
from services.query.context import STORE
from shared.records import NotFound, now_iso

REPORT = "report"
VISITOR = "visiteur"  # the owner of reports sent by nobody signed in
OPEN, DONE = "open", "done"
KINDS = {
    "date": "La date ou l’heure",
    "lieu": "Le lieu",
    "annule": "L’événement est annulé ou reporté",
    "description": "La description ou le tarif",
    "doublon": "L’événement apparaît deux fois",
    "autre": "Autre chose",
}
#: Fields of a report kept only while it is open (erased with their history once handled).
PRIVATE = frozenset({"contact"})
MAX_MESSAGE = 2000
MAX_CONTACT = 254


def validate(form: Any) -> tuple[dict[str, str], dict[str, str]]:
    """The report's fields, and the errors (French) keyed by field."""
    kind = str(form.get("nature", ""))
    message = str(form.get("message", "")).strip()
    contact = str(form.get("contact", "")).strip()
    errors = {}
    if kind not in KINDS:
        errors["nature"] = "Choisissez ce qui est inexact."
    if not message:
        errors["message"] = "Décrivez l’erreur en quelques mots."
    elif len(message) > MAX_MESSAGE:
        errors["message"] = f"Le message est trop long ({MAX_MESSAGE} caractères au plus)."
    if contact and ("@" not in contact or len(contact) > MAX_CONTACT or " " in contact):
        errors["contact"] = "Cette adresse électronique n’est pas valide (ou laissez vide)."
    return {"kind": kind, "message": message[:MAX_MESSAGE], "contact": contact}, errors


async def event_or_404(request: web.Request) -> dict[str, Any]:
    doc = await request.app[STORE].get(request.match_info["id"])
    if doc is None:
        raise refuse(request, 404, "event_not_found", "Cet événement n’existe pas ou plus.",
                     title="Événement introuvable")
    return doc


async def report_form(request: web.Request) -> web.Response:
    doc = await event_or_404(request)
    return page(request, "signaler.html", item=doc, kinds=KINDS, errors={}, values={},
                sent=request.query.get("envoye") == "1")


async def report_send(request: web.Request) -> web.Response:
    doc = await event_or_404(request)
    form = await checked_form(request)
    values, errors = validate(form)
    if errors:
        return page(request, "signaler.html", status=422, item=doc, kinds=KINDS,
                    errors=errors, values=values, sent=False)
    await limit(request, "LIMIT_REPORT_CLIENT", client(request))
    person = person_of(request)
    report_id = secrets.token_hex(8)
    owner = person.id if person else VISITOR
    record = {"id": report_id, "owner": owner, "occurrence": doc["id"],
              "event_id": doc.get("event_id"), "title": doc.get("title") or "",
              "kind": values["kind"], "message": values["message"], "contact": values["contact"],
              "person": person.id if person else None, "at": now_iso(), "state": OPEN}
    records = site(request).ready().records
    await records.create(records.subject(REPORT, owner, report_id), record,
                         actor=person.id if person else "visitor", reason="error report")
    raise redirect(f"/evenement/{doc['id']}/signaler?envoye=1")


def operator(request: web.Request) -> str:
    session = signed_in(request)
    if not session.person.operator:
        raise refuse(request, 403, "forbidden", "Page réservée aux opérateurs.",
                     title="Accès réservé")
    return session.person.id


async def queue_page(request: web.Request) -> web.Response:
    operator(request)
    records = site(request).ready().records
    entries = await records.latest(records.subject(REPORT) + ".>")
    waiting = sorted((e.record for e in entries if e.record and e.record.get("state") == OPEN),
                     key=lambda r: r.get("at", ""))
    return page(request, "operateurs_signalements.html", reports=waiting, kinds=KINDS)


async def queue_handle(request: web.Request) -> web.Response:
    actor = operator(request)
    form = await checked_form(request)
    records = site(request).ready().records
    owner, _, report_id = str(form.get("signalement", "")).partition(".")
    subject = records.subject(REPORT, owner, report_id)

    def handled(record: dict[str, Any]) -> dict[str, Any]:
        if record.get("state") != OPEN:
            raise NotFound(subject)
        return {**record, "state": DONE, "contact": ""}

    try:  # the reply address was for this report only: it goes, history included
        await records.forget(subject, handled, PRIVATE, actor=actor, reason="report handled")
    except NotFound:
        raise refuse(request, 409, "conflict", "Ce signalement a déjà été traité.") from None
    raise redirect("/operateurs/signalements")


async def erase_reports(stores: Stores, pid: str) -> None:
    """Erasure hook: the person's reports go, history included."""
    await stores.records.purge(f"{stores.records.subject(REPORT, pid)}.*")


async def export_reports(stores: Stores, pid: str) -> dict[str, Any]:
    entries = await stores.records.latest(f"{stores.records.subject(REPORT, pid)}.*")
    return {"reports": [e.record for e in entries if e.record]}


async def register_hooks(app: web.Application) -> None:
    """The accounts domain is mounted after the web pages: its hooks are reached at start."""
    hooks = app[SITE].hooks
    hooks.erasers.append(erase_reports)
    hooks.exporters.append(export_reports)


def setup_report(app: web.Application) -> None:
    app.on_startup.append(register_hooks)
    app.router.add_get("/evenement/{id}/signaler", report_form)
    app.router.add_post("/evenement/{id}/signaler", report_send)
    app.router.add_get("/operateurs/signalements", queue_page)
    app.router.add_post("/operateurs/signalements", queue_handle)
