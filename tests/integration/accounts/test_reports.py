"""Error reports on events in the store of record: who sent them, their export and erasure
with the account, and the operators' queue (real nats-server, real SQLite, real HTTP)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from services.accounts import SITE
from services.accounts.storage import Stores
from shared.bus import Bus
from shared.model import Event, EventMessage, Occurrence, now_version
from shared.natsserver import NatsServer
from shared.store.sqlite import SqliteStore

from .conftest import Site, start_site

pytestmark = pytest.mark.integration


@pytest.fixture
async def event_site(tmp_path: Path, bus: Bus, nats_server: NatsServer
                     ) -> AsyncIterator[tuple[Site, str]]:
    from datetime import datetime

    from shared.model import PARIS

    start = datetime.now(PARIS).replace(microsecond=0) + timedelta(days=3)
    event = Event.create(source_id="chorale", source_uid="c1", title="Concert de la chorale",
                         occurrences=(Occurrence(start=start, end=start + timedelta(hours=2)),))
    store = SqliteStore(tmp_path / "index.sqlite")
    await store.apply([EventMessage.upsert(event, now_version())])
    doc_id = (await store.event_docs(event.id))[0]["id"]
    await store.close()
    running = await start_site(tmp_path / "site", bus, nats_server.url,
                               store_path=tmp_path / "index.sqlite")
    try:
        yield running, doc_id
    finally:
        await running.runner.cleanup()


async def test_reports_are_kept_per_person_exported_and_erased(
        event_site: tuple[Site, str], browser) -> None:  # type: ignore[no-untyped-def]
    site, doc_id = event_site
    path = f"/evenement/{doc_id}/signaler"
    anonymous = await browser(site.url)
    resp = await anonymous.post(path, {"nature": "date", "message": "C’est à 21 h."},
                                token_from=path)
    assert resp.status == 200 and resp.url.query.get("envoye") == "1"

    b = await browser(site.url)
    await b.sign_in(site, "anne@exemple.fr")
    resp = await b.post(path, {"nature": "lieu", "message": "Autre salle.",
                               "contact": "anne@exemple.fr"}, token_from=path)
    assert resp.status == 200
    records = site.app[SITE].ready().records
    sent = {e.record["owner"]: e.record for e in await records.latest(
        "maillage.rec.report.>")}
    assert sent["visiteur"]["kind"] == "date" and sent["visiteur"]["contact"] == ""
    pid = next(owner for owner in sent if owner != "visiteur")
    assert sent[pid]["contact"] == "anne@exemple.fr"

    async with b.session.get(site.url + "/compte/export") as response:
        exported = json.loads(await response.text())
    assert [r["message"] for r in exported["reports"]] == ["Autre salle."]
    resp = await b.post("/compte/supprimer", {"confirmer": "oui"},
                        token_from="/compte/supprimer")
    assert resp.status == 200
    left = await records.latest("maillage.rec.report.>")
    assert [e.record["owner"] for e in left] == ["visiteur"]  # hers went, history included
    assert await records.history(f"maillage.rec.report.{pid}.{sent[pid]['id']}") == []


async def test_the_operators_queue_lists_and_closes_reports(
        event_site: tuple[Site, str], browser, bus: Bus) -> None:  # type: ignore[no-untyped-def]
    site, doc_id = event_site
    path = f"/evenement/{doc_id}/signaler"
    visitor = await browser(site.url)
    await visitor.post(path, {"nature": "annule", "message": "Annulé, voir leur site."},
                       token_from=path)
    stores = await Stores.open(bus)
    await stores.people.set_role("ops@ville.example", "operator", True, actor="cli")
    ops = await browser(site.url)
    await ops.sign_in(site, "ops@ville.example")
    status, html = await ops.get("/operateurs/signalements")
    assert status == 200 and "Annulé, voir leur site." in html
    status, _ = await visitor.get("/operateurs/signalements", allow_redirects=False)
    assert status == 303  # not signed in
    (entry,) = await site.app[SITE].ready().records.latest("maillage.rec.report.>")
    key = f"visiteur.{entry.record['id']}"
    form = {"signalement": key, "csrf": await ops.token("/operateurs/signalements")}
    resp = await ops.post("/operateurs/signalements", form)
    assert resp.status == 200 and "Aucun signalement en attente." in await resp.text()
    resp = await ops.post("/operateurs/signalements", form)  # a second click, another tab
    assert resp.status == 409


async def test_handling_a_report_erases_its_reply_address_history_included(
        event_site: tuple[Site, str], browser, bus: Bus) -> None:  # type: ignore[no-untyped-def]
    site, doc_id = event_site
    path = f"/evenement/{doc_id}/signaler"
    visitor = await browser(site.url)
    await visitor.post(path, {"nature": "lieu", "message": "Salle changée.",
                              "contact": "paul@exemple.fr"}, token_from=path)
    records = site.app[SITE].ready().records
    (entry,) = await records.latest("maillage.rec.report.>")
    assert entry.record["contact"] == "paul@exemple.fr"
    stores = await Stores.open(bus)
    await stores.people.set_role("ops@ville.example", "operator", True, actor="cli")
    ops = await browser(site.url)
    await ops.sign_in(site, "ops@ville.example")
    form = {"signalement": f"visiteur.{entry.record['id']}",
            "csrf": await ops.token("/operateurs/signalements")}
    assert (await ops.post("/operateurs/signalements", form)).status == 200

    (history,) = await records.history(entry.subject)  # one entry left
    assert history.record["state"] == "done" and history.record["message"] == "Salle changée."
    assert history.actor == (await stores.people.by_email("ops@ville.example")).id
    assert b"paul@exemple.fr" not in history.to_json()
    raw = await bus.js.get_msg("RECORDS", seq=0, subject=entry.subject, next=True)
    assert b"paul@exemple.fr" not in raw.data
    assert {"field": "contact", "before": "(erased)", "after": ""} in [
        c.as_dict() for c in history.changes]
