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
#: Associations projected again reading their records one by one, at most.
ONE_BY_ONE = 50


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
        """Project the current records of ``aids`` again (their links or sources changed):
        a few read one by one, more (the indexer's start) in one read of them all."""
        records = Records(self.bus.js)
        wanted = {records.subject(ASSOCIATION, aid) for aid in aids}
        if len(wanted) > ONE_BY_ONE:
            entries = [e for e in await records.latest(records.subject(ASSOCIATION) + ".*",
                                                       deleted=True) if e.subject in wanted]
        else:
            found = [await records.last(subject) for subject in sorted(wanted)]
            entries = [e for e in found if e is not None]
        messages = [replace(message(e, self.geocode, self.around), refresh=True)
                    for e in entries]
        for start in range(0, len(messages), self.batch_size):
            await self.store.apply(messages[start:start + self.batch_size])
        if messages:
            log.info("associations projected again", extra={"count": len(messages)})
