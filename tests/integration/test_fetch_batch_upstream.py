"""An outside check of ``shared.bus.fetch_batch``: each case runs twice against a real
nats-server, once with nats-py's ``PullSubscription.fetch`` and once with ``fetch_batch``,
and asserts the same observable outcome for both (messages, order, exception). The two
places where they differ (neither loses, duplicates or reorders a message) say so and assert
each one's outcome: ``test_more_left_in_the_queue_than_the_batch`` and
``test_every_waiting_slot_taken``.

Cases adapted (rewritten, not copied) from the pull-subscription tests of the upstream
nats.py project (github.com/nats-io/nats.py, Apache-2.0), file ``tests/test_js.py``, class
``PullSubscribeTest``, as stored at commit acbf469ba4b031063791ea37f0aaf075c4976695 and in a
later version of the same file (the one holding ``test_fetch_cancelled_errors_raised``):

- ``test_fetch_n_sequence``              <- ``test_fetch_n``
- ``test_concurrent_fetches_at_max_waiting_time_out_without_api_error``
                                         <- ``test_fetch_max_waiting_fetch_n``
- ``test_concurrent_fetches_while_publishing``  <- ``test_fetch_concurrent``
- ``test_headers_come_through_a_batch``  <- ``test_fetch_headers``
- ``test_pending_limits``                <- ``test_pull_subscribe_limits``
- ``test_every_waiting_slot_taken``      <- ``test_fetch_max_waiting_fetch_one`` (one slot)
- ``test_a_cancelled_fetch_raises_cancelled``   <- ``test_fetch_cancelled_errors_raised``
  (upstream patches ``asyncio.wait_for``; here a real task is cancelled)
- ``test_ephemeral_consumer``            <- ``test_ephemeral_pull_subscribe``
- ``test_filter_subject``                <- ``test_auto_create_consumer``

Not ported: ``test_fetch_heartbeats`` and ``test_fetch_one_wait_forever`` (``fetch_batch``
takes neither ``heartbeat`` nor ``timeout=None``; the indexer uses neither).

The other cases are attacks of our own where the two could differ: messages arriving over
many socket reads, 1 MB payloads, a batch larger than ``max_ack_pending``, a consumer
deleted during a fetch, stale statuses and stale messages of an earlier request sitting in
the queue, a status arriving during a fetch, a message carrying a ``Status`` header, a fetch
cancelled midway then a new one (no message lost: unacked ones come back after
``ack_wait``), a server restarted during a fetch, and ``batch=1``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

import nats.errors
import pytest
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig
from nats.js.errors import APIError, ServiceUnavailableError

from shared.bus import Bus, fetch_batch
from shared.natsserver import NatsServer
from tests.integration.test_pipeline import eventually

Sub = JetStreamContext.PullSubscription
Fetch = Callable[[Sub, int, float], Awaitable[list[Msg]]]


async def _nats_py(sub: Sub, batch: int, wait_s: float) -> list[Msg]:
    return await sub.fetch(batch, timeout=wait_s)


@pytest.fixture(params=["nats_py_fetch", "fetch_batch"])
def fetch(request: pytest.FixtureRequest) -> Fetch:
    return _nats_py if request.param == "nats_py_fetch" else fetch_batch


async def _stream(bus: Bus, name: str, *subjects: str) -> None:
    await bus.js.add_stream(name=name, subjects=list(subjects))


async def _sub(bus: Bus, subject: str, durable: str, stream: str, **config: object) -> Sub:
    return await bus.js.pull_subscribe(subject, durable, stream=stream,
                                       config=ConsumerConfig(**config))  # type: ignore[arg-type]


async def _true(value: bool) -> bool:
    return value


def _data(msgs: list[Msg]) -> list[bytes]:
    return [m.data for m in msgs]


async def _drain(fetch: Fetch, sub: Sub, batch: int = 100, wait_s: float = 0.5,
                 ack: bool = True) -> list[Msg]:
    """Everything the consumer still delivers, until a fetch times out."""
    got: list[Msg] = []
    while True:
        try:
            msgs = await fetch(sub, batch, wait_s)
        except nats.errors.TimeoutError:
            return got
        if not msgs:
            return got
        for m in msgs:
            if ack:
                await m.ack()
        got += msgs


# --- adapted from upstream -----------------------------------------------------------------


async def test_fetch_n_sequence(bus: Bus, fetch: Fetch) -> None:
    await _stream(bus, "TESTN", "a", "b", "c")
    for i in range(10):
        await bus.js.publish("a", f"i:{i}".encode())
    sub = await _sub(bus, "a", "durable-1", "TESTN", max_waiting=3)

    msgs = await fetch(sub, 5, 5)
    assert _data(msgs) == [f"i:{i}".encode() for i in range(5)]
    for m in msgs:
        await m.ack()
    assert (await sub.consumer_info()).num_pending == 5

    msgs = await fetch(sub, 10, 0.5)  # fewer available than asked
    assert _data(msgs) == [f"i:{i}".encode() for i in range(5, 10)]
    for m in msgs:
        await m.ack_sync()
    info = await sub.consumer_info()
    assert (info.num_ack_pending, info.num_pending, info.delivered.stream_seq) == (0, 0, 10)

    await bus.js.publish("a", b"i:11")
    msgs = await fetch(sub, 2, 0.5)
    assert _data(msgs) == [b"i:11"]
    unacked = msgs[0]
    await bus.js.publish("a", b"i:12")

    # i:12 is there at once; i:13 and i:14 come after the no_wait request ended
    fut = asyncio.create_task(fetch(sub, 3, 2))
    await asyncio.sleep(0.5)
    await bus.js.publish("a", b"i:13")
    await bus.js.publish("a", b"i:14")
    msgs = await fut
    assert _data(msgs) == [b"i:12"]
    await msgs[0].ack_sync()
    await unacked.ack_sync()

    assert _data(await fetch(sub, 1, 0.5)) == [b"i:13"]
    assert _data(await fetch(sub, 1, 0.5)) == [b"i:14"]
    with pytest.raises(nats.errors.TimeoutError):
        await fetch(sub, 1, 0.5)
    with pytest.raises(nats.errors.TimeoutError):
        await fetch(sub, 5, 0.5)


async def test_concurrent_fetches_at_max_waiting_time_out_without_api_error(
        bus: Bus, fetch: Fetch) -> None:
    await _stream(bus, "TEST31", "max")
    sub = await _sub(bus, "max", "example", "TEST31", max_waiting=3)
    results = await asyncio.gather(*(fetch(sub, 2, 1) for _ in range(5)),
                                   return_exceptions=True)
    # the two requests past max_waiting get a 409 the fetch skips: a timeout, no APIError
    for r in results:
        assert isinstance(r, nats.errors.TimeoutError) or r == [], r


async def test_concurrent_fetches_while_publishing(bus: Bus, fetch: Fetch) -> None:
    await _stream(bus, "TESTN10", "a")
    published: list[int] = []

    async def publish() -> None:
        i = 0
        while True:
            await bus.js.publish("a", str(i).encode())
            published.append(i)
            i += 1
            await asyncio.sleep(0.01)

    sub = await _sub(bus, "a", "durable-1", "TESTN10", max_waiting=3)
    task = asyncio.create_task(publish())
    got: list[int] = []
    start = time.monotonic()
    try:
        while time.monotonic() - start < 2:
            results = await asyncio.gather(*(fetch(sub, 2, 1) for _ in range(6)),
                                           return_exceptions=True)
            for r in results:
                if isinstance(r, BaseException):
                    # no API level error on fetch, only timeouts or messages
                    assert isinstance(r, nats.errors.TimeoutError), r
                    continue
                for m in r:
                    assert m.header is None
                    got.append(int(m.data))
                    await m.ack()
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    got += [int(m.data) for m in await _drain(fetch, sub)]
    assert len(got) == len(set(got)), "a message fetched twice"
    assert sorted(got) == published, "a message lost"


async def test_headers_come_through_a_batch(bus: Bus, fetch: Fetch) -> None:
    await _stream(bus, "test-nats", "test.nats.1")
    await bus.js.publish("test.nats.1", b"first_msg", headers={"": ""})
    await bus.js.publish("test.nats.1", b"second_msg",
                         headers={"  AAA-AAA-AAA  ": "     a          ",
                                  "  AAA-BBB-AAA  ": "               "})
    await bus.js.publish("test.nats.1", b"third_msg", headers={"Nats-Msg-Id": "x1", "k": "v"})
    sub = await _sub(bus, "test.nats.1", "durable", "test-nats")
    msgs = await fetch(sub, 3, 2)
    assert _data(msgs) == [b"first_msg", b"second_msg", b"third_msg"]
    assert msgs[0].header is None
    assert msgs[1].header == {"AAA-AAA-AAA": "a", "AAA-BBB-AAA": ""}
    assert msgs[2].header is not None and msgs[2].header["k"] == "v"


async def test_pending_limits(bus: Bus, fetch: Fetch) -> None:
    await _stream(bus, "TEST2", "a1", "a3")
    for i in range(100):
        await bus.js.publish("a3", f"{i}".encode())
    # a short queue: the client drops what overflows it (the server redelivers after ack_wait)
    sub = await bus.js.pull_subscribe("a3", "auto", stream="TEST2", pending_msgs_limit=50,
                                      pending_bytes_limit=-1)
    msgs = await fetch(sub, 100, 1)
    values = [int(m.data) for m in msgs]
    assert 1 <= len(values) <= 100
    assert values == sorted(set(values))  # in stream order, none twice
    assert sub.pending_msgs == 0
    assert sub.pending_bytes == 0

    sub = await bus.js.pull_subscribe("a3", "two", stream="TEST2", pending_msgs_limit=-1,
                                      pending_bytes_limit=-1)
    msgs = await fetch(sub, 100, 1)
    assert [int(m.data) for m in msgs] == list(range(100))
    assert (sub.pending_msgs, sub.pending_bytes) == (0, 0)
    await sub.unsubscribe()
    await bus.js.publish("a3", b"last message")
    with pytest.raises(nats.errors.TimeoutError):
        await fetch(sub, 2, 1)
    assert (await sub.consumer_info()).num_pending == 1


async def test_a_cancelled_fetch_raises_cancelled(bus: Bus, fetch: Fetch) -> None:
    await _stream(bus, "test", "test.a")
    sub = await _sub(bus, "test.a", "a", "test", max_waiting=512, max_ack_pending=1024)
    task = asyncio.create_task(fetch(sub, 10, 5))
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_ephemeral_consumer(bus: Bus, fetch: Fetch) -> None:
    await _stream(bus, "TEST_EPHEMERAL", "a1", "a2")
    for i in range(1, 10):
        await bus.js.publish("a1", f"a1:{i}".encode())
    sub = await bus.js.pull_subscribe("a1", stream="TEST_EPHEMERAL")
    msgs = await fetch(sub, 5, 2)
    assert _data(msgs) == [f"a1:{i}".encode() for i in range(1, 6)]
    info = await sub.consumer_info()
    assert info.config.durable_name is None and info.num_ack_pending == 5


async def test_filter_subject(bus: Bus, fetch: Fetch) -> None:
    await _stream(bus, "TEST2", "a1", "a2", "a3")
    for i in range(1, 10):
        await bus.js.publish("a1", f"a1:{i}".encode())
    sub = await _sub(bus, "a2", "auto", "TEST2")
    await bus.js.publish("a2", b"one")
    for i in range(10, 20):
        await bus.js.publish("a3", f"a3:{i}".encode())
    assert _data(await fetch(sub, 10, 1)) == [b"one"]
    with pytest.raises(nats.errors.TimeoutError):
        await fetch(sub, 10, 0.5)


# --- attacks of our own ----------------------------------------------------------------------


async def test_many_socket_reads(bus: Bus, fetch: Fetch) -> None:
    await _stream(bus, "BIG", "big")
    body = b"x" * 4000
    for i in range(600):  # 2.4 MB: delivered over many reads of the client's socket
        await bus.js.publish("big", f"{i:04d}".encode() + body)
    sub = await _sub(bus, "big", "big", "BIG")
    first = await fetch(sub, 500, 5)
    assert [int(m.data[:4]) for m in first] == list(range(500))
    rest = await fetch(sub, 500, 5)
    assert [int(m.data[:4]) for m in rest] == list(range(500, 600))
    assert all(len(m.data) == 4004 for m in first + rest)


async def test_one_megabyte_payloads(bus: Bus, fetch: Fetch) -> None:
    await _stream(bus, "MB", "mb")
    for i in range(4):
        await bus.js.publish("mb", bytes([65 + i]) * 1_000_000)
    sub = await _sub(bus, "mb", "mb", "MB")
    msgs = await fetch(sub, 10, 5)
    assert [m.data == bytes([65 + i]) * 1_000_000 for i, m in enumerate(msgs)] == [True] * 4
    assert (sub.pending_msgs, sub.pending_bytes) == (0, 0)


async def test_a_batch_larger_than_max_ack_pending(bus: Bus, fetch: Fetch) -> None:
    await _stream(bus, "MAP", "map")
    for i in range(20):
        await bus.js.publish("map", str(i).encode())
    sub = await _sub(bus, "map", "map", "MAP", max_ack_pending=5, ack_wait=30)
    msgs = await fetch(sub, 10, 1)
    assert [int(m.data) for m in msgs] == list(range(5))
    with pytest.raises(nats.errors.TimeoutError):  # nothing more until some are acked
        await fetch(sub, 10, 0.5)
    for m in msgs:
        await m.ack_sync()
    rest = await _drain(fetch, sub, batch=10)
    assert [int(m.data) for m in rest] == list(range(5, 20))


async def test_consumer_deleted_while_fetching(bus: Bus, fetch: Fetch) -> None:
    await _stream(bus, "DEL", "del")
    sub = await _sub(bus, "del", "gone", "DEL")
    task = asyncio.create_task(fetch(sub, 10, 1.5))
    await asyncio.sleep(0.3)
    await bus.js.delete_consumer("DEL", "gone")
    # the server's 409 Consumer Deleted is skipped: the fetch ends at its timeout, no error
    try:
        outcome: object = await task
    except nats.errors.TimeoutError:
        outcome = "timeout"
    assert outcome in ("timeout", [])
    # no consumer to answer: the server says 503 (no responders), the fetch raises it
    with pytest.raises(ServiceUnavailableError):
        await fetch(sub, 10, 0.5)


async def test_every_waiting_slot_taken(bus: Bus, fetch: Fetch) -> None:
    await _stream(bus, "MW", "mw")
    sub = await _sub(bus, "mw", "mw", "MW", max_waiting=1)
    # another client's request holds the consumer's only waiting slot for 1 s
    other = await bus.nc.subscribe(bus.nc.new_inbox())
    await bus.nc.publish(sub._nms, json.dumps({"batch": 1, "expires": 1_000_000_000}).encode(),
                         other.subject)
    await bus.nc.flush()

    async def later() -> None:
        await asyncio.sleep(1.3)
        for i in range(3):
            await bus.js.publish("mw", str(i).encode())

    publisher = asyncio.create_task(later())
    try:
        outcome: object = await fetch(sub, 10, 2.5)
    except nats.errors.TimeoutError:
        outcome = "timeout"
    await publisher
    # Refused (409 Exceeded MaxWaiting), both end without a message and without an error;
    # nats-py's fetch, whose second request is refused too, with an empty list, fetch_batch
    # with the TimeoutError of a fetch that got nothing (both callers expect either).
    assert outcome == ([] if fetch is _nats_py else "timeout")
    assert [int(m.data) for m in await _drain(fetch, sub)] == [0, 1, 2]


async def _inject(bus: Bus, sub: Sub, *statuses: str) -> None:
    """Status messages as the server sends them, straight into the subscription's inbox."""
    for status in statuses:
        await bus.nc.publish(sub._deliver, b"", headers={"Status": status,
                                                         "Description": "injected"})
    await bus.nc.flush()


async def test_stale_statuses_in_the_queue_are_dropped(bus: Bus, fetch: Fetch) -> None:
    await _stream(bus, "STALE", "stale")
    sub = await _sub(bus, "stale", "stale", "STALE")
    await _inject(bus, sub, "408", "404", "409", "100", "503")
    await eventually(lambda: _true(sub.pending_msgs == 5))
    for i in range(3):
        await bus.js.publish("stale", str(i).encode())
    msgs = await fetch(sub, 10, 2)
    assert _data(msgs) == [b"0", b"1", b"2"]


async def _abandoned_request(bus: Bus, published: int, asked: int) -> Sub:
    """A consumer with ``published`` messages, ``asked`` of them delivered to the inbox by a
    request nobody waits for any more (a cancelled fetch's): they sit in the queue."""
    await _stream(bus, "EARLY", "early")
    for i in range(published):
        await bus.js.publish("early", str(i).encode())
    sub = await _sub(bus, "early", "early", "EARLY")
    await bus.nc.publish(sub._nms, json.dumps({"batch": asked, "no_wait": True}).encode(),
                         sub._deliver)
    await eventually(lambda: _true(sub.pending_msgs >= asked))
    return sub


async def test_messages_of_an_earlier_request_in_the_queue(bus: Bus, fetch: Fetch) -> None:
    sub = await _abandoned_request(bus, 8, 3)
    msgs = await fetch(sub, 5, 2)
    assert [int(m.data) for m in msgs] == list(range(5))
    rest = await _drain(fetch, sub)
    assert [int(m.data) for m in rest] == [5, 6, 7]


async def test_more_left_in_the_queue_than_the_batch(bus: Bus, fetch: Fetch) -> None:
    sub = await _abandoned_request(bus, 6, 6)
    first = await fetch(sub, 2, 1)
    # The one difference found: nats-py's fetch empties the whole queue into its answer (6
    # messages for a batch of 2, then asks the server for -4); fetch_batch takes 2 and leaves
    # the rest for the next fetch. The same messages come, in the same order, none lost.
    assert len(first) == (6 if fetch is _nats_py else 2)
    got = [int(m.data) for m in first + await _drain(fetch, sub)]
    assert got == list(range(6))


async def test_a_status_during_a_fetch(bus: Bus, fetch: Fetch) -> None:
    await _stream(bus, "INFLIGHT", "inflight")
    sub = await _sub(bus, "inflight", "inflight", "INFLIGHT")
    task = asyncio.create_task(fetch(sub, 10, 2))
    await asyncio.sleep(0.3)
    await _inject(bus, sub, "503")
    with pytest.raises(APIError):
        await task


async def test_a_message_with_a_status_header_is_taken_for_a_status(
        bus: Bus, fetch: Fetch) -> None:
    # A hazard both share (nats-py tells statuses by the header alone): a message published
    # with a "Status" header fails the fetch that meets it. Only a client allowed to publish
    # on the stream can do that; Bus.publish sets no such header.
    await _stream(bus, "POISON", "poison")
    for i in range(5):
        await bus.js.publish("poison", str(i).encode(),
                             headers={"Status": "503"} if i == 2 else {"k": "v"})
    sub = await _sub(bus, "poison", "poison", "POISON")
    with pytest.raises(ServiceUnavailableError):
        await fetch(sub, 10, 1)
    assert [int(m.data) for m in await _drain(fetch, sub)] == [3, 4]


async def test_cancelled_midway_then_nothing_is_lost(bus: Bus, fetch: Fetch) -> None:
    await _stream(bus, "CANCEL", "cancel")
    body = b"x" * 4000
    for i in range(300):
        await bus.js.publish("cancel", f"{i:03d}".encode() + body)
    sub = await _sub(bus, "cancel", "cancel", "CANCEL", ack_wait=1)
    task = asyncio.create_task(fetch(sub, 300, 5))
    while sub.delivered == 0:  # noqa: ASYNC110 - cancelled as the first messages come in
        await asyncio.sleep(0)
    task.cancel()
    try:
        await task  # what a fetch completed before the cancel is left unacked too
    except asyncio.CancelledError:
        pass
    got: set[int] = set()
    deadline = time.monotonic() + 20
    while len(got) < 300 and time.monotonic() < deadline:
        for m in await _drain(fetch, sub, batch=100):
            got.add(int(m.data[:3]))
    assert got == set(range(300))


async def test_server_restarted_during_a_fetch(bus: Bus, nats_server: NatsServer,
                                               fetch: Fetch) -> None:
    await _stream(bus, "RESTART", "restart")
    for i in range(3):
        await bus.js.publish("restart", str(i).encode())
    sub = await _sub(bus, "restart", "restart", "RESTART", ack_wait=1)
    assert _data(await fetch(sub, 10, 1)) == [b"0", b"1", b"2"]  # left unacked
    task = asyncio.create_task(fetch(sub, 10, 4))
    await asyncio.sleep(0.3)
    await asyncio.to_thread(nats_server.stop)
    await asyncio.to_thread(nats_server.start)
    with pytest.raises(nats.errors.TimeoutError):  # its request went with the server
        await task
    got: list[int] = []
    deadline = time.monotonic() + 10
    while len(set(got)) < 3 and time.monotonic() < deadline:
        got += [int(m.data) for m in await _drain(fetch, sub, batch=10)]
    assert got == [0, 1, 2]  # redelivered once, after ack_wait


async def test_batch_of_one(bus: Bus, fetch: Fetch) -> None:
    await _stream(bus, "ONE", "one")
    for i in range(3):
        await bus.js.publish("one", str(i).encode())
    sub = await _sub(bus, "one", "one", "ONE")
    for i in range(3):
        assert _data(await fetch(sub, 1, 1)) == [str(i).encode()]
    with pytest.raises(nats.errors.TimeoutError):
        await fetch(sub, 1, 0.5)

    async def later() -> None:
        await asyncio.sleep(0.3)
        await bus.js.publish("one", b"3")

    publisher = asyncio.create_task(later())
    assert _data(await fetch(sub, 1, 3)) == [b"3"]
    await publisher


async def test_invalid_arguments(bus: Bus, fetch: Fetch) -> None:
    await _stream(bus, "ARGS", "args")
    sub = await _sub(bus, "args", "args", "ARGS")
    for batch, wait_s in ((0, 1.0), (-1, 1.0), (5, 0), (5, -1.0)):
        with pytest.raises(ValueError):
            await fetch(sub, batch, wait_s)
