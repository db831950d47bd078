"""shared.bus.fetch_batch against a real nats-server: the messages nats-py's fetch would give,
in stream order, none twice, and the same ending when there are none."""

from __future__ import annotations

import asyncio
import time

import nats.errors
import pytest

from shared.bus import EVENTS_SUBJECT, Bus, fetch_batch


async def _publish(bus: Bus, n: int, first: int = 0) -> None:
    for i in range(first, first + n):
        await bus.js.publish(f"{EVENTS_SUBJECT}.src", str(i).encode())


async def _pull(bus: Bus, name: str = "fb") -> object:
    return await bus.pull("EVENTS", name, [f"{EVENTS_SUBJECT}.>"], ack_wait_s=30)


def _values(msgs: list) -> list[int]:  # type: ignore[type-arg]
    return [int(m.data) for m in msgs]


async def test_a_batch_comes_whole_in_stream_order(bus: Bus) -> None:
    await _publish(bus, 250)
    sub = await _pull(bus)
    seen: list[int] = []
    for expected in (100, 100, 50):
        msgs = await fetch_batch(sub, 100, 1.0)  # type: ignore[arg-type]
        assert len(msgs) == expected
        seen += _values(msgs)
        for m in msgs:
            await m.ack()
    assert seen == list(range(250))


async def test_fewer_than_asked_come_back_without_waiting_for_more(bus: Bus) -> None:
    await _publish(bus, 7)
    sub = await _pull(bus)
    t0 = time.monotonic()
    msgs = await fetch_batch(sub, 1024, 5.0)  # type: ignore[arg-type]
    assert _values(msgs) == list(range(7))
    # the request's no_wait answer ends it: not the 5 s of the lingering request
    assert time.monotonic() - t0 < 4


async def test_an_empty_stream_times_out_like_fetch(bus: Bus) -> None:
    sub = await _pull(bus)
    t0 = time.monotonic()
    with pytest.raises(nats.errors.TimeoutError):
        await fetch_batch(sub, 10, 0.3)  # type: ignore[arg-type]
    assert time.monotonic() - t0 < 3


async def test_messages_published_while_waiting_are_fetched(bus: Bus) -> None:
    sub = await _pull(bus)
    later = asyncio.create_task(_publish_soon(bus))
    msgs = await fetch_batch(sub, 10, 5.0)  # type: ignore[arg-type]
    await later
    assert _values(msgs)[:1] == [0]  # the lingering request delivered what came


async def _publish_soon(bus: Bus) -> None:
    await asyncio.sleep(0.3)
    await _publish(bus, 3)


async def test_unacked_messages_come_back_and_none_is_lost(bus: Bus) -> None:
    await _publish(bus, 30)
    sub = await bus.pull("EVENTS", "redeliver", [f"{EVENTS_SUBJECT}.>"], ack_wait_s=1)
    first = await fetch_batch(sub, 20, 1.0)  # type: ignore[arg-type]
    for m in first[:10]:
        await m.ack()
    got: set[int] = set(_values(first[:10]))
    deadline = time.monotonic() + 15
    while len(got) < 30 and time.monotonic() < deadline:
        try:
            msgs = await fetch_batch(sub, 50, 0.5)  # type: ignore[arg-type]
        except nats.errors.TimeoutError:
            continue
        for m in msgs:
            got.add(int(m.data))
            await m.ack()
    assert got == set(range(30))


async def test_invalid_arguments_are_refused(bus: Bus) -> None:
    sub = await _pull(bus)
    with pytest.raises(ValueError):
        await fetch_batch(sub, 0, 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await fetch_batch(sub, 1, 0)  # type: ignore[arg-type]
