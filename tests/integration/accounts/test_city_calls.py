"""A city agent publishes a call for projects with the site's form: the same message on the
same CALLS subject as a pushed call, after the same validation; nobody else can."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from nats.js.errors import NotFoundError

from services.accounts.web import SITE
from shared.bus import Bus
from shared.calls import CallMessage

from .conftest import Site

pytestmark = pytest.mark.integration
DEADLINE = f"{date.today() + timedelta(days=30):%Y-%m-%d}T12:00"


async def last_call(bus: Bus) -> CallMessage | None:
    try:
        msg = await bus.js.get_last_msg("CALLS", "maillage.calls.ville-rennes")
    except NotFoundError:
        return None
    return CallMessage.from_dict(json.loads(msg.data))


async def agent(site: Site, browser, address: str = "agent@ville.example"):  # type: ignore[no-untyped-def]
    await site.app[SITE].ready().people.set_role(address, "city_agent", True, actor="cli")
    b = await browser()
    await b.sign_in(site, address)
    return b


async def test_a_city_agent_publishes_a_call_like_a_push(site: Site, browser, bus: Bus) -> None:
    b = await agent(site, browser)
    resp = await b.post("/appels/publier", {
        "title": "Fonds pour les initiatives de quartier", "funder": "Ville de Rennes",
        "deadline": DEADLINE, "description": "Pour les projets des associations.",
        "application_url": "https://metropole.rennes.fr/fiq", "joint": "oui"},
        token_from="/appels/publier", follow=False)
    assert resp.status == 303, await resp.text()
    message = await last_call(bus)
    assert message is not None and message.call is not None
    call = message.call
    assert (call.title, call.publisher, call.joint_welcome, call.origin) == (
        "Fonds pour les initiatives de quartier", "ville-rennes", True, "push")
    assert call.deadline.isoformat().startswith(DEADLINE)
    status, html = await b.get(resp.headers["Location"])
    assert status == 200 and f'href="/appels/{call.id}"' in html and "L’appel est publié" in html


async def test_the_form_refuses_in_french_and_publishes_nothing(
        site: Site, browser, bus: Bus) -> None:
    b = await agent(site, browser)
    resp = await b.post("/appels/publier", {"title": "", "funder": "Ville de Rennes",
                                            "deadline": DEADLINE,
                                            "application_url": "pas une adresse"},
                        token_from="/appels/publier")
    text = await resp.text()
    assert resp.status == 422
    assert "Ce champ est obligatoire." in text and "adresse web complète" in text
    resp = await b.post("/appels/publier", {"title": "Sans jeton", "funder": "Ville",
                                            "deadline": DEADLINE})
    assert resp.status == 403
    assert await last_call(bus) is None


async def test_only_city_agents_see_the_form(site: Site, browser) -> None:
    b = await browser()
    await b.sign_in(site, "anne@exemple.fr")
    status, _ = await b.get("/appels/publier")
    assert status == 403
    anonymous = await browser()
    status, _ = await anonymous.get("/appels/publier", allow_redirects=False)
    assert status == 303
