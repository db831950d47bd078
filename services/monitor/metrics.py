"""The monitor's Prometheus metrics: per-source health, read from the tracker at scrape time.

They feed the alert rules of ``deploy/prometheus/alerts.yml``. The indexer's backlog is also
exported here (``maillage_consumer_pending``, same labels as the indexer's own gauge), so lag
alerts work even when the indexer is down.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.monitor.backlog import INDEXER_DURABLE, BusHealth
from services.monitor.tracker import STATES, Tracker

MONITOR_METRIC_NAMES: frozenset[str] = frozenset({
    "maillage_source_state",
    "maillage_source_consecutive_failures",
    "maillage_source_last_success_timestamp_seconds",
    "maillage_source_events",
    "maillage_source_stale",
    "maillage_sources",
    "maillage_dlq_messages",
    "maillage_consumer_pending",
    "maillage_monitor_poll_ok",
})


class MonitorCollector(Collector):
    def __init__(self, tracker: Tracker, bus: BusHealth) -> None:
        self.tracker = tracker
        self.bus = bus

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = datetime.now(UTC)
        policy = self.tracker.policy
        state = GaugeMetricFamily(
            "maillage_source_state", "1 for the current state of each source.",
            labels=["source_id", "state"])
        failures = GaugeMetricFamily(
            "maillage_source_consecutive_failures", "Failed harvests in a row.",
            labels=["source_id"])
        success = GaugeMetricFamily(
            "maillage_source_last_success_timestamp_seconds",
            "Start of the last successful harvest (Unix time).", labels=["source_id"])
        events = GaugeMetricFamily(
            "maillage_source_events", "Events found by the last successful harvest.",
            labels=["source_id"])
        stale = GaugeMetricFamily(
            "maillage_source_stale", "1 when a source had no success for too long.",
            labels=["source_id"])
        for health in self.tracker.sources.values():
            sid = health.source_id
            current = health.state(policy, now)
            for name in STATES:
                state.add_metric([sid, name], 1.0 if name == current else 0.0)
            failures.add_metric([sid], health.consecutive_failures)
            if health.last_success is not None:
                success.add_metric([sid], health.last_success.started.timestamp())
            events.add_metric([sid], health.events())
            stale.add_metric([sid], 1.0 if health.is_stale(policy, now) else 0.0)
        yield from (state, failures, success, events, stale)

        counts = GaugeMetricFamily("maillage_sources", "Sources by state.", labels=["state"])
        for name, count in self.tracker.counts(now).items():
            counts.add_metric([name], count)
        yield counts

        if self.bus.dlq is not None:
            yield GaugeMetricFamily(
                "maillage_dlq_messages", "Messages in the dead-letter stream.", value=self.bus.dlq)
        if self.bus.pending is not None:
            lag = GaugeMetricFamily(
                "maillage_consumer_pending", "Messages not yet delivered to a durable consumer.",
                labels=["stream", "consumer"])
            lag.add_metric(["EVENTS", INDEXER_DURABLE], self.bus.pending)
            yield lag
        yield GaugeMetricFamily(
            "maillage_monitor_poll_ok", "1 when the monitor's last look at the bus worked.",
            value=1.0 if self.bus.checked and not self.bus.error else 0.0)


def monitor_registry(tracker: Tracker, bus: BusHealth) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MonitorCollector(tracker, bus))
    return registry
