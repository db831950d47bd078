"""Agenda feeds whose items link to event pages (issue 16.1), harvested from a local site.

The site (loopback) serves WordPress-, Drupal- and Next.js-like feeds whose items carry only a
publication date, and the event pages they link to (JSON-LD, a @graph, a Next.js page that
also quotes its JSON-LD in its payload, microdata). Pages answer conditional GETs. Fixtures
are written here, modelled on what such sites publish; nothing is copied.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import pytest
from aiohttp import web

from services.harvester.sources import Source
from services.harvester.state import SourceState
from shared.model import event_id
from shared.natsserver import free_port

pytestmark = pytest.mark.integration

DAY = date.today() + timedelta(days=12)
PUBLISHED = format_datetime(datetime(2026, 1, 28, 20, 10, tzinfo=UTC), usegmt=True)


@dataclass
class Site:
    """An association's website: files by path, hits and 304s counted, robots.txt editable."""

    port: int
    files: dict[str, tuple[str, str]] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    not_modified: dict[str, int] = field(default_factory=dict)
    robots: str = "User-agent: *\nAllow: /\n"
    down: set[str] = field(default_factory=set)  # paths answering 503

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def put(self, path: str, body: str, content_type: str = "text/html") -> str:
        self.files[path] = (body, content_type)
        return self.url(path)


async def serve(site: Site) -> web.AppRunner:
    async def handler(request: web.Request) -> web.StreamResponse:
        path = request.path_qs if request.query_string else request.path
        site.hits[path] = site.hits.get(path, 0) + 1
        if request.path == "/robots.txt":
            return web.Response(text=site.robots)
        if path in site.down:
            return web.Response(status=503)
        if path not in site.files:
            raise web.HTTPNotFound()
        body, content_type = site.files[path]
        etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            site.not_modified[path] = site.not_modified.get(path, 0) + 1
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(text=body, content_type=content_type, charset="utf-8",
                            headers={"ETag": etag})

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", site.port).start()
    return runner


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    made = Site(free_port())
    runner = await serve(made)
    try:
        yield made
    finally:
        await runner.cleanup()


@pytest.fixture
async def other_site() -> AsyncIterator[Site]:
    made = Site(free_port())
    runner = await serve(made)
    try:
        yield made
    finally:
        await runner.cleanup()


@pytest.fixture
def harvester(make_harvester):
    return make_harvester(MAILLAGE_MAX_EVENT_PAGES="5")


def rss(items: list[tuple[str, str, str]], generator: str = "https://wordpress.org/?v=6.7") -> str:
    """An RSS 2.0 agenda: (guid, title, link) items, each with only a publication date."""
    body = "".join(
        f"<item><title>{title}</title><link>{link}</link>"
        f'<guid isPermaLink="false">{guid}</guid><pubDate>{PUBLISHED}</pubDate>'
        "<description><![CDATA[<p>Plus d’infos sur la page.</p>]]></description></item>"
        for guid, title, link in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Agenda</title><link>http://example.invalid/</link>"
        f"<generator>{generator}</generator>{body}</channel></rss>"
    )


def atom(items: list[tuple[str, str, str]]) -> str:
    entries = "".join(
        f"<entry><id>{guid}</id><title>{title}</title>"
        f'<link href="{link}" rel="alternate" type="text/html"/>'
        "<updated>2026-01-28T20:10:00.000Z</updated><published>2026-01-28T20:10:00.000Z"
        "</published><summary>Nous vous recevons dans votre quartier.</summary></entry>"
        for guid, title, link in items
    )
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<id>agenda</id><title>Agenda</title><updated>2026-01-28T20:10:00Z</updated>"
            f"{entries}</feed>")


def jsonld_event(name: str, hour: int, **more: object) -> dict:
    return {
        "@type": "Event",
        "name": name,
        "startDate": f"{DAY.isoformat()}T{hour:02d}:00:00+01:00",
        "endDate": f"{DAY.isoformat()}T{hour + 2:02d}:00:00+01:00",
        "location": {"@type": "Place", "name": "Maison de quartier de Villejean",
                     "address": {"@type": "PostalAddress", "streetAddress": "2 rue de Bourgogne",
                                 "addressLocality": "Rennes", "postalCode": "35000"}},
        **more,
    }


def wordpress_page(name: str, hour: int, url: str) -> str:
    """The Events Calendar's single-event page: an array of JSON-LD nodes in the head."""
    data = [{"@context": "http://schema.org", **jsonld_event(name, hour, url=url)}]
    return (f"<!doctype html><html lang='fr'><head><title>{name}</title>"
            f"<script type='application/ld+json'>{json.dumps(data)}</script></head>"
            f"<body><h1 class='tribe-events-single-event-title'>{name}</h1></body></html>")


def drupal_page(name: str, hour: int) -> str:
    """Drupal with schema_metatag: one @graph of several nodes."""
    graph = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "@id": "#site", "name": "Comité de quartier"},
        jsonld_event(name, hour, organizer={"@type": "Organization", "name": "Comité"}),
    ]}
    return (f"<html><head><script type=\"application/ld+json\">{json.dumps(graph)}</script>"
            f"</head><body><article class='node--type-evenement'>{name}</article></body></html>")


def nextjs_page(name: str, hour: int) -> str:
    """A Next.js static page: the JSON-LD script, quoted again (escaped) in the RSC payload."""
    data = {"@context": "https://schema.org", **jsonld_event(name, hour)}
    raw = json.dumps(data)
    quoted = json.dumps(f'3:["$","script",null,{{"type":"application/ld+json",'
                        f'"dangerouslySetInnerHTML":{{"__html":{json.dumps(raw)}}}}}]')
    return (f"<!DOCTYPE html><html><head><script type=\"application/ld+json\">{raw}</script>"
            f"</head><body><main><h1>{name}</h1></main>"
            f"<script>self.__next_f.push([1,{quoted}])</script></body></html>")


def microdata_page(name: str, hour: int) -> str:
    start = f"{DAY.isoformat()}T{hour:02d}:00:00+01:00"
    return (f"<html><body><div itemscope itemtype=\"https://schema.org/Event\">"
            f"<h1 itemprop=\"name\">{name}</h1>"
            f"<time itemprop=\"startDate\" datetime=\"{start}\">le {DAY:%d/%m} à {hour} h</time>"
            "<div itemprop=\"location\" itemscope itemtype=\"https://schema.org/Place\">"
            "<span itemprop=\"name\">Salle de la Cité</span></div></div></body></html>")


async def harvest(harvester, url: str, state: SourceState, source_id: str = "assoc"):
    return await harvester.harvest(Source(source_id, url), state)


async def test_wordpress_feed_items_take_their_event_from_the_page(harvester, site) -> None:
    page = site.url("/evenement/troc-de-graines/")
    site.put("/evenement/troc-de-graines/", wordpress_page("Troc de graines", 14, page))
    feed = site.put("/feed/", rss([("https://asso.example/?p=1412", "Troc de graines", page)]),
                    "application/rss+xml")
    state = SourceState()
    status = await harvest(harvester, feed, state)
    assert (status.ok, status.found, status.skipped) == (True, 1, ())
    # The feed item's guid stays the identity.
    assert set(state.published) == {event_id("assoc", "https://asso.example/?p=1412")}


@pytest.mark.parametrize("kind", ["drupal", "nextjs", "microdata"])
async def test_event_pages_of_other_site_builders_are_read(harvester, site, kind) -> None:
    make = {"drupal": drupal_page, "nextjs": nextjs_page, "microdata": microdata_page}[kind]
    items = []
    for i, name in enumerate(["Réunion de quartier", "Conseil municipal"]):
        path = f"/agenda/{kind}-{i}"
        site.put(path, make(name, 18 + i))
        items.append((f"{i} at {kind}", name, site.url(path)))
    feed = site.put("/agenda.atom", atom(items), "application/atom+xml") if kind == "nextjs" \
        else site.put("/rss.xml", rss(items, generator="Drupal 10"), "application/rss+xml")
    status = await harvest(harvester, feed, SourceState())
    assert (status.ok, status.found, status.skipped) == (True, 2, ())  # nothing counted twice


async def test_unchanged_pages_cost_one_304_each_and_changes_are_seen(harvester, site) -> None:
    items = []
    for i in range(3):
        path = f"/evenement/atelier-{i}/"
        site.put(path, wordpress_page(f"Atelier {i}", 10 + i, site.url(path)))
        items.append((f"guid-{i}", f"Atelier {i}", site.url(path)))
    feed = site.put("/feed/", rss(items), "application/rss+xml")
    state = SourceState()
    first = await harvest(harvester, feed, state)
    assert (first.found, first.new) == (3, 3)
    again = await harvest(harvester, feed, state)
    assert (again.ok, again.found, again.new, again.changed, again.removed) == (True, 3, 0, 0, 0)
    assert site.not_modified == {f"/evenement/atelier-{i}/": 1 for i in range(3)}
    path = "/evenement/atelier-1/"
    site.put(path, wordpress_page("Atelier 1", 16, site.url(path)))  # moved to 16:00
    moved = await harvest(harvester, feed, state)
    assert (moved.changed, moved.new, moved.removed) == (1, 0, 0)


async def test_item_whose_page_has_no_event_keeps_its_reason(harvester, site) -> None:
    page = site.put("/actualites/assemblee", "<html><body><p>Compte rendu</p></body></html>")
    dated = site.url("/evenement/fete/")
    site.put("/evenement/fete/", wordpress_page("Fête de quartier", 15, dated))
    feed = site.put("/feed/", rss([("g1", "Compte rendu de l’AG", page),
                                   ("g2", "Fête de quartier", dated)]), "application/rss+xml")
    status = await harvest(harvester, feed, SourceState())
    assert status.ok and status.found == 1
    [skipped] = status.skipped
    assert skipped.uid == "g1" and skipped.reason.startswith("no event date")
    assert "its page has no event either" in skipped.reason


async def test_links_to_other_sites_are_not_read(harvester, site, other_site) -> None:
    elsewhere = other_site.put("/evenement/x/", wordpress_page("Ailleurs", 14, "x"))
    feed = site.put("/feed/", rss([("g1", "Ailleurs", elsewhere)]), "application/rss+xml")
    status = await harvest(harvester, feed, SourceState())
    assert status.found == 0 and other_site.hits == {}
    assert "another site" in status.skipped[0].reason


async def test_at_most_the_configured_number_of_pages_is_read(make_harvester, site) -> None:
    harvester = make_harvester(MAILLAGE_MAX_EVENT_PAGES="2")
    items = []
    for i in range(3):
        path = f"/evenement/e{i}/"
        site.put(path, wordpress_page(f"Événement {i}", 10 + i, site.url(path)))
        items.append((f"g{i}", f"Événement {i}", site.url(path)))
    feed = site.put("/feed/", rss(items), "application/rss+xml")
    status = await harvest(harvester, feed, SourceState())
    assert status.found == 2 and sum(site.hits.get(f"/evenement/e{i}/", 0) for i in range(3)) == 2
    assert "more than 2 event pages" in status.skipped[0].reason


async def test_robots_txt_is_respected_for_event_pages(harvester, site) -> None:
    site.robots = "User-agent: *\nDisallow: /prive/\n"
    page = site.url("/prive/evenement")
    site.put("/prive/evenement", wordpress_page("Réunion privée", 20, page))
    feed = site.put("/feed/", rss([("g1", "Réunion privée", page)]), "application/rss+xml")
    status = await harvest(harvester, feed, SourceState())
    assert status.found == 0 and site.hits.get("/prive/evenement") is None
    assert "robots.txt" in status.skipped[0].reason


async def test_a_page_link_naming_a_local_file_is_not_read(make_harvester, site, tmp_path) -> None:
    harvester = make_harvester(MAILLAGE_ALLOW_FILES="true")
    secret = tmp_path / "page.html"
    secret.write_text(wordpress_page("Secret", 14, "x"))
    feed = site.put("/feed/", rss([("g1", "Secret", secret.as_uri())]), "application/rss+xml")
    status = await harvest(harvester, feed, SourceState())
    assert status.found == 0


async def test_a_page_down_for_now_keeps_its_event_a_page_gone_loses_it(harvester, site) -> None:
    items = []
    for name in ("bal", "repas"):
        path = f"/evenement/{name}/"
        site.put(path, wordpress_page(name.capitalize(), 20, site.url(path)))
        items.append((name, name.capitalize(), site.url(path)))
    feed = site.put("/feed/", rss(items), "application/rss+xml")
    state = SourceState()
    assert (await harvest(harvester, feed, state)).new == 2
    site.down.add("/evenement/bal/")  # 503 for a while
    down = await harvest(harvester, feed, state)
    assert (down.ok, down.found, down.removed) == (True, 2, 0)
    site.down.clear()
    del site.files["/evenement/bal/"]  # 404: the page is gone, and so is its event
    gone = await harvest(harvester, feed, state)
    assert (gone.found, gone.removed) == (1, 1) and "HTTP 404" in gone.skipped[0].reason
