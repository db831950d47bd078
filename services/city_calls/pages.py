"""The form of a city agent's call for projects (see the package's documentation).

The form's fields are those of a pushed call, in French; what the push validation refuses
comes back beside its field, in French. A call published again with the same title on the
same deadline updates it (its id is made from both).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from multidict import MultiDictProxy

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
from services.associations.validate import slug
from services.ingest.validate import ValidationFailed, parse_calls
from shared.calls import CallMessage, calls_subject
from shared.model import now_version

log = logging.getLogger(__name__)

TZ = "Europe/Paris"
FIELDS = ("title", "funder", "deadline", "opens", "description", "application_url")
#: French for the push validation's reasons (the rest: a generic sentence).
REASONS_FR = {
    "is required": "Ce champ est obligatoire.",
    "must not be empty": "Ce champ est obligatoire.",
    "must be an absolute http or https URL": "Indiquez une adresse web complète "
                                             "(https://…).",
    "must be before the deadline": "L’ouverture doit précéder la date limite.",
}


def _agent(request: web.Request) -> Session:
    session = signed_in(request)
    if not session.person.city_agent:
        raise refuse(request, 403, "forbidden", "Seuls les agents de la Ville publient des "
                     "appels à projets ici.", title="Accès réservé")
    return session


def _moment(text: str) -> str | None:
    """A ``datetime-local`` value (``2026-12-31T12:00``) as an ISO time in Europe/Paris."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=ZoneInfo(TZ)).isoformat()


def call_data(form: MultiDictProxy[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The push body of the form, and the errors found before the push validation."""
    values = {k: str(form.get(k, "")).strip() for k in FIELDS}
    errors: dict[str, str] = {}
    data: dict[str, Any] = {"title": values["title"], "funder": values["funder"],
                            "timezone": TZ, "joint_applications": form.get("joint") == "oui"}
    for key in ("deadline", "opens"):
        if values[key]:
            moment = _moment(values[key])
            if moment is None:
                errors[key] = "Indiquez une date et une heure."
            data[key] = moment
    for key in ("description", "application_url"):
        if values[key]:
            data[key] = values[key]
    deadline = values["deadline"][:10]
    data["id"] = f"{deadline or 'sans-date'}-{slug(values['title'] or 'appel')}"
    return data, errors


async def form_page(request: web.Request, *, values: dict[str, Any] | None = None,
                    errors: dict[str, str] | None = None, status: int = 200) -> web.Response:
    _agent(request)
    published = request.query.get("publie", "")
    return page(request, "city_calls/form.html", status=status,
                values=values or {"funder": "Ville de Rennes"}, errors=errors or {},
                published=published if re.fullmatch(r"[\w-]{1,80}", published, re.ASCII) else "")


async def publish(request: web.Request) -> web.Response:
    session = _agent(request)
    form = await checked_form(request)
    await limit(request, "LIMIT_ACCOUNT_CLIENT", client(request))
    publisher = site(request).settings.city_publisher
    data, errors = call_data(form)
    calls = []
    try:
        calls = parse_calls(data, publisher)
    except ValidationFailed as exc:
        for error in exc.errors:
            field = error["path"].split(".")[0].split("[")[0]
            errors.setdefault(field if field in FIELDS else "title",
                              REASONS_FR.get(error["reason"], "Valeur refusée\u00a0: "
                                             + error["reason"]))
    if errors:
        return await form_page(request, values=dict(form), errors=errors, status=422)
    (call,) = calls
    message = CallMessage.upsert(call, now_version())
    bus = site(request).ready().bus
    await bus.publish(calls_subject(publisher), message.to_json(),
                      msg_id=f"form.{publisher}.{call.publisher_id}.{message.version}")
    log.info("call published from the form", extra={"call_id": call.id,
                                                     "actor": session.person.id})
    raise redirect(f"/appels/publier?publie={call.id}")  # on its page once indexed


def add_routes(app: web.Application) -> None:
    app.router.add_get("/appels/publier", form_page)
    app.router.add_post("/appels/publier", publish)
