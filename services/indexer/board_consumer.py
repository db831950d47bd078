"""Consume the domains' records of ``RECORDS`` into the board (durable consumer
``board-indexer``; subjects ``maillage.rec.<kind>.>`` of exactly the record kinds the
domains of :mod:`services.indexer.board_domains` project).

The delivery rules are :class:`services.indexer.projector.Projector`'s, as for events, calls
and the directory: each message is the record's whole new state (docs/decisions/0001),
turned by its kind's projection into a :class:`~shared.store.board_base.BoardMessage` and
applied idempotently by its stream sequence, so a redelivery or a replay (``maillage
reindex``) changes nothing. A record of a kind no domain projects, one its projection cannot
read, or whose document is malformed (:func:`shared.store.board_base.fields`) is poison:
dead-lettered, and the next one projected. When the declared kinds change (a domain added),
the consumer is created again and reads ``RECORDS`` from its start, so that records written
before the indexer knew their kind are projected too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext

from services.indexer.board_domains import Geocode, Projection, projections
from services.indexer.projector import Projector
from shared.bus import Bus
from shared.errors import InvalidMessage
from shared.records import RECORDS_STREAM, RECORDS_SUBJECT, Entry
from shared.store.board_base import KINDS, BoardMessage, BoardStore, fields

log = logging.getLogger(__name__)

DURABLE = "board-indexer"


def decode(subject: str, seq: int, raw: bytes, geocode: Geocode | None,
           by_kind: Mapping[str, Projection]) -> BoardMessage:
    """The board message of one record; :class:`InvalidMessage` for poison."""
    kind = subject.removeprefix(f"{RECORDS_SUBJECT}.").split(".", 1)[0]
    projection = by_kind.get(kind)
    if projection is None:
        raise InvalidMessage(f"no board projection for record kind {kind!r}")
    try:
        message = projection(Entry.from_json(subject, seq, raw), geocode)
        if message.kind not in KINDS:
            raise ValueError(f"unknown board kind {message.kind!r}")
        if message.doc is not None:
            fields(message.doc)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidMessage(f"undecodable {kind} record: {exc!r}") from exc
    return message


class BoardIndexer(Projector[BoardMessage]):
    stream = RECORDS_STREAM
    subject = RECORDS_SUBJECT
    what = "board record"

    def __init__(self, bus: Bus, store: BoardStore, geocode: Geocode | None, *,
                 durable: str = DURABLE, by_kind: Mapping[str, Projection] | None = None,
                 **options: Any) -> None:
        super().__init__(bus, store, durable=durable, **options)
        self.geocode = geocode
        self.by_kind = dict(projections() if by_kind is None else by_kind)

    def filter_subjects(self) -> list[str]:
        return [f"{RECORDS_SUBJECT}.{kind}.>" for kind in sorted(self.by_kind)]

    async def subscribe(self) -> JetStreamContext.PullSubscription:
        return await self.bus.pull(self.stream, self.durable, self.filter_subjects(),
                                   ack_wait_s=self.ack_wait_s, replay_on_new_filter=True)

    async def run(self, idle_timeout: float = 1.0) -> None:
        if not self.by_kind:
            log.info("no domain projects records into the board yet")
            return
        await super().run(idle_timeout)

    def decode_msg(self, msg: Msg) -> BoardMessage:
        return decode(msg.subject, msg.metadata.sequence.stream, msg.data, self.geocode,
                      self.by_kind)
