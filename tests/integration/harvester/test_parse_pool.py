"""Parser processes bounded in time and memory (issue 17.1): real child processes, real limits.

Timings here only check that something ended (bounds generous for a shared 2-core machine);
performance figures come from ``python -m bench``.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.harvester.formats.base import ParseContext
from services.harvester.parse_pool import (
    _ENCODER,
    CHILD_ENV,
    EventsReply,
    ParseJob,
    ParseLimits,
    ParsePool,
    decode_reply,
    run_job,
)
from shared.errors import ParseError
from tests.unit.harvester import hostile_ics

pytestmark = pytest.mark.integration

CTX = ParseContext(source_id="src", now=datetime(2026, 3, 1, 12, tzinfo=UTC))
GOOD = hostile_ics.good("20260310")


def job(body: bytes, **ctx: object) -> ParseJob:
    return ParseJob(body, ParseContext(source_id="src", now=CTX.now, **ctx), "ics")  # type: ignore[arg-type]


@pytest.fixture
async def pool() -> AsyncIterator[ParsePool]:
    made = ParsePool(ParseLimits(timeout_s=3.0, memory_mb=512, workers=2))
    try:
        yield made
    finally:
        await made.close()


async def test_a_document_is_parsed_in_a_child_process(pool) -> None:
    result = await pool.parse(job(GOOD))
    assert [e.title for e in result.events] == ["good"]
    assert pool.pids() and os.getpid() not in pool.pids()


async def test_never_ending_rule_is_stopped_at_the_timeout_and_the_child_replaced(pool) -> None:
    await pool.parse(job(GOOD))
    [before] = pool.pids()
    started = time.monotonic()
    with pytest.raises(ParseError) as info:
        await pool.parse(job(hostile_ics.never_ending(), document_budget_s=60.0))
    assert info.value.kind == "parse_timeout"
    assert time.monotonic() - started < 3.0 + 10  # the timeout, plus a loaded machine's lag
    assert before not in pool.pids()  # killed...
    assert [e.title for e in (await pool.parse(job(GOOD))).events] == ["good"]  # ...replaced


async def test_event_loop_keeps_running_while_a_document_is_parsed(pool) -> None:
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.05)
            ticks += 1

    beating = asyncio.create_task(heartbeat())
    started = time.monotonic()
    with pytest.raises(ParseError):
        await pool.parse(job(hostile_ics.never_ending(), document_budget_s=60.0))
    elapsed = time.monotonic() - started
    beating.cancel()
    # Parsed on the loop, the 3 s of dateutil would have let no tick through.
    assert ticks >= elapsed / 0.05 / 3


async def test_cpu_limit_is_enforced_by_the_kernel() -> None:
    made = ParsePool(ParseLimits(timeout_s=60.0, cpu_s=1.0, workers=1))
    try:
        started = time.monotonic()
        with pytest.raises(ParseError) as info:
            await made.parse(job(hostile_ics.never_ending(), document_budget_s=60.0))
        assert info.value.kind == "parse_timeout" and "CPU" in info.value.message
        assert time.monotonic() - started < 30  # well before the 60 s wall-clock timeout
    finally:
        await made.close()


async def test_memory_limit_fails_the_document_not_the_harvester() -> None:
    made = ParsePool(ParseLimits(timeout_s=60.0, memory_mb=120, workers=1))
    try:
        with pytest.raises(ParseError) as info:
            await made.parse(job(hostile_ics.many_events(15_000, text=2000),
                                 document_budget_s=60.0))
        assert info.value.kind == "parse_memory"
        assert [e.title for e in (await made.parse(job(GOOD))).events] == ["good"]
    finally:
        await made.close()


async def test_parser_errors_come_back_with_their_kind(pool) -> None:
    with pytest.raises(ParseError) as info:
        await pool.parse(job(b"<html><body>not a calendar</body></html>"))
    assert info.value.kind == "parse" and "iCalendar" in info.value.message
    with pytest.raises(ParseError) as info:
        await pool.parse(job(hostile_ics.daily_series(50), max_document_occurrences=100))
    assert info.value.kind == "too_many_occurrences"


async def test_close_stops_every_child() -> None:
    made = ParsePool(ParseLimits(workers=2))
    await asyncio.gather(made.parse(job(GOOD)), made.parse(job(GOOD)))
    children = [c.process for c in made._idle]
    assert children
    await made.close()
    assert made.pids() == [] and all(p.poll() is not None for p in children)


COMPROMISED = "tests.integration.harvester.compromised_parser:main"


@pytest.fixture
async def compromised(monkeypatch) -> AsyncIterator[ParsePool]:
    """A pool whose parser process is the stand-in of compromised_parser.py (the parser
    processes import what the harvester's import path holds: here the repository too)."""
    monkeypatch.syspath_prepend(str(Path(__file__).parents[3]))
    made = ParsePool(ParseLimits(workers=1), entry=COMPROMISED)
    try:
        yield made
    finally:
        await made.close()


async def test_a_parser_process_holds_none_of_the_harvesters_secrets(monkeypatch) -> None:
    """Before, the parser processes were forked with the harvester's whole environment: a
    code-execution bug in a parser library could read the push secrets, SMTP password..."""
    monkeypatch.setenv("MAILLAGE_PUSH_SECRETS", "pub:s3cr3t-push")
    monkeypatch.setenv("MAILLAGE_SMTP_PASSWORD", "s3cr3t-smtp")
    monkeypatch.setenv("TZ", "Europe/Paris")
    made = ParsePool(ParseLimits(workers=1))
    try:
        assert [e.title for e in (await made.parse(job(GOOD))).events] == ["good"]
        [pid] = made.pids()
        environ = await asyncio.to_thread(Path(f"/proc/{pid}/environ").read_bytes)
        names = {item.split(b"=", 1)[0].decode() for item in environ.split(b"\0") if item}
    finally:
        await made.close()
    assert "TZ" in names and "PATH" in names
    assert names <= set(CHILD_ENV), names - set(CHILD_ENV)


async def test_a_pickled_reply_is_refused_and_never_executed(compromised, tmp_path) -> None:
    marker = tmp_path / "executed"
    with pytest.raises(ParseError) as info:
        await compromised.parse(job(GOOD, options={"reply": "pickle", "marker": str(marker)}))
    assert info.value.kind == "parse_reply" and "not valid data" in info.value.message
    assert compromised.pids() == []  # the process that sent it was stopped
    assert not marker.exists()


@pytest.mark.parametrize(("reply", "reason"), [
    ("other_source", "an event of another source"),
    ("wrong_type", "Expected `str`, got `int`"),
    ("bad_kind", "at `$.kind`"),
])
async def test_a_reply_outside_the_schema_is_refused(compromised, reply: str, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        await compromised.parse(job(GOOD, options={"reply": reply}))
    assert info.value.kind == "parse_reply" and reason in info.value.message


async def test_a_reply_longer_than_the_limit_is_refused_and_the_child_replaced() -> None:
    made = ParsePool(ParseLimits(workers=1, reply_bytes=20_000))
    try:
        assert [e.title for e in (await made.parse(job(GOOD))).events] == ["good"]
        [before] = made.pids()
        with pytest.raises(ParseError) as info:
            await made.parse(job(hostile_ics.many_events(200)))
        assert info.value.kind == "parse_reply" and "20,000 bytes" in info.value.message
        assert before not in made.pids()
        assert [e.title for e in (await made.parse(job(GOOD))).events] == ["good"]
    finally:
        await made.close()


def test_a_reply_gives_back_the_parsed_document_as_it_was() -> None:
    body = hostile_ics.many_events(3)
    parsed = run_job(job(body))
    raw = _ENCODER.encode(EventsReply(parsed))
    assert decode_reply(raw, job(body)).result == parsed
