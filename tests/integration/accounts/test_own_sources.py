"""Associations keep their own tools: the "done when" path of issue 19 with real components.

A real nats-server, the site on a loopback port, a loopback HTTP server standing for the
association's website (reached by name through a fake resolver, so the SSRF guard is the
real one and no traffic leaves loopback), the harvester's scheduler and the indexer on the
same bus, and a real SQLite store: sign in from the outbox, join the demo association, add
its ICS address, preview, confirm, find the events in the agenda."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from services.accounts.web import SITE
from services.harvester.fetcher import Fetcher
from services.harvester.registry import SourceRegistry
from services.harvester.scheduler import Scheduler
from services.harvester.service import fetch_config
from services.harvester.settings import SETTINGS as HARVESTER_SETTINGS
from services.harvester.state import StateStore
from services.harvester.worker import Harvester
from services.indexer.consumer import Indexer
from services.indexer.service import make_enricher
from services.indexer.settings import SETTINGS as INDEXER_SETTINGS
from services.sources_self import PREVIEWER
from services.sources_self.storage import OwnSources
from shared.bus import Bus
from shared.natsserver import NatsServer
from shared.settings import load
from shared.store.sqlite import SqliteStore
from tests.conftest import FeedServer
from tests.integration.faults.procs import wait_until

from .conftest import Browser, Site, start_site

pytestmark = pytest.mark.integration

DAY = date.today() + timedelta(days=5)
MEMBER = "camille@velo-solidaire.test"


class FakeResolver:
    """Every association site is this machine (loopback); nothing else resolves."""

    def __init__(self, names: set[str]) -> None:
        self.names = names

    async def resolve(self, host: str, port: int) -> list[str]:
        if host not in self.names:
            raise OSError(f"unknown host {host}")
        return ["127.0.0.1"]


def calendar(count: int, *, floating: bool = False, dateless: int = 0) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//FR"]
    if not floating:
        lines.append("X-WR-TIMEZONE:Europe/Paris")
    for n in range(count):
        start = f"{DAY + timedelta(days=n):%Y%m%d}T1800{n % 6:02d}"
        lines += ["BEGIN:VEVENT", f"UID:atelier-{n}", "DTSTAMP:20260101T000000Z",
                  f"DTSTART:{start}" if floating else f"DTSTART;TZID=Europe/Paris:{start}",
                  f"SUMMARY:Atelier vélo numéro {n}", "LOCATION:Maison des associations",
                  "END:VEVENT"]
    for n in range(dateless):
        lines += ["BEGIN:VEVENT", f"UID:sans-date-{n}", "DTSTAMP:20260101T000000Z",
                  f"SUMMARY:Réunion à fixer {n}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


HOST = "velo-solidaire.example"


def at(server: FeedServer, path: str) -> str:
    """The address of ``path`` on the association's website, by its name."""
    return server.url(path).replace("127.0.0.1", HOST)


RESOLVER = FakeResolver({HOST})


@pytest.fixture
async def own_site(tmp_path: Path, bus: Bus, nats_server: NatsServer) -> AsyncIterator[Site]:
    running = await start_site(tmp_path / "site", bus, nats_server.url,
                               MAILLAGE_ALLOW_PRIVATE="true")
    running.app[PREVIEWER].resolver = RESOLVER
    try:
        yield running
    finally:
        await running.runner.cleanup()


@pytest.fixture
async def pipeline(bus: Bus, own_site: Site) -> AsyncIterator[None]:
    """The harvester (scheduler and workers, reading the registry) and the indexer writing
    the store the site searches."""
    settings = load(HARVESTER_SETTINGS, {"MAILLAGE_ALLOW_PRIVATE": "true",
                                         "MAILLAGE_PARSE_WORKERS": "1"})
    fetcher = Fetcher(fetch_config(settings), RESOLVER)
    harvester = Harvester(settings, bus, fetcher)
    scheduler = Scheduler(bus, SourceRegistry(bus), StateStore(await bus.kv("harvest_state")),
                          harvester, concurrency=1, tick_s=0.2)
    store = SqliteStore(own_site.data_dir / "index.sqlite")
    indexer = Indexer(bus, store, make_enricher(load(INDEXER_SETTINGS, {})).enrich,
                      batch_size=64)
    tasks = [asyncio.create_task(scheduler.run()),
             asyncio.create_task(indexer.run(idle_timeout=0.2))]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await harvester.close()
        await fetcher.close()
        await store.close()


async def member(site: Site) -> Browser:
    b = Browser(site.url)
    await b.sign_in(site, MEMBER)
    resp = await b.post("/associations/velo-solidaire/rejoindre", {},
                        token_from="/associations/velo-solidaire")
    assert "Vous êtes membre" in await resp.text()
    return b


async def test_a_member_adds_the_association_calendar_and_finds_it_in_the_agenda(
        own_site: Site, feed_server: FeedServer, pipeline: None) -> None:
    feed_server.put("/agenda.ics", calendar(7), "text/calendar")
    b = await member(own_site)
    try:
        status, html = await b.get("/associations/velo-solidaire")
        assert "/associations/velo-solidaire/sources" in html
        resp = await b.post("/associations/velo-solidaire/sources/apercu",
                            {"url": at(feed_server, "/agenda.ics")},
                            token_from="/associations/velo-solidaire/sources")
        preview = await resp.text()
        assert resp.status == 200, preview
        assert "7 événements trouvés, dont 7 à venir" in preview
        assert len(re.findall(r"<li><strong>Atelier vélo numéro \d</strong>", preview)) == 5
        assert "sans fuseau" not in preview
        assert await SourceRegistry(own_site.app[SITE].ready().bus).list() == []  # nothing yet

        resp = await b.post("/associations/velo-solidaire/sources",
                            {"url": at(feed_server, "/agenda.ics")},
                            token_from="/associations/velo-solidaire/sources")
        assert resp.status == 200 and "La source est enregistrée" in await resp.text()
        registered = await SourceRegistry(own_site.app[SITE].ready().bus).list()
        assert [(r.owner, r.source.organizer) for r in registered] == [
            ("velo-solidaire", "Roazhon Vélo Solidaire")]

        async def searchable() -> bool:
            async with b.session.get(own_site.url + "/v1/events",
                                     params={"q": "atelier"}) as search:
                return len((await search.json())["items"]) == 7

        await wait_until(searchable, 30, "the events in the search")

        async def harvested() -> bool:
            _, page = await b.get("/associations/velo-solidaire/sources")
            return "en forme" in page

        await wait_until(harvested, 30, "the source's first harvest on its page")
        _, page = await b.get("/associations/velo-solidaire/sources")
        assert "source ajoutée" in page  # the audit trail names the change
    finally:
        await b.close()


async def test_a_form_without_a_valid_csrf_token_is_refused(
        own_site: Site, feed_server: FeedServer) -> None:
    feed_server.put("/agenda.ics", calendar(2), "text/calendar")
    b = await member(own_site)
    try:
        for form in ({"url": at(feed_server, "/agenda.ics")},
                     {"url": at(feed_server, "/agenda.ics"), "csrf": "x" * 40}):
            resp = await b.post("/associations/velo-solidaire/sources", form)
            assert resp.status == 403 and "Formulaire expiré" in await resp.text()
        assert await SourceRegistry(own_site.app[SITE].ready().bus).list() == []
    finally:
        await b.close()


async def test_the_preview_warns_in_french(own_site: Site, feed_server: FeedServer) -> None:
    feed_server.put("/flottant.ics", calendar(3, floating=True, dateless=2), "text/calendar")
    b = await member(own_site)
    try:
        resp = await b.post("/associations/velo-solidaire/sources/apercu",
                            {"url": at(feed_server, "/flottant.ics")},
                            token_from="/associations/velo-solidaire/sources")
        html = await resp.text()
        assert "3 événements trouvés" in html
        assert "Heures sans fuseau horaire, lues comme Europe/Paris" in html
        assert "2\u00a0éléments sans date d’événement" in html
        feed_server.robots = "User-agent: *\nDisallow: /agenda\n"
        feed_server.put("/agenda", "<html><body><h1>Agenda</h1></body></html>", "text/html")
        resp = await b.post("/associations/velo-solidaire/sources/apercu",
                            {"url": at(feed_server, "/agenda")},
                            token_from="/associations/velo-solidaire/sources")
        assert resp.status == 422 and "robots.txt interdit cette page" in await resp.text()
    finally:
        await b.close()


@pytest.mark.parametrize(("address", "message"), [
    ("https://www.facebook.com/velo-solidaire/events", "guide «\u00a0Facebook\u00a0»"),
    ("http://10.0.0.1/agenda.ics", "n’est pas publique"),
    ("ftp://velo-solidaire.example/agenda.ics", "commence par https://"),
])
async def test_addresses_that_cannot_be_harvested_are_refused_before_any_fetch(
        tmp_path: Path, bus: Bus, nats_server: NatsServer, address: str, message: str) -> None:
    running = await start_site(tmp_path / "site", bus, nats_server.url)
    running.app[PREVIEWER].resolver = RESOLVER
    b = await member(running)
    try:
        resp = await b.post("/associations/velo-solidaire/sources/apercu", {"url": address},
                            token_from="/associations/velo-solidaire/sources")
        assert resp.status == 422 and message in await resp.text()
    finally:
        await b.close()
        await running.runner.cleanup()


async def test_pause_resume_and_remove_are_audited_and_reach_the_registry(
        own_site: Site, feed_server: FeedServer) -> None:
    feed_server.put("/agenda.ics", calendar(2), "text/calendar")
    b = await member(own_site)
    stores = own_site.app[SITE].ready()
    registry = SourceRegistry(stores.bus)
    try:
        await b.post("/associations/velo-solidaire/sources",
                     {"url": at(feed_server, "/agenda.ics")},
                     token_from="/associations/velo-solidaire/sources")
        (source,) = await OwnSources(stores).of("velo-solidaire")
        path = f"/associations/velo-solidaire/sources/{source.id}"
        await b.post(path, {"action": "pause"}, token_from="/associations/velo-solidaire/sources")
        assert not (await registry.get(source.id)).enabled  # type: ignore[union-attr]
        _, page = await b.get("/associations/velo-solidaire/sources")
        assert "en pause" in page
        await b.post(path, {"action": "reprendre"},
                     token_from="/associations/velo-solidaire/sources")
        assert (await registry.get(source.id)).enabled  # type: ignore[union-attr]
        resp = await b.post(path, {"action": "retirer"},
                            token_from="/associations/velo-solidaire/sources")
        assert "La source est retirée" in await resp.text()
        assert await registry.get(source.id) is None
        reasons = [e.reason for e in await OwnSources(stores).history("velo-solidaire")]
        assert reasons == ["added", "paused", "resumed", "removed"]
        # someone who is not a member sees nothing and changes nothing
        other = Browser(own_site.url)
        await other.sign_in(own_site, "leo@exemple.fr")
        status, _ = await other.get("/associations/velo-solidaire/sources")
        assert status == 403
        await other.close()
    finally:
        await b.close()


async def test_with_approval_on_a_source_waits_for_an_operator(
        tmp_path: Path, bus: Bus, nats_server: NatsServer, feed_server: FeedServer) -> None:
    running = await start_site(tmp_path / "site", bus, nats_server.url,
                               MAILLAGE_ALLOW_PRIVATE="true", MAILLAGE_SOURCES_APPROVAL="true")
    running.app[PREVIEWER].resolver = RESOLVER
    feed_server.put("/agenda.ics", calendar(2), "text/calendar")
    stores = running.app[SITE].ready()
    registry = SourceRegistry(stores.bus)
    b = await member(running)
    ops = Browser(running.url)
    try:
        resp = await b.post("/associations/velo-solidaire/sources",
                            {"url": at(feed_server, "/agenda.ics")},
                            token_from="/associations/velo-solidaire/sources")
        assert "un opérateur la valide" in await resp.text()
        assert await registry.list() == []
        await stores.people.set_role("ops@ville.example", "operator", True, actor="cli")
        await ops.sign_in(running, "ops@ville.example")
        status, queue = await ops.get("/operateurs/sources")
        assert status == 200 and at(feed_server, "/agenda.ics") in queue
        (source,) = await OwnSources(stores).waiting()
        await ops.post("/operateurs/sources", {"association": "velo-solidaire",
                                               "source": source.id, "action": "approve"},
                       token_from="/operateurs/sources")
        assert [r.owner for r in await registry.list()] == ["velo-solidaire"]
        assert await OwnSources(stores).waiting() == []
    finally:
        await b.close()
        await ops.close()
        await running.runner.cleanup()
