"""Per-source harvest health, built from the STATUS stream.

State of a source, from its recent harvests:
``ok`` (last harvest succeeded), ``degraded`` (last failed, earlier ones succeeded),
``failing`` (several failures in a row), ``disabled`` (as many failures as the harvester
allows before it stops polling).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from shared.model import HarvestStatus

HISTORY = 20


@dataclass(slots=True)
class SourceHealth:
    source_id: str
    url: str
    history: deque[HarvestStatus] = field(default_factory=lambda: deque(maxlen=HISTORY))
    consecutive_failures: int = 0
    last_success: HarvestStatus | None = None

    def state(self, max_errors: int) -> str:
        if not self.history:
            return "unknown"
        if self.consecutive_failures >= max_errors:
            return "disabled"
        if self.consecutive_failures >= 3:
            return "failing"
        if self.consecutive_failures > 0:
            return "degraded"
        return "ok"

    def to_dict(self, max_errors: int) -> dict[str, Any]:
        last = self.history[-1] if self.history else None
        return {
            "source_id": self.source_id,
            "url": self.url,
            "state": self.state(max_errors),
            "consecutive_failures": self.consecutive_failures,
            "last_harvest": last.to_dict() if last else None,
            "last_success": self.last_success.started.isoformat() if self.last_success else None,
            "events": self.last_success.found if self.last_success else 0,
            "history": [s.to_dict() for s in self.history],
        }


class Tracker:
    def __init__(self, max_errors: int = 10) -> None:
        self.max_errors = max_errors
        self.sources: dict[str, SourceHealth] = {}

    def record(self, status: HarvestStatus) -> None:
        health = self.sources.setdefault(
            status.source_id, SourceHealth(status.source_id, status.url)
        )
        health.url = status.url
        health.history.append(status)
        if status.ok:
            health.consecutive_failures = 0
            health.last_success = status
        else:
            health.consecutive_failures += 1

    def summary(self) -> list[dict[str, Any]]:
        return [h.to_dict(self.max_errors) for h in sorted(
            self.sources.values(), key=lambda h: h.source_id)]
