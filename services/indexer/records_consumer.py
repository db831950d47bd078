"""Consume the association records of ``RECORDS`` into the directory (durable consumer
``records-indexer``, subjects ``maillage.rec.association.>``).

The delivery rules are :class:`services.indexer.projector.Projector`'s, as for events and
calls; each message is the record's whole new state (docs/decisions/0001), projected by
:func:`services.associations.project.message` (public fields only, head office geocoded with
the events' geocoder) and applied idempotently by its stream sequence, so a redelivery or a
replay (``maillage reindex``) changes nothing.
"""

from __future__ import annotations

from typing import Any

from nats.aio.msg import Msg

from services.associations.project import SUBJECT, Geocode, message
from services.indexer.projector import Projector
from shared.bus import Bus
from shared.errors import InvalidMessage
from shared.records import RECORDS_STREAM, Entry
from shared.store.directory_base import DirectoryMessage, DirectoryStore

DURABLE = "records-indexer"


def decode(subject: str, seq: int, raw: bytes, geocode: Geocode | None) -> DirectoryMessage:
    try:
        return message(Entry.from_json(subject, seq, raw), geocode)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidMessage(f"undecodable association record: {exc!r}") from exc


class RecordsIndexer(Projector[DirectoryMessage]):
    stream = RECORDS_STREAM
    subject = SUBJECT
    what = "association record"

    def __init__(self, bus: Bus, store: DirectoryStore, geocode: Geocode | None, *,
                 durable: str = DURABLE, **options: Any) -> None:
        super().__init__(bus, store, durable=durable, **options)
        self.geocode = geocode

    def decode_msg(self, msg: Msg) -> DirectoryMessage:
        return decode(msg.subject, msg.metadata.sequence.stream, msg.data, self.geocode)
