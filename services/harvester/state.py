"""Per-source harvest state, kept in the ``harvest_state`` key-value bucket.

Replicas share it: validators for conditional GET, the hash of the last body, what was
published last time (event id -> content hash, to publish only changes and to retract what
disappeared), the error counter and when the source is next due; for a feed whose events live
on linked pages, what was read from each page (:mod:`services.harvester.event_pages`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from shared.bus import subject_token


@dataclass(slots=True)
class SourceState:
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    published: dict[str, str] = field(default_factory=dict)
    errors: int = 0
    disabled: bool = False
    next_check: str | None = None
    last_success: str | None = None
    last_error: str | None = None
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)  # event page URL -> memo
    #: ``updated_at`` of the source's registry record when it was last harvested: a record
    #: changed since (a new address, options) makes the source due at once.
    record_updated_at: str | None = None

    def due(self, now: datetime) -> bool:
        if self.disabled:
            return False
        return self.next_check is None or datetime.fromisoformat(self.next_check) <= now

    def to_json(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> SourceState:
        data: dict[str, Any] = json.loads(raw)
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in names})


class StateStore:
    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv

    async def get(self, source_id: str) -> SourceState:
        try:
            entry = await self.kv.get(subject_token(source_id))
        except KeyNotFoundError:
            return SourceState()
        return SourceState.from_json(entry.value) if entry.value else SourceState()

    async def put(self, source_id: str, state: SourceState) -> None:
        await self.kv.put(subject_token(source_id), state.to_json())

    async def forget(self, source_id: str) -> None:
        """Drop the state of a source removed from the registry."""
        await self.kv.delete(subject_token(source_id))
