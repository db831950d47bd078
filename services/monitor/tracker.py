"""Per-source harvest health, built from the STATUS stream and the harvesters' shared state.

State of a source (:meth:`SourceHealth.state`):

``disabled``
    switched off: ``enabled = false`` in the sources file, disabled by an operator or by the
    harvester after ``max_errors`` failures in a row (``SourceState.disabled`` in the KV);
``failing``
    the last harvest failed and either ``failing_after`` harvests failed in a row or the error
    will not pass by retrying (the document is not a calendar, 404, refused address, ...);
``degraded``
    usable but worth a look: a passing failure (timeout, 503), no success for too long
    (stale), the number of events fell by half or more, or the document had no usable event;
``ok``
    the last harvest succeeded; ``unknown`` before any harvest.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from services.monitor.errors_fr import error_fr, skip_reason_fr
from shared.model import HarvestStatus

HISTORY = 50
STATES = ("failing", "degraded", "disabled", "unknown", "ok")  # worst first (default sort)
STATE_FR = {
    "ok": "en forme",
    "degraded": "dégradée",
    "failing": "en échec",
    "disabled": "désactivée",
    "unknown": "en attente",
}
# Errors that retrying will not fix: the source is failing at the first one.
PERMANENT_KINDS = frozenset(
    {"parse", "refused_url", "refused_address", "scheme", "robots", "too_large", "config",
     "refused", "bad_redirect", "redirect_loop"}
)


def is_permanent(kind: str | None) -> bool:
    if not kind:
        return False
    if kind in PERMANENT_KINDS:
        return True
    return kind.startswith("http_4")


@dataclass(frozen=True, slots=True)
class Policy:
    failing_after: int = 3
    max_errors: int = 10
    stale_after: timedelta = timedelta(hours=48)
    default_interval: timedelta = timedelta(hours=1)
    drop_ratio: float = 0.5  # events falling to half or less of the previous count


@dataclass(slots=True)
class SourceHealth:
    source_id: str
    url: str = ""
    history: deque[HarvestStatus] = field(default_factory=lambda: deque(maxlen=HISTORY))
    consecutive_failures: int = 0
    last_success: HarvestStatus | None = None
    last_parsed: HarvestStatus | None = None  # last success that read a new document
    configured: bool = False  # in the registry of sources
    enabled: bool = True  # per the registry of sources
    interval: int | None = None
    kv_disabled: bool = False
    next_check: str | None = None

    @property
    def last(self) -> HarvestStatus | None:
        return self.history[-1] if self.history else None

    def events(self) -> int:
        return self.last_success.found if self.last_success else 0

    def stale_after(self, policy: Policy) -> timedelta:
        interval = timedelta(seconds=self.interval) if self.interval else policy.default_interval
        return max(policy.stale_after, 3 * interval)

    def age(self, now: datetime) -> timedelta | None:
        """Time since the last successful harvest (freshness)."""
        return now - self.last_success.started if self.last_success else None

    def is_stale(self, policy: Policy, now: datetime) -> bool:
        if self.last_success is None:
            first = self.history[0].started if self.history else None
            return first is not None and now - first > self.stale_after(policy)
        return now - self.last_success.started > self.stale_after(policy)

    def trend(self) -> int | None:
        """Change in the number of events over the recent successful harvests."""
        counts = [s.found for s in self.history if s.ok]
        if len(counts) < 2:
            return None
        return counts[-1] - counts[0]

    def dropped(self, policy: Policy) -> bool:
        counts = [s.found for s in self.history if s.ok]
        if len(counts) < 2 or counts[-2] < 4:
            return False
        return counts[-1] <= counts[-2] * policy.drop_ratio

    def state(self, policy: Policy, now: datetime) -> str:
        if not self.enabled or self.kv_disabled:
            return "disabled"
        if self.consecutive_failures >= policy.max_errors:
            return "disabled"
        last = self.last
        if last is None:
            return "unknown"
        if not last.ok and (
            self.consecutive_failures >= policy.failing_after or is_permanent(last.error_kind)
        ):
            return "failing"
        if not last.ok or self.is_stale(policy, now) or self.dropped(policy) or self.empty():
            return "degraded"
        return "ok"

    def empty(self) -> bool:
        parsed = self.last_parsed
        return parsed is not None and parsed.found == 0 and bool(parsed.skipped)

    def reasons(self, policy: Policy, now: datetime) -> list[str]:
        """Why the source is in its state, in French (empty when all is well)."""
        out: list[str] = []
        if not self.enabled:
            out.append("Désactivée dans le registre des sources\u00a0: "
                       "«\u00a0maillage sources enable\u00a0» la réactive.")
        elif self.kv_disabled:
            out.append("Désactivée après trop d’échecs consécutifs\u00a0: "
                       "«\u00a0maillage sources enable\u00a0» la réactive.")
        last = self.last
        if last is not None and not last.ok:
            n = self.consecutive_failures
            times = "de la dernière récolte" if n == 1 else f"des {n} dernières récoltes"
            out.append(f"Échec {times} : {error_fr(last.error_kind)}")
        if self.is_stale(policy, now):
            out.append("Aucune récolte réussie depuis plus de "
                       f"{_duration_fr(self.stale_after(policy))}.")
        if last is not None and last.ok and self.dropped(policy):
            counts = [s.found for s in self.history if s.ok]
            out.append(f"Le nombre d'événements a chuté : {counts[-2]} → {counts[-1]}.")
        if last is not None and last.ok and self.empty():
            out.append("Le dernier document ne contenait aucun événement utilisable.")
        return out

    def skipped(self) -> list[dict[str, str | None]]:
        parsed = self.last_parsed
        if parsed is None:
            return []
        return [
            {"uid": s.uid, "title": s.title, "reason": s.reason,
             "reason_fr": skip_reason_fr(s.reason)}
            for s in parsed.skipped
        ]

    def to_dict(self, policy: Policy, now: datetime) -> dict[str, Any]:
        last = self.last
        age = self.age(now)
        return {
            "source_id": self.source_id,
            "url": self.url,
            "state": self.state(policy, now),
            "state_fr": STATE_FR[self.state(policy, now)],
            "reasons": self.reasons(policy, now),
            "consecutive_failures": self.consecutive_failures,
            "events": self.events(),
            "trend": self.trend(),
            "last_harvest": last.to_dict() if last else None,
            "last_success": self.last_success.started.isoformat() if self.last_success else None,
            "age_s": int(age.total_seconds()) if age is not None else None,
            "stale": self.is_stale(policy, now),
            "last_error": _error_dict(last) if last is not None and not last.ok else None,
            "next_check": self.next_check,
            "skipped_count": len(self.last_parsed.skipped) if self.last_parsed else 0,
            "history": [
                {"started": s.started.isoformat(), "ok": s.ok, "found": s.found,
                 "new": s.new, "changed": s.changed, "removed": s.removed,
                 "http_status": s.http_status, "duration_ms": s.duration_ms,
                 "not_modified": s.not_modified, "error_kind": s.error_kind,
                 "error_fr": error_fr(s.error_kind) if not s.ok else None,
                 "error_message": s.error_message}
                for s in self.history
            ],
        }


def _error_dict(status: HarvestStatus) -> dict[str, Any]:
    return {
        "kind": status.error_kind,
        "message_fr": error_fr(status.error_kind),
        "detail": status.error_message,
        "http_status": status.http_status,
        "at": status.started.isoformat(),
    }


def _duration_fr(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours >= 48:
        return f"{round(hours / 24)} jours"
    if hours >= 1:
        return f"{round(hours)} h"
    return f"{max(round(delta.total_seconds() / 60), 1)} min"


class Tracker:
    def __init__(self, policy: Policy | None = None) -> None:
        self.policy = policy or Policy()
        self.sources: dict[str, SourceHealth] = {}

    def _health(self, source_id: str) -> SourceHealth:
        if source_id not in self.sources:
            self.sources[source_id] = SourceHealth(source_id)
        return self.sources[source_id]

    def record(self, status: HarvestStatus) -> None:
        health = self._health(status.source_id)
        health.url = status.url
        health.history.append(status)
        if status.ok:
            health.consecutive_failures = 0
            health.last_success = status
            if not status.not_modified:
                health.last_parsed = status
        else:
            health.consecutive_failures += 1

    def set_sources(self, sources: Iterable[Any], complete: bool = False) -> None:
        """Take the registry's sources into account (objects with id, url, enabled,
        interval); with ``complete``, they are all the sources: the others (removed from the
        registry) are forgotten."""
        sources = list(sources)
        if complete:
            keep = {s.id for s in sources}
            self.sources = {k: v for k, v in self.sources.items() if k in keep}
        for source in sources:
            health = self._health(source.id)
            health.configured = True
            health.url = health.url or source.url
            health.enabled = source.enabled
            health.interval = source.interval

    def set_states(self, states: Mapping[str, Mapping[str, Any]]) -> None:
        """Take the harvesters' shared state into account (``SourceState`` as dicts)."""
        for source_id, state in states.items():
            health = self._health(source_id)
            health.kv_disabled = bool(state.get("disabled"))
            health.next_check = state.get("next_check")

    def get(self, source_id: str) -> SourceHealth | None:
        return self.sources.get(source_id)

    def summary(self, now: datetime | None = None) -> list[dict[str, Any]]:
        moment = now or datetime.now(UTC)
        return [h.to_dict(self.policy, moment) for h in sorted(
            self.sources.values(), key=lambda h: h.source_id)]

    def counts(self, now: datetime | None = None) -> dict[str, int]:
        moment = now or datetime.now(UTC)
        out = dict.fromkeys(STATES, 0)
        for health in self.sources.values():
            out[health.state(self.policy, moment)] += 1
        return out
