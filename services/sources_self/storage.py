"""An association's own sources: their records (the audit trail) and the registry of sources
(what the harvesters read), written together.

A confirmed source is first written to its record (``pending`` when operators approve new
sources, else ``active``), then, once active, to the registry with ``owner`` = the
association: every harvester replica picks it up at its next tick, without restart. Pausing
disables it in the registry; removing takes it out of the registry and retracts its events
from the search (as ``maillage sources remove`` does). Every write names its actor (a person
id) and a reason: the record's history says who did what, when.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nats.js.errors import NotFoundError

from services.accounts.storage import Stores
from services.harvester.registry import RegisteredSource, SourceRegistry, retract_published
from services.harvester.sources import Source
from services.harvester.state import SourceState, StateStore
from services.monitor.errors_fr import error_fr
from services.monitor.tracker import STATE_FR, Tracker
from services.sources_self.model import ACTIVE, PAUSED, PENDING, SOURCE, OwnSource
from shared.bus import STATUS_SUBJECT, subject_token
from shared.errors import ConfigError
from shared.model import HarvestStatus
from shared.records import Conflict, Entry, NotFound, now_iso

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Health:
    """A source's harvest state as the monitor says it (:mod:`services.monitor.tracker`)."""

    state: str  # ok, degraded, failing, disabled, unknown
    label: str
    events: int
    last_harvest: str | None
    problem: str


class OwnSources:
    def __init__(self, stores: Stores) -> None:
        self.stores = stores
        self.records = stores.records
        self.registry = SourceRegistry(stores.bus)

    def subject(self, aid: str, sid: str) -> str:
        return self.records.subject(SOURCE, aid, sid)

    async def of(self, aid: str) -> list[OwnSource]:
        entries = await self.records.latest(self.records.subject(SOURCE, aid) + ".*")
        return sorted((OwnSource.from_record(e.record) for e in entries), key=lambda s: s.added)

    async def get(self, aid: str, sid: str) -> OwnSource | None:
        entry = await self.records.get(self.subject(aid, sid))
        return OwnSource.from_record(entry.record) if entry is not None else None

    async def waiting(self) -> list[OwnSource]:
        entries = await self.records.latest(self.records.subject(SOURCE) + ".*.*")
        found = [OwnSource.from_record(e.record) for e in entries]
        return sorted((s for s in found if s.state == PENDING), key=lambda s: s.added)

    async def history(self, aid: str) -> list[Entry]:
        return [e async for e in self.records.scan(self.records.subject(SOURCE, aid) + ".*")]

    async def add(self, source: OwnSource, organizer: str, *, actor: str,
                  approval: bool) -> OwnSource:
        """Write the confirmed source: its record, then (unless it waits for an operator) the
        registry. A calendar already harvested is refused (:class:`ConfigError` conflict)."""
        existing = await self.registry.get(source.id)
        if existing is not None:
            raise ConfigError("this calendar is already a source", kind="conflict")
        state = PENDING if approval else ACTIVE
        record = OwnSource(source.id, source.association, source.url, source.format, state,
                           actor, now_iso(), source.found)
        await self.records.create(self.subject(source.association, source.id),
                                  record.to_record(), actor=actor,
                                  reason="requested" if approval else "added")
        if not approval:
            try:
                await self._register(record, organizer, actor)
            except BaseException:
                await self.records.delete(self.subject(source.association, source.id),
                                          actor=actor, reason="refused")
                raise
        return record

    async def _register(self, source: OwnSource, organizer: str, actor: str) -> None:
        await self.registry.add(
            Source(source.id, source.url, format=source.format or None, organizer=organizer),
            actor=f"web:{actor}", owner=source.association)

    async def decide(self, aid: str, sid: str, approve: bool, organizer: str, *,
                     actor: str) -> None:
        """An operator approves (the source is registered) or refuses a pending source."""
        current = await self.get(aid, sid)
        if current is None or current.state != PENDING:
            raise NotFound(f"no pending source {aid}/{sid}")
        if not approve:
            await self.records.delete(self.subject(aid, sid), actor=actor, reason="refused")
            return

        def approved(record: dict[str, Any]) -> dict[str, Any]:
            if record.get("state") != PENDING:
                raise Conflict("decided already")
            return {**record, "state": ACTIVE}

        await self.records.update(self.subject(aid, sid), approved, actor=actor,
                                  reason="approved")
        await self._register(current, organizer, actor)

    async def set_paused(self, aid: str, sid: str, paused: bool, *, actor: str) -> None:
        wanted, was = (PAUSED, ACTIVE) if paused else (ACTIVE, PAUSED)

        def change(record: dict[str, Any]) -> dict[str, Any]:
            if record.get("state") not in (was, wanted):
                raise Conflict(f"the source is {record.get('state')}")
            return {**record, "state": wanted}

        await self.records.update(self.subject(aid, sid), change, actor=actor,
                                  reason="paused" if paused else "resumed")
        await self.registry.set_enabled(sid, not paused, actor=f"web:{actor}")

    async def remove(self, aid: str, sid: str, *, actor: str) -> None:
        """Take the source out of the registry and its events out of the search."""
        if not await self.records.delete(self.subject(aid, sid), actor=actor, reason="removed"):
            raise NotFound(f"no source {aid}/{sid}")
        registered = await self.registry.get(sid)
        if registered is None or registered.owner != aid:
            return
        removed = await self.registry.remove(sid, actor=f"web:{actor}")
        count = await retract_published(self.stores.bus, removed.source)
        log.info("own source removed", extra={"source_id": sid, "retracted": count})

    # -- health -----------------------------------------------------------------------------

    async def health(self, sources: list[OwnSource]) -> dict[str, Health]:
        """The monitor's state of each registered source: its last harvest (STATUS stream)
        and the harvesters' shared state (failures in a row, disabled)."""
        states = StateStore(await self.stores.bus.kv("harvest_state"))
        out = {}
        for own in sources:
            registered = await self.registry.get(own.id)
            if registered is None:
                continue
            out[own.id] = health_of(registered, await self._last_status(own.id),
                                    await states.get(own.id))
        return out

    async def _last_status(self, sid: str) -> HarvestStatus | None:
        try:
            msg = await self.stores.bus.js.get_last_msg(
                "STATUS", f"{STATUS_SUBJECT}.{subject_token(sid)}")
        except NotFoundError:
            return None
        return HarvestStatus.from_dict(json.loads(msg.data)) if msg.data else None


def health_of(registered: RegisteredSource, last: HarvestStatus | None,
              state: SourceState) -> Health:
    tracker = Tracker()
    tracker.set_sources([registered.source])
    tracker.set_states({registered.id: {"disabled": state.disabled,
                                        "next_check": state.next_check}})
    if last is not None:
        tracker.record(last)
    health = tracker.sources[registered.id]
    health.consecutive_failures = state.errors if last is not None and not last.ok else 0
    name = health.state(tracker.policy, datetime.now(UTC))
    problem = error_fr(last.error_kind) if last is not None and not last.ok else ""
    events = last.found if last is not None else len(state.published)
    return Health(name, STATE_FR[name], events,
                  last.started.isoformat() if last is not None else None, problem)
