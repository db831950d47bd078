"""A projector ends when cancelled, even when the cancellation is swallowed by the fetch.

On Python 3.11, ``asyncio.wait_for`` (which nats-py's ``fetch`` awaits) returns its result,
or raises its timeout, when a cancellation lands as the awaited future completes: the task's
request stays counted (``Task.cancelling()``) but no ``CancelledError`` reaches the loop. The
stand-in subscription below plays exactly that outcome, every time, so the test does not
depend on the race's timing. Before the check, the indexer's task fetched forever and the
process (or a test's teardown) never ended.
"""

from __future__ import annotations

import asyncio
from typing import Any

import nats.errors

from services.indexer.projector import Projector


class SwallowingInbox:
    """The subscription's inbox: its queue holds nothing; waiting on it swallows a
    cancellation (nats-py's ``next_msg`` is a ``wait_for`` too)."""

    def __init__(self, owner: SwallowingSubscription) -> None:
        self.owner = owner
        self._pending_queue: asyncio.Queue[Any] = asyncio.Queue()
        self._pending_size = 0

    async def next_msg(self, timeout: float) -> Any:  # noqa: ASYNC109 (nats-py)
        self.owner.fetches += 1
        await _swallowing_sleep(timeout)
        raise nats.errors.TimeoutError


class SwallowingSubscription:
    """Answers fetches like nats-py under the 3.11 race: a cancellation becomes a timeout,
    both in the wait for a message (fetch_batch) and in nats-py's own ``fetch``."""

    _nms = "$JS.API.CONSUMER.MSG.NEXT.EVENTS.t"
    _deliver = "_INBOX.t"

    def __init__(self) -> None:
        self.fetches = 0
        self._sub = SwallowingInbox(self)
        self._nc = self

    async def publish(self, subject: str, payload: bytes, reply: str) -> None:
        pass  # the pull request: nobody answers it

    async def fetch(self, batch: int, timeout: float) -> list[Any]:  # noqa: ASYNC109 (nats-py)
        self.fetches += 1
        await _swallowing_sleep(timeout)
        raise nats.errors.TimeoutError


async def _swallowing_sleep(seconds: float) -> None:
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        pass  # swallowed, as wait_for does when the future completed meanwhile


async def test_a_cancelled_projector_ends_though_its_fetch_swallowed_the_cancellation(
) -> None:
    projector: Projector[Any] = Projector(
        bus=None, store=None, durable="t")  # type: ignore[arg-type]
    sub = SwallowingSubscription()
    task = asyncio.create_task(projector.consume(projector._fetch(sub, 0.01)))  # type: ignore[arg-type]
    await asyncio.sleep(0.05)
    assert not task.done() and sub.fetches
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=5)
    assert done, "the projector kept fetching after its cancellation"
    assert task.cancelled()
