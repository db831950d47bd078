"""Hostile documents through the real harvester (issue 17.1): each ends bounded with a clear
reason, the source's previous events are kept, and good sources on the same replica are
harvested meanwhile. Real nats-server, real loopback HTTP server, real parser processes.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date, timedelta

import pytest

from services.harvester.sources import Source
from services.harvester.state import SourceState
from services.harvester.worker import Harvester
from services.monitor.errors_fr import GENERIC_FR, error_fr, skip_reason_fr
from tests.unit.harvester import hostile_ics

pytestmark = pytest.mark.integration

DAY = f"{date.today() + timedelta(days=3):%Y%m%d}"
TIMEOUT_S = 4.0


@pytest.fixture
def harvester(make_harvester) -> Harvester:
    return make_harvester(
        MAILLAGE_PARSE_TIMEOUT=str(TIMEOUT_S),
        MAILLAGE_PARSE_WORKERS="2",
        MAILLAGE_MAX_SOURCE_OCCURRENCES="1000",  # reached well within the timeout
    )


FAILING = {  # document -> the kind of failure it must end with
    "never-ending.ics": (hostile_ics.never_ending(), "parse_timeout"),
    "daily-series.ics": (hostile_ics.daily_series(600), "too_many_occurrences"),
    "multi-mb.ics": (hostile_ics.many_events(30_000), "too_many_occurrences"),
}


@pytest.mark.parametrize("name", sorted(FAILING))
async def test_hostile_document_fails_with_a_french_reason_and_keeps_earlier_events(
    harvester, feed_server, name
) -> None:
    body, kind = FAILING[name]
    url = feed_server.put(name, hostile_ics.good(DAY, uid="earlier"), "text/calendar")
    source, state = Source("assoc", url), SourceState()
    first = await harvester.harvest(source, state)
    assert first.ok and first.new == 1
    published = dict(state.published)

    feed_server.put(name, body, "text/calendar")
    started = time.monotonic()
    status = await harvester.harvest(source, state)
    assert time.monotonic() - started < TIMEOUT_S + 15  # bounded (a loaded machine lags)
    assert (status.ok, status.error_kind, status.removed) == (False, kind, 0)
    assert error_fr(status.error_kind) != GENERIC_FR
    assert state.published == published and state.errors == 1


async def test_refused_and_truncated_rules_are_reported(harvester, feed_server) -> None:
    refused = await harvester.harvest(
        Source("yearly", feed_server.put("y.ics", hostile_ics.yearly_by_lists(), "text/calendar")),
        SourceState())
    assert refused.ok and refused.found == 0
    assert any(skip_reason_fr(s.reason).startswith("Répétition refusée") for s in refused.skipped)
    cut = await harvester.harvest(
        Source("secondly", feed_server.put("s.ics", hostile_ics.secondly_two_rules(),
                                           "text/calendar")),
        SourceState())
    assert cut.ok and cut.found == 1


async def test_good_sources_are_harvested_while_a_hostile_one_is_parsed(
    make_harvester, feed_server
) -> None:
    harvester = make_harvester(MAILLAGE_PARSE_TIMEOUT="15", MAILLAGE_PARSE_WORKERS="2")
    never = Source("never", feed_server.put("never.ics", hostile_ics.never_ending(),
                                            "text/calendar"))
    good = [
        Source(f"good{i}", feed_server.put(f"good{i}.ics", hostile_ics.good(DAY, uid=f"g{i}"),
                                           "text/calendar"))
        for i in range(6)
    ]
    finished: dict[str, float] = {}
    t0 = time.monotonic()

    async def harvest(source: Source):
        status = await harvester.harvest(source, SourceState())
        finished[source.id] = time.monotonic() - t0
        return status

    hostile_task = asyncio.create_task(harvest(never))
    await asyncio.sleep(0.5)  # one parser process is now stuck in the hostile rule
    good_statuses = await asyncio.gather(*(harvest(s) for s in good))
    assert all(s.ok and s.found == 1 for s in good_statuses)
    assert "never" not in finished  # the good ones did not wait for it...
    status = await hostile_task
    assert (status.ok, status.error_kind) == (False, "parse_timeout")  # ...and it was stopped
    assert max(finished[s.id] for s in good) < finished["never"]


async def test_a_reply_too_large_for_the_harvester_fails_with_a_french_reason(
    make_harvester, feed_server
) -> None:
    """The parser process's reply is bounded (MAILLAGE_PARSE_REPLY_BYTES): past it, it is
    refused unread and the harvest fails, the source's events kept."""
    harvester = make_harvester(MAILLAGE_PARSE_REPLY_BYTES="20000", MAILLAGE_PARSE_WORKERS="1")
    url = feed_server.put("big.ics", hostile_ics.good(DAY, uid="earlier"), "text/calendar")
    source, state = Source("assoc", url), SourceState()
    assert (await harvester.harvest(source, state)).ok
    published = dict(state.published)

    feed_server.put("big.ics", hostile_ics.many_events(200), "text/calendar")
    status = await harvester.harvest(source, state)
    assert (status.ok, status.error_kind, status.removed) == (False, "parse_reply", 0)
    assert error_fr(status.error_kind).startswith("La lecture du document a produit une réponse")
    assert state.published == published
