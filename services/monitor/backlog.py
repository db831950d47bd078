"""What the monitor polls besides the STATUS stream: the indexer's lag, the dead-letter stream,
the harvesters' shared state and the registry of sources."""

from __future__ import annotations

import json
import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from nats.js.errors import NoKeysError, NotFoundError

from services.monitor.tracker import Tracker
from shared.bus import Bus

log = logging.getLogger(__name__)

INDEXER_DURABLE = "indexer"


@dataclass(slots=True)
class BusHealth:
    """The indexer consumer's backlog and the dead-letter count, with recent samples."""

    pending: int | None = None
    ack_pending: int | None = None
    dlq: int | None = None
    checked: datetime | None = None
    error: str | None = None
    dlq_samples: deque[tuple[datetime, int]] = field(default_factory=lambda: deque(maxlen=2000))
    lag_since: datetime | None = None  # since when the backlog is above the threshold

    def observe(self, now: datetime, pending: int | None, ack_pending: int | None,
                dlq: int | None, lag_threshold: int) -> None:
        self.pending, self.ack_pending, self.dlq, self.checked = pending, ack_pending, dlq, now
        self.error = None
        if dlq is not None:
            self.dlq_samples.append((now, dlq))
        if pending is not None and pending > lag_threshold:
            self.lag_since = self.lag_since or now
        else:
            self.lag_since = None

    def dlq_growth(self, now: datetime, window: timedelta) -> int:
        """How many messages the DLQ gained over ``window`` (0 when it shrank)."""
        recent = [(t, n) for t, n in self.dlq_samples if now - t <= window]
        if len(recent) < 2:
            return 0
        return max(recent[-1][1] - recent[0][1], 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "indexer_pending": self.pending,
            "indexer_ack_pending": self.ack_pending,
            "dead_letters": self.dlq,
            "checked": self.checked.isoformat() if self.checked else None,
            "error": self.error,
        }


async def read_states(bus: Bus) -> dict[str, dict[str, Any]]:
    """Every source's harvest state from the ``harvest_state`` bucket, as dicts."""
    kv = await bus.kv("harvest_state")
    try:
        keys = await kv.keys()
    except NoKeysError:
        return {}
    states: dict[str, dict[str, Any]] = {}
    for key in keys:
        try:
            entry = await kv.get(key)
        except Exception:  # deleted meanwhile
            continue
        if entry.value:
            try:
                states[key] = json.loads(entry.value)
            except ValueError:
                log.warning("unreadable harvest state", extra={"source_id": key})
    return states


async def poll(
    bus: Bus,
    tracker: Tracker,
    health: BusHealth,
    lag_threshold: int = 1000,
    now: datetime | None = None,
) -> None:
    """One look at everything; failures are kept in ``health.error`` and logged."""
    from services.harvester.registry import SourceRegistry

    moment = now or datetime.now(UTC)
    try:
        records = await SourceRegistry(bus).list()
        tracker.set_sources([r.source for r in records], complete=True)
        tracker.set_states(await read_states(bus))
        try:
            info = await bus.js.consumer_info("EVENTS", INDEXER_DURABLE)
            pending, ack_pending = info.num_pending or 0, info.num_ack_pending or 0
        except NotFoundError:
            pending = ack_pending = None
        dlq = (await bus.js.stream_info("DLQ")).state.messages
    except Exception as exc:
        health.error = str(exc) or type(exc).__name__
        log.warning("monitor poll failed", extra={"error": health.error})
        return
    health.observe(moment, pending, ack_pending, dlq, lag_threshold)
