"""Project a stream into a store: the delivery rules shared by every indexer.

For each batch pulled from a durable consumer:

1. decode every message; one that cannot be decoded (poison) is recorded in the dead-letter
   stream with the reason and terminated at once, so it never blocks the stream;
2. prepare it (enrichment); a message whose preparation fails is retried, and dead-lettered
   after ``max_deliver`` deliveries;
3. apply the batch to the store in one commit, then ack each message. If the store fails
   (unavailable, locked), nothing is acked: the messages are nak'ed with a growing delay and
   redelivered, and the projector catches up when the store is back. If the store refuses
   some messages for their content (:class:`~shared.errors.RejectedMessages`: Elasticsearch
   rejected one document), those are dead-lettered like poison and the others applied again.

Writes are idempotent by version, so a redelivery after a crash (``kill -9`` between commit and
ack) changes nothing: nothing lost, nothing duplicated. Subclasses say which stream, how to
decode and prepare a message, and which store to write.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from nats.aio.msg import Msg
from nats.js import JetStreamContext

from shared.bus import Bus, end_if_cancelled, fetch_batch
from shared.errors import InvalidMessage, RejectedMessages
from shared.metrics import DEAD_LETTERS, INDEX_BATCH_FAILURES, record_batch

log = logging.getLogger(__name__)

M = TypeVar("M")

@dataclass(slots=True)
class Stats:
    applied: int = 0
    stale: int = 0
    dead: int = 0
    retried_batches: int = 0


class Projector(Generic[M]):
    """A durable pull consumer that applies its stream to a store (see the module doc)."""

    stream: str = ""
    subject: str = ""
    what: str = "message"

    def __init__(
        self,
        bus: Bus,
        store: Any,
        *,
        batch_size: int = 256,
        max_deliver: int = 5,
        retry_delay_s: float = 2.0,
        ack_wait_s: float = 30.0,
        durable: str,
    ) -> None:
        self.bus = bus
        self.store = store
        self.batch_size = batch_size
        self.max_deliver = max_deliver
        self.retry_delay_s = retry_delay_s
        self.ack_wait_s = ack_wait_s
        self.durable = durable
        self.stats = Stats()
        self._failures = 0

    # -- what subclasses provide ------------------------------------------------------------

    def decode(self, raw: bytes) -> M:
        """The message; raises :class:`InvalidMessage` for poison."""
        raise NotImplementedError

    def decode_msg(self, msg: Msg) -> M:
        """The message of a delivery (its subject and stream sequence at hand, for the
        projections idempotent by sequence); by default :meth:`decode` of its data."""
        return self.decode(msg.data)

    def prepare(self, message: M) -> M:
        """Enrich an upsert before it is written (identity by default)."""
        return message

    # -- the loop ---------------------------------------------------------------------------

    def filter_subjects(self) -> list[str]:
        """The subjects of the stream this projector reads."""
        return [f"{self.subject}.>"]

    async def subscribe(self) -> JetStreamContext.PullSubscription:
        # Up to three batches are out at once, unacked: one being written, one being
        # prepared, one being fetched (see consume).
        return await self.bus.pull(
            self.stream, self.durable, self.filter_subjects(), ack_wait_s=self.ack_wait_s,
            max_ack_pending=max(2048, 4 * self.batch_size),
        )

    async def run(self, idle_timeout: float = 1.0) -> None:
        """Pull, prepare and write batches until cancelled (see :meth:`consume`)."""
        await self.consume(self._fetch(await self.subscribe(), idle_timeout))

    async def _fetch(self, sub: JetStreamContext.PullSubscription,
                     idle_timeout: float) -> AsyncIterator[list[Msg]]:
        while True:
            end_if_cancelled()  # a cancellation nats-py's fetch swallowed (Python 3.11)
            try:
                yield await fetch_batch(sub, self.batch_size, idle_timeout)
            except TimeoutError:  # nothing to fetch (nats' TimeoutError subclasses it)
                continue
            except Exception as exc:  # the server restarts: the client reconnects by itself
                log.warning("cannot fetch now: %s", exc or type(exc).__name__,
                            extra={"stream": self.stream})
                await asyncio.sleep(1)

    async def consume(self, batches: AsyncIterator[list[Msg]]) -> None:
        """Prepare and write ``batches``. While a batch is being written (and acked once
        committed), the next one is prepared and the one after it fetched: the store's work,
        the enrichment's and the fetch overlap. Batches are still written one after the
        other, in order."""
        writing: asyncio.Task[None] | None = None
        try:
            async for msgs in _ahead(batches):
                ready = await self.prepare_batch(msgs)
                if writing is not None:
                    await writing
                writing = asyncio.create_task(self.write_batch(ready))
            if writing is not None:
                await writing
        finally:
            if writing is not None and not writing.done():
                writing.cancel()  # its messages are not acked: they come back after ack wait

    async def handle_batch(self, msgs: list[Msg]) -> None:
        """Prepare and write one batch (see the module doc)."""
        await self.write_batch(await self.prepare_batch(msgs))

    async def prepare_batch(self, msgs: list[Msg]) -> list[tuple[Msg, M]]:
        """Decode and prepare ``msgs``: the messages ready to write; poison is dead-lettered,
        a message whose preparation failed is retried (then dead-lettered)."""
        ready: list[tuple[Msg, M]] = []
        for msg in msgs:
            try:
                ready.append((msg, self.prepare(self.decode_msg(msg))))
            except InvalidMessage as exc:
                await self._dead_letter(msg, exc.message)
            except Exception as exc:  # a bug on one message: retry, then dead-letter
                log.warning("%s preparation failed", self.what, exc_info=True)
                await self._preparation_failed(msg, repr(exc))
        return ready

    async def _preparation_failed(self, msg: Msg, error: str) -> None:
        """Retry ``msg`` after a delay, or dead-letter it after ``max_deliver`` deliveries."""
        if msg.metadata.num_delivered >= self.max_deliver:
            await self._dead_letter(msg, f"preparation failed: {error}")
        else:
            await msg.nak(delay=self.retry_delay_s)

    async def write_batch(self, ready: list[tuple[Msg, M]]) -> None:
        """Apply ``ready`` in one commit, then ack it; nak it with a growing delay when the
        store fails."""
        if not ready:
            return
        started = time.perf_counter()
        try:
            outcomes = await self._apply(ready)
        except Exception:
            INDEX_BATCH_FAILURES.inc()
            self._failures += 1
            self.stats.retried_batches += 1
            delay = min(self.retry_delay_s * 2 ** (self._failures - 1), 60.0)
            log.warning("store write failed; retrying batch in %.1f s", delay, exc_info=True,
                        extra={"stream": self.stream})
            for msg, _ in ready:
                await msg.nak(delay=delay)
            await asyncio.sleep(delay)
            return
        self._failures = 0
        record_batch(time.perf_counter() - started, outcomes)
        for (msg, _), outcome in zip(ready, outcomes, strict=True):
            await msg.ack()
            if outcome == "stale":
                self.stats.stale += 1
            else:
                self.stats.applied += 1

    async def _apply(self, ready: list[tuple[Msg, M]]) -> list[Any]:
        """Apply ``ready`` (dead-lettering the messages the store refuses; ``ready`` keeps
        the others), one outcome per message kept."""
        while ready:
            try:
                return list(await self.store.apply([m for _, m in ready]))
            except RejectedMessages as exc:
                for i, reason in sorted(exc.reasons.items()):
                    await self._dead_letter(ready[i][0], f"refused by the store: {reason}")
                ready[:] = [pair for i, pair in enumerate(ready) if i not in exc.reasons]
        return []

    async def _dead_letter(self, msg: Msg, reason: str) -> None:
        meta = msg.metadata
        await self.bus.dead_letter(self.stream, msg.subject, msg.data, reason,
                                   meta.sequence.stream)
        await msg.term()
        DEAD_LETTERS.labels(self.stream).inc()
        self.stats.dead += 1
        log.error("message dead-lettered", extra={"subject": msg.subject, "error": reason})


async def _ahead(batches: AsyncIterator[list[Msg]]) -> AsyncIterator[list[Msg]]:
    """``batches``, the next one fetched while the caller works on the current one (the
    fetch of 1,024 messages costs the event loop ~60 ms that need not wait for the
    preparation before it). A fetch still running when the caller stops is cancelled: what
    it received is not acked and comes back after the ack wait."""
    pending: asyncio.Future[list[Msg]] = asyncio.ensure_future(anext(batches))
    try:
        while True:
            try:
                msgs = await pending
            except StopAsyncIteration:
                return
            pending = asyncio.ensure_future(anext(batches))
            yield msgs
    finally:
        if not pending.done():
            pending.cancel()
            await asyncio.wait({pending})
