"""Consume the association records of ``RECORDS`` into the directory (durable consumer
``records-indexer``, subjects ``maillage.rec.association.>``).

The delivery rules are :class:`services.indexer.projector.Projector`'s, as for events and
calls; each message is the record's whole new state (docs/decisions/0001), projected by
:func:`services.associations.project.message` (public fields only, head office geocoded with
the events' geocoder) and applied idempotently by its stream sequence, so a redelivery or a
replay (``maillage reindex``) changes nothing.

With an :class:`~services.indexer.associations.AssociationContext`, a document also carries
what the association's events come by (linked organizer names, its sources, the tools they
show); when that changes (a link made or decided, a source added),
:meth:`RecordsIndexer.reproject` projects the association's current record again as a
``refresh`` of its own sequence.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from nats.aio.msg import Msg

from services.associations.model import ASSOCIATION
from services.associations.project import SUBJECT, Geocode, Related, message
from services.indexer.projector import Projector
from shared.bus import Bus
from shared.errors import InvalidMessage
from shared.records import RECORDS_STREAM, Entry, Records
from shared.store.directory_base import DirectoryMessage, DirectoryStore

if TYPE_CHECKING:
    from services.indexer.associations import AssociationContext

log = logging.getLogger(__name__)

DURABLE = "records-indexer"


def decode(subject: str, seq: int, raw: bytes, geocode: Geocode | None,
           around: Mapping[str, Related] | None = None) -> DirectoryMessage:
    try:
        return message(Entry.from_json(subject, seq, raw), geocode, around)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidMessage(f"undecodable association record: {exc!r}") from exc


class RecordsIndexer(Projector[DirectoryMessage]):
    stream = RECORDS_STREAM
    subject = SUBJECT
    what = "association record"

    def __init__(self, bus: Bus, store: DirectoryStore, geocode: Geocode | None, *,
                 durable: str = DURABLE, context: AssociationContext | None = None,
                 **options: Any) -> None:
        super().__init__(bus, store, durable=durable, **options)
        self.geocode = geocode
        self.context = context
        if context is not None:
            context.listeners.append(self.reproject)

    @property
    def around(self) -> Mapping[str, Related] | None:
        return self.context.related if self.context is not None else None

    def decode_msg(self, msg: Msg) -> DirectoryMessage:
        return decode(msg.subject, msg.metadata.sequence.stream, msg.data, self.geocode,
                      self.around)

    async def reproject(self, aids: Iterable[str]) -> None:
        """Project the current records of ``aids`` again (their links or sources changed)."""
        records = Records(self.bus.js)
        messages = []
        for aid in sorted(aids):
            entry = await records.last(records.subject(ASSOCIATION, aid))
            if entry is not None:
                messages.append(replace(message(entry, self.geocode, self.around),
                                        refresh=True))
        if messages:
            await self.store.apply(messages)
            log.info("associations projected again", extra={"count": len(messages)})
