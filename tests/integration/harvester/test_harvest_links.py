"""Links found in a harvested document never lead the harvester off the source's own site
(issue 17.2): a next page naming a local file or another origin is not followed.

Real nats-server, real loopback HTTP servers; the "other site" is a second loopback server
on another port (another origin), which must never be asked for anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from services.harvester.sources import Source
from services.harvester.state import SourceState
from services.harvester.worker import Harvester
from services.monitor.errors_fr import GENERIC_FR, error_fr
from shared.natsserver import free_port

pytestmark = pytest.mark.integration

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

DAY = (date.today() + timedelta(days=10)).isoformat()


def tribe_page(title: str, day: str, next_url: str | None) -> str:
    event = {
        "id": abs(hash(title)) % 10_000, "url": f"https://asso.example/{title}",
        "title": title, "all_day": False, "timezone": "Europe/Paris",
        "start_date": f"{day} 14:00:00", "end_date": f"{day} 16:00:00",
        "utc_start_date": f"{day} 12:00:00", "utc_end_date": f"{day} 14:00:00",
    }
    doc: dict = {"events": [event], "rest_url": "x", "total": 2, "total_pages": 2}
    if next_url:
        doc["next_rest_url"] = next_url
    return json.dumps(doc)


@pytest.fixture
def harvester(make_harvester) -> Harvester:
    # Files allowed for configured sources: the worst case; a linked file stays refused.
    return make_harvester(MAILLAGE_ALLOW_FILES="true")


async def test_next_page_naming_a_local_file_is_not_read(
    harvester, feed_server, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.json"  # a local file in the very format of the pages
    secret.write_text(tribe_page("Secret local", DAY, None))
    url = feed_server.put(
        "wp-json/tribe/events/v1/events",
        tribe_page("Troc de graines", DAY, secret.as_uri()),
        "application/json",
    )
    status = await harvester.harvest(Source("jardins", url, format="wordpress"), SourceState())
    assert status.ok and status.found == 1  # the page's own event, not the file's
    assert any("next page not followed" in s.reason and "secret.json" in s.reason
               for s in status.skipped)


@pytest.fixture
async def other_site() -> AsyncIterator[tuple[str, list[str]]]:
    """Another origin (same host, another port) that records every request it gets."""
    hits: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        hits.append(request.path_qs)
        return web.Response(text=tribe_page("Injected", DAY, None),
                            content_type="application/json")

    async with serving("/{tail:.*}", handler) as base:
        yield base, hits


@contextlib.asynccontextmanager
async def serving(route: str, handler: Handler) -> AsyncIterator[str]:
    """A loopback site answering ``route`` with ``handler``; yields its base URL."""
    app = web.Application()
    app.router.add_get(route, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_next_page_on_another_origin_is_not_fetched(
    harvester, feed_server, other_site
) -> None:
    other, hits = other_site
    url = feed_server.put(
        "events", tribe_page("Atelier vélo", DAY, f"{other}/events?page=2"),
        "application/json",
    )
    status = await harvester.harvest(Source("velo", url, format="wordpress"), SourceState())
    assert status.ok and status.found == 1 and hits == []
    assert any("not on the source's own site" in s.reason for s in status.skipped)


async def test_next_page_on_the_same_origin_is_followed(harvester, feed_server) -> None:
    second = feed_server.put(
        "events/2", tribe_page("Bal folk", DAY, None), "application/json"
    )
    url = feed_server.put(
        "events/1", tribe_page("Atelier vélo", DAY, second), "application/json"
    )
    status = await harvester.harvest(Source("velo", url, format="wordpress"), SourceState())
    assert status.ok and status.found == 2 and feed_server.hits["/events/2"] == 1


async def test_a_harvest_ends_within_its_deadline_whatever_its_pages_do(
    make_harvester
) -> None:
    """A paged source whose next pages each hold the connection just under the fetch timeout
    (30 s each, 50 pages, then 30 event pages) kept one harvest going for half an hour, one
    of the replica's workers with it. A harvest now ends at MAILLAGE_HARVEST_TIMEOUT, failed
    with its reason (the events published before are kept)."""
    release = asyncio.Event()

    async def page(request: web.Request) -> web.Response:
        if request.match_info["n"] == "1":
            more = str(request.url.with_path("/events/2"))
            return web.Response(text=tribe_page("Atelier vélo", DAY, more),
                                content_type="application/json")
        await release.wait()  # just under the fetch timeout, page after page
        return web.Response(text=tribe_page("Trop tard", DAY, None),
                            content_type="application/json")

    harvester = make_harvester(MAILLAGE_HARVEST_TIMEOUT="2", MAILLAGE_FETCH_TIMEOUT="600")
    async with serving("/events/{n}", page) as base:
        try:
            status = await harvester.harvest(
                Source("lent", f"{base}/events/1", format="wordpress"), SourceState())
        finally:
            release.set()
    assert (status.ok, status.error_kind) == (False, "harvest_timeout")
    assert "MAILLAGE_HARVEST_TIMEOUT" in (status.error_message or "")
    assert error_fr("harvest_timeout") != GENERIC_FR
