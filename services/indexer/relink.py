"""Events enriched before a link to their association get its themes without a reindex.

When the association context (:class:`services.indexer.associations.AssociationContext`)
reloads, it says what changed for events (:class:`Affected`): the organizer strings and the
sources whose link names other associations now, and the names and sources of the
associations whose themes changed (or that appeared or left). :func:`reenrich` finds the
upcoming events they publish in the search store, reads each one's last message as harvested
from the ``EVENTS`` stream (an ordered consumer on its source's subject), and publishes it
again on that subject, one version above (``Nats-Msg-Id`` ``<event>.upsert.<version>``: two
indexers publishing it make one message): the indexer consumes it as any harvest and enriches
it with the context as it is now. A harvest of the source after that carries its own, later,
version (a job's slot, in microseconds) and wins as usual.

At most :data:`MAX_EVENTS` events are published again per change: more (an import of
thousands of associations) is what ``maillage reindex`` is for, and the log says so.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from nats.js.api import DeliverPolicy

from shared.bus import EVENTS_SUBJECT, Bus, subject_token
from shared.errors import InvalidMessage
from shared.model import EventMessage, Kind
from shared.store.base import SearchQuery

log = logging.getLogger(__name__)

#: Events published again at most for one change of the context.
MAX_EVENTS = 2000
#: Organizer names or sources asked for in one search.
CHUNK = 50
#: Seconds without a message while reading a source's subject before giving up on it.
READ_STALL = 10.0


@dataclass(slots=True)
class Affected:
    """What a change of the association context touches: organizer strings, source ids."""

    organizers: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.organizers or self.sources)


async def affected_events(store: Any, affected: Affected, *, limit: int = MAX_EVENTS
                          ) -> dict[str, set[str]]:
    """``{source id: {event id}}`` of the upcoming events published by ``affected``'s
    organizers or sources (every member of a merged event), at most ``limit`` events."""
    now = datetime.now(UTC)
    queries = []
    organizers, sources = sorted(affected.organizers), sorted(affected.sources)
    for i in range(0, len(organizers), CHUNK):
        queries.append(SearchQuery(organizers=tuple(organizers[i:i + CHUNK]), start=now,
                                   limit=limit))
    for i in range(0, len(sources), CHUNK):
        queries.append(SearchQuery(sources=tuple(sources[i:i + CHUNK]), start=now,
                                   limit=limit))
    found: dict[str, set[str]] = {}
    count = 0
    for query in queries:
        page = await store.search(query)
        for doc in page.items:
            for member in doc.get("sources") or ():
                ids = found.setdefault(str(member["source_id"]), set())
                if member["event_id"] not in ids:
                    ids.add(str(member["event_id"]))
                    count += 1
        if count >= limit or page.total > len(page.items):
            log.warning("too many events to enrich again after an association change; "
                        "'maillage reindex' gives the others their associations' themes",
                        extra={"events": max(count, page.total)})
            break
    return found


async def last_messages(bus: Bus, source_id: str, event_ids: set[str]
                        ) -> dict[str, tuple[str, EventMessage]]:
    """The last message of each of ``event_ids`` on the source's subject of ``EVENTS``
    (``{event id: (subject, message)}``)."""
    subject = f"{EVENTS_SUBJECT}.{subject_token(source_id)}"
    last: dict[str, tuple[str, EventMessage]] = {}
    done = asyncio.Event()

    async def received(msg: Any) -> None:
        if msg.metadata.num_pending == 0:
            done.set()
        try:
            message = EventMessage.from_json(msg.data)
        except (InvalidMessage, ValueError, KeyError, TypeError):
            return  # a poison message: the dead letters have it
        if message.event_id in event_ids:
            last[message.event_id] = (msg.subject, message)

    sub = await bus.js.subscribe(subject, stream="EVENTS", cb=received,
                                 ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
    try:
        info = await sub.consumer_info()
        if info.num_pending or (info.delivered and info.delivered.stream_seq):
            await asyncio.wait_for(done.wait(), READ_STALL)
    except TimeoutError:
        log.warning("events of a source not read in time", extra={"source_id": source_id})
    finally:
        await sub.unsubscribe()
    return last


async def reenrich(bus: Bus, store: Any, affected: Affected) -> int:
    """Publish again the upcoming events ``affected`` touches; how many were published."""
    if not affected:
        return 0
    published = 0
    for source_id, event_ids in (await affected_events(store, affected)).items():
        for subject, message in (await last_messages(bus, source_id, event_ids)).values():
            if message.kind != Kind.UPSERT or message.event is None:
                continue  # retracted: nothing to enrich
            again = EventMessage.upsert(message.event, message.version + 1)
            if await bus.publish(subject, again.to_json(), again.msg_id):
                published += 1
    log.info("events published again for their associations", extra={"count": published})
    return published
