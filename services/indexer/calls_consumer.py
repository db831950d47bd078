"""Consume the CALLS stream into the call store (durable consumer ``calls-indexer``).

The same rules as the events indexer (:mod:`services.indexer.consumer`):

1. a message that cannot be decoded (poison) goes to the DLQ stream with the reason and is
   terminated at once;
2. upserts are prepared (description sanitized, plain text derived, themes inferred from the
   text when the publisher gave none); a failure there is retried, then dead-lettered after
   ``max_deliver`` deliveries;
3. the batch is applied in one commit, then each message is acked. If the store fails,
   nothing is acked: the batch is nak'ed with a growing delay.

Writes are idempotent by version, so a redelivery after a crash changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from nats.aio.msg import Msg
from nats.js import JetStreamContext

from services.indexer.enrich.sanitize import html_to_text, sanitize
from services.indexer.enrich.themes import TextHits, assign_themes
from shared.bus import Bus
from shared.calls import CALLS_SUBJECT, Call, CallMessage
from shared.errors import InvalidMessage
from shared.settings import Settings
from shared.store.calls_sqlite import CallStore

log = logging.getLogger(__name__)

DURABLE = "calls-indexer"
STREAM = "CALLS"


@dataclass(slots=True)
class Stats:
    applied: int = 0
    stale: int = 0
    dead: int = 0
    retried_batches: int = 0


def decode(raw: bytes) -> CallMessage:
    try:
        return CallMessage.from_json(raw)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidMessage(f"undecodable call message: {exc}") from exc


def prepare(call: Call) -> Call:
    """Sanitized description, its plain text, and themes inferred when none were given."""
    description = sanitize(call.description) if call.description else ""
    text = html_to_text(description) if description else ""
    themes = call.themes
    if not themes:
        themes = tuple(t.code for t in assign_themes((), {}, TextHits.of(call.title, text)))
    return call.with_(description=description, description_text=text, themes=themes)


class CallsIndexer:
    def __init__(
        self,
        bus: Bus,
        store: CallStore,
        *,
        batch_size: int = 256,
        max_deliver: int = 5,
        retry_delay_s: float = 2.0,
        ack_wait_s: float = 30.0,
        durable: str = DURABLE,
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

    async def subscribe(self) -> JetStreamContext.PullSubscription:
        return await self.bus.pull(
            STREAM, self.durable, f"{CALLS_SUBJECT}.>", ack_wait_s=self.ack_wait_s
        )

    async def run(self, idle_timeout: float = 1.0) -> None:
        sub = await self.subscribe()
        while True:
            try:
                msgs = await sub.fetch(self.batch_size, timeout=idle_timeout)
            except TimeoutError:
                continue
            await self.handle_batch(msgs)

    async def handle_batch(self, msgs: list[Msg]) -> None:
        ready: list[tuple[Msg, CallMessage]] = []
        for msg in msgs:
            try:
                decoded = decode(msg.data)
                if decoded.call is not None:
                    decoded = CallMessage.upsert(prepare(decoded.call), decoded.version)
                ready.append((msg, decoded))
            except InvalidMessage as exc:
                await self._dead_letter(msg, exc.message)
            except Exception as exc:
                if msg.metadata.num_delivered >= self.max_deliver:
                    await self._dead_letter(msg, f"preparation failed: {exc!r}")
                else:
                    log.warning("call preparation failed, will retry", exc_info=True)
                    await msg.nak(delay=self.retry_delay_s)
        if not ready:
            return
        try:
            outcomes = await self.store.apply([m for _, m in ready])
        except Exception:
            self._failures += 1
            self.stats.retried_batches += 1
            delay = min(self.retry_delay_s * 2 ** (self._failures - 1), 60.0)
            log.warning("call store write failed; retrying in %.1f s", delay, exc_info=True)
            for msg, _ in ready:
                await msg.nak(delay=delay)
            await asyncio.sleep(delay)
            return
        self._failures = 0
        for (msg, _), outcome in zip(ready, outcomes, strict=True):
            await msg.ack()
            if outcome == "stale":
                self.stats.stale += 1
            else:
                self.stats.applied += 1

    async def _dead_letter(self, msg: Msg, reason: str) -> None:
        meta = msg.metadata
        await self.bus.dead_letter(STREAM, msg.subject, msg.data, reason, meta.sequence.stream)
        await msg.term()
        self.stats.dead += 1
        log.error("call message dead-lettered", extra={"subject": msg.subject, "error": reason})


async def run_calls(settings: Settings, bus: Bus, store: CallStore) -> None:
    """Run the calls indexer until cancelled (started by :mod:`services.indexer.service`)."""
    indexer = CallsIndexer(
        bus,
        store,
        batch_size=settings.batch_size,
        max_deliver=settings.max_deliver,
        retry_delay_s=settings.retry_delay,
        ack_wait_s=settings.ack_wait,
    )
    log.info("calls indexer started")
    await indexer.run()
