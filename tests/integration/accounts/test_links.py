"""Organizers of indexed events linked to associations, as records; the uncertain ones wait in
the operators' review queue (the page, and its decision that the next refresh keeps)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from services.accounts.web import SITE
from services.associations import links
from services.associations.links_pages import linking_loop
from services.query.context import STORE
from shared.model import Event, EventMessage, Occurrence

from .conftest import CSRF, Site
from .test_associations import operator

pytestmark = pytest.mark.integration

ORGANIZERS = {
    "Roazhon Vélo Solidaire": "declared",         # the demo association's own name
    "LES JARDINS PARTAGÉS DU BLOSNE": "name",     # its name, written otherwise
    "Roazhon Velo Solidair": "review",           # a typo: an operator decides
    "Ville de Rennes": None,                     # no association
}


async def index_events(site: Site) -> None:
    start = datetime.now(UTC) + timedelta(days=3)
    messages = [EventMessage.upsert(Event.create(
        source_id="test", source_uid=f"e{i}", title=f"Atelier {i}", organizer=organizer,
        url=f"https://example.org/e{i}", occurrences=(Occurrence(start=start),)), 1)
        for i, organizer in enumerate(ORGANIZERS)]
    await site.app[STORE].apply(messages)


async def wait_for(check):  # type: ignore[no-untyped-def]
    """What ``check()`` returns once it is something (a bounded wait, not a timing test)."""
    deadline = asyncio.get_running_loop().time() + 10
    while not (found := await check()):
        assert asyncio.get_running_loop().time() < deadline, "not reached in time"
        await asyncio.sleep(0.05)
    return found


async def test_organizers_are_linked_and_uncertain_ones_reviewed(site: Site, browser) -> None:
    await index_events(site)
    records = site.app[SITE].ready().records
    loop = asyncio.create_task(linking_loop(site.app, check_s=0.05))
    try:
        found = await wait_for(lambda: _all_named(records))
    finally:
        loop.cancel()
    by_value = {r["value"]: r for r in found}
    assert set(by_value) == {o for o, why in ORGANIZERS.items() if why}  # none for the city
    velo = links.effective(by_value["Roazhon Vélo Solidaire"])
    assert [(e["association"], e["reason"].split("+")[0]) for e in velo] == [
        ("velo-solidaire", "declared")]
    jardins = links.effective(by_value["LES JARDINS PARTAGÉS DU BLOSNE"])
    assert [e["association"] for e in jardins] == ["jardins-blosne"]
    typo = by_value["Roazhon Velo Solidair"]
    assert links.effective(typo) == [] and links.pending(typo)[0]["association"] == (
        "velo-solidaire")

    # a second refresh with nothing new writes nothing
    named = await links.named_in(site.app[STORE])
    again = await links.refresh(records, named, actor="test")
    assert again.written == 0 and again.seen == 4

    # the queue: operators only
    anonymous = await browser()
    status, _ = await anonymous.get("/operateurs/liens", allow_redirects=False)
    assert status == 303
    ops = await operator(site, browser)
    assert 'href="/operateurs/liens"' in (await ops.get("/compte"))[1]  # found from the account
    status, html = await ops.get("/operateurs/liens")
    assert status == 200 and "Roazhon Velo Solidair" in html and "nom proche" in html
    assert "LES JARDINS" not in html  # linked for sure: not asked
    token = CSRF.search(html)
    assert token
    resp = await ops.post("/operateurs/liens", {
        "csrf": token.group(1), "link": typo["id"], "part": "Roazhon Velo Solidair",
        "association": "velo-solidaire"})
    assert resp.status == 200 and "Votre décision est enregistrée" in await resp.text()
    assert "Roazhon Velo Solidair" not in (await ops.get("/operateurs/liens"))[1]

    # the decision stands when the linker runs again, and is in the record's history
    await links.refresh(records, named, actor="test")
    decided = await records.get(links.subject(records, typo["id"]))
    assert decided is not None
    assert links.effective(decided.record) == [{"association": "velo-solidaire",
                                                "confidence": 1.0, "reason": "operator",
                                                "part": "Roazhon Velo Solidair"}]
    history = await records.history(links.subject(records, typo["id"]))
    assert [e.reason for e in history] == ["linked", "decided"]


async def test_a_decision_names_an_existing_association(site: Site, browser) -> None:
    await index_events(site)
    records = site.app[SITE].ready().records
    await links.refresh(records, await links.named_in(site.app[STORE]), actor="test")
    ops = await operator(site, browser)
    waiting = await links.review_queue(records)
    resp = await ops.post("/operateurs/liens", {
        "link": waiting[0]["id"], "part": "Roazhon Velo Solidair", "association": "nope"},
        token_from="/operateurs/liens")
    assert resp.status == 422
    resp = await ops.post("/operateurs/liens", {
        "link": "o-unknown", "part": "x", "association": ""}, token_from="/operateurs/liens")
    assert resp.status == 409
    resp = await ops.post("/operateurs/liens", {
        "link": waiting[0]["id"], "part": "Roazhon Velo Solidair", "association": "autre",
        "autre": ""}, token_from="/operateurs/liens")
    assert resp.status == 422 and "Indiquez l’identifiant" in await resp.text()
    resp = await ops.post("/operateurs/liens", {  # another one, pasted as its page's address
        "link": waiting[0]["id"], "part": "Roazhon Velo Solidair", "association": "autre",
        "autre": f"{site.url}/associations/jardins-blosne"}, token_from="/operateurs/liens")
    assert resp.status == 200
    decided = await records.get(links.subject(records, waiting[0]["id"]))
    assert decided is not None and decided.record["decisions"] == {
        "Roazhon Velo Solidair": "jardins-blosne"}


async def _all_named(records):  # type: ignore[no-untyped-def]
    found = await links.all_links(records)
    return found if len(found) == 3 else None
