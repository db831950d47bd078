"""What a harvest publishes must fit on the bus (nats-server's max_payload: 1 MB by default,
4 MB in deploy/nats). A source that made one message too large (an event with a description
of megabytes, thousands of skipped items with long titles) made the harvest raise
MaxPayloadError: no status record, no saved state, and the job came back every 30 s forever,
re-reading the document each time, while the monitor saw nothing wrong.

Real nats-server (default max_payload), real loopback server, real parser processes.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from services.harvester.sources import Source
from services.harvester.state import SourceState
from services.monitor.errors_fr import GENERIC_FR, error_fr
from shared.bus import Bus
from tests.integration.harvester import test_event_pages as event_pages
from tests.integration.harvester.test_event_pages import rss, wordpress_page
from tests.unit.harvester import hostile_ics

pytestmark = pytest.mark.integration

DAY = f"{date.today() + timedelta(days=5):%Y%m%d}"
site = event_pages.site  # an association's site on loopback (fixture)


async def test_an_event_too_large_for_the_bus_is_skipped_the_others_published(
    make_harvester, feed_server, bus: Bus
) -> None:
    huge = "DESCRIPTION:" + "Programme détaillé. " * (bus.nc.max_payload // 15)
    body = hostile_ics.calendar(
        hostile_ics.vevent("huge", f"DTSTART:{DAY}T100000Z", huge),
        hostile_ics.vevent("fine", f"DTSTART:{DAY}T180000Z"),
    )
    url = feed_server.put("big.ics", body, "text/calendar")
    state = SourceState()
    status = await make_harvester().harvest(Source("gros", url), state)
    assert status.ok and status.new == 1 and len(state.published) == 1
    [skipped] = [s for s in status.skipped if s.uid == "huge"]
    assert "too large" in skipped.reason


async def test_thousands_of_skipped_items_with_long_titles_make_a_bounded_status(
    make_harvester, feed_server, bus: Bus
) -> None:
    long = "Ancien atelier " * 80  # 1,200 characters of title (and of uid)
    body = hostile_ics.calendar(*(
        hostile_ics.vevent(f"{long}{i}", "DTSTART:20200110T100000Z") for i in range(1500)))
    assert len(body) > bus.nc.max_payload
    url = feed_server.put("old.ics", body, "text/calendar")
    status = await make_harvester().harvest(Source("ancien", url), SourceState())
    assert status.ok and len(status.to_json()) < 200_000
    assert status.skipped[0].reason.startswith("no occurrence between")
    assert status.skipped[-1].reason.endswith("more skipped items (not listed)")


async def test_an_error_message_of_megabytes_makes_a_bounded_status(
    make_harvester, feed_server, bus: Bus
) -> None:
    answer = json.dumps({"code": "rest_error", "message": "Erreur " * bus.nc.max_payload})
    url = feed_server.put("wp-json/tribe/events/v1/events", answer, "application/json")
    state = SourceState()
    status = await make_harvester().harvest(Source("wp", url, format="wordpress"), state)
    assert (status.ok, status.error_kind) == (False, "parse")
    assert len(status.to_json()) < 100_000 and len(state.to_json()) < 100_000
    assert (status.error_message or "").startswith("WordPress REST error rest_error: Erreur")


async def test_event_pages_with_long_descriptions_keep_the_source_state_small(
    make_harvester, site, bus: Bus
) -> None:
    """The state remembered each page's event whole (to answer a 304): five pages of 300 KB
    descriptions made a state the bus refuses, and the job came back forever."""
    items = []
    for i in range(5):
        path = f"/evenement/long-{i}/"
        description = "Le programme complet de la journée. " * 8_000
        site.put(path, wordpress_page(f"Journée {i}", 10 + i, site.url(path)).replace(
            '"@type": "Event"', f'"@type": "Event", "description": "{description}"'))
        items.append((f"g{i}", f"Journée {i}", site.url(path)))
    feed = site.put("/feed/", rss(items), "application/rss+xml")
    harvester, state = make_harvester(MAILLAGE_MAX_EVENT_PAGES="5"), SourceState()
    first = await harvester.harvest(Source("long", feed), state)
    assert first.ok and first.new == 5
    assert len(state.to_json()) < bus.nc.max_payload // 4
    again = await harvester.harvest(Source("long", feed), state)  # read again, unchanged
    assert again.ok and again.found == 5 and again.changed == again.removed == 0


@pytest.mark.timeout(400)  # 18,000 events to parse on a loaded machine
async def test_a_source_with_more_items_than_its_state_can_hold_fails_before_publishing(
    make_harvester, feed_server, bus: Bus
) -> None:
    """The state remembers each published item (id and digest, about 60 bytes): 18,000
    one-off events (under the 20,000 occurrences a harvest may give) made a state larger
    than nats-server's default 1 MB. The events were published, the state could not be
    saved, and the job came back every 30 s forever, publishing them again."""
    day = (date.today() + timedelta(days=5)).isoformat()
    events = [{"id": i, "url": f"https://asso.example/e/{i}", "title": f"Permanence {i}",
               "all_day": False, "timezone": "Europe/Paris",
               "start_date": f"{day} 14:00:00", "end_date": f"{day} 16:00:00",
               "utc_start_date": f"{day} 12:00:00", "utc_end_date": f"{day} 14:00:00"}
              for i in range(18_000)]
    body = json.dumps({"events": events, "rest_url": "x", "total": 18_000, "total_pages": 1})
    url = feed_server.put("wp-json/tribe/events/v1/events", body, "application/json")
    state = SourceState()
    harvester = make_harvester(MAILLAGE_PARSE_TIMEOUT="300", MAILLAGE_SOURCE_PARSE_BUDGET="300")
    status = await harvester.harvest(Source("beaucoup", url, format="wordpress"), state)
    assert (status.ok, status.error_kind, status.new) == (False, "too_many_items", 0)
    assert len(state.to_json()) < bus.nc.max_payload and state.published == {}
    assert error_fr("too_many_items") != GENERIC_FR
