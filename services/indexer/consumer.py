"""Consume the events stream into the search store.

For each batch pulled from the durable consumer:

1. decode every message; one that cannot be decoded (poison) is recorded in the dead-letter
   stream with the reason and terminated at once, so it never blocks the stream;
2. enrich the upserts (themes, keywords, geolocation, accessibility, sanitized text); a message
   whose enrichment fails is retried, and dead-lettered after ``max_deliver`` deliveries;
3. apply the batch to the store in one commit, then ack each message. If the store fails
   (unavailable, locked), nothing is acked: the messages are nak'ed with a growing delay and
   redelivered, and the indexer catches up when the store is back.

Writes are idempotent by version, so a redelivery after a crash (``kill -9`` between commit and
ack) changes nothing: nothing lost, nothing duplicated.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from nats.aio.msg import Msg
from nats.js import JetStreamContext

from shared.bus import EVENTS_SUBJECT, Bus
from shared.errors import InvalidMessage
from shared.metrics import DEAD_LETTERS, INDEX_BATCH_FAILURES, record_batch
from shared.model import Event, EventMessage
from shared.store.base import SearchStore

log = logging.getLogger(__name__)

DURABLE = "indexer"


@dataclass(slots=True)
class Stats:
    applied: int = 0
    stale: int = 0
    dead: int = 0
    retried_batches: int = 0


def decode(raw: bytes) -> EventMessage:
    try:
        return EventMessage.from_json(raw)
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidMessage(f"undecodable event message: {exc}") from exc


class Indexer:
    def __init__(
        self,
        bus: Bus,
        store: SearchStore,
        enrich: Callable[[Event], Event],
        *,
        batch_size: int = 256,
        max_deliver: int = 5,
        retry_delay_s: float = 2.0,
        ack_wait_s: float = 30.0,
        durable: str = DURABLE,
    ) -> None:
        self.bus = bus
        self.store = store
        self.enrich = enrich
        self.batch_size = batch_size
        self.max_deliver = max_deliver
        self.retry_delay_s = retry_delay_s
        self.durable = durable
        self.ack_wait_s = ack_wait_s
        self.stats = Stats()
        self._failures = 0

    async def subscribe(self) -> JetStreamContext.PullSubscription:
        return await self.bus.pull(
            "EVENTS", self.durable, f"{EVENTS_SUBJECT}.>", ack_wait_s=self.ack_wait_s
        )

    async def run(self, idle_timeout: float = 1.0) -> None:
        sub = await self.subscribe()
        while True:
            try:
                msgs = await sub.fetch(self.batch_size, timeout=idle_timeout)
            except TimeoutError:  # nothing to fetch (nats' TimeoutError subclasses it)
                continue
            await self.handle_batch(msgs)

    async def handle_batch(self, msgs: list[Msg]) -> None:
        ready: list[tuple[Msg, EventMessage]] = []
        for msg in msgs:
            try:
                decoded = decode(msg.data)
                if decoded.event is not None:
                    decoded = EventMessage.upsert(self.enrich(decoded.event), decoded.version)
                ready.append((msg, decoded))
            except InvalidMessage as exc:
                await self._dead_letter(msg, exc.message)
            except Exception as exc:  # enrichment bug on one message: retry, then dead-letter
                if msg.metadata.num_delivered >= self.max_deliver:
                    await self._dead_letter(msg, f"enrichment failed: {exc!r}")
                else:
                    log.warning("enrichment failed, will retry", exc_info=True)
                    await msg.nak(delay=self.retry_delay_s)
        if not ready:
            return
        started = time.perf_counter()
        try:
            outcomes = await self.store.apply([m for _, m in ready])
        except Exception:
            INDEX_BATCH_FAILURES.inc()
            self._failures += 1
            self.stats.retried_batches += 1
            delay = min(self.retry_delay_s * 2 ** (self._failures - 1), 60.0)
            log.warning("store write failed; retrying batch in %.1f s", delay, exc_info=True)
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

    async def _dead_letter(self, msg: Msg, reason: str) -> None:
        meta = msg.metadata
        await self.bus.dead_letter("EVENTS", msg.subject, msg.data, reason, meta.sequence.stream)
        await msg.term()
        DEAD_LETTERS.labels("EVENTS").inc()
        self.stats.dead += 1
        log.error("message dead-lettered", extra={"subject": msg.subject, "error": reason})
