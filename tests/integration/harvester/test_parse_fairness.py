"""One source cannot hold the replica's parser processes (issue 17.1, the caveat left open).

The attack: an agenda feed whose items link to event pages on the source's own site, each page
slow to parse (tens of thousands of schema.org schedules walked day by day). The pages were
read concurrently, each in a parser slot for up to MAILLAGE_PARSE_TIMEOUT: the source held
both slots for (pages / 2) x timeout, the replica's other sources waited behind it, and when
one page failed the harvest the others went on being parsed with nobody waiting for them.

Real nats-server, real loopback site, real parser processes.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import date, timedelta

import pytest

from services.harvester.sources import Source
from services.harvester.state import SourceState
from tests.integration.harvester import test_event_pages as event_pages
from tests.integration.harvester.test_event_pages import Site, rss
from tests.integration.test_pipeline import eventually
from tests.unit.harvester import hostile_ics

pytestmark = pytest.mark.integration

DAY = f"{date.today() + timedelta(days=3):%Y%m%d}"
PAGES = 6
site = event_pages.site  # the association's site on loopback (fixture)


def slow_page(schedules: int = 12_000) -> str:
    """An event page that takes seconds to parse (far more than the limits below): each
    schedule is walked day by day over the whole harvest window and yields nothing."""
    events = [{
        "@context": "https://schema.org", "@type": "Event", "name": f"Atelier {i}",
        "startDate": "2026-01-01T10:00",
        "eventSchedule": {"@type": "Schedule", "repeatFrequency": "P9999D",
                          "startDate": "2020-01-01", "startTime": "10:00"},
    } for i in range(schedules)]
    return ("<html><head><script type='application/ld+json'>" + json.dumps(events)
            + "</script></head><body>Agenda</body></html>")


def hostile_feed(site: Site) -> str:
    page = slow_page()
    items = []
    for i in range(PAGES):
        path = f"/evenement/lent-{i}/"
        site.put(path, page)
        items.append((f"g{i}", f"Atelier {i}", site.url(path)))
    return site.put("/feed/", rss(items), "application/rss+xml")


def page_hits(site: Site) -> int:
    return sum(n for path, n in site.hits.items() if path.startswith("/evenement/"))


async def test_a_source_with_slow_event_pages_leaves_a_parser_to_the_others(
    make_harvester, site
) -> None:
    harvester = make_harvester(MAILLAGE_PARSE_TIMEOUT="5", MAILLAGE_PARSE_WORKERS="2",
                               MAILLAGE_MAX_EVENT_PAGES=str(PAGES))
    hostile = Source("lent", hostile_feed(site), format="rss")
    good = Source("bon", site.put("/bon.ics", hostile_ics.good(DAY).decode(), "text/calendar"))
    hostile_task = asyncio.create_task(harvester.harvest(hostile, SourceState()))

    async def pages_read() -> bool:  # the hostile source's pages are being read
        return page_hits(site) > 0

    await eventually(pages_read)
    await asyncio.sleep(0.5)
    status = await harvester.harvest(good, SourceState())
    assert status.ok and status.found == 1
    assert not hostile_task.done()  # the good source did not wait behind the hostile pages
    failed = await hostile_task
    assert (failed.ok, failed.error_kind) == (False, "parse_timeout")
    # the harvest that failed left nothing behind: no page of it is still being parsed
    assert harvester.parser.busy == 0


async def test_a_source_parses_within_its_budget_all_documents_together(
    make_harvester, site
) -> None:
    harvester = make_harvester(MAILLAGE_PARSE_TIMEOUT="60", MAILLAGE_SOURCE_PARSE_BUDGET="2",
                               MAILLAGE_MAX_EVENT_PAGES=str(PAGES))
    started = time.monotonic()
    status = await harvester.harvest(Source("lent", hostile_feed(site), format="rss"),
                                     SourceState())
    assert time.monotonic() - started < 30  # not 60 s per page: 2 s for them all
    assert (status.ok, status.error_kind) == (False, "parse_timeout")
    assert "MAILLAGE_SOURCE_PARSE_BUDGET" in (status.error_message or "")
    assert harvester.parser.busy == 0
