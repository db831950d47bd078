"""Consume the events stream into the search store (durable consumer ``indexer``).

The delivery rules (poison to the DLQ, ack only after the batch is committed, nak with a
growing delay while the store fails) are :class:`services.indexer.projector.Projector`'s;
this consumer decodes :class:`EventMessage` and enriches upserts (themes, keywords,
geolocation, accessibility, sanitized text) before they are written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from nats.aio.msg import Msg

from services.indexer.projector import Projector, Stats
from shared.bus import EVENTS_SUBJECT, Bus
from shared.errors import InvalidMessage
from shared.model import Event, EventMessage
from shared.store.base import SearchStore

if TYPE_CHECKING:
    from services.indexer.enrich_pool import EnrichPool

log = logging.getLogger(__name__)

DURABLE = "indexer"

__all__ = ["DURABLE", "Indexer", "Stats", "decode"]


def decode(raw: bytes) -> EventMessage:
    try:
        return EventMessage.from_json(raw)
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidMessage(f"undecodable event message: {exc}") from exc


class Indexer(Projector[EventMessage]):
    stream = "EVENTS"
    subject = EVENTS_SUBJECT
    what = "event"

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
        pool: EnrichPool | None = None,
        enrich_many: Callable[[list[Event]], list[Event]] | None = None,
    ) -> None:
        super().__init__(bus, store, batch_size=batch_size, max_deliver=max_deliver,
                         retry_delay_s=retry_delay_s, ack_wait_s=ack_wait_s, durable=durable)
        self.enrich = enrich
        #: ``enrich`` of a whole batch at once (``Enricher.enrich_many``, a third cheaper)
        self.enrich_many = enrich_many
        self.pool = pool  # decodes and enriches in worker processes when given

    async def prepare_batch(self, msgs: list[Msg]) -> list[tuple[Msg, EventMessage]]:
        if self.pool is None:
            return await self._prepare_here(msgs)
        try:
            outcomes = await self.pool.prepare([msg.data for msg in msgs])
        except BrokenProcessPool:  # a worker died (killed, out of memory): new workers
            log.error("enrichment workers died; starting new ones, this batch enriched here")
            self.pool.restart()
            return await super().prepare_batch(msgs)
        ready: list[tuple[Msg, EventMessage]] = []
        for msg, (kind, value) in zip(msgs, outcomes, strict=True):
            if kind == "ok":
                ready.append((msg, value))
            elif kind == "poison":
                await self._dead_letter(msg, value)
            else:
                log.warning("event preparation failed: %s", value)
                await self._preparation_failed(msg, value)
        return ready

    async def _prepare_here(self, msgs: list[Msg]) -> list[tuple[Msg, EventMessage]]:
        """Decode ``msgs`` and enrich their upserts with one call of :attr:`enrich_many`;
        when it is not given or fails, one message at a time (a failure then concerns its
        message only)."""
        if self.enrich_many is None:
            return await super().prepare_batch(msgs)
        poison: list[tuple[Msg, str]] = []
        try:
            decoded: list[tuple[Msg, EventMessage]] = []
            for msg in msgs:
                try:
                    decoded.append((msg, self.decode_msg(msg)))
                except InvalidMessage as exc:
                    poison.append((msg, exc.message))
            enriched = iter(self.enrich_many([m.event for _, m in decoded if m.event]))
            ready = [(msg, m if m.event is None else EventMessage.upsert(next(enriched),
                                                                          m.version))
                     for msg, m in decoded]
        except Exception:
            log.warning("batch enrichment failed; its events enriched one by one",
                        exc_info=True)
            return await super().prepare_batch(msgs)
        for msg, reason in poison:
            await self._dead_letter(msg, reason)
        return ready

    def decode(self, raw: bytes) -> EventMessage:
        return decode(raw)

    def prepare(self, message: EventMessage) -> EventMessage:
        if message.event is None:
            return message
        return EventMessage.upsert(self.enrich(message.event), message.version)
