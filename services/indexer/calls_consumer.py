"""Consume the CALLS stream into the call store (durable consumer ``calls-indexer``).

The delivery rules are :class:`services.indexer.projector.Projector`'s, as for events;
upserts are prepared here: description sanitized, plain text derived, themes inferred from
the text when the publisher gave none.
"""

from __future__ import annotations

import logging
from typing import Any

from services.indexer.enrich.sanitize import html_to_text, sanitize
from services.indexer.enrich.themes import TextHits, assign_themes
from services.indexer.projector import Projector
from shared.bus import Bus
from shared.calls import CALLS_SUBJECT, Call, CallMessage
from shared.errors import InvalidMessage
from shared.settings import Settings
from shared.store.calls_base import CallsStore

log = logging.getLogger(__name__)

DURABLE = "calls-indexer"
STREAM = "CALLS"


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


class CallsIndexer(Projector[CallMessage]):
    stream = STREAM
    subject = CALLS_SUBJECT
    what = "call"

    def __init__(self, bus: Bus, store: CallsStore, *, durable: str = DURABLE,
                 **options: Any) -> None:
        super().__init__(bus, store, durable=durable, **options)

    def decode(self, raw: bytes) -> CallMessage:
        return decode(raw)

    def prepare(self, message: CallMessage) -> CallMessage:
        if message.call is None:
            return message
        return CallMessage.upsert(prepare(message.call), message.version)


async def run_calls(settings: Settings, bus: Bus, store: CallsStore) -> None:
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
