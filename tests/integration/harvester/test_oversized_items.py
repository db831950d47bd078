"""What a harvest publishes must fit on the bus (nats-server's max_payload: 1 MB by default,
4 MB in deploy/nats). A source that made one message too large (an event with a description
of megabytes, thousands of skipped items with long titles) made the harvest raise
MaxPayloadError: no status record, no saved state, and the job came back every 30 s forever,
re-reading the document each time, while the monitor saw nothing wrong.

Real nats-server (default max_payload), real loopback server, real parser processes.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.harvester.sources import Source
from services.harvester.state import SourceState
from shared.bus import Bus
from tests.unit.harvester import hostile_ics

pytestmark = pytest.mark.integration

DAY = f"{date.today() + timedelta(days=5):%Y%m%d}"


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
