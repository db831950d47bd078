"""A source's own error text reaches the operators' alert feed (issue 17.4, control
characters): a WordPress site answering a REST error whose message holds a control character
made the monitor's ``/alerts.rss`` invalid XML, so the operators' feed reader showed no alert
at all, this one or any other: a hostile source could hide every failure from them.

Real harvester, nats-server, loopback site; the monitor follows the STATUS stream as it does
in production and serves its feed on loopback.
"""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from services.harvester.sources import Source
from services.harvester.state import SourceState
from services.monitor.alerts import AlertPolicy
from services.monitor.app import Monitor, create_app
from services.monitor.backlog import BusHealth
from services.monitor.service import follow
from services.monitor.tracker import Tracker
from shared.bus import Bus
from tests.integration.test_pipeline import eventually

pytestmark = pytest.mark.integration

AUTH = {"Authorization": "Basic " + base64.b64encode(b"operateur:secret").decode()}
HOSTILE = json.dumps({"code": "rest_forbidden", "message": "Acc\u0001s\u000b refus\u00e9",
                      "data": {"status": 403}})


async def test_a_source_error_with_control_characters_keeps_the_alert_feed_valid(
    bus: Bus, make_harvester, feed_server
) -> None:
    harvester = make_harvester()
    url = feed_server.put("wp-json/tribe/events/v1/events", HOSTILE, "application/json")
    status = await harvester.harvest(Source("wp", url, format="wordpress"), SourceState())
    assert (status.ok, status.error_kind) == (False, "parse")
    assert "\x01" in (status.error_message or "")  # what the source wrote
    tracker = Tracker()
    await follow(bus, tracker)

    async def recorded() -> bool:
        return "wp" in tracker.sources

    await eventually(recorded)
    server = TestServer(create_app(Monitor(tracker, BusHealth(), AlertPolicy()),
                                   "operateur", "secret"), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session, session.get(
                str(server.make_url("/alerts.rss")), headers=AUTH) as resp:
            assert resp.status == 200
            body = await resp.read()
    finally:
        await server.close()
    items = ET.fromstring(body).findall("./channel/item")  # well-formed XML 1.0
    assert [i.findtext("title") for i in items] == ["Source en échec : wp"]
    assert "Accs refusé" in (items[0].findtext("description") or "")
